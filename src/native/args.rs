//! The command line of the stdio binary.
//!
//! Most flags stand for a variable of the same name as the environment (and the worker) use, so
//! [`super::settings`] can read flags and environment through one lookup in which flags win.
//! Parsing is strict: an unknown flag is an error, so a typo never silently falls back to a
//! default (such as sending a self-hosted token to sentry.io).

use std::ffi::OsString;

/// Flags that set a variable: `--flag value` (or `--flag=value`) and the variable it sets.
pub(crate) const VARIABLE_FLAGS: [(&str, &str); 11] = [
    ("access-token", "SENTRY_ACCESS_TOKEN"),
    ("url", "SENTRY_URL"),
    ("host", "SENTRY_HOST"),
    ("skills", "MCP_SKILLS"),
    ("disable-skills", "MCP_DISABLE_SKILLS"),
    ("client-id", "SENTRY_CLIENT_ID"),
    ("agent-provider", "EMBEDDED_AGENT_PROVIDER"),
    ("openai-base-url", "OPENAI_BASE_URL"),
    ("openai-model", "OPENAI_MODEL"),
    ("anthropic-base-url", "ANTHROPIC_BASE_URL"),
    ("anthropic-model", "ANTHROPIC_MODEL"),
];

/// The flags `auth` subcommands take (which Sentry, and the OAuth client to sign in with).
const AUTH_FLAGS: [&str; 4] = ["url", "host", "insecure-http", "client-id"];

/// The text of `--help`, also shown after a usage error.
pub(crate) const USAGE: &str = "\
Usage: sentry-mcp [--access-token=<token>] [options]
       sentry-mcp auth login|status|logout [--url <url> | --host <host>] [--insecure-http] [--client-id <id>]

An MCP server for Sentry over stdio: JSON-RPC on stdin/stdout, logs on stderr.

Without a token it uses the one `sentry-mcp auth login` stored for the Sentry URL: login signs in
with Sentry's device authorization flow (open a link, enter a code) and stores the token in a file
only you can read; `auth status` says who is signed in (never the token), `auth logout` deletes it.

Options (each may also be set by the environment variable in brackets; flags win):
  --access-token <token>       Sentry user auth token (else the one `auth login` stored) [SENTRY_ACCESS_TOKEN]
  --url <url>                  Sentry URL, default https://sentry.io [SENTRY_URL]
  --host <host[:port]>         Self-hosted Sentry by host name, when --url is not given [SENTRY_HOST]
  --insecure-http              Allow http:// for a self-hosted Sentry on a trusted network
                               (never for sentry.io) [SENTRY_ALLOW_INSECURE_HTTP=true]
  --skills <list>              Only these skills: inspect, triage, seer, project-management [MCP_SKILLS]
  --disable-skills <list>      Remove these skills from the set [MCP_DISABLE_SKILLS]
  --organization-slug <slug>   Limit every tool to this organization
  --project-slug <slug>        Limit every tool to this project (needs --organization-slug)
  --client-id <id>             auth login: the public OAuth client (Sentry > Settings > API >
                               Applications) to sign in with [SENTRY_CLIENT_ID]
  --agent-provider <name>      Turn on the embedded agent (natural-language search, focused
                               answers): openai or anthropic; off unless named [EMBEDDED_AGENT_PROVIDER]
  --openai-base-url <url>      OpenAI-compatible API, default https://api.openai.com/v1
                               (https, or http on localhost) [OPENAI_BASE_URL]
  --openai-model <model>       Default gpt-5 [OPENAI_MODEL]
  --anthropic-base-url <url>   Default https://api.anthropic.com [ANTHROPIC_BASE_URL]
  --anthropic-model <model>    Default claude-sonnet-4-5 [ANTHROPIC_MODEL]
  --no-agent                   No embedded agent for this connection, even if a provider is set
                               (as ?agent=off on the worker's /mcp URL)
  -h, --help                   Show this help
  -V, --version                Show the version

Environment only:
  SENTRY_ALLOWED_REGION_DOMAINS  Extra hosts an organization's region URL may name (comma-separated)
  SENTRY_API_TIMEOUT_MS          Deadline of each call to Sentry (default 15000)
  HTTPS_PROXY, NO_PROXY          Proxy for calls to Sentry
  SENTRY_MCP_CREDENTIALS         Where auth login stores tokens (default
                                 $XDG_CONFIG_HOME/sentry-mcp/credentials.json, else ~/.config/...)
  OPENAI_API_KEY, ANTHROPIC_API_KEY  The embedded agent's key (never read unless its provider is chosen)
  EMBEDDED_AGENT_TIMEOUT_MS      Deadline of the agent's work in one tool call (default 20000)
  EMBEDDED_AGENT_MAX_TOKENS      Tokens one model call may generate (default 1024)

Prefer SENTRY_ACCESS_TOKEN to --access-token: other local users can read command lines.";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Invocation {
    Help,
    Version,
    Serve(Flags),
    /// `sentry-mcp auth <command>`.
    Auth(AuthCommand, Flags),
}

/// The `auth` subcommands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthCommand {
    Login,
    Status,
    Logout,
}

/// The values given on the command line.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Flags {
    /// Variables set by flags, by variable name; the last occurrence of a flag wins.
    vars: Vec<(&'static str, String)>,
    pub organization: Option<String>,
    pub project: Option<String>,
    /// `--no-agent`: no embedded agent for this connection, whatever the provider settings.
    pub no_agent: bool,
}

impl Flags {
    /// The value a flag gave `variable`, if any.
    pub(crate) fn var(&self, variable: &str) -> Option<&str> {
        self.vars.iter().rev().find(|(name, _)| *name == variable).map(|(_, v)| v.as_str())
    }

