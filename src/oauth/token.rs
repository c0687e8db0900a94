//! `POST /oauth/token`: the authorization-code and refresh-token grants.
//!
//! - Codes are single use, bound to the client, redirect URI, PKCE challenge (S256 only) and
//!   resource, and live 10 minutes. Presenting a redeemed code revokes everything issued from it.
//! - Refresh tokens rotate on every use. The previous one is honoured for
//!   [`records::REFRESH_GRACE_SECS`] as a retry of a lost response: it gets the same new pair
//!   again. Any other use of a rotated-out token is reuse and revokes the grant. `scope` may only
//!   narrow. Who wins is decided by the grant's ledger (`oauth::ledger`), one request at a time.
//! - When the Sentry token behind the grant is about to expire, it is refreshed here (Sentry
//!   rotates both of its tokens); if Sentry refuses, the grant is revoked and the client must
//!   authorize again.

use std::time::Duration;

use base64::Engine;
use serde_json::json;

use super::authorize::load_client;
use super::crypto;
use super::error::{oauth_error, OAuthErrorCode};
use super::ledger::{Command, Refusal, Verdict};
use super::records::{self, ClientRecord, GrantRecord, SecretHash, TokenKind};
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
    let g = grant::load(ctx, grant_id).await?.ok_or_else(unknown)?;
    let hash = SecretHash::of(code);
    // The code must be authentic and the client's before anything else (replay handling included).
    let slot = g.code.clone().filter(|s| s.hash.matches(&hash)).ok_or_else(unknown)?;
    if g.client_id != client.client_id {
        return Err(unknown());
    }
    let replayed_here = ctx.caches.redeemed_codes.contains(&RedeemedCode(hash.0.clone()));
    if slot.redeemed || replayed_here {
        grant::revoke_id(ctx.store, ctx.platform, grant_id, None).await?;
        return Err(code_replayed(ctx));
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
    let prepared = grant::prepare(ctx, &g, &data_key, upstream.expires_at_ms, g.skills).await?;
    let command = Command::RedeemCode { code: hash.clone(), issue: prepared.issue.clone() };
    let verdict = ctx.store.grant(grant_id, ctx.now(), command).await?;
    match prepared.settle(ctx.store, grant_id, verdict).await? {
        Ok(body) => {
            ctx.caches.redeemed_codes.put(RedeemedCode(hash.0), ());
            Ok(no_store_json(200, &body))
        }
        // Another request redeemed the code first: this one is the replay.
        Err(Verdict::Revoked { .. }) => Err(code_replayed(ctx)),
        Err(Verdict::Refused(Refusal::CodeExpired)) => {
            Err(invalid_grant("the code expired; authorize again"))
        }
        Err(_) => Err(unknown()),
    }
}

fn code_replayed(ctx: &Ctx<'_>) -> Failure {
    ctx.log(LogLevel::Warn, "oauth_code_replayed", json!({"action": "grant_revoked"}));
    invalid_grant("the code was already used; the tokens issued with it are revoked")
}

fn refresh_reused(ctx: &Ctx<'_>) -> Failure {
    ctx.log(LogLevel::Warn, "oauth_refresh_reuse", json!({"action": "grant_revoked"}));
    invalid_grant(
        "this refresh token was already used; the authorization is revoked, authorize again",
    )
}

