//! From flags and environment to what the process serves with: the worker's own
//! [`Config`] (read through the same variable names, so region routing and the SSRF guard are the
//! same) and the one [`Session`] of this process (token, skills, constraints).

use crate::config::{parse_bool, AgentProvider, Config, ConfigError};
use crate::sentry::ids::InvalidId;
use crate::session::{AccessMethod, Constraints, Session, SkillChoiceError, SkillSet};

use super::args::Flags;

/// The environment variables the stdio server reads; anything else (the worker's HTTP-only
/// settings, for instance) is ignored.
const ENVIRONMENT: [&str; 17] = [
    "SENTRY_ACCESS_TOKEN",
    "SENTRY_URL",
    "SENTRY_HOST",
    "SENTRY_ALLOW_INSECURE_HTTP",
    "SENTRY_ALLOWED_REGION_DOMAINS",
    "SENTRY_API_TIMEOUT_MS",
    "MCP_SKILLS",
    "MCP_DISABLE_SKILLS",
    "EMBEDDED_AGENT_PROVIDER",
    "EMBEDDED_AGENT_TIMEOUT_MS",
    "EMBEDDED_AGENT_MAX_TOKENS",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_MODEL",
];

/// What the server runs with.
#[derive(Debug)]
pub(crate) struct Settings {
    pub config: Config,
    pub session: Session,
}

