//! OAuth error codes and the one constructor of JSON error responses in their shape,
//! `{"error": ..., "error_description": ...}` (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 6750 §3.1).
//!
//! Exists so that every such answer (token, registration, revocation and metadata endpoints, the
//! `/mcp` 401 challenges, the router's 404) is built the same way: a known code, a description,
//! the status, and never cached. Error redirects to a client (`authorize::error_redirect`) use the
//! same codes.

use std::fmt;

use serde_json::{json, Value};

use crate::platform::http::HttpResponse;

/// The `error` member: the codes of the OAuth RFCs this server sends, and a few of its own for
/// HTTP-level errors answered in the same shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OAuthErrorCode {
    /// RFC 6749: a parameter is missing, repeated or malformed.
    InvalidRequest,
    /// RFC 6749: client authentication failed.
    InvalidClient,
    /// RFC 6749: the code or refresh token is invalid, expired, revoked or not this client's.
    InvalidGrant,
    /// RFC 6749: the grant type is not supported.
    UnsupportedGrantType,
    /// RFC 6749: the requested scope is invalid or exceeds the grant.
    InvalidScope,
    /// RFC 6749: the user (or the authorization server) denied the request.
    AccessDenied,
    /// RFC 6749: the response type is not supported.
    UnsupportedResponseType,
    /// RFC 6749: try again later.
    TemporarilyUnavailable,
    /// RFC 8707: the `resource` is invalid or not this grant's.
    InvalidTarget,
    /// RFC 7591: a redirect URI is not acceptable.
    InvalidRedirectUri,
    /// RFC 7591: some other client metadata is not acceptable.
    InvalidClientMetadata,
    /// RFC 6750: the access token is invalid, expired, revoked or for another resource.
    InvalidToken,
    /// RFC 6750: the token is valid but its scope does not cover the request (step-up).
    InsufficientScope,
    /// This server: no credentials were sent (`/mcp` 401 without an RFC 6750 error).
    Unauthorized,
    /// This server: nothing at this path.
    NotFound,
    /// This server: the path does not accept this method.
    MethodNotAllowed,
    /// This server: a rate limit was hit.
    TooManyRequests,
}

impl OAuthErrorCode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InvalidTarget => "invalid_target",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::Unauthorized => "unauthorized",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::TooManyRequests => "too_many_requests",
        }
    }
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth error: its code and a human-readable description (never a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub(crate) struct OAuthError {
    pub code: OAuthErrorCode,
    pub description: String,
}

impl OAuthError {
    pub(crate) fn new(code: OAuthErrorCode, description: impl Into<String>) -> Self {
        Self { code, description: description.into() }
    }

    /// `{"error": ..., "error_description": ...}`.
    pub(crate) fn body(&self) -> Value {
        json!({"error": self.code.as_str(), "error_description": self.description})
    }

    /// The HTTP answer: the body with `status`, never cached (`Cache-Control: no-store`,
    /// `Pragma: no-cache`, as RFC 6749 §5.1 requires of the token endpoint; an error is never worth
    /// caching anywhere else either).
    pub(crate) fn response(&self, status: u16) -> HttpResponse {
        super::no_store_json(status, &self.body())
    }
}

/// Shorthand for `OAuthError::new(code, description).response(status)`.
pub(crate) fn oauth_error(status: u16, code: OAuthErrorCode, description: &str) -> HttpResponse {
    OAuthError::new(code, description).response(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_have_the_rfc_shape_and_are_never_cached() {
        let r = oauth_error(400, OAuthErrorCode::InvalidGrant, "no");
        assert_eq!(r.status, 400);
        assert_eq!(r.headers.get("cache-control"), Some("no-store"));
        assert_eq!(r.headers.get("pragma"), Some("no-cache"));
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body, json!({"error": "invalid_grant", "error_description": "no"}));
        assert_eq!(
            OAuthError::new(OAuthErrorCode::InvalidToken, "x").to_string(),
            "invalid_token: x"
        );
    }
}