async fn refresh_grant(ctx: &Ctx<'_>, client: &ClientRecord, f: &Params) -> Handled {
    let token = f.get("refresh_token").ok_or_else(|| {
        Failure::from(oauth_error(400, OAuthErrorCode::InvalidRequest, "refresh_token is required"))
    })?;
    let unknown =
        || invalid_grant("the refresh token is unknown, expired or revoked; authorize again");
    let grant_id = records::grant_id_of(token, TokenKind::Refresh).ok_or_else(unknown)?;
    let mut g = grant::load(ctx, grant_id).await?.ok_or_else(unknown)?;
    let now = ctx.now();
    let hash = SecretHash::of(token);
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
    let current = g.refresh.clone().filter(|s| s.hash.matches(&hash));
    let Some(current) = current else {
        // Not the current token: the ledger says whether it is a retry inside the grace window
        // (the same answer again), reuse (the grant is revoked) or unknown.
        let command = Command::Refresh {
            presented: hash,
            scope: skills,
            issue: None,
            retry_answer: None,
            upstream: None,
        };
        return match ctx.store.grant(grant_id, now, command).await? {
            Verdict::Retry { answer } => {
                let body = crypto::open(&crypto::wrapping_key(token), &answer, RETRY_AAD)
                    .and_then(|b| serde_json::from_slice(&b).ok())
                    .ok_or_else(unknown)?;
                Ok(no_store_json(200, &body))
            }
            Verdict::Revoked { access, .. } => {
                grant::delete_access(ctx.store, grant_id, &access).await?;
                Err(refresh_reused(ctx))
            }
            _ => Err(unknown()),
        };
    };
    let data_key = crypto::unwrap_key(&current.wrapped_key, token).ok_or_else(unknown)?;
    let mut up = grant::open_upstream(&g.id, &data_key, &g.upstream).ok_or_else(unknown)?;
    let mut resealed = None;
    if up.expires_at_ms.until(now) < Duration::from_secs(UPSTREAM_REFRESH_MARGIN_SECS) {
        up = refresh_upstream(ctx, &g, &hash, up).await?;
        g.upstream = grant::seal_upstream(ctx, &g.id, &data_key, &up);
        resealed = Some(g.upstream.clone());
    }
    let prepared = grant::prepare(ctx, &g, &data_key, up.expires_at_ms, skills).await?;
    // Kept for a retry of this very request: only the presented token can open it.
    let retry_answer = crypto::seal(
        ctx.platform,
        &crypto::wrapping_key(token),
        &serde_json::to_vec(&prepared.body).expect("serialisable"),
        RETRY_AAD,
    );
    let command = Command::Refresh {
        presented: hash,
        scope: skills,
        issue: Some(prepared.issue.clone()),
        retry_answer: Some(retry_answer),
        upstream: resealed,
    };
    let verdict = ctx.store.grant(grant_id, now, command).await?;
    match prepared.settle(ctx.store, grant_id, verdict).await? {
        Ok(body) => Ok(no_store_json(200, &body)),
        Err(Verdict::Refused(Refusal::Concurrent)) => Err(invalid_grant(
            "this refresh token was just used by a concurrent request; use the tokens that request received",
        )),
        Err(Verdict::Revoked { .. }) => Err(refresh_reused(ctx)),
        Err(_) => Err(unknown()),
    }
}

/// The associated data of a sealed retry answer.
const RETRY_AAD: &[u8] = b"refresh-retry-answer";

/// Renew the Sentry tokens behind `g` (Sentry rotates both). A refusal revokes the grant, unless
/// `presented` is no longer its current refresh token (another request renewed them first).
async fn refresh_upstream(
    ctx: &Ctx<'_>,
    g: &GrantRecord,
    presented: &SecretHash,
    up: records::UpstreamTokens,
) -> Result<records::UpstreamTokens, Failure> {
    let only_if_current = Some(presented.clone());
    let Some(refresh) = up.refresh_token.clone() else {
        grant::revoke_id(ctx.store, ctx.platform, &g.id, only_if_current).await?;
        return Err(invalid_grant("the Sentry authorization expired; authorize again"));
    };
    match upstream::refresh(ctx, &refresh).await {
        Ok(issued) => {
            ctx.log(LogLevel::Info, "oauth_upstream_refreshed", json!({}));
            Ok(issued.tokens)
        }
        Err(UpstreamError::Rejected(why)) => {
            grant::revoke_id(ctx.store, ctx.platform, &g.id, only_if_current).await?;
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
