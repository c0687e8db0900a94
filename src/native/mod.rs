//! The native stdio binary: the worker's core, run as a child process of a local MCP client
//! (Claude Code, Cursor, VS Code, Codex, Zed, JetBrains, Xcode).
//!
//! - [`args`]: the command line (strict; an unknown flag is an error).
//! - [`auth`]: `auth login|status|logout` (device sign-in, the credentials file).
//! - [`settings`]: flags and environment → the worker's `Config` and this process's `Session`.
//! - [`platform`]: the native [`crate::platform::Platform`] (reqwest + rustls, stderr logs).
//! - [`stdio`]: the transport loop around [`crate::mcp::dispatch`].

pub(crate) mod args;
pub(crate) mod auth;
pub(crate) mod platform;
pub(crate) mod settings;
pub(crate) mod stdio;

use std::process::ExitCode;

use args::{AuthCommand, Flags, Invocation, USAGE};
use auth::CredentialStore;
use platform::NativePlatform;

use crate::platform::Platform;

/// The binary's entry point. Exit codes: 0 after serving (end of input, SIGINT, SIGTERM) or for
/// `--help`/`--version`, 1 when the settings are unusable (or an `auth` command failed, or
/// `auth status` finds no sign-in), 2 for a usage error.
///
/// The only direct prints of the binary: before serving starts, help and version go to stdout and
/// usage errors to stderr; once it serves, stdout carries only protocol messages and logs go
/// through `Platform::log`.
#[allow(clippy::print_stdout, clippy::print_stderr)]
pub(crate) fn main() -> ExitCode {
    let invocation = match args::parse(std::env::args_os().skip(1)) {
        Ok(invocation) => invocation,
        Err(e) => {
            eprintln!("sentry-mcp: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match invocation {
        // Written, not `println!`: a reader that stops early (`sentry-mcp --help | head`) closes
        // the pipe, and that is no reason to panic.
        Invocation::Help => print_to_stdout(&USAGE),
        Invocation::Version => print_to_stdout(&format!("sentry-mcp {}", crate::SERVER_VERSION)),
        Invocation::Auth(command, flags) => return auth_command(command, &flags),
        Invocation::Serve(flags) => {
            let env = |name: &str| std::env::var(name).ok();
            let stored = |config: &crate::config::Config| {
                // No place for a credentials file (no HOME): nothing was ever stored there.
                let Ok(store) = CredentialStore::locate(env) else { return Ok(None) };
                let now = NativePlatform::default().now_ms();
                store.token_for(&config.sentry.base, now).map_err(|e| e.to_string())
            };
            match settings::settings(&flags, env, stored) {
                Ok(settings) => {
                    stdio::serve(settings);
                }
                Err(e) => {
                    eprintln!("sentry-mcp: {e}");
                    return ExitCode::from(1);
                }
            }
        }
    }
    ExitCode::SUCCESS
}

/// One line to stdout, ignoring a closed pipe.
fn print_to_stdout(text: &dyn std::fmt::Display) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// Run `sentry-mcp auth <command>`; its messages go to stderr (stdout stays free for scripts).
#[allow(clippy::print_stderr)]
fn auth_command(command: AuthCommand, flags: &Flags) -> ExitCode {
    let env = |name: &str| std::env::var(name).ok();
    let outcome =
        settings::sentry_config(flags, &env).map_err(|e| e.to_string()).and_then(|config| {
            let store = CredentialStore::locate(env).map_err(|e| e.to_string())?;
            let mut out = std::io::stderr();
            let platform = NativePlatform::default();
            match command {
                AuthCommand::Login => {
                    let client_id = flags
                        .var("SENTRY_CLIENT_ID")
                        .map(str::to_string)
                        .or_else(|| env("SENTRY_CLIENT_ID"));
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("a single-threaded tokio runtime");
                    runtime
                        .block_on(auth::run_login(&platform, &config, client_id, &store, &mut out))
                        .map(|()| true)
                }
                AuthCommand::Status => {
                    auth::run_status(&config, &store, platform.now_ms(), &mut out)
                }
                AuthCommand::Logout => auth::run_logout(&config, &store, &mut out).map(|_| true),
            }
            .map_err(|e| e.to_string())
        });
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("sentry-mcp: {e}");
            ExitCode::from(1)
        }
    }
}
