//! Sentry as our OAuth server: where the browser is sent, and the token endpoint calls (code
//! exchange and refresh). Sentry's token response carries the access token, a refresh token,
//! `expires_in` (about 30 days) and the user; both tokens rotate on refresh.

use serde_json::Value;

use super::records::UpstreamTokens;
use super::Ctx;
use crate::platform::http::{Headers, HttpRequest};
use crate::session::SkillSet;

/// Used when Sentry omits `expires_in`.
const DEFAULT_EXPIRES_SECS: u64 = 30 * 24 * 3_600;

/// Why a call to Sentry's token endpoint produced no tokens.
/// The text is Sentry's error code or a transport failure, never a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum UpstreamError {
    /// Sentry refused the code or refresh token (`invalid_grant` and friends): sign in again.
    #[error("Sentry refused the grant: {0}")]
    Rejected(String),
    /// Sentry could not be reached or failed: try again later.
    #[error("Sentry's token endpoint is unavailable: {0}")]
    Unavailable(String),
}

/// A successful token response.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub tokens: UpstreamTokens,
    pub user_id: String,
}

fn base(ctx: &Ctx<'_>) -> String {
    ctx.config.sentry.base.as_str().trim_end_matches('/').to_string()
}

pub(crate) fn callback_url(origin: &str) -> String {
    format!("{origin}/oauth/callback")
}

/// Sentry's authorization URL for this consent: the scopes asked for are those the granted skills
/// need (`SkillSet::upstream_scopes`).
pub(crate) fn authorize_url(
    ctx: &Ctx<'_>,
    origin: &str,
    skills: SkillSet,
    read_only: bool,
    state: &str,
) -> String {
    let mut url = url::Url::parse(&format!("{}/oauth/authorize/", base(ctx)))
        .expect("the Sentry URL was validated");
    url.query_pairs_mut()
        .append_pair("client_id", &ctx.oauth.sentry_client_id)
        .append_pair("response_type", "code")
        .append_pair("scope", &skills.upstream_scopes(read_only))
        .append_pair("redirect_uri", &callback_url(origin))
        .append_pair("state", state);
    url.to_string()
}

/// Exchange Sentry's authorization code.
pub(crate) async fn exchange_code(
    ctx: &Ctx<'_>,
    code: &str,
    origin: &str,
) -> Result<Issued, UpstreamError> {
    let redirect = callback_url(origin);
    token_call(
        ctx,
        &[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", &redirect)],
    )
    .await
}

/// Refresh the Sentry tokens (Sentry rotates both).
pub(crate) async fn refresh(ctx: &Ctx<'_>, refresh_token: &str) -> Result<Issued, UpstreamError> {
    token_call(ctx, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await
}

async fn token_call(ctx: &Ctx<'_>, params: &[(&str, &str)]) -> Result<Issued, UpstreamError> {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("client_id", &ctx.oauth.sentry_client_id)
        .append_pair("client_secret", &ctx.oauth.sentry_client_secret);
    for (k, v) in params {
        form.append_pair(k, v);
    }
    let url = url::Url::parse(&format!("{}/oauth/token/", base(ctx)))
        .expect("the Sentry URL was validated");
    let request = HttpRequest {
        method: "POST".into(),
        url,
        headers: Headers::new()
            .with("content-type", "application/x-www-form-urlencoded")
            .with("accept", "application/json")
            .with("user-agent", format!("{}/{}", crate::SERVER_NAME, crate::SERVER_VERSION)),
        body: form.finish().into_bytes(),
    };
    let response = ctx
        .platform
        .fetch(request, ctx.config.sentry.timeout)
        .await
        .map_err(|e| UpstreamError::Unavailable(e.to_string()))?;
    let body: Option<Value> = serde_json::from_slice(&response.body).ok();
    if !(200..300).contains(&response.status) {
        // Only the error code is kept: Sentry's description could quote what we sent.
        let code = body
            .as_ref()
            .and_then(|b| b.get("error"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .chars()
            .take(40)
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<String>();
        return Err(match response.status {
            400 | 401 | 403 => UpstreamError::Rejected(if code.is_empty() {
                format!("HTTP {}", response.status)
            } else {
                code
            }),
            s => UpstreamError::Unavailable(format!("Sentry's token endpoint answered HTTP {s}")),
        });
    }
    let body = body.ok_or_else(|| {
        UpstreamError::Unavailable("Sentry's token endpoint did not answer with JSON".into())
    })?;
    let access_token =
        body.get("access_token").and_then(Value::as_str).filter(|t| !t.is_empty()).ok_or_else(
            || UpstreamError::Unavailable("Sentry's token response has no access_token".into()),
        )?;
    let expires_in = body.get("expires_in").and_then(Value::as_u64).unwrap_or(DEFAULT_EXPIRES_SECS);
    let user_id = match body.pointer("/user/id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    Ok(Issued {
        tokens: UpstreamTokens {
            access_token: access_token.to_string(),
            refresh_token: body
                .get("refresh_token")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_string),
            expires_at_ms: ctx.now().plus(std::time::Duration::from_secs(expires_in)),
        },
        user_id,
    })
}
