//! `POST /oauth/token`: the authorization-code and refresh-token grants.
//!
//! - Codes are single use, bound to the client, redirect URI, PKCE challenge (S256 only) and
//!   resource, and live 10 minutes. Presenting a redeemed code revokes everything issued from it.
//! - Refresh tokens rotate on every use. The previous one is honoured for
//!   [`records::REFRESH_GRACE_SECS`] (a lost response, retried); presenting it later is treated
//!   as theft and revokes the grant. `scope` may only narrow.
//! - When the Sentry token behind the grant is about to expire, it is refreshed here (Sentry
//!   rotates both of its tokens); if Sentry refuses, the grant is revoked and the client must
//!   authorize again.

use std::time::Duration;

use base64::Engine;
use serde_json::json;

use super::authorize::load_client;
use super::crypto;
use super::error::{oauth_error, OAuthErrorCode};
use super::records::{self, ClientRecord, GrantRecord, RefreshSlot, SecretHash, TokenKind};
use super::upstream::{self, UpstreamError};
use super::{grant, no_store_json, origin, redirect, Ctx, Failure, Handled, Params};
use crate::caches::RedeemedCode;
use crate::platform::http::HttpRequest;
use crate::platform::LogLevel;
use crate::session::{Skill, SkillSet};

/// Refresh the Sentry token when it has less than this left (one access-token life plus slack).
const UPSTREAM_REFRESH_MARGIN_SECS: u64 = records::ACCESS_TTL_SECS + 300;

fn invalid_grant(why: &str) -> Failure {
    oauth_error(400, OAuthErrorCode::InvalidGrant, why).into()
}

/// Authenticate the client: HTTP Basic, or `client_id` (+ `client_secret`) in the form. Unknown,
/// expired or wrongly authenticated clients get 401 `invalid_client` (clients such as Claude then
/// register again).
pub(crate) async fn authenticate_client(
    ctx: &Ctx<'_>,
    req: &HttpRequest,
    f: &Params,
) -> Result<ClientRecord, Failure> {
    let basic = req
        .headers
        .get("authorization")
        .and_then(|h| h.split_once(' '))
        .filter(|(s, _)| s.eq_ignore_ascii_case("basic"))
        .map(|(_, v)| v.trim());
    let (id, secret) = match basic {
        Some(b) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(b)
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .unwrap_or_default();
            let (i, s) = decoded.split_once(':').unwrap_or((&decoded, ""));
            let dec = |v: &str| {
                percent_encoding::percent_decode_str(&v.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (Some(dec(i)), Some(dec(s)).filter(|s| !s.is_empty()))
        }
        None => {
            (f.get("client_id").map(str::to_string), f.get("client_secret").map(str::to_string))
        }
    };
    let refuse = || {
        let mut r = oauth_error(
            401,
            OAuthErrorCode::InvalidClient,
            "unknown, expired or unauthenticated client: register the client again",
        );
        if basic.is_some() {
            r.headers.set("www-authenticate", "Basic realm=\"oauth\"");
        }
        Failure::from(r)
    };
    let id = id.filter(|i| !i.is_empty()).ok_or_else(refuse)?;
    if f.get("client_id").is_some_and(|form_id| form_id != id) {
        return Err(refuse());
    }
    let client = load_client(ctx, &id).await?.ok_or_else(refuse)?;
    if let Some(method) = auth_method_mismatch(&client, secret.is_some(), f) {
        return Err(oauth_error(
            401,
            OAuthErrorCode::InvalidClient,
            &format!(
                "this client authenticates with token_endpoint_auth_method={method}; {}",
                match method {
                    "none" => "send client_id without a secret or assertion",
                    _ => "send its client secret",
                }
            ),
        )
        .into());
    }
    if let Some(hash) = &client.secret_hash {
        let given = secret.map(|s| crate::digest::sha256_hex(s.as_bytes())).unwrap_or_default();
        if !crypto::ct_eq(&given, hash) {
            return Err(refuse());
        }
    }
    Ok(client)
}

/// The registered (or negotiated) method the request does not follow, if any: a public client
/// (`none`) must not present a secret, and no client may use an assertion (`private_key_jwt` is
/// not supported). Basic and form secrets are interchangeable for secret clients (legacy clients
/// mix them up).
fn auth_method_mismatch<'a>(
    client: &'a ClientRecord,
    secret_given: bool,
    f: &Params,
) -> Option<&'a str> {
    let method = client.token_endpoint_auth_method.as_str();
    let assertion = f.get("client_assertion").is_some() || f.get("client_assertion_type").is_some();
    (assertion || (method == "none" && secret_given)).then_some(method)
}

