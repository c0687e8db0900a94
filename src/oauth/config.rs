//! The secrets remote OAuth mode needs, read separately from [`crate::config::Config`]: a missing or
//! weak one disables only the OAuth routes (with a clear error), while `Sentry-Bearer` access and
//! the 401 challenge keep working.

use std::fmt;

use crate::config::{parse_bool, ConfigError};

/// Registrations one IP may make per hour unless `OAUTH_REGISTRATIONS_PER_HOUR` says otherwise.
pub(crate) const DEFAULT_REGISTRATIONS_PER_HOUR: u32 = 30;
/// `COOKIE_SECRET` must have at least this many bytes.
pub(crate) const MIN_COOKIE_SECRET_BYTES: usize = 32;

/// OAuth settings and secrets. `Debug` never shows a secret.
#[derive(Clone)]
pub(crate) struct OAuthConfig {
    /// The Sentry OAuth application this server signs users in with.
    pub sentry_client_id: String,
    pub sentry_client_secret: String,
    /// Signs the consent form, the upstream `state` and the cookies.
    pub cookie_secret: Vec<u8>,
    /// Dynamic client registrations allowed per IP and hour (0 = no limit).
    pub registrations_per_hour: u32,
    /// Whether the authorization-server metadata advertises
    /// `authorization_response_iss_parameter_supported` (`OAUTH_ADVERTISE_ISS`, default true).
    /// `iss` itself is always sent; turn this off for clients that mishandle the flag.
    pub advertise_iss: bool,
    /// Whether client ID metadata documents may be fetched over plain `http` from loopback hosts
    /// (`OAUTH_CIMD_ALLOW_INSECURE_LOOPBACK`, default false): for tests and local development
    /// only, as `SENTRY_ALLOW_INSECURE_HTTP` is for Sentry. Private addresses stay refused.
    pub cimd_allow_insecure_loopback: bool,
}

impl fmt::Debug for OAuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthConfig")
            .field("sentry_client_id", &self.sentry_client_id)
            .field("sentry_client_secret", &"[redacted]")
            .field("cookie_secret", &"[redacted]")
            .field("registrations_per_hour", &self.registrations_per_hour)
            .field("advertise_iss", &self.advertise_iss)
            .field("cimd_allow_insecure_loopback", &self.cimd_allow_insecure_loopback)
            .finish()
    }
}

impl OAuthConfig {
    pub(crate) fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let nonempty =
            |name: &str| var(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let missing: Vec<&str> = ["SENTRY_CLIENT_ID", "SENTRY_CLIENT_SECRET", "COOKIE_SECRET"]
            .into_iter()
            .filter(|n| nonempty(n).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(ConfigError(format!(
                "remote OAuth is not configured: set {} (wrangler secret put NAME; see README \"Remote OAuth\"). Sentry-Bearer access still works",
                missing.join(", ")
            )));
        }
        let cookie_secret = nonempty("COOKIE_SECRET").unwrap_or_default();
        let distinct = cookie_secret.bytes().collect::<std::collections::BTreeSet<u8>>().len();
        if cookie_secret.len() < MIN_COOKIE_SECRET_BYTES || distinct < 8 {
            return Err(ConfigError(format!(
                "COOKIE_SECRET is too weak: use at least {MIN_COOKIE_SECRET_BYTES} random bytes, e.g. the output of `openssl rand -hex 32`"
            )));
        }
        let registrations_per_hour = match nonempty("OAUTH_REGISTRATIONS_PER_HOUR") {
            None => DEFAULT_REGISTRATIONS_PER_HOUR,
            Some(v) => v.parse().map_err(|_| {
                ConfigError(format!(
                    "OAUTH_REGISTRATIONS_PER_HOUR must be a whole number, got '{v}'"
                ))
            })?,
        };
        let advertise_iss =
            parse_bool("OAUTH_ADVERTISE_ISS", nonempty("OAUTH_ADVERTISE_ISS"), true)?;
        let cimd_allow_insecure_loopback = parse_bool(
            "OAUTH_CIMD_ALLOW_INSECURE_LOOPBACK",
            nonempty("OAUTH_CIMD_ALLOW_INSECURE_LOOPBACK"),
            false,
        )?;
        Ok(Self {
            sentry_client_id: nonempty("SENTRY_CLIENT_ID").unwrap_or_default(),
            sentry_client_secret: nonempty("SENTRY_CLIENT_SECRET").unwrap_or_default(),
            cookie_secret: cookie_secret.into_bytes(),
            registrations_per_hour,
            advertise_iss,
            cimd_allow_insecure_loopback,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(vars: &[(&str, &str)]) -> Result<OAuthConfig, ConfigError> {
        OAuthConfig::from_vars(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn missing_and_weak_secrets_are_explained() {
        let err = parse(&[("SENTRY_CLIENT_ID", "id")]).unwrap_err().0;
        assert!(
            err.contains("SENTRY_CLIENT_SECRET, COOKIE_SECRET") && err.contains("Sentry-Bearer"),
            "{err}"
        );
        let weak = parse(&[
            ("SENTRY_CLIENT_ID", "id"),
            ("SENTRY_CLIENT_SECRET", "s"),
            ("COOKIE_SECRET", "short"),
        ])
        .unwrap_err()
        .0;
        assert!(weak.contains("too weak"));
        let repetitive = "a".repeat(64);
        assert!(parse(&[
            ("SENTRY_CLIENT_ID", "id"),
            ("SENTRY_CLIENT_SECRET", "s"),
            ("COOKIE_SECRET", &repetitive)
        ])
        .is_err());
    }

    #[test]
    fn switches_parse_strictly() {
        let base = [
            ("SENTRY_CLIENT_ID", "id"),
            ("SENTRY_CLIENT_SECRET", "s"),
            ("COOKIE_SECRET", "0123456789abcdef0123456789abcdef"),
        ];
        let with = |extra: (&'static str, &'static str)| {
            let mut v = base.to_vec();
            v.push(extra);
            parse(&v)
        };
        assert!(!with(("OAUTH_ADVERTISE_ISS", "false")).unwrap().advertise_iss);
        assert!(
            with(("OAUTH_CIMD_ALLOW_INSECURE_LOOPBACK", "true"))
                .unwrap()
                .cimd_allow_insecure_loopback
        );
        let err = with(("OAUTH_ADVERTISE_ISS", "maybe")).unwrap_err().0;
        assert!(err.contains("OAUTH_ADVERTISE_ISS"), "{err}");
    }

    #[test]
    fn good_config_hides_secrets_in_debug() {
        let c = parse(&[
            ("SENTRY_CLIENT_ID", "id"),
            ("SENTRY_CLIENT_SECRET", "topsecret"),
            ("COOKIE_SECRET", "0123456789abcdef0123456789abcdef"),
        ])
        .unwrap();
        assert_eq!(c.registrations_per_hour, DEFAULT_REGISTRATIONS_PER_HOUR);
        assert!(c.advertise_iss && !c.cimd_allow_insecure_loopback, "safe defaults");
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("topsecret") && !dbg.contains("0123456789abcdef"));
    }
}
