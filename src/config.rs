//! Deployment configuration, read from Worker vars/secrets (or the stdio binary's environment).
//!
//! Parsing is strict and every mistake becomes a [`ConfigError`] whose text tells the operator
//! what to change: the worker answers the first request with it instead of a stack trace.

use std::time::Duration;

use url::Url;

/// The default upstream: Sentry's SaaS control host.
pub(crate) const DEFAULT_SENTRY_URL: &str = "https://sentry.io";
/// The hosts that serve SaaS region APIs; region URLs outside this set are never fetched.
pub(crate) const SAAS_REGION_HOSTS: [&str; 3] = ["sentry.io", "us.sentry.io", "de.sentry.io"];
/// Default deadline for one call to Sentry.
pub(crate) const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(15);

/// A configuration mistake, worded for the operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {0}")]
pub(crate) struct ConfigError(pub String);

/// A host an org's region URL may point at: `host` (any port) or `host:port`. The SaaS rules
/// are stricter: the scheme's default port and no path (`https://us.sentry.io`), so a region URL
/// cannot reach another service or path of those hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostRule {
    pub host: String,
    pub port: Option<u16>,
    /// Only the default port of the URL's scheme, and an empty path (the SaaS rules).
    pub saas: bool,
}

impl HostRule {
    fn parse(entry: &str) -> Result<Self, ConfigError> {
        let entry = entry.trim().to_ascii_lowercase();
        let bad = || {
            ConfigError(format!(
                "SENTRY_ALLOWED_REGION_DOMAINS entry '{entry}' is not a host name (expected e.g. 'eu.sentry.example.com' or 'host:8443', no scheme or path)"
            ))
        };
        if entry.is_empty() || entry.contains('/') || entry.contains('@') {
            return Err(bad());
        }
        let (host, port) = match entry.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p.parse::<u16>().map_err(|_| bad())?)),
            None => (entry.clone(), None),
        };
        if host.is_empty()
            || !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return Err(bad());
        }
        Ok(Self { host, port, saas: false })
    }

    /// Whether `url` points at this host (and port, when the rule names one; for a SaaS rule,
    /// the default port and no path).
    pub(crate) fn matches(&self, url: &Url) -> bool {
        let saas_ok =
            !self.saas || (url.port().is_none() && url.path().trim_matches('/').is_empty());
        url.host_str().map(|h| h.eq_ignore_ascii_case(&self.host)).unwrap_or(false)
            && self.port.is_none_or(|p| url.port_or_known_default() == Some(p))
            && saas_ok
    }
}

/// Where and how to reach Sentry.
#[derive(Debug, Clone)]
pub(crate) struct SentryConfig {
    /// Base URL without a trailing slash in its path (`https://sentry.io`, `https://sentry.internal/prefix`).
    pub base: Url,
    /// Hosts an org's `links.regionUrl` may name.
    pub region_hosts: Vec<HostRule>,
    /// Whether `http://` URLs are acceptable (self-hosted on an internal network, local tests).
    pub allow_insecure_http: bool,
    /// Deadline for one upstream call.
    pub timeout: Duration,
}

/// Everything the server reads from its environment.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub sentry: SentryConfig,
    /// Extra browser origins allowed to call `/mcp` (the server's own origin is always allowed).
    pub allowed_origins: Vec<String>,
    /// Host names the server answers to (DNS-rebinding protection for local runs); empty = any.
    pub allowed_hosts: Vec<String>,
    /// Whether `Sentry-Bearer` passthrough is accepted (it is outside the MCP authorization profile).
    pub sentry_bearer_enabled: bool,
    /// Whether the rate limits apply (`MCP_RATE_LIMITS`, default `on`): the per-caller and
    /// per-address limiters and the registration counter. `off` is for a private deployment
    /// behind its own limits, and for test runs that are not about limits.
    pub rate_limits: bool,
    /// Where this server reports its own errors and performance (`SENTRY_DSN` and friends).
    pub telemetry: crate::telemetry::TelemetrySettings,
    /// A legacy HTTP+SSE session ends after this many seconds without a message
    /// (`MCP_SSE_IDLE_SECS`, default 600).
    pub sse_idle_secs: u64,
    /// The optional embedded agent (natural-language search, focused answers); off by default.
    pub agent: EmbeddedAgent,
}