pub(crate) async fn exchange(ctx: &Ctx<'_>, req: &HttpRequest) -> Handled {
    if !req
        .headers
        .get("content-type")
        .unwrap_or("")
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return Ok(oauth_error(
            400,
            OAuthErrorCode::InvalidRequest,
            "send the token request as application/x-www-form-urlencoded",
        ));
    }
    let f = Params::form(&req.body);
    if let Some(p) = f.repeated(&[
        "grant_type",
        "code",
        "code_verifier",
        "redirect_uri",
        "refresh_token",
        "scope",
        "resource",
        "client_id",
    ]) {
        return Ok(oauth_error(
            400,
            OAuthErrorCode::InvalidRequest,
            &format!("'{p}' appears more than once"),
        ));
    }
    let client = authenticate_client(ctx, req, &f).await?;
    match f.get("grant_type") {
        Some("authorization_code") => code_grant(ctx, req, &client, &f).await,
        Some("refresh_token") => refresh_grant(ctx, &client, &f).await,
        Some(_) => Ok(oauth_error(
            400,
            OAuthErrorCode::UnsupportedGrantType,
            "grant_type must be authorization_code or refresh_token",
        )),
        None => Ok(oauth_error(400, OAuthErrorCode::InvalidRequest, "grant_type is required")),
    }
}

fn valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

async fn code_grant(
    ctx: &Ctx<'_>,
    req: &HttpRequest,
    client: &ClientRecord,
    f: &Params,
) -> Handled {
    let code = f.get("code").ok_or_else(|| {
        Failure::from(oauth_error(400, OAuthErrorCode::InvalidRequest, "code is required"))
    })?;
    let unknown = || invalid_grant("the code is unknown, expired or already used");
    let grant_id = records::grant_id_of(code, TokenKind::Code).ok_or_else(unknown)?;
    let mut g: GrantRecord =
        ctx.get_json(&records::grant_key(grant_id)).await?.ok_or_else(unknown)?;
    let hash = SecretHash::of(code);
    // The code must be authentic and the client's before anything else (replay handling included).
    let slot = g.code.clone().filter(|s| s.hash.matches(&hash)).ok_or_else(unknown)?;
    if g.client_id != client.client_id {
        return Err(unknown());
    }
    let replayed_here = ctx.caches.redeemed_codes.contains(&RedeemedCode(hash.0.clone()));
    if slot.redeemed || replayed_here {
        grant::revoke(ctx.store, &g).await?;
        ctx.log(LogLevel::Warn, "oauth_code_replayed", json!({"action": "grant_revoked"}));
        return Err(invalid_grant(
            "the code was already used; the tokens issued with it are revoked",
        ));
    }
    if slot.expires_at_ms.is_past(ctx.now()) {
        return Err(invalid_grant("the code expired; authorize again"));
    }
    match f.get("redirect_uri") {
        Some(r) if slot.redirect_uri == r => {}
        None if !slot.redirect_uri_given => {}
        _ => return Err(invalid_grant("redirect_uri does not match the authorization request")),
    }
    let verifier = f.get("code_verifier").ok_or_else(|| {
        Failure::from(oauth_error(
            400,
            OAuthErrorCode::InvalidRequest,
            "code_verifier (PKCE) is required",
        ))
    })?;
    if !valid_verifier(verifier)
        || !crypto::ct_eq(&crypto::pkce_s256(verifier), slot.code_challenge.as_str())
    {
        return Err(invalid_grant("code_verifier does not match the code_challenge"));
    }
    if let Some(resource) = f.get("resource") {
        if redirect::audience_from_resource(Some(resource), &origin(req)).ok().as_ref()
            != Some(&g.audience)
        {
            return Ok(oauth_error(
                400,
                OAuthErrorCode::InvalidTarget,
                "resource does not match the authorization request",
            ));
        }
    }
    let data_key = slot
        .wrapped_key
        .as_deref()
        .and_then(|w| crypto::unwrap_key(w, code))
        .ok_or_else(unknown)?;
    let upstream = grant::open_upstream(&g.id, &data_key, &g.upstream).ok_or_else(unknown)?;
    ctx.caches.redeemed_codes.put(RedeemedCode(hash.0), ());
    g.code = Some(records::CodeSlot { wrapped_key: None, redeemed: true, ..slot });
    let skills = g.skills;
    let body = grant::issue(ctx, &mut g, &data_key, upstream.expires_at_ms, skills, None).await?;
    Ok(no_store_json(200, &body))
}

