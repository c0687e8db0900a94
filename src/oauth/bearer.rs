//! `/mcp` with one of our access tokens: one storage read finds the token record, which holds
//! everything a request needs (audience, skills, the wrapped data key and the sealed Sentry
//! token). No in-memory cache: a revocation takes effect on the next request.

use super::records::{self, AccessTokenRecord, SecretHash, TokenKind, UnixMillis};
use super::{crypto, get_json, grant, redirect, Store, StoreError};
use crate::platform::http::HttpRequest;
use crate::platform::{LogLevel, Platform};
use crate::session::SkillSet;

/// A valid token: what the session is built from.
pub(crate) struct Authorized {
    /// The Sentry token to call Sentry with. Never logged.
    pub upstream_token: String,
    pub skills: SkillSet,
    pub grant_id: String,
}

/// Why a bearer token was refused (always 401 `invalid_token`). The text is what the client is
/// told (`error_description`); it never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BearerError {
    #[error("The access token is unknown or was revoked; authorize again")]
    Unknown,
    #[error("The access token expired; refresh it or authorize again")]
    Expired,
    #[error("The access token was issued for another MCP endpoint of this server; authorize for this URL")]
    WrongAudience,
    #[error("The authorization service is temporarily unavailable; try again")]
    Storage(#[source] StoreError),
}

/// Check `token` for a request to `req.url`.
pub(crate) async fn authenticate(
    store: &dyn Store,
    platform: &dyn Platform,
    req: &HttpRequest,
    token: &str,
) -> Result<Authorized, BearerError> {
    let grant_id = records::grant_id_of(token, TokenKind::Access).ok_or(BearerError::Unknown)?;
    let hash = SecretHash::of(token);
    let record: AccessTokenRecord =
        get_json(store, platform, &records::access_key(grant_id, &hash))
            .await
            .map_err(BearerError::Storage)?
            .ok_or(BearerError::Unknown)?;
    if record.grant_id != grant_id {
        return Err(BearerError::Unknown);
    }
    if record.expires_at_ms.is_past(UnixMillis(platform.now_ms())) {
        return Err(BearerError::Expired);
    }
    if !redirect::audience_covers(&record.audience, &req.url) {
        return Err(BearerError::WrongAudience);
    }
    let data_key = crypto::unwrap_key(&record.wrapped_key, token).ok_or(BearerError::Unknown)?;
    let upstream =
        grant::open_upstream(grant_id, &data_key, &record.upstream).ok_or(BearerError::Unknown)?;
    Ok(Authorized {
        upstream_token: upstream.access_token,
        skills: record.skills,
        grant_id: grant_id.to_string(),
    })
}

/// Sentry rejected the grant's token during a tool call: revoke the grant, so the client's next
/// request gets 401 and it authorizes again instead of looping on a dead token.
pub(crate) async fn upstream_rejected(store: &dyn Store, platform: &dyn Platform, grant_id: &str) {
    let outcome = grant::revoke_id(store, platform, grant_id, None).await;
    let line = serde_json::json!({"event": "oauth_upstream_rejected", "action": "grant_revoked", "ok": outcome.is_ok()});
    platform.log(LogLevel::Warn, &line.to_string());
}