impl Config {
    /// Build the configuration from a variable lookup (`env.var(..)` in the worker).
    pub(crate) fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let nonempty =
            |name: &str| var(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let allow_insecure_http = parse_bool(
            "SENTRY_ALLOW_INSECURE_HTTP",
            nonempty("SENTRY_ALLOW_INSECURE_HTTP"),
            false,
        )?;
        let raw_url = nonempty("SENTRY_URL").unwrap_or_else(|| DEFAULT_SENTRY_URL.to_string());
        let base = parse_sentry_url(&raw_url, allow_insecure_http)?;
        let is_saas = base.host_str() == Some("sentry.io");
        let host = base.host_str().unwrap_or_default();
        if allow_insecure_http && (host == "sentry.io" || host.ends_with(".sentry.io")) {
            return Err(ConfigError(format!(
                "SENTRY_ALLOW_INSECURE_HTTP is only for a self-hosted Sentry on a trusted network; {host} is always reached over https. Remove it, or point SENTRY_URL at your own Sentry"
            )));
        }

        let mut region_hosts: Vec<HostRule> = if is_saas {
            SAAS_REGION_HOSTS
                .iter()
                .map(|h| HostRule { host: h.to_string(), port: None, saas: true })
                .collect()
        } else {
            vec![HostRule {
                host: base.host_str().unwrap_or_default().to_string(),
                port: base.port_or_known_default(),
                saas: false,
            }]
        };
        if let Some(extra) = nonempty("SENTRY_ALLOWED_REGION_DOMAINS") {
            for entry in extra.split(',').filter(|e| !e.trim().is_empty()) {
                region_hosts.push(HostRule::parse(entry)?);
            }
        }

        let timeout = match nonempty("SENTRY_API_TIMEOUT_MS") {
            None => DEFAULT_UPSTREAM_TIMEOUT,
            Some(v) => match v.parse::<u64>() {
                Ok(ms) if (100..=120_000).contains(&ms) => Duration::from_millis(ms),
                _ => return Err(ConfigError(format!("SENTRY_API_TIMEOUT_MS must be a number of milliseconds between 100 and 120000, got '{v}'"))),
            },
        };

        let mut allowed_origins = Vec::new();
        if let Some(list) = nonempty("MCP_ALLOWED_ORIGINS") {
            for o in list.split(',').map(str::trim).filter(|o| !o.is_empty()) {
                let parsed = Url::parse(o)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                    .ok_or_else(|| ConfigError(format!("MCP_ALLOWED_ORIGINS entry '{o}' is not an origin like https://app.example.com")))?;
                allowed_origins.push(parsed.origin().ascii_serialization());
            }
        }

        let allowed_hosts = nonempty("MCP_ALLOWED_HOSTS")
            .map(|list| {
                list.split(',')
                    .map(|h| h.trim().to_ascii_lowercase())
                    .filter(|h| !h.is_empty())
                    .collect()
            })
            .unwrap_or_default();

        let sentry_bearer_enabled =
            parse_bool("SENTRY_BEARER_ENABLED", nonempty("SENTRY_BEARER_ENABLED"), true)?;

        let rate_limits =
            match nonempty("MCP_RATE_LIMITS").map(|v| v.to_ascii_lowercase()).as_deref() {
                None | Some("on") => true,
                Some("off") => false,
                Some(other) => {
                    return Err(ConfigError(format!(
                        "MCP_RATE_LIMITS must be 'on' or 'off', got '{other}'"
                    )))
                }
            };

        let dsn = match nonempty("SENTRY_DSN") {
            None => None,
            Some(raw) => Some(crate::telemetry::report::Dsn::parse(&raw).ok_or_else(|| {
                ConfigError("SENTRY_DSN is not a DSN (expected https://<public key>@<host>/<project id>, from the project's Client Keys page)".into())
            })?),
        };
        let traces_sample_rate = match nonempty("SENTRY_TRACES_SAMPLE_RATE") {
            None => 0.1,
            Some(v) => {
                v.parse::<f64>().ok().filter(|r| (0.0..=1.0).contains(r)).ok_or_else(|| {
                    ConfigError(format!(
                        "SENTRY_TRACES_SAMPLE_RATE must be a number from 0 to 1, got '{v}'"
                    ))
                })?
            }
        };
        let telemetry = crate::telemetry::TelemetrySettings {
            dsn,
            environment: nonempty("SENTRY_ENVIRONMENT").unwrap_or_else(|| "production".into()),
            release: nonempty("SENTRY_RELEASE")
                .unwrap_or_else(|| format!("{}@{}", crate::SERVER_NAME, crate::SERVER_VERSION)),
            traces_sample_rate,
            record_tool_results: parse_bool(
                "SENTRY_TRACES_TOOL_RESULTS",
                nonempty("SENTRY_TRACES_TOOL_RESULTS"),
                false,
            )?,
        };

        let sse_idle_secs = match nonempty("MCP_SSE_IDLE_SECS") {
            None => 600,
            Some(v) => v.parse::<u64>().ok().filter(|s| (1..=86_400).contains(s)).ok_or_else(|| {
                ConfigError(format!("MCP_SSE_IDLE_SECS must be a number of seconds between 1 and 86400, got '{v}'"))
            })?,
        };
        let agent = EmbeddedAgent::from_vars(&nonempty)?;

        Ok(Self {
            sentry: SentryConfig { base, region_hosts, allow_insecure_http, timeout },
            allowed_origins,
            allowed_hosts,
            sentry_bearer_enabled,
            rate_limits,
            telemetry,
            sse_idle_secs,
            agent,
        })
    }
}

