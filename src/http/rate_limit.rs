//! Rate limits, through the Workers rate-limiting bindings named in wrangler.toml: per caller
//! (the OAuth grant or a hashed Sentry token) for authenticated `/mcp` traffic, so callers behind
//! one address do not share a budget; per client IP on `/oauth/*` and on `/mcp` requests that name
//! no valid caller. A limiter that is absent or fails lets the request through (fail open) and
//! says so in the logs; `MCP_RATE_LIMITS=off` asks none of them.

use serde_json::json;

use crate::caches::Caches;
use crate::mcp::jsonrpc::RpcError;
use crate::mcp::{Refusal, Stage};
use crate::platform::http::{HttpRequest, HttpResponse};
use crate::platform::services::{Limiter, Services};
use crate::platform::{LogLevel, Platform};

/// The limiters' period; a refused client may retry after it.
const RETRY_AFTER_SECS: u64 = 60;

/// The client's address as Cloudflare reports it.
pub(crate) fn client_ip(req: &HttpRequest) -> String {
    req.headers
        .get("cf-connecting-ip")
        .or(req.headers.get("x-real-ip"))
        .or_else(|| req.headers.get("x-forwarded-for").and_then(|v| v.split(',').next()))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// `Some(429)` when `limiter` refuses `key` (a [`crate::digest::fingerprint`], never a raw value).
pub(crate) async fn check(
    services: &dyn Services,
    platform: &dyn Platform,
    caches: &Caches,
    limiter: Limiter,
    key: &str,
) -> Option<HttpResponse> {
    let name = limiter.binding_name();
    match services.rate_limit(limiter, key).await {
        Some(Ok(true)) => None,
        Some(Ok(false)) => Some(too_many(limiter)),
        Some(Err(e)) => {
            platform.log(LogLevel::Warn, &json!({"event": "rate_limiter_failed_open", "limiter": name, "error": crate::redact::scrub(&e, None)}).to_string());
            None
        }
        None => {
            if caches.first_absence_of(limiter) {
                platform.log(
                    LogLevel::Info,
                    &json!({"event": "rate_limiter_absent", "limiter": name}).to_string(),
                );
            }
            None
        }
    }
}

fn too_many(limiter: Limiter) -> HttpResponse {
    let who = match limiter {
        Limiter::PerAddress => "this address",
        Limiter::PerCaller => "this account",
    };
    let message = format!("Rate limit exceeded: too many requests from {who}. Wait {RETRY_AFTER_SECS} seconds before trying again.");
    let error =
        RpcError::rate_limited(message).data(json!({"retryAfterSeconds": RETRY_AFTER_SECS}));
    crate::mcp::http_error(&error, Stage::Refused(Refusal::RateLimited))
        .with_header("retry-after", RETRY_AFTER_SECS.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_tells_when_to_retry() {
        let r = too_many(Limiter::PerAddress);
        assert_eq!(r.status, 429);
        assert_eq!(r.headers.get("retry-after"), Some("60"));
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["jsonrpc"], "2.0");
        assert_eq!(body["error"]["code"], -32000);
        assert_eq!(body["error"]["data"], json!({"retryAfterSeconds": 60}));
        assert!(body.get("id").is_none());
    }
}
