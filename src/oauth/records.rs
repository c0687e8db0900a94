//! What is stored in `OAUTH_KV`, under which key, for how long, and the shape of our token strings.
//!
//! | Key | Record | TTL |
//! | --- | --- | --- |
//! | `client:{clientId}` | [`ClientRecord`] (secret as SHA-256) | 90 days |
//! | `grant:{grantId}` | [`GrantRecord`]: consent, hashes of the code and refresh tokens, the Sentry tokens sealed under the grant's data key | 10 min until the code is redeemed, then 30 days |
//! | `token:{grantId}:{sha256(token)}` | [`AccessTokenRecord`]: everything `/mcp` needs in one read | 1 h (less if the Sentry token expires sooner) |
//! | `state:{nonce}` | marker for a pending upstream `state` (single use) | 10 min |
//! | `ratelimit:register:{ip}:{hour}` | registration counter | 1 h |
//!
//! Token strings are `smcp_{kind}_{grantId}_{secret}` (32 + 64 hex digits): the grant id finds the
//! record in one read, the 256-bit secret makes the string unguessable, and only
//! SHA-256(string) is stored. The data key that decrypts the Sentry tokens is stored only wrapped
//! under keys derived from our live token strings ([`super::crypto::wrap_key`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::platform::Platform;
use crate::session::{Skill, SkillSet};

pub const CODE_TTL_SECS: u64 = 600;
pub const ACCESS_TTL_SECS: u64 = 3_600;
pub const GRANT_TTL_SECS: u64 = 30 * 24 * 3_600;
pub const CLIENT_TTL_SECS: u64 = 90 * 24 * 3_600;
pub const STATE_TTL_SECS: u64 = 600;
/// How long a rotated-out refresh token is still honoured (a lost token response, retried).
pub const REFRESH_GRACE_SECS: u64 = 60;
/// Access tokens remembered per grant (so revocation can delete them); older ones are revoked.
pub const MAX_LIVE_ACCESS_TOKENS: usize = 8;

/// The three kinds of secret we hand out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Code,
    Access,
    Refresh,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            TokenKind::Code => "smcp_code_",
            TokenKind::Access => "smcp_at_",
            TokenKind::Refresh => "smcp_rt_",
        }
    }
}

/// A fresh token string for `grant_id`.
pub fn mint(platform: &dyn Platform, kind: TokenKind, grant_id: &str) -> String {
    format!("{}{grant_id}_{}", kind.prefix(), crate::platform::random_hex(platform, 32))
}

/// The grant id inside a token of `kind`, if the string has our exact shape.
pub fn grant_id_of(token: &str, kind: TokenKind) -> Option<&str> {
    let rest = token.strip_prefix(kind.prefix())?;
    let (grant, secret) = rest.split_once('_')?;
    let hex = |s: &str, n: usize| {
        s.len() == n && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    (hex(grant, 32) && hex(secret, 64)).then_some(grant)
}

/// A new random id (clients and grants): 128 bits as hex.
pub fn new_id(platform: &dyn Platform) -> String {
    crate::platform::random_hex(platform, 16)
}

pub fn client_key(id: &str) -> String {
    format!("client:{id}")
}
pub fn grant_key(id: &str) -> String {
    format!("grant:{id}")
}
pub fn access_key(grant_id: &str, token_hash: &str) -> String {
    format!("token:{grant_id}:{token_hash}")
}
pub fn state_key(nonce: &str) -> String {
    format!("state:{nonce}")
}

/// A registered (DCR) client.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClientRecord {
    pub client_id: String,
    /// SHA-256 of the secret, for confidential clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    pub token_endpoint_auth_method: String,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    /// Seconds since the epoch.
    pub issued_at: u64,
    pub expires_at: u64,
}

/// The Sentry tokens of a grant. Only ever stored sealed; `Debug` hides them.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct UpstreamTokens {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// When Sentry says the access token expires (ms).
    pub expires_at_ms: u64,
}

impl fmt::Debug for UpstreamTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamTokens")
            .field("expires_at_ms", &self.expires_at_ms)
            .finish_non_exhaustive()
    }
}

/// The pending authorization code of a grant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeSlot {
    pub hash: String,
    /// The data key wrapped for the code; dropped once redeemed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapped_key: Option<String>,
    pub redirect_uri: String,
    /// Whether the authorization request named the redirect URI (then the token request must too).
    pub redirect_uri_given: bool,
    pub code_challenge: String,
    pub expires_at_ms: u64,
    pub redeemed: bool,
}

/// A refresh token of a grant: its hash and the data key wrapped for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshSlot {
    pub hash: String,
    pub wrapped_key: String,
    /// When it was issued (current slot) or rotated out (previous slot), ms.
    pub at_ms: u64,
}

/// An access token the grant knows about, so revoking the grant can delete it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessRef {
    pub hash: String,
    pub expires_at_ms: u64,
}

/// One user's consent for one client, and what it produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GrantRecord {
    pub id: String,
    pub client_id: String,
    /// The Sentry user id.
    pub user_id: String,
    /// The resource (RFC 8707) the grant is for: `{origin}/mcp[/{org}[/{project}]]`.
    pub audience: String,
    pub skills: Vec<String>,
    /// Consent asked Sentry for read scopes only.
    pub read_only: bool,
    pub created_at_ms: u64,
    pub expires_at_ms: u64,
    /// [`UpstreamTokens`] as JSON, sealed with the grant's data key (AAD = grant id).
    pub upstream: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeSlot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<RefreshSlot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_refresh: Option<RefreshSlot>,
    #[serde(default)]
    pub access: Vec<AccessRef>,
}

impl GrantRecord {
    pub fn skill_set(&self) -> SkillSet {
        skills_from_ids(&self.skills)
    }
}

/// What `/mcp` needs, in the one record it reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessTokenRecord {
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub audience: String,
    pub skills: Vec<String>,
    pub expires_at_ms: u64,
    /// The grant's data key, wrapped for this token.
    pub wrapped_key: String,
    /// A copy of the grant's sealed [`UpstreamTokens`].
    pub upstream: String,
}

pub fn skills_from_ids(ids: &[String]) -> SkillSet {
    ids.iter().filter_map(|s| Skill::parse(s)).fold(SkillSet::none(), SkillSet::with)
}

pub fn skill_ids(set: SkillSet) -> Vec<String> {
    set.iter().map(|s| s.id().to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::testing::TestPlatform;

    #[test]
    fn token_shapes_parse_strictly() {
        let p = TestPlatform::new();
        let gid = new_id(&p);
        let t = mint(&p, TokenKind::Access, &gid);
        assert_eq!(grant_id_of(&t, TokenKind::Access), Some(gid.as_str()));
        assert_eq!(grant_id_of(&t, TokenKind::Refresh), None);
        assert_eq!(grant_id_of(&format!("{t}0"), TokenKind::Access), None);
        assert_eq!(grant_id_of(&t.to_uppercase(), TokenKind::Access), None);
        assert_eq!(grant_id_of("smcp_at_x_y", TokenKind::Access), None);
        assert_ne!(mint(&p, TokenKind::Access, &gid), t);
    }

    #[test]
    fn upstream_tokens_debug_hides_them() {
        let u = UpstreamTokens {
            access_token: "sntryo_secret".into(),
            refresh_token: Some("sntryr_secret".into()),
            expires_at_ms: 1,
        };
        assert!(!format!("{u:?}").contains("secret"));
    }
}