    fn set(&mut self, variable: &'static str, value: String) {
        self.vars.push((variable, value));
    }
}

/// A command line that cannot be used; the text names the offending argument.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub(crate) struct UsageError(#[from] lexopt::Error);

/// Parse the arguments after the program name.
pub(crate) fn parse(
    args: impl IntoIterator<Item = impl Into<OsString>>,
) -> Result<Invocation, UsageError> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut flags = Flags::default();
    let mut auth = None;
    let mut first = true;
    while let Some(arg) = parser.next()? {
        let at_start = std::mem::replace(&mut first, false);
        if let (Some(_), Long(name)) = (auth, &arg) {
            if !AUTH_FLAGS.contains(name) {
                return Err(arg.unexpected().into());
            }
        }
        match arg {
            Value(ref v) if at_start && v == "auth" => {
                let command = parser.value()?.string()?;
                auth = Some(match command.as_str() {
                    "login" => AuthCommand::Login,
                    "status" => AuthCommand::Status,
                    "logout" => AuthCommand::Logout,
                    _ => return Err(Value(command.into()).unexpected().into()),
                });
            }
            Short('h') | Long("help") => return Ok(Invocation::Help),
            Short('V') | Short('v') | Long("version") => return Ok(Invocation::Version),
            Long("insecure-http") => flags.set("SENTRY_ALLOW_INSECURE_HTTP", "true".into()),
            Long("no-agent") => flags.no_agent = true,
            Long("organization-slug") => flags.organization = Some(parser.value()?.string()?),
            Long("project-slug") => flags.project = Some(parser.value()?.string()?),
            Long(name) => match VARIABLE_FLAGS.iter().find(|(flag, _)| *flag == name) {
                Some((_, variable)) => flags.set(variable, parser.value()?.string()?),
                None => return Err(arg.unexpected().into()),
            },
            _ => return Err(arg.unexpected().into()),
        }
    }
    Ok(match auth {
        Some(command) => Invocation::Auth(command, flags),
        None => Invocation::Serve(flags),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> Flags {
        match parse(args) {
            Ok(Invocation::Serve(flags)) => flags,
            other => panic!("{args:?} → {other:?}"),
        }
    }

    #[test]
    fn flags_map_onto_variables() {
        let f = serve(&[
            "--access-token",
            "sntryu_a",
            "--url=https://sentry.example.com",
            "--insecure-http",
            "--skills=inspect",
            "--organization-slug",
            "acme",
            "--project-slug=web",
            "--agent-provider=anthropic",
            "--anthropic-base-url",
            "http://127.0.0.1:9",
        ]);
        assert_eq!(f.var("EMBEDDED_AGENT_PROVIDER"), Some("anthropic"));
        assert_eq!(f.var("ANTHROPIC_BASE_URL"), Some("http://127.0.0.1:9"));
        assert_eq!(f.var("SENTRY_ACCESS_TOKEN"), Some("sntryu_a"));
        assert_eq!(f.var("SENTRY_URL"), Some("https://sentry.example.com"));
        assert_eq!(f.var("SENTRY_ALLOW_INSECURE_HTTP"), Some("true"));
        assert_eq!(f.var("MCP_SKILLS"), Some("inspect"));
        assert_eq!(f.var("MCP_DISABLE_SKILLS"), None);
        assert_eq!((f.organization.as_deref(), f.project.as_deref()), (Some("acme"), Some("web")));
        assert_eq!(
            serve(&["--url=a", "--url=b"]).var("SENTRY_URL"),
            Some("b"),
            "the last one wins"
        );
        assert_eq!(serve(&[]), Flags::default());
        assert!(serve(&["--no-agent"]).no_agent && !serve(&[]).no_agent);
    }

    #[test]
    fn help_and_version() {
        assert_eq!(parse(["--help"]).unwrap(), Invocation::Help);
        assert_eq!(parse(["-h", "--bogus"]).unwrap(), Invocation::Help);
        assert_eq!(parse(["--version"]).unwrap(), Invocation::Version);
        assert_eq!(parse(["-V"]).unwrap(), Invocation::Version);
    }

    #[test]
    fn auth_subcommands_take_only_their_flags() {
        let Ok(Invocation::Auth(AuthCommand::Login, f)) =
            parse(["auth", "login", "--url=https://sentry.example.com", "--client-id", "abc"])
        else {
            panic!("auth login")
        };
        assert_eq!(f.var("SENTRY_URL"), Some("https://sentry.example.com"));
        assert_eq!(f.var("SENTRY_CLIENT_ID"), Some("abc"));
        assert!(matches!(parse(["auth", "status"]), Ok(Invocation::Auth(AuthCommand::Status, _))));
        assert!(matches!(parse(["auth", "logout"]), Ok(Invocation::Auth(AuthCommand::Logout, _))));
        for args in [
            &["auth"][..],
            &["auth", "whoami"],
            &["auth", "login", "--skills=seer"],
            &["--url=x", "auth", "login"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
        let err = parse(["auth", "login", "--access-token=sntryu_x"]).unwrap_err().to_string();
        assert!(err.contains("--access-token") && !err.contains("sntryu_x"), "{err}");
    }

    #[test]
    fn mistakes_name_the_argument() {
        for (args, needle) in [
            (&["--bogus"][..], "--bogus"),
            (&["--access-token"][..], "--access-token"),
            (&["--insecure-http=yes"][..], "--insecure-http"),
            (&["stray"][..], "stray"),
            (&["-x"][..], "-x"),
        ] {
            let err = parse(args).unwrap_err().to_string();
            assert!(err.contains(needle), "{args:?}: {err}");
        }
    }
}
