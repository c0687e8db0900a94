//! Grants: created at the callback, turned into tokens at the token endpoint, revoked as a whole.
//! Every change goes through the grant's ledger (`oauth::ledger`, via [`Store::grant`]), which
//! decides single use; this file mints and seals.
//!
//! Each grant has a random 256-bit data key. It seals the Sentry tokens (AES-256-GCM, AAD = grant
//! id) and is itself stored only wrapped under keys derived from our live token strings (the code,
//! the current and previous refresh token, each access token). Storage alone opens nothing.

use std::time::Duration;

use serde_json::{json, Value};

use super::authorize::AuthRequest;
use super::crypto::{self, Key};
use super::ledger::{Command, Issue, Verdict};
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
        retired_refresh: Vec::new(),
        access: Vec::new(),
        revoked_at_ms: None,
    };
    ctx.store.grant(&id, now, Command::Create(Box::new(grant))).await?;
    Ok(code)
}

/// A token answer ready to send once the grant's ledger accepts it.
pub(crate) struct Prepared {
    /// The token response body (holds the new tokens: never logged).
    pub body: Value,
    /// What the ledger is asked to make live.
    pub issue: Issue,
    /// Where the new access token's record was written (deleted again if the ledger refuses).
    access_key: String,
}

/// Mint a new access token and a new refresh token for `grant` and write the access token's
/// record, so it exists before the ledger can accept it (a revocation that follows the
/// acceptance then finds and deletes it). Nothing is answered until [`Prepared::settle`].
pub(crate) async fn prepare(
    ctx: &Ctx<'_>,
    grant: &GrantRecord,
    data_key: &Key,
    upstream_expires_at: UnixMillis,
    skills: SkillSet,
) -> Result<Prepared, StoreError> {
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
    let access_key = records::access_key(&grant.id, &access_hash);
    put_json(ctx.store, &access_key, &record, expires_in).await?;
    let refresh = records::mint(ctx.platform, TokenKind::Refresh, &grant.id);
    let issue = Issue {
        refresh: RefreshSlot {
            hash: SecretHash::of(&refresh),
            wrapped_key: crypto::wrap_key(ctx.platform, data_key, &refresh),
            at_ms: now,
            answer: None,
            scope: None,
        },
        access: AccessRef { hash: access_hash, expires_at_ms: record.expires_at_ms },
    };
    let body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "refresh_token": refresh,
        "scope": skills.iter().map(|s| s.id()).collect::<Vec<_>>().join(" "),
    });
    Ok(Prepared { body, issue, access_key })
}

impl Prepared {
    /// Act on the ledger's verdict: on `Issued`, delete the access tokens it dropped and return the
    /// answer; otherwise delete this answer's access-token record (and, if the grant was revoked,
    /// every access token it had) and return the verdict for the caller to explain.
    pub(crate) async fn settle(
        self,
        store: &dyn Store,
        grant_id: &str,
        verdict: Verdict,
    ) -> Result<Result<Value, Verdict>, StoreError> {
        if let Verdict::Issued { dropped } = &verdict {
            delete_access(store, grant_id, dropped).await?;
            return Ok(Ok(self.body));
        }
        store.delete(&self.access_key).await?;
        if let Verdict::Revoked { access, .. } = &verdict {
            delete_access(store, grant_id, access).await?;
        }
        Ok(Err(verdict))
    }
}

/// Delete the records of these access tokens of `grant_id`.
pub(crate) async fn delete_access(
    store: &dyn Store,
    grant_id: &str,
    access: &[AccessRef],
) -> Result<(), StoreError> {
    for a in access {
        store.delete(&records::access_key(grant_id, &a.hash)).await?;
    }
    Ok(())
}

/// The grant `grant_id` as its ledger has it now (`None`: unknown, expired, revoked or
/// unreadable; see `oauth::get_json`).
pub(crate) async fn load(ctx: &Ctx<'_>, grant_id: &str) -> Result<Option<GrantRecord>, StoreError> {
    Ok(match ctx.store.grant(grant_id, ctx.now(), Command::Load).await? {
        Verdict::Loaded(g) => g.map(|g| *g),
        Verdict::Unreadable { problem } => {
            super::log_refused(ctx.platform, &records::grant_key(grant_id), &problem);
            None
        }
        _ => None,
    })
}

/// Revoke the grant `grant_id` (a tombstone in its ledger) and delete its access tokens. With
/// `only_if_current`, only while that refresh token is still the grant's current one. Returns
/// whether this call revoked it.
pub(crate) async fn revoke_id(
    store: &dyn Store,
    platform: &dyn Platform,
    grant_id: &str,
    only_if_current: Option<SecretHash>,
) -> Result<bool, StoreError> {
    let now = UnixMillis(platform.now_ms());
    match store.grant(grant_id, now, Command::Revoke { only_if_current }).await? {
        Verdict::Revoked { access, .. } => {
            delete_access(store, grant_id, &access).await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
