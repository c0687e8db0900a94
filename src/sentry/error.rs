//! Every way a Sentry call can fail, each worded so an agent knows what to do next.
//!
//! These become tool results with `isError: true` (never JSON-RPC errors), so the text is written
//! for the model: what happened, and the next step. Upstream text is scrubbed of credentials and
//! shortened before it is quoted.

use std::fmt;

/// A failed call to the Sentry API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SentryError {
    /// 400 or 422: Sentry refused the parameters; `detail` is Sentry's explanation (scrubbed).
    BadRequest { status: u16, detail: String },
    /// 401: the token is missing, expired or revoked.
    Unauthorized,
    /// 401 with a condition of one organization (`sso-required`, `member-disabled-over-limit`,
    /// `2fa-required`...): the token is valid, the user must act in Sentry. `code` is a plain
    /// token and `message` is Sentry's text, scrubbed and shortened.
    AccessCondition { code: String, message: String },
    /// 403: the token is valid but may not do this.
    Forbidden { detail: String },
    /// 404: `subject` names what was looked for, when the caller said.
    NotFound { subject: Option<String> },
    /// 429: Sentry's rate limit; when known, how many seconds until it resets.
    RateLimited { retry_after_secs: Option<u64> },
    /// 5xx: an upstream failure.
    Server { status: u16 },
    /// Any other unexpected status.
    UnexpectedStatus { status: u16 },
    /// The body was not the JSON an API answer should be (HTML page, truncated JSON...).
    NotJson { status: u16, content_type: String, host: String },
    /// No HTTP answer: connection refused, reset, DNS...
    Network { host: String },
    /// No answer before the deadline.
    Timeout { host: String, seconds: u64 },
    /// The org's region URL is not one this server may contact (SSRF guard).
    RegionRefused { org: String, region: String },
    /// A value could not be turned into a request (bad path segment and the like).
    InvalidRequest(String),
}

impl SentryError {
    /// Name what a 404 was about, so the message says which id to check.
    pub(crate) fn about(self, subject: impl Into<String>) -> Self {
        match self {
            SentryError::NotFound { subject: None } => {
                SentryError::NotFound { subject: Some(subject.into()) }
            }
            other => other,
        }
    }

    /// Whether asking again later may succeed: Sentry was down, busy or slow, not refusing.
    pub(crate) fn is_transient(&self) -> bool {
        matches!(
            self,
            SentryError::Server { .. }
                | SentryError::RateLimited { .. }
                | SentryError::Network { .. }
                | SentryError::Timeout { .. }
        )
    }

    /// A stable class name for logs and telemetry.
    pub(crate) fn class(&self) -> &'static str {
        match self {
            SentryError::BadRequest { .. } => "upstream_bad_request",
            SentryError::Unauthorized => "upstream_unauthorized",
            SentryError::AccessCondition { .. } => "upstream_access_condition",
            SentryError::Forbidden { .. } => "upstream_forbidden",
            SentryError::NotFound { .. } => "upstream_not_found",
            SentryError::RateLimited { .. } => "upstream_rate_limited",
            SentryError::Server { .. } => "upstream_server_error",
            SentryError::UnexpectedStatus { .. } => "upstream_unexpected_status",
            SentryError::NotJson { .. } => "upstream_not_json",
            SentryError::Network { .. } => "upstream_network",
            SentryError::Timeout { .. } => "upstream_timeout",
            SentryError::RegionRefused { .. } => "region_refused",
            SentryError::InvalidRequest(_) => "invalid_request",
        }
    }
}

impl SentryError {
    /// Text Sentry wrote that the message quotes (a 400 or 403 `detail`, the message of a 401
    /// condition). It can echo values from the request, which the model may have copied from
    /// event data, so a tool result shows it inside the untrusted-data boundary.
    pub(crate) fn quoted(&self) -> Option<&str> {
        match self {
            SentryError::BadRequest { detail, .. } | SentryError::Forbidden { detail } => {
                Some(detail)
            }
            SentryError::AccessCondition { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The message, with the [`quoted`](Self::quoted) text passed through `quote`.
    pub(crate) fn describe(&self, quote: &dyn Fn(&str) -> String) -> String {
        match self {
            SentryError::BadRequest { status, detail } => format!(
                "Sentry rejected the request (HTTP {status}): {}. Fix the parameters (for queries, check the Sentry search syntax) and try again.",
                quote(detail)
            ),
            SentryError::Unauthorized => "Sentry rejected the access token (HTTP 401): it is missing, expired or revoked. Ask the user to create a new Sentry user auth token (Settings > Personal Tokens) or to reconnect.".to_string(),
            SentryError::AccessCondition { code, message } => format!(
                "Sentry refused access to this organization (HTTP 401, {code}): {}. The token itself is valid; the user must resolve this in Sentry (sso-required: sign in to the organization with SSO in the browser; member-disabled: ask an owner to re-enable the membership; 2fa-required: set up two-factor authentication), then retry.",
                quote(message)
            ),
            SentryError::Forbidden { detail } => format!(
                "The token may not do this (HTTP 403): {}. The user may lack access to this organization or project, or the token lacks a scope (read tools need org:read, project:read, event:read).",
                quote(detail)
            ),
            SentryError::NotFound { subject: Some(s) } => format!(
                "Not found (HTTP 404): {s}. Check the spelling and that it belongs to this organization; use find_organizations / find_projects / search_issues to list what exists."
            ),
            SentryError::NotFound { subject: None } => "Not found (HTTP 404). Verify the organization slug, project slug and resource id; use find_organizations / find_projects / search_issues to list what exists.".to_string(),
            SentryError::RateLimited { retry_after_secs: Some(s) } => format!(
                "Sentry's rate limit was reached (HTTP 429). Wait {s} seconds before calling Sentry again; do not retry in a loop."
            ),
            SentryError::RateLimited { retry_after_secs: None } => "Sentry's rate limit was reached (HTTP 429). Wait a minute before calling Sentry again; do not retry in a loop.".to_string(),
            SentryError::Server { status } => format!(
                "Sentry had a server error (HTTP {status}). This is usually temporary: try again in a minute, and tell the user if it persists."
            ),
            SentryError::UnexpectedStatus { status } => format!("Sentry answered with an unexpected HTTP {status}."),
            SentryError::NotJson { status, content_type, host } => format!(
                "{host} answered HTTP {status} with {content_type} instead of API JSON. That usually means a login page, proxy or outage in front of Sentry; check the Sentry URL and try again later."
            ),
            SentryError::Network { host } => format!(
                "Could not connect to Sentry at {host}. The host may be down or unreachable from this server; try again later or check the configured Sentry URL."
            ),
            SentryError::Timeout { host, seconds } => format!(
                "Sentry at {host} did not answer within {seconds} seconds. Try again, with a narrower query or shorter period if it was a search."
            ),
            SentryError::RegionRefused { org, region } => format!(
                "Organization '{org}' is served from {region}, which is not an allowed Sentry region for this server, so it was not contacted. The operator can allow it with SENTRY_ALLOWED_REGION_DOMAINS."
            ),
            SentryError::InvalidRequest(msg) => msg.clone(),
        }
    }
}

impl fmt::Display for SentryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(&|text| text.to_string()))
    }
}

impl std::error::Error for SentryError {}