/// A boolean variable: `true`/`1`/`yes` or `false`/`0`/`no` (any case); absent means `default`.
pub(crate) fn parse_bool(
    name: &str,
    value: Option<String>,
    default: bool,
) -> Result<bool, ConfigError> {
    match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("true" | "1" | "yes") => Ok(true),
        Some("false" | "0" | "no") => Ok(false),
        Some(other) => Err(ConfigError(format!("{name} must be 'true' or 'false', got '{other}'"))),
    }
}

fn parse_sentry_url(raw: &str, allow_insecure_http: bool) -> Result<Url, ConfigError> {
    let mut url = Url::parse(raw).map_err(|e| {
        ConfigError(format!("SENTRY_URL '{raw}' is not a valid URL ({e}); expected e.g. https://sentry.io or https://sentry.example.com"))
    })?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure_http => {}
        "http" => {
            return Err(ConfigError(format!(
                "SENTRY_URL '{raw}' uses http://; tokens would travel in clear. Use https://, or set SENTRY_ALLOW_INSECURE_HTTP=true for a self-hosted Sentry on a trusted internal network"
            )))
        }
        other => return Err(ConfigError(format!("SENTRY_URL must use https:// (got '{other}:')"))),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ConfigError(format!("SENTRY_URL '{raw}' has no host")));
    }
    if !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(ConfigError(format!(
            "SENTRY_URL must be a plain origin with an optional path prefix (no credentials, query or fragment), got '{}'",
            url.origin().ascii_serialization()
        )));
    }
    let trimmed = url.path().trim_end_matches('/').to_string();
    url.set_path(&trimmed);
    Ok(url)
}

/// Default deadline for everything the embedded agent does in one tool call.
pub(crate) const DEFAULT_AGENT_TIMEOUT: Duration = Duration::from_secs(20);
/// The Workers AI model used unless `WORKERS_AI_MODEL` names another.
pub(crate) const DEFAULT_WORKERS_AI_MODEL: &str = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";
/// Default ceiling on the tokens one model call may generate.
pub(crate) const DEFAULT_AGENT_MAX_TOKENS: u32 = 1024;

