//! `/mcp` with one of our access tokens: one storage read finds the token record, which holds
//! everything a request needs (audience, skills, the wrapped data key and the sealed Sentry
//! token). No in-memory cache: a revocation takes effect on the next request.

use std::cell::Cell;
use std::time::Duration;

use async_trait::async_trait;

use super::records::{self, AccessTokenRecord, SecretHash, TokenKind, UnixMillis};
use super::{crypto, get_json, grant, redirect, Store, StoreError};
use crate::platform::http::{HttpRequest, HttpResponse};
use crate::platform::{FetchError, LogLevel, Platform};
use crate::session::SkillSet;

/// A valid token: what the session is built from.
pub struct Authorized {
    /// The Sentry token to call Sentry with. Never logged.
    pub upstream_token: String,
    pub skills: SkillSet,
    pub grant_id: String,
}

/// Why a bearer token was refused (always 401 `invalid_token`). The text is what the client is
/// told (`error_description`); it never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BearerError {
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
pub async fn authenticate(
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
pub async fn upstream_rejected(store: &dyn Store, platform: &dyn Platform, grant_id: &str) {
    let outcome = grant::revoke_id(store, platform, grant_id).await;
    let line = serde_json::json!({"event": "oauth_upstream_rejected", "action": "grant_revoked", "ok": outcome.is_ok()});
    platform.log(LogLevel::Warn, &line.to_string());
}

/// A [`Platform`] that passes everything through and notes whether any upstream answer was 401.
/// The OAuth path runs the MCP request with it, so the HTTP layer learns that Sentry rejected the
/// stored token without the tool-call path knowing about OAuth.
pub struct UpstreamWatch {
    inner: std::rc::Rc<dyn Platform>,
    rejected: Cell<bool>,
}

impl UpstreamWatch {
    pub fn new(inner: std::rc::Rc<dyn Platform>) -> Self {
        Self { inner, rejected: Cell::new(false) }
    }
    pub fn saw_unauthorized(&self) -> bool {
        self.rejected.get()
    }
}

#[async_trait(?Send)]
impl Platform for UpstreamWatch {
    async fn fetch(
        &self,
        request: HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, FetchError> {
        let response = self.inner.fetch(request, timeout).await;
        if matches!(&response, Ok(r) if r.status == 401) {
            self.rejected.set(true);
        }
        response
    }
    async fn sleep(&self, duration: Duration) {
        self.inner.sleep(duration).await
    }
    fn now_ms(&self) -> u64 {
        self.inner.now_ms()
    }
    fn defer_fetch(&self, request: HttpRequest) {
        self.inner.defer_fetch(request)
    }
    fn write_metric(&self, point: &crate::platform::MetricPoint) {
        self.inner.write_metric(point)
    }
    async fn rate_limit(&self, limiter: &str, key: &str) -> Option<Result<bool, String>> {
        self.inner.rate_limit(limiter, key).await
    }
    fn has_binding(&self, name: &str) -> bool {
        self.inner.has_binding(name)
    }
    fn fill_random(&self, buf: &mut [u8]) {
        self.inner.fill_random(buf)
    }
    fn log(&self, level: LogLevel, line: &str) {
        self.inner.log(level, line)
    }
}
