//! Reading the caller's credentials from request headers.
//!
//! Trusted clients pass their own Sentry token, either as `Authorization: Sentry-Bearer <token>`
//! (the official server's scheme, so existing client configs keep working) or in a dedicated
//! `Sentry-Bearer: <token>` header. Hosts that can only send a plain bearer token may send a Sentry
//! token as `Authorization: Bearer <token>`: a value with a Sentry token prefix (`sntryu_`,
//! `sntrys_`) is taken as a Sentry token, under the same switch and rules as `Sentry-Bearer`. Every
//! other `Authorization: Bearer` value keeps its OAuth meaning; our own tokens start with `smcp_`,
//! so the two can never be confused. A malformed value is an error and never falls back to another
//! method; two credentials at once are refused.

use crate::platform::http::Headers;

/// Credentials presented by the client.
#[derive(PartialEq, Eq)]
pub(crate) enum Credentials {
    /// A Sentry token to pass through to Sentry.
    SentryBearer(String),
    /// An OAuth access token issued by this server.
    OAuthBearer(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credentials::SentryBearer(_) => "SentryBearer([redacted])",
            Credentials::OAuthBearer(_) => "OAuthBearer([redacted])",
        })
    }
}

/// Why no usable credentials were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CredentialError {
    /// Nothing was sent: the client should start OAuth.
    #[error("no credentials were sent")]
    Missing,
    /// A Sentry-Bearer value was present but unusable.
    #[error("the Sentry-Bearer credential is malformed")]
    MalformedSentryBearer,
    /// An `Authorization` value with another scheme, or a malformed Bearer value.
    #[error("the Authorization header is not a usable Bearer token")]
    MalformedBearer,
    /// More than one credential was sent.
    #[error("more than one credential was sent")]
    Conflict,
    /// One of this server's own tokens was sent as a Sentry token; it is never forwarded.
    #[error("an access token of this server was sent as a Sentry token")]
    OwnTokenAsSentryBearer,
}

/// The prefix of every token this server issues (`oauth::records`): never a Sentry token, so never
/// forwarded to Sentry, where it would reach a third party.
const OWN_TOKEN_PREFIX: &str = "smcp_";

/// The prefixes of Sentry's user (`sntryu_`) and organization (`sntrys_`) auth tokens: a plain
/// `Authorization: Bearer` value that starts with one is a Sentry token, never one of ours.
const SENTRY_TOKEN_PREFIXES: [&str; 2] = ["sntryu_", "sntrys_"];

/// A `Sentry-Bearer` value, checked.
fn sentry_bearer(token: &str) -> Result<Credentials, CredentialError> {
    if !valid_token(token) {
        return Err(CredentialError::MalformedSentryBearer);
    }
    if token.starts_with(OWN_TOKEN_PREFIX) {
        return Err(CredentialError::OwnTokenAsSentryBearer);
    }
    Ok(Credentials::SentryBearer(token.to_string()))
}

/// Tokens are one run of visible ASCII.
fn valid_token(t: &str) -> bool {
    !t.is_empty() && t.len() <= 1024 && t.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b',')
}