/// The model service the embedded agent calls, named by `EMBEDDED_AGENT_PROVIDER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AgentProvider {
    /// Any OpenAI-compatible chat-completions endpoint (OpenAI, a gateway, a self-hosted model).
    OpenAi,
    /// Anthropic's messages API.
    Anthropic,
    /// Cloudflare Workers AI through the Worker's `[ai]` binding (no API key).
    WorkersAi,
}

impl AgentProvider {
    /// The value of `EMBEDDED_AGENT_PROVIDER` that names it (also `gen_ai.system` in telemetry).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
            Self::WorkersAi => "workers-ai",
        }
    }
}

/// A provider's API key. Its `Debug` never shows the value, so a logged configuration cannot leak it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ApiKey(pub String);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(..)")
    }
}

/// How to reach the chosen model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AgentSettings {
    pub provider: AgentProvider,
    /// API base URL (`https://api.openai.com/v1`); `None` for Workers AI (a binding, not a URL).
    pub base: Option<Url>,
    pub model: String,
    /// `None` only for Workers AI.
    pub api_key: Option<ApiKey>,
    /// Deadline for all of the agent's model calls in one tool call.
    pub timeout: Duration,
    /// Ceiling on the tokens one model call may generate.
    pub max_tokens: u32,
}

/// Whether the embedded agent runs, and if not, why (shown by `/health` and a log line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EmbeddedAgent {
    /// Off: `reason` is worded for the operator.
    Off {
        reason: String,
    },
    On(AgentSettings),
}

impl EmbeddedAgent {
    /// The settings when the agent is on.
    pub(crate) fn settings(&self) -> Option<&AgentSettings> {
        match self {
            Self::On(settings) => Some(settings),
            Self::Off { .. } => None,
        }
    }

    /// What `/health` and the start log line say: on with provider and model, or off and why.
    pub(crate) fn status(&self) -> serde_json::Value {
        match self {
            Self::On(s) => serde_json::json!({
                "enabled": true,
                "provider": s.provider.name(),
                "model": s.model,
            }),
            Self::Off { reason } => serde_json::json!({ "enabled": false, "reason": reason }),
        }
    }