/// Why the server cannot start; each says what to change.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SettingsError {
    #[error("no Sentry access token: run `sentry-mcp auth login` (add --url for a self-hosted Sentry), or pass --access-token=<token> or set SENTRY_ACCESS_TOKEN (create a user auth token in Sentry under Settings > Personal Tokens)")]
    MissingToken,
    /// The stored sign-in cannot be used (expired, unreadable, too widely readable).
    #[error("{0}")]
    StoredLogin(String),
    #[error("{0} (--url sets SENTRY_URL, --insecure-http sets SENTRY_ALLOW_INSECURE_HTTP=true)")]
    Config(#[from] ConfigError),
    #[error("--skills / --disable-skills: {0}")]
    Skills(#[from] SkillChoiceError),
    #[error("--organization-slug / --project-slug: {0}")]
    Constraint(#[from] InvalidId),
}

/// Build the settings; `env` reads an environment variable, `stored` the token `auth login`
/// stored for the configured Sentry (used only when no token is given).
pub(crate) fn settings(
    flags: &Flags,
    env: impl Fn(&str) -> Option<String>,
    stored: impl FnOnce(&Config) -> Result<Option<String>, String>,
) -> Result<Settings, SettingsError> {
    let config = sentry_config(flags, &env)?;
    let var = |name: &str| flags.var(name).map(str::to_string).or_else(|| from_env(&env, name));
    let given = var("SENTRY_ACCESS_TOKEN").map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    let upstream_token = match given {
        Some(token) => token,
        None => stored(&config)
            .map_err(SettingsError::StoredLogin)?
            .ok_or(SettingsError::MissingToken)?,
    };
    let skills = var("MCP_SKILLS");
    let disabled = var("MCP_DISABLE_SKILLS");
    let options = [("skills", skills.as_deref()), ("disable-skills", disabled.as_deref())];
    let skills = SkillSet::choose(options.into_iter().filter_map(|(k, v)| Some((k, v?))))?;
    let constraints = Constraints::new(flags.organization.as_deref(), flags.project.as_deref())?;
    Ok(Settings {
        config,
        session: Session {
            upstream_token,
            access: AccessMethod::AccessToken,
            skills,
            constraints,
            agent_off: flags.no_agent,
        },
    })
}

/// An environment variable the stdio binary reads, when set and not blank.
fn from_env(env: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    ENVIRONMENT.contains(&name).then(|| env(name)).flatten().filter(|v| !v.trim().is_empty())
}

/// The worker's configuration from flags and environment (no token needed: `auth` uses it too).
pub(crate) fn sentry_config(
    flags: &Flags,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Config, SettingsError> {
    let var = |name: &str| flags.var(name).map(str::to_string).or_else(|| from_env(env, name));
    let insecure =
        parse_bool("SENTRY_ALLOW_INSECURE_HTTP", var("SENTRY_ALLOW_INSECURE_HTTP"), false)
            .unwrap_or(false);
    let host_url =
        |host: String| format!("{}://{}", if insecure { "http" } else { "https" }, host.trim());
    // A flag beats the environment; within each, a URL beats a host name.
    let sentry_url = flags
        .var("SENTRY_URL")
        .map(str::to_string)
        .or_else(|| flags.var("SENTRY_HOST").map(|h| host_url(h.to_string())))
        .or_else(|| from_env(env, "SENTRY_URL"))
        .or_else(|| from_env(env, "SENTRY_HOST").map(host_url));
    let config =
        Config::from_vars(
            |name| if name == "SENTRY_URL" { sentry_url.clone() } else { var(name) },
        )?;
    if config.agent.settings().is_some_and(|s| s.provider == AgentProvider::WorkersAi) {
        return Err(ConfigError(
            "EMBEDDED_AGENT_PROVIDER=workers-ai needs a Worker's [ai] binding, which the stdio binary does not have; use openai (any OpenAI-compatible endpoint, a local model server too) or anthropic".into(),
        )
        .into());
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::args::{parse, Invocation};
    use crate::session::Skill;

    fn run(args: &[&str], env: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let Ok(Invocation::Serve(flags)) = parse(args) else { panic!("{args:?}") };
        let env = |k: &str| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        settings(&flags, env, |_| Ok(None))
    }

    #[test]
    fn the_agent_settings_on_stdio() {
        let token = ("SENTRY_ACCESS_TOKEN", "sntryu_env");
        let err = run(&["--agent-provider=openai"], &[token]).unwrap_err().to_string();
        assert!(err.contains("OPENAI_API_KEY is not set"), "a provider without its key: {err}");
        let err = run(&["--agent-provider=workers-ai"], &[token]).unwrap_err().to_string();
        assert!(err.contains("[ai] binding") && err.contains("stdio"), "{err}");
        let keys_only = run(&[], &[token, ("ANTHROPIC_API_KEY", "sk-ant")]).unwrap();
        assert!(keys_only.config.agent.settings().is_none(), "never chosen from the keys present");
        let on = run(&["--agent-provider=anthropic"], &[token, ("ANTHROPIC_API_KEY", "sk-ant")]);
        let on = on.unwrap();
        assert!(on.config.agent.settings().is_some() && !on.session.agent_off);
        let off = run(
            &["--agent-provider=anthropic", "--no-agent"],
            &[token, ("ANTHROPIC_API_KEY", "k")],
        );
        assert!(off.unwrap().session.agent_off, "--no-agent opts this connection out");
    }

    #[test]
    fn the_token_is_required() {
        assert!(matches!(run(&[], &[]), Err(SettingsError::MissingToken)));
        assert!(matches!(
            run(&["--access-token="], &[("SENTRY_ACCESS_TOKEN", " ")]),
            Err(SettingsError::MissingToken)
        ));
        let s = run(&[], &[("SENTRY_ACCESS_TOKEN", "sntryu_env")]).unwrap();
        assert_eq!(s.session.upstream_token, "sntryu_env");
        assert_eq!(s.session.access, AccessMethod::AccessToken);
        assert_eq!(s.config.sentry.base.host_str(), Some("sentry.io"));
    }

    #[test]
    fn a_stored_login_is_used_only_without_a_given_token() {
        let Ok(Invocation::Serve(flags)) = parse(["--url=https://sentry.example.com"]) else {
            panic!()
        };
        let stored = |c: &Config| {
            assert_eq!(c.sentry.base.as_str(), "https://sentry.example.com/");
            Ok(Some("sntryu_stored".to_string()))
        };
        let s = settings(&flags, |_| None, stored).unwrap();
        assert_eq!(s.session.upstream_token, "sntryu_stored");
        let env = |k: &str| (k == "SENTRY_ACCESS_TOKEN").then(|| "sntryu_env".to_string());
        let s = settings(&flags, env, |_| panic!("not read when a token is given")).unwrap();
        assert_eq!(s.session.upstream_token, "sntryu_env");
        let err = settings(&flags, |_| None, |_| Err("expired".into())).unwrap_err();
        assert!(matches!(err, SettingsError::StoredLogin(m) if m == "expired"));
        let err = settings(&flags, |_| None, |_| Ok(None)).unwrap_err().to_string();
        assert!(err.contains("sentry-mcp auth login"), "{err}");
    }

    #[test]
    fn flags_win_over_the_environment() {
        let env = [
            ("SENTRY_ACCESS_TOKEN", "sntryu_env"),
            ("SENTRY_URL", "https://env.example.com"),
            ("MCP_SKILLS", "seer"),
        ];
        let s = run(
            &["--access-token=sntryu_flag", "--url=https://flag.example.com", "--skills=inspect"],
            &env,
        )
        .unwrap();
        assert_eq!(s.session.upstream_token, "sntryu_flag");
        assert_eq!(s.config.sentry.base.as_str(), "https://flag.example.com/");
        assert_eq!(s.session.skills, SkillSet::none().with(Skill::Inspect));
        let s = run(&["--host=flag-host.example.com"], &env).unwrap();
        assert_eq!(
            s.config.sentry.base.as_str(),
            "https://flag-host.example.com/",
            "a host flag beats the URL variable"
        );
    }

    #[test]
    fn self_hosted_over_http_needs_the_flag_and_never_applies_to_sentry_io() {
        let token = ("SENTRY_ACCESS_TOKEN", "t");
        let err = run(&["--url=http://127.0.0.1:9000"], &[token]).unwrap_err().to_string();
        assert!(err.contains("--insecure-http"), "{err}");
        let s = run(&["--host=127.0.0.1:9000", "--insecure-http"], &[token]).unwrap();
        assert_eq!(s.config.sentry.base.as_str(), "http://127.0.0.1:9000/");
        assert!(s.config.sentry.region_hosts.iter().any(|r| r.host == "127.0.0.1"));
        assert!(run(&["--insecure-http"], &[token]).is_err());
        assert!(run(&["--url=https://sentry.io", "--insecure-http"], &[token]).is_err());
    }

    #[test]
    fn only_the_stdio_variables_are_read() {
        let s = run(&[], &[("SENTRY_ACCESS_TOKEN", "t"), ("MCP_ALLOWED_ORIGINS", "not an origin")])
            .unwrap();
        assert!(s.config.allowed_origins.is_empty());
        let s = run(
            &[],
            &[
                ("SENTRY_ACCESS_TOKEN", "t"),
                ("SENTRY_API_TIMEOUT_MS", "2000"),
                ("SENTRY_ALLOWED_REGION_DOMAINS", "eu.example.com"),
            ],
        )
        .unwrap();
        assert_eq!(s.config.sentry.timeout.as_millis(), 2000);
        assert!(s.config.sentry.region_hosts.iter().any(|r| r.host == "eu.example.com"));
    }

    #[test]
    fn skills_and_constraints_follow_the_shared_rules() {
        let token = ("SENTRY_ACCESS_TOKEN", "t");
        let s = run(
            &["--disable-skills=seer", "--organization-slug=acme", "--project-slug=web"],
            &[token],
        )
        .unwrap();
        assert_eq!(s.session.skills, SkillSet::all().without(Skill::Seer));
        assert_eq!(s.session.constraints, Constraints::new(Some("acme"), Some("web")).unwrap());
        assert!(matches!(run(&["--skills=docs"], &[token]), Err(SettingsError::Skills(_))));
        assert!(matches!(
            run(&["--skills=seer", "--disable-skills=seer"], &[token]),
            Err(SettingsError::Skills(SkillChoiceError::NoneLeft))
        ));
        assert!(matches!(
            run(&["--project-slug=web"], &[token]),
            Err(SettingsError::Constraint(_))
        ));
        assert!(matches!(
            run(&["--organization-slug=a/b"], &[token]),
            Err(SettingsError::Constraint(_))
        ));
    }
}