/// Find the request's credentials.
pub(super) fn parse(headers: &Headers) -> Result<Credentials, CredentialError> {
    let authorization: Vec<&str> =
        headers.get_all("authorization").map(str::trim).filter(|v| !v.is_empty()).collect();
    let dedicated: Vec<&str> = headers.get_all("sentry-bearer").map(str::trim).collect();
    if authorization.len() + dedicated.len() > 1 {
        return Err(CredentialError::Conflict);
    }
    if let Some(value) = dedicated.first() {
        return sentry_bearer(value.strip_prefix("Sentry-Bearer ").unwrap_or(value).trim());
    }
    let Some(value) = authorization.first() else { return Err(CredentialError::Missing) };
    let (scheme, rest) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
    let token = rest.trim();
    if scheme.eq_ignore_ascii_case("sentry-bearer") {
        return sentry_bearer(token);
    }
    if scheme.eq_ignore_ascii_case("bearer") && valid_token(token) {
        if SENTRY_TOKEN_PREFIXES.iter().any(|p| token.starts_with(p)) {
            return sentry_bearer(token);
        }
        return Ok(Credentials::OAuthBearer(token.to_string()));
    }
    Err(CredentialError::MalformedBearer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Headers {
        pairs.iter().fold(Headers::new(), |h, (k, v)| h.with(k, *v))
    }

    #[test]
    fn both_sentry_bearer_shapes() {
        assert_eq!(
            parse(&h(&[("Authorization", "Sentry-Bearer sntryu_abc")])),
            Ok(Credentials::SentryBearer("sntryu_abc".into()))
        );
        assert_eq!(
            parse(&h(&[("authorization", "sentry-bearer   sntryu_abc ")])),
            Ok(Credentials::SentryBearer("sntryu_abc".into()))
        );
        assert_eq!(
            parse(&h(&[("Sentry-Bearer", "sntryu_abc")])),
            Ok(Credentials::SentryBearer("sntryu_abc".into()))
        );
    }

    #[test]
    fn our_own_tokens_are_never_taken_for_sentry_tokens() {
        for headers in [
            h(&[("Authorization", "Sentry-Bearer smcp_at_grant_0123")]),
            h(&[("Sentry-Bearer", "smcp_rt_grant_0123")]),
        ] {
            assert_eq!(parse(&headers), Err(CredentialError::OwnTokenAsSentryBearer));
        }
        assert_eq!(
            parse(&h(&[("Authorization", "Bearer smcp_at_grant_0123")])),
            Ok(Credentials::OAuthBearer("smcp_at_grant_0123".into()))
        );
    }

    #[test]
    fn plain_bearer_with_a_sentry_prefix_is_a_sentry_token() {
        for token in ["sntryu_abc123", "sntrys_eyJpYXQiOjE3MDB9_abc"] {
            assert_eq!(
                parse(&h(&[("Authorization", &format!("Bearer {token}"))])),
                Ok(Credentials::SentryBearer(token.into()))
            );
        }
        // Only the exact prefixes: anything else is an OAuth token (ours or unknown).
        for token in ["sntryo_abc", "SNTRYU_abc", "xsntryu_abc", "smcp_at_x"] {
            assert_eq!(
                parse(&h(&[("Authorization", &format!("Bearer {token}"))])),
                Ok(Credentials::OAuthBearer(token.into()))
            );
        }
        assert_eq!(
            parse(&h(&[("Authorization", "Bearer sntryu_a"), ("Sentry-Bearer", "sntryu_a")])),
            Err(CredentialError::Conflict)
        );
    }

    #[test]
    fn malformed_never_falls_back() {
        assert_eq!(
            parse(&h(&[("Authorization", "Sentry-Bearer")])),
            Err(CredentialError::MalformedSentryBearer)
        );
        assert_eq!(
            parse(&h(&[("Authorization", "Sentry-Bearer a b")])),
            Err(CredentialError::MalformedSentryBearer)
        );
        assert_eq!(
            parse(&h(&[("Sentry-Bearer", "")])),
            Err(CredentialError::MalformedSentryBearer)
        );
        assert_eq!(
            parse(&h(&[("Sentry-Bearer", "a\u{7f}b")])),
            Err(CredentialError::MalformedSentryBearer)
        );
        assert_eq!(
            parse(&h(&[("Authorization", "Basic abc")])),
            Err(CredentialError::MalformedBearer)
        );
    }

    #[test]
    fn oauth_missing_and_conflicts() {
        assert_eq!(
            parse(&h(&[("Authorization", "Bearer tok")])),
            Ok(Credentials::OAuthBearer("tok".into()))
        );
        assert_eq!(parse(&h(&[])), Err(CredentialError::Missing));
        assert_eq!(
            parse(&h(&[("Authorization", "Bearer a"), ("Sentry-Bearer", "b")])),
            Err(CredentialError::Conflict)
        );
        assert_eq!(
            parse(&h(&[("Sentry-Bearer", "a"), ("Sentry-Bearer", "b")])),
            Err(CredentialError::Conflict)
        );
    }

    #[test]
    fn debug_redacts() {
        assert!(!format!("{:?}", Credentials::SentryBearer("sntryu_x".into())).contains("sntryu_x"));
    }
}