    /// Read the agent's variables. The agent is never auto-detected: keys without
    /// `EMBEDDED_AGENT_PROVIDER` leave it off (with a reason), a provider without its key is an error.
    pub(crate) fn from_vars(
        nonempty: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let provider = match nonempty("EMBEDDED_AGENT_PROVIDER").map(|p| p.to_ascii_lowercase()) {
            None => {
                let keys: Vec<&str> = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"]
                    .into_iter()
                    .filter(|k| nonempty(k).is_some())
                    .collect();
                let reason = if keys.is_empty() {
                    "EMBEDDED_AGENT_PROVIDER is not set; search takes Sentry query syntax only".to_string()
                } else {
                    format!(
                        "{} is set but EMBEDDED_AGENT_PROVIDER is not; the agent is never chosen from the keys present. Set EMBEDDED_AGENT_PROVIDER to openai, anthropic or workers-ai to turn it on",
                        keys.join(" and ")
                    )
                };
                return Ok(Self::Off { reason });
            }
            Some(p) if matches!(p.as_str(), "off" | "none" | "false") => {
                return Ok(Self::Off { reason: format!("EMBEDDED_AGENT_PROVIDER is '{p}'") });
            }
            Some(p) => match p.as_str() {
                "openai" => AgentProvider::OpenAi,
                "anthropic" => AgentProvider::Anthropic,
                "workers-ai" => AgentProvider::WorkersAi,
                _ => {
                    return Err(ConfigError(format!(
                        "EMBEDDED_AGENT_PROVIDER must be openai, anthropic, workers-ai or off, got '{p}'"
                    )))
                }
            },
        };
        let timeout = match nonempty("EMBEDDED_AGENT_TIMEOUT_MS") {
            None => DEFAULT_AGENT_TIMEOUT,
            Some(v) => match v.parse::<u64>() {
                Ok(ms) if (500..=120_000).contains(&ms) => Duration::from_millis(ms),
                _ => return Err(ConfigError(format!("EMBEDDED_AGENT_TIMEOUT_MS must be a number of milliseconds between 500 and 120000, got '{v}'"))),
            },
        };
        let max_tokens = match nonempty("EMBEDDED_AGENT_MAX_TOKENS") {
            None => DEFAULT_AGENT_MAX_TOKENS,
            Some(v) => v.parse::<u32>().ok().filter(|n| (64..=32_768).contains(n)).ok_or_else(|| {
                ConfigError(format!(
                    "EMBEDDED_AGENT_MAX_TOKENS must be a number of tokens between 64 and 32768, got '{v}'"
                ))
            })?,
        };
        let (prefix, default_base, default_model) = match provider {
            AgentProvider::OpenAi => ("OPENAI", "https://api.openai.com/v1", "gpt-5"),
            AgentProvider::Anthropic => {
                ("ANTHROPIC", "https://api.anthropic.com", "claude-sonnet-4-5")
            }
            AgentProvider::WorkersAi => {
                // The `[ai]` binding is the credential: no key, no URL. Whether the Worker has
                // the binding is known per request (`Platform::run_ai`), and said there.
                let model =
                    nonempty("WORKERS_AI_MODEL").unwrap_or_else(|| DEFAULT_WORKERS_AI_MODEL.into());
                return Ok(Self::On(AgentSettings {
                    provider,
                    base: None,
                    model,
                    api_key: None,
                    timeout,
                    max_tokens,
                }));
            }
        };
        let key_name = format!("{prefix}_API_KEY");
        let api_key = nonempty(&key_name).map(ApiKey).ok_or_else(|| {
            ConfigError(format!(
                "EMBEDDED_AGENT_PROVIDER is {} but {key_name} is not set; set the key (as a secret) or unset EMBEDDED_AGENT_PROVIDER",
                provider.name()
            ))
        })?;
        let base_name = format!("{prefix}_BASE_URL");
        let raw_base = nonempty(&base_name).unwrap_or_else(|| default_base.to_string());
        let base = parse_agent_base(&base_name, &raw_base)?;
        let model = nonempty(&format!("{prefix}_MODEL")).unwrap_or_else(|| default_model.into());
        Ok(Self::On(AgentSettings {
            provider,
            base: Some(base),
            model,
            api_key: Some(api_key),
            timeout,
            max_tokens,
        }))
    }
}