async fn refresh_grant(ctx: &Ctx<'_>, client: &ClientRecord, f: &Params) -> Handled {
    let token = f.get("refresh_token").ok_or_else(|| {
        Failure::from(oauth_error(400, OAuthErrorCode::InvalidRequest, "refresh_token is required"))
    })?;
    let unknown =
        || invalid_grant("the refresh token is unknown, expired or revoked; authorize again");
    let grant_id = records::grant_id_of(token, TokenKind::Refresh).ok_or_else(unknown)?;
    let mut g: GrantRecord =
        ctx.get_json(&records::grant_key(grant_id)).await?.ok_or_else(unknown)?;
    let now = ctx.now();
    let hash = SecretHash::of(token);
    let matches = |s: &Option<RefreshSlot>| s.as_ref().is_some_and(|s| s.hash.matches(&hash));
    let (slot, previous) = if matches(&g.refresh) {
        let current = g.refresh.clone().expect("matched");
        (current.clone(), RefreshSlot { at_ms: now, ..current })
    } else if matches(&g.previous_refresh) {
        let prev = g.previous_refresh.clone().expect("matched");
        if now.since(prev.at_ms) > Duration::from_secs(records::REFRESH_GRACE_SECS) {
            grant::revoke(ctx.store, &g).await?;
            ctx.log(LogLevel::Warn, "oauth_refresh_reuse", json!({"action": "grant_revoked"}));
            return Err(invalid_grant("this refresh token was already used; the authorization is revoked, authorize again"));
        }
        // Inside the grace window: the client lost our last answer. The previous token keeps its
        // rotation time, so retrying never extends the window.
        (prev.clone(), prev)
    } else {
        return Err(unknown());
    };
    if g.client_id != client.client_id {
        return Err(unknown());
    }
    if g.expires_at_ms.is_past(now) {
        return Err(unknown());
    }
    let skills = match f.get("scope") {
        None => g.skills,
        Some(scope) => {
            let mut wanted = SkillSet::none();
            for word in scope.split_whitespace() {
                match Skill::parse(word) {
                    Some(skill) if g.skills.contains(skill) => wanted = wanted.with(skill),
                    _ => {
                        return Ok(oauth_error(
                            400,
                            OAuthErrorCode::InvalidScope,
                            &format!(
                                "scope '{}' was not granted; a refresh can only narrow the scope",
                                crate::render::truncate(word, 40)
                            ),
                        ))
                    }
                }
            }
            if wanted.is_empty() {
                return Ok(oauth_error(
                    400,
                    OAuthErrorCode::InvalidScope,
                    "scope must name at least one granted skill",
                ));
            }
            wanted
        }
    };
    let data_key = crypto::unwrap_key(&slot.wrapped_key, token).ok_or_else(unknown)?;
    let mut up = grant::open_upstream(&g.id, &data_key, &g.upstream).ok_or_else(unknown)?;
    if up.expires_at_ms.until(now) < Duration::from_secs(UPSTREAM_REFRESH_MARGIN_SECS) {
        up = refresh_upstream(ctx, &mut g, &data_key, up).await?;
    }
    let body =
        grant::issue(ctx, &mut g, &data_key, up.expires_at_ms, skills, Some(previous)).await?;
    Ok(no_store_json(200, &body))
}

/// Renew the Sentry tokens of `g` (Sentry rotates both) and reseal them; older access tokens of
/// the grant carry the old Sentry token, so they are dropped. A refusal revokes the grant.
async fn refresh_upstream(
    ctx: &Ctx<'_>,
    g: &mut GrantRecord,
    data_key: &crypto::Key,
    up: records::UpstreamTokens,
) -> Result<records::UpstreamTokens, Failure> {
    let Some(refresh) = up.refresh_token.clone() else {
        grant::revoke(ctx.store, g).await?;
        return Err(invalid_grant("the Sentry authorization expired; authorize again"));
    };
    match upstream::refresh(ctx, &refresh).await {
        Ok(issued) => {
            g.upstream = grant::seal_upstream(ctx, &g.id, data_key, &issued.tokens);
            grant::drop_access_tokens(ctx.store, g).await?;
            ctx.log(LogLevel::Info, "oauth_upstream_refreshed", json!({}));
            Ok(issued.tokens)
        }
        Err(UpstreamError::Rejected(why)) => {
            grant::revoke(ctx.store, g).await?;
            ctx.log(
                LogLevel::Warn,
                "oauth_upstream_refresh_rejected",
                json!({"error": why, "action": "grant_revoked"}),
            );
            Err(invalid_grant("Sentry no longer accepts this authorization; authorize again"))
        }
        Err(UpstreamError::Unavailable(why)) => {
            ctx.log(LogLevel::Error, "oauth_upstream_unavailable", json!({"error": why}));
            Err(oauth_error(
                503,
                OAuthErrorCode::TemporarilyUnavailable,
                "Sentry could not be reached to renew the authorization; try again shortly",
            )
            .with_header("retry-after", "30")
            .into())
        }
    }
}
