//! The native stdio binary: the worker's core, run as a child process of a local MCP client
//! (Claude Code, Cursor, VS Code, Codex, Zed, JetBrains, Xcode).
//!
//! - [`args`]: the command line (strict; an unknown flag is an error).
//! - [`settings`]: flags and environment → the worker's `Config` and this process's `Session`.
//! - [`platform`]: the native [`crate::platform::Platform`] (reqwest + rustls, stderr logs).
//! - [`stdio`]: the transport loop around [`crate::mcp::dispatch`].

pub(crate) mod args;
pub(crate) mod platform;
pub(crate) mod settings;
pub(crate) mod stdio;

use std::process::ExitCode;

use args::{Invocation, USAGE};

/// The binary's entry point. Exit codes: 0 after serving (end of input, SIGINT, SIGTERM) or for
/// `--help`/`--version`, 1 when the settings are unusable, 2 for a usage error.
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
        Invocation::Help => println!("{USAGE}"),
        Invocation::Version => println!("sentry-mcp {}", crate::SERVER_VERSION),
        Invocation::Serve(flags) => {
            match settings::settings(&flags, |name| std::env::var(name).ok()) {
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