/// A provider base URL: HTTPS, or plain HTTP only on a loopback host (a local model server).
fn parse_agent_base(name: &str, raw: &str) -> Result<Url, ConfigError> {
    let mut url = Url::parse(raw).map_err(|e| {
        ConfigError(format!(
            "{name} '{raw}' is not a valid URL ({e}); expected e.g. https://api.example.com/v1"
        ))
    })?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(ConfigError(format!(
                "{name} must use https:// (plain http:// only for a model server on this machine: localhost, 127.0.0.1 or [::1]), got '{}'",
                url.origin().ascii_serialization()
            )))
        }
    }
    if !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(ConfigError(format!(
            "{name} must be a plain URL without credentials, query or fragment (put the key in the _API_KEY variable)"
        )));
    }
    let trimmed = url.path().trim_end_matches('/').to_string();
    url.set_path(&trimmed);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_vars(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_to_saas_with_its_region_hosts() {
        let c = config(&[]).unwrap();
        assert_eq!(c.sentry.base.as_str(), "https://sentry.io/");
        assert_eq!(c.sentry.base.host_str(), Some("sentry.io"));
        let hosts: Vec<_> = c.sentry.region_hosts.iter().map(|r| r.host.as_str()).collect();
        assert_eq!(hosts, ["sentry.io", "us.sentry.io", "de.sentry.io"]);
        assert!(c.sentry_bearer_enabled);
        assert!(c.rate_limits);
    }

    #[test]
    fn rate_limits_switch_off_only_when_asked() {
        assert!(!config(&[("MCP_RATE_LIMITS", "off")]).unwrap().rate_limits);
        assert!(!config(&[("MCP_RATE_LIMITS", "OFF")]).unwrap().rate_limits);
        assert!(config(&[("MCP_RATE_LIMITS", "on")]).unwrap().rate_limits);
        let err = config(&[("MCP_RATE_LIMITS", "false")]).unwrap_err();
        assert!(err.0.contains("'on' or 'off'"), "{err}");
    }

    #[test]
    fn refuses_plain_http_unless_allowed() {
        let err = config(&[("SENTRY_URL", "http://sentry.internal")]).unwrap_err();
        assert!(err.0.contains("SENTRY_ALLOW_INSECURE_HTTP"), "{err}");
        let ok = config(&[
            ("SENTRY_URL", "http://sentry.internal:9000/"),
            ("SENTRY_ALLOW_INSECURE_HTTP", "true"),
        ])
        .unwrap();
        assert_ne!(ok.sentry.base.host_str(), Some("sentry.io"));
        assert!(ok.sentry.region_hosts[0]
            .matches(&Url::parse("http://sentry.internal:9000/api/0/").unwrap()));
        assert!(!ok.sentry.region_hosts[0]
            .matches(&Url::parse("http://sentry.internal:9001/").unwrap()));
    }

    #[test]
    fn rejects_garbage_with_actionable_messages() {
        assert!(config(&[("SENTRY_URL", "not a url")]).unwrap_err().0.contains("SENTRY_URL"));
        assert!(config(&[("SENTRY_URL", "https://user:pw@sentry.io")]).is_err());
        assert!(config(&[("SENTRY_ALLOW_INSECURE_HTTP", "maybe")])
            .unwrap_err()
            .0
            .contains("'true' or 'false'"));
        assert!(config(&[("SENTRY_ALLOW_INSECURE_HTTP", "true")])
            .unwrap_err()
            .0
            .contains("always reached over https"));
        assert!(config(&[
            ("SENTRY_URL", "http://de.sentry.io"),
            ("SENTRY_ALLOW_INSECURE_HTTP", "true")
        ])
        .is_err());
        assert!(config(&[("SENTRY_ALLOWED_REGION_DOMAINS", "https://x.example.com/")]).is_err());
        assert!(config(&[("SENTRY_API_TIMEOUT_MS", "0")]).is_err());
        assert!(config(&[("MCP_ALLOWED_ORIGINS", "nope")]).is_err());
        assert!(config(&[("SENTRY_DSN", "https://sentry.io/1")])
            .unwrap_err()
            .0
            .contains("SENTRY_DSN"));
        assert!(config(&[("SENTRY_TRACES_SAMPLE_RATE", "2")]).is_err());
        assert_eq!(config(&[]).unwrap().telemetry.traces_sample_rate, 0.1);
    }

    #[test]
    fn allowed_hosts_list() {
        let c = config(&[("MCP_ALLOWED_HOSTS", "localhost, 127.0.0.1 ,")]).unwrap();
        assert_eq!(c.allowed_hosts, ["localhost", "127.0.0.1"]);
        assert!(config(&[]).unwrap().allowed_hosts.is_empty());
    }

    #[test]
    fn extra_region_hosts_and_prefix_paths() {
        let c = config(&[
            ("SENTRY_URL", "https://sentry.example.com/prefix/"),
            ("SENTRY_ALLOWED_REGION_DOMAINS", "eu.sentry.example.com, 127.0.0.2"),
        ])
        .unwrap();
        assert_eq!(c.sentry.base.path(), "/prefix");
        assert!(c
            .sentry
            .region_hosts
            .iter()
            .any(|r| r.matches(&Url::parse("https://eu.sentry.example.com").unwrap())));
        assert!(c
            .sentry
            .region_hosts
            .iter()
            .any(|r| r.matches(&Url::parse("http://127.0.0.2:1234").unwrap())));
    }

    #[test]
    fn the_agent_is_off_unless_chosen_and_never_guessed_from_keys() {
        assert!(matches!(config(&[]).unwrap().agent, EmbeddedAgent::Off { .. }));
        let EmbeddedAgent::Off { reason } =
            config(&[("OPENAI_API_KEY", "sk-secret")]).unwrap().agent
        else {
            panic!("a key alone must not turn the agent on")
        };
        assert!(reason.contains("OPENAI_API_KEY") && reason.contains("EMBEDDED_AGENT_PROVIDER"));
        assert!(!reason.contains("sk-secret"));
        let err = config(&[("EMBEDDED_AGENT_PROVIDER", "anthropic"), ("OPENAI_API_KEY", "k")])
            .unwrap_err();
        assert!(err.0.contains("ANTHROPIC_API_KEY"), "{err}");
        assert!(config(&[("EMBEDDED_AGENT_PROVIDER", "gemini")]).unwrap_err().0.contains("openai"));
        assert!(matches!(
            config(&[("EMBEDDED_AGENT_PROVIDER", "off"), ("OPENAI_API_KEY", "k")]).unwrap().agent,
            EmbeddedAgent::Off { .. }
        ));
    }

    #[test]
    fn agent_settings_defaults_and_limits() {
        let c =
            config(&[("EMBEDDED_AGENT_PROVIDER", "OpenAI"), ("OPENAI_API_KEY", "sk-1")]).unwrap();
        let s = c.agent.settings().unwrap();
        assert_eq!(s.provider, AgentProvider::OpenAi);
        assert_eq!(s.base.as_ref().unwrap().as_str(), "https://api.openai.com/v1");
        assert_eq!(
            (s.model.as_str(), s.max_tokens, s.timeout),
            ("gpt-5", 1024, DEFAULT_AGENT_TIMEOUT)
        );
        assert!(!format!("{c:?}").contains("sk-1"), "Debug hides the key");
        let a = config(&[
            ("EMBEDDED_AGENT_PROVIDER", "anthropic"),
            ("ANTHROPIC_API_KEY", "k"),
            ("ANTHROPIC_BASE_URL", "http://127.0.0.1:8787/"),
            ("ANTHROPIC_MODEL", "claude-haiku-4-5"),
            ("EMBEDDED_AGENT_TIMEOUT_MS", "5000"),
            ("EMBEDDED_AGENT_MAX_TOKENS", "256"),
        ])
        .unwrap();
        let s = a.agent.settings().unwrap();
        assert_eq!(s.base.as_ref().unwrap().as_str(), "http://127.0.0.1:8787/");
        assert_eq!((s.model.as_str(), s.max_tokens), ("claude-haiku-4-5", 256));
        assert_eq!(s.timeout, Duration::from_secs(5));
        for (name, value) in [
            ("OPENAI_BASE_URL", "http://models.example.com/v1"),
            ("OPENAI_BASE_URL", "https://user:pw@models.example.com"),
            ("OPENAI_BASE_URL", "ftp://localhost"),
            ("EMBEDDED_AGENT_TIMEOUT_MS", "10"),
            ("EMBEDDED_AGENT_MAX_TOKENS", "many"),
        ] {
            let err = config(&[
                ("EMBEDDED_AGENT_PROVIDER", "openai"),
                ("OPENAI_API_KEY", "k"),
                (name, value),
            ])
            .unwrap_err();
            assert!(err.0.contains(name), "{name}={value}: {err}");
        }
        assert!(config(&[
            ("EMBEDDED_AGENT_PROVIDER", "openai"),
            ("OPENAI_API_KEY", "k"),
            ("OPENAI_BASE_URL", "http://localhost:11434/v1")
        ])
        .is_ok());
        let w =
            config(&[("EMBEDDED_AGENT_PROVIDER", "workers-ai"), ("OPENAI_API_KEY", "k")]).unwrap();
        let s = w.agent.settings().unwrap();
        assert_eq!(
            (s.provider, s.base.as_ref(), s.api_key.as_ref(), s.model.as_str()),
            (AgentProvider::WorkersAi, None, None, DEFAULT_WORKERS_AI_MODEL),
            "the binding needs no key or URL, and other providers' keys are not read"
        );
        let w = config(&[
            ("EMBEDDED_AGENT_PROVIDER", "workers-ai"),
            ("WORKERS_AI_MODEL", "@cf/qwen/qwen3-30b-a3b-fp8"),
        ])
        .unwrap();
        assert_eq!(w.agent.settings().unwrap().model, "@cf/qwen/qwen3-30b-a3b-fp8");
    }
}
