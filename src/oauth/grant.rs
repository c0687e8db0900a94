//! Grants: created at the callback, turned into tokens at the token endpoint, revoked as a whole.
//!
//! Each grant has a random 256-bit data key. It seals the Sentry tokens (AES-256-GCM, AAD = grant
//! id) and is itself stored only wrapped under keys derived from our live token strings (the code,
//! the current and previous refresh token, each access token). Storage alone opens nothing.

use std::time::Duration;

use serde_json::{json, Value};

use super::authorize::AuthRequest;
use super::crypto::{self, Key};
use super::records::{
    self, AccessRef, AccessTokenRecord, CodeSlot, GrantRecord, RefreshSlot, SecretHash, TokenKind,
    UnixMillis, UpstreamTokens,
};
use super::{put_json, Ctx, Store, StoreError};
use crate::platform::Platform;
use crate::session::SkillSet;

/// Seal the Sentry tokens for `grant_id`.
pub(crate) fn seal_upstream(
    ctx: &Ctx<'_>,
    grant_id: &str,
    data_key: &Key,
    tokens: &UpstreamTokens,
) -> String {
    crypto::seal(
        ctx.platform,
        data_key,
        &serde_json::to_vec(tokens).expect("serialisable"),
        grant_id.as_bytes(),
    )
}

/// Open sealed Sentry tokens.
pub(crate) fn open_upstream(
    grant_id: &str,
    data_key: &Key,
    sealed: &str,
) -> Option<UpstreamTokens> {
    serde_json::from_slice(&crypto::open(data_key, sealed, grant_id.as_bytes())?).ok()
}

/// Create a grant for an approved request and return the authorization code for the client.
pub(crate) async fn create(
    ctx: &Ctx<'_>,
    req: &AuthRequest,
    user_id: &str,
    skills: SkillSet,
    read_only: bool,
    upstream: &UpstreamTokens,
) -> Result<String, StoreError> {
    let now = ctx.now();
    let id = records::new_id(ctx.platform);
    let data_key = crypto::random_key(ctx.platform);
    let code = records::mint(ctx.platform, TokenKind::Code, &id);
    let grant = GrantRecord {
        id: id.clone(),
        client_id: req.client_id.clone(),
        user_id: user_id.to_string(),
        audience: req.audience.clone(),
        skills,
        read_only,
        created_at_ms: now,
        expires_at_ms: now.plus(Duration::from_secs(records::GRANT_TTL_SECS)),
        upstream: seal_upstream(ctx, &id, &data_key, upstream),
        code: Some(CodeSlot {
            hash: SecretHash::of(&code),
            wrapped_key: Some(crypto::wrap_key(ctx.platform, &data_key, &code)),
            redirect_uri: req.redirect_uri.clone(),
            redirect_uri_given: req.redirect_uri_given,
            code_challenge: req.code_challenge.clone(),
            expires_at_ms: now.plus(Duration::from_secs(records::CODE_TTL_SECS)),
            redeemed: false,
        }),
        refresh: None,
        previous_refresh: None,
        access: Vec::new(),
    };
    // Until the code is redeemed the grant lives only as long as the code.
    put_json(ctx.store, &records::grant_key(&id), &grant, records::CODE_TTL_SECS).await?;
    Ok(code)
}

/// Issue a new access token and a new refresh token for `grant` (rotation: `previous` becomes
/// the grant's previous refresh token) and save the grant. Returns the token response body.
pub(crate) async fn issue(
    ctx: &Ctx<'_>,
    grant: &mut GrantRecord,
    data_key: &Key,
    upstream_expires_at: UnixMillis,
    skills: SkillSet,
    previous: Option<RefreshSlot>,
) -> Result<Value, StoreError> {
    let now = ctx.now();
    let access = records::mint(ctx.platform, TokenKind::Access, &grant.id);
    let access_hash = SecretHash::of(&access);
    // Our token never outlives the Sentry token behind it.
    let expires_in = records::ACCESS_TTL_SECS.min(upstream_expires_at.until(now).as_secs()).max(1);
    let record = AccessTokenRecord {
        grant_id: grant.id.clone(),
        client_id: grant.client_id.clone(),
        user_id: grant.user_id.clone(),
        audience: grant.audience.clone(),
        skills,
        expires_at_ms: now.plus(Duration::from_secs(expires_in)),
        wrapped_key: crypto::wrap_key(ctx.platform, data_key, &access),
        upstream: grant.upstream.clone(),
    };
    put_json(ctx.store, &records::access_key(&grant.id, &access_hash), &record, expires_in).await?;

    let refresh = records::mint(ctx.platform, TokenKind::Refresh, &grant.id);
    grant.refresh = Some(RefreshSlot {
        hash: SecretHash::of(&refresh),
        wrapped_key: crypto::wrap_key(ctx.platform, data_key, &refresh),
        at_ms: now,
    });
    grant.previous_refresh = previous;
    grant.access.retain(|a| !a.expires_at_ms.is_past(now));
    grant.access.push(AccessRef { hash: access_hash, expires_at_ms: record.expires_at_ms });
    while grant.access.len() > records::MAX_LIVE_ACCESS_TOKENS {
        let oldest = grant.access.remove(0);
        ctx.store.delete(&records::access_key(&grant.id, &oldest.hash)).await?;
    }
    // The grant (and its refresh token) lives 30 days from its last use.
    grant.expires_at_ms = now.plus(Duration::from_secs(records::GRANT_TTL_SECS));
    put_json(ctx.store, &records::grant_key(&grant.id), grant, records::GRANT_TTL_SECS).await?;
    Ok(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "refresh_token": refresh,
        "scope": skills.iter().map(|s| s.id()).collect::<Vec<_>>().join(" "),
    }))
}

/// Delete the access tokens the grant knows about (for example after the Sentry token rotated:
/// they hold a copy of the old one).
pub(crate) async fn drop_access_tokens(
    store: &dyn Store,
    grant: &mut GrantRecord,
) -> Result<(), StoreError> {
    for a in grant.access.drain(..) {
        store.delete(&records::access_key(&grant.id, &a.hash)).await?;
    }
    Ok(())
}

/// Revoke a grant: its access tokens, its refresh tokens and the grant itself.
pub(crate) async fn revoke(store: &dyn Store, grant: &GrantRecord) -> Result<(), StoreError> {
    for a in &grant.access {
        store.delete(&records::access_key(&grant.id, &a.hash)).await?;
    }
    store.delete(&records::grant_key(&grant.id)).await
}

/// Revoke the grant `grant_id`, if it still exists.
pub(crate) async fn revoke_id(
    store: &dyn Store,
    platform: &dyn Platform,
    grant_id: &str,
) -> Result<(), StoreError> {
    if let Some(grant) =
        super::get_json::<GrantRecord>(store, platform, &records::grant_key(grant_id)).await?
    {
        revoke(store, &grant).await?;
    }
    Ok(())
}
