//! What is stored in `OAUTH_KV`, under which key, for how long, and the shape of our token strings.
//!
//! | Key | Record | TTL |
//! | --- | --- | --- |
//! | `client:{clientId}` | [`ClientRecord`] (secret as SHA-256) | 90 days |
//! | `grant:{grantId}` | [`GrantRecord`]: consent, hashes of the code and refresh tokens, the Sentry tokens sealed under the grant's data key; a tombstone once revoked. In the Worker it lives in the grant's Durable Object (`OAUTH_GUARD`), which decides every change (`oauth::ledger`); KV holds it only without that binding | 10 min until the code is redeemed, then 30 days |
//! | `token:{grantId}:{sha256(token)}` | [`AccessTokenRecord`]: everything `/mcp` needs in one read | 1 h (less if the Sentry token expires sooner) |
//! | `state:{nonce}` | marker for a pending upstream `state` (single use) | 10 min |
//! | `ratelimit:register:{ip}:{hour}` | registration counter | 1 h |
//!
//! Token strings are `smcp_{kind}_{grantId}_{secret}` (32 + 64 hex digits): the grant id finds the
//! record in one read, the 256-bit secret makes the string unguessable, and only
//! SHA-256(string) is stored. The data key that decrypts the Sentry tokens is stored only wrapped
//! under keys derived from our live token strings ([`super::crypto::wrap_key`]).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::platform::Platform;
use crate::session::SkillSet;

/// Milliseconds since the Unix epoch: the expiries and rotation times in records. Serialised as
/// the bare number, as records always stored it.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub(crate) struct UnixMillis(pub u64);

impl UnixMillis {
    /// This instant moved `d` later (saturating).
    pub(crate) fn plus(self, d: Duration) -> Self {
        Self(self.0.saturating_add(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)))
    }

    /// Whether this instant, taken as an expiry, has passed at `now`. An expiry equal to `now`
    /// has passed.
    pub(crate) fn is_past(self, now: UnixMillis) -> bool {
        self <= now
    }

    /// How long from `now` until this instant (zero once it has passed).
    pub(crate) fn until(self, now: UnixMillis) -> Duration {
        Duration::from_millis(self.0.saturating_sub(now.0))
    }

    /// How long since `earlier` (zero if `earlier` is later).
    pub(crate) fn since(self, earlier: UnixMillis) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

/// A string newtype for one kind of value in records, serialised as the bare string
/// (`#[serde(transparent)]`), so stored JSON is unchanged.
macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub(crate) struct $name(pub(crate) String);

        impl $name {
            pub(crate) fn as_str(&self) -> &str {
                &self.0
            }
        }

        /// Reads as the plain string wherever one is expected (a key, a comparison, a URL).
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_string())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

string_newtype!(
    /// A client's id: a registration's 128 random bits as hex, or the HTTPS URL of the client's
    /// metadata document (`oauth::cimd`).
    ClientId
);
string_newtype!(
    /// A redirect URI, as registered or as sent in the authorization request.
    RedirectUri
);
string_newtype!(
    /// A PKCE S256 code challenge (43 base64url characters).
    CodeChallenge
);
string_newtype!(
    /// The RFC 8707 resource a grant or token is for: `{origin}/mcp[/{org}[/{project}]]`.
    Audience
);
string_newtype!(
    /// SHA-256 (hex) of one of our secrets: a code, a token or a client secret. Only the hash is
    /// ever stored; compare with [`SecretHash::matches`] (constant time).
    SecretHash
);

impl SecretHash {
    /// The hash of `secret`.
    pub(crate) fn of(secret: &str) -> Self {
        Self(crate::digest::sha256_hex(secret.as_bytes()))
    }

    /// Constant-time equality.
    pub(crate) fn matches(&self, other: &SecretHash) -> bool {
        super::crypto::ct_eq(&self.0, &other.0)
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) const CODE_TTL_SECS: u64 = 600;
pub(crate) const ACCESS_TTL_SECS: u64 = 3_600;
pub(crate) const GRANT_TTL_SECS: u64 = 30 * 24 * 3_600;
pub(crate) const CLIENT_TTL_SECS: u64 = 90 * 24 * 3_600;
pub(crate) const STATE_TTL_SECS: u64 = 600;
/// How long a rotated-out refresh token is still honoured (a lost token response, retried).
pub(crate) const REFRESH_GRACE_SECS: u64 = 60;
/// Access tokens remembered per grant (so revocation can delete them); older ones are revoked.
pub(crate) const MAX_LIVE_ACCESS_TOKENS: usize = 8;
/// Hashes of refresh tokens two or more generations old kept per grant: presenting one is reuse
/// and revokes the grant (`oauth::ledger`); older ones read as unknown.
pub(crate) const MAX_RETIRED_REFRESH: usize = 64;

/// The three kinds of secret we hand out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
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
pub(crate) fn mint(platform: &dyn Platform, kind: TokenKind, grant_id: &str) -> String {
    format!("{}{grant_id}_{}", kind.prefix(), crate::platform::random_hex(platform, 32))
}

/// The grant id inside a token of `kind`, if the string has our exact shape.
pub(crate) fn grant_id_of(token: &str, kind: TokenKind) -> Option<&str> {
    let rest = token.strip_prefix(kind.prefix())?;
    let (grant, secret) = rest.split_once('_')?;
    let hex = |s: &str, n: usize| {
        s.len() == n && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    (hex(grant, 32) && hex(secret, 64)).then_some(grant)
}

/// A new random id (clients and grants): 128 bits as hex.
pub(crate) fn new_id(platform: &dyn Platform) -> String {
    crate::platform::random_hex(platform, 16)
}

pub(crate) fn client_key(id: &str) -> String {
    format!("client:{id}")
}
pub(crate) fn grant_key(id: &str) -> String {
    format!("grant:{id}")
}
pub(crate) fn access_key(grant_id: &str, token_hash: &SecretHash) -> String {
    format!("token:{grant_id}:{}", token_hash.as_str())
}
pub(crate) fn state_key(nonce: &str) -> String {
    format!("state:{nonce}")
}

/// A registered (DCR) client.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ClientRecord {
    pub client_id: ClientId,
    /// SHA-256 of the secret, for confidential clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hash: Option<SecretHash>,
    pub redirect_uris: Vec<RedirectUri>,
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
pub(crate) struct UpstreamTokens {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// When Sentry says the access token expires.
    pub expires_at_ms: UnixMillis,
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
pub(crate) struct CodeSlot {
    pub hash: SecretHash,
    /// The data key wrapped for the code; dropped once redeemed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapped_key: Option<String>,
    pub redirect_uri: RedirectUri,
    /// Whether the authorization request named the redirect URI (then the token request must too).
    pub redirect_uri_given: bool,
    pub code_challenge: CodeChallenge,
    pub expires_at_ms: UnixMillis,
    pub redeemed: bool,
}

/// A refresh token of a grant: its hash and the data key wrapped for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RefreshSlot {
    pub hash: SecretHash,
    pub wrapped_key: String,
    /// When it was issued (current slot) or rotated out (previous slot).
    pub at_ms: UnixMillis,
    /// Previous slot: the answer of the rotation that retired it, sealed under a key only this
    /// token derives, so a retry inside the grace window gets the same pair (`oauth::ledger`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// Previous slot: the scope that rotation asked for (a retry must ask the same).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<SkillSet>,
}

/// An access token the grant knows about, so revoking the grant can delete it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AccessRef {
    pub hash: SecretHash,
    pub expires_at_ms: UnixMillis,
}

/// One user's consent for one client, and what it produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct GrantRecord {
    pub id: String,
    pub client_id: ClientId,
    /// The Sentry user id.
    pub user_id: String,
    /// The resource (RFC 8707) the grant is for.
    pub audience: Audience,
    /// Stored as the list of skill ids; an unknown id makes the record unreadable.
    pub skills: SkillSet,
    /// Consent asked Sentry for read scopes only.
    pub read_only: bool,
    pub created_at_ms: UnixMillis,
    pub expires_at_ms: UnixMillis,
    /// [`UpstreamTokens`] as JSON, sealed with the grant's data key (AAD = grant id).
    pub upstream: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeSlot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<RefreshSlot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_refresh: Option<RefreshSlot>,
    /// Hashes of older refresh tokens, oldest first (at most [`MAX_RETIRED_REFRESH`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired_refresh: Vec<SecretHash>,
    #[serde(default)]
    pub access: Vec<AccessRef>,
    /// Set when the grant was revoked: a tombstone without token material that refuses every
    /// later use, so a request still in flight cannot bring the grant back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at_ms: Option<UnixMillis>,
}

/// What `/mcp` needs, in the one record it reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AccessTokenRecord {
    pub grant_id: String,
    pub client_id: ClientId,
    pub user_id: String,
    pub audience: Audience,
    /// Stored as the list of skill ids; an unknown id makes the record unreadable.
    pub skills: SkillSet,
    pub expires_at_ms: UnixMillis,
    /// The grant's data key, wrapped for this token.
    pub wrapped_key: String,
    /// A copy of the grant's sealed [`UpstreamTokens`].
    pub upstream: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::testing::TestPlatform;
    use crate::session::Skill;

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

    /// Records as today's deployments wrote them (field order and all). They must keep reading,
    /// and writing them back must give the same bytes, so existing grants survive a deploy.
    const CLIENT_JSON: &str = r#"{"client_id":"0123456789abcdef0123456789abcdef","secret_hash":"5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8","redirect_uris":["https://claude.ai/api/mcp/auth_callback","http://127.0.0.1/"],"client_name":"Claude","token_endpoint_auth_method":"client_secret_basic","grant_types":["authorization_code","refresh_token"],"response_types":["code"],"issued_at":1764547200,"expires_at":1772323200}"#;
    const GRANT_JSON: &str = r#"{"id":"00112233445566778899aabbccddeeff","client_id":"0123456789abcdef0123456789abcdef","user_id":"42","audience":"https://mcp.example.com/mcp/acme","skills":["inspect","seer"],"read_only":true,"created_at_ms":1764547200000,"expires_at_ms":1767139200000,"upstream":"c2VhbGVk","code":{"hash":"aa","redirect_uri":"https://claude.ai/api/mcp/auth_callback","redirect_uri_given":true,"code_challenge":"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM","expires_at_ms":1764547800000,"redeemed":true},"refresh":{"hash":"bb","wrapped_key":"d3JhcHBlZA","at_ms":1764547300000},"previous_refresh":{"hash":"cc","wrapped_key":"b2xk","at_ms":1764547250000},"access":[{"hash":"dd","expires_at_ms":1764550900000}]}"#;
    const ACCESS_JSON: &str = r#"{"grant_id":"00112233445566778899aabbccddeeff","client_id":"0123456789abcdef0123456789abcdef","user_id":"42","audience":"https://mcp.example.com/mcp","skills":["inspect","triage","seer","project-management"],"expires_at_ms":1764550900000,"wrapped_key":"d3JhcHBlZA","upstream":"c2VhbGVk"}"#;

    #[test]
    fn todays_records_read_and_write_back_byte_for_byte() {
        let client: ClientRecord = serde_json::from_str(CLIENT_JSON).unwrap();
        assert_eq!(client.client_id, "0123456789abcdef0123456789abcdef");
        assert_eq!(client.redirect_uris[1], "http://127.0.0.1/");
        assert_eq!(serde_json::to_string(&client).unwrap(), CLIENT_JSON);

        let grant: GrantRecord = serde_json::from_str(GRANT_JSON).unwrap();
        assert_eq!(grant.skills, SkillSet::none().with(Skill::Inspect).with(Skill::Seer));
        assert_eq!(grant.expires_at_ms, UnixMillis(1_767_139_200_000));
        assert_eq!(grant.audience, "https://mcp.example.com/mcp/acme");
        let code = grant.code.as_ref().unwrap();
        assert!(code.hash.matches(&SecretHash("aa".into())));
        assert_eq!(code.code_challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert_eq!(serde_json::to_string(&grant).unwrap(), GRANT_JSON);

        let access: AccessTokenRecord = serde_json::from_str(ACCESS_JSON).unwrap();
        assert_eq!(access.skills, SkillSet::all());
        assert_eq!(serde_json::to_string(&access).unwrap(), ACCESS_JSON);
    }

    #[test]
    fn records_with_an_unknown_skill_are_refused() {
        let future = ACCESS_JSON.replace(r#""seer","#, r#""seer","telepathy","#);
        let err = serde_json::from_str::<AccessTokenRecord>(&future).unwrap_err();
        assert!(err.to_string().contains("unknown skill 'telepathy'"), "{err}");
        let future = GRANT_JSON.replace(r#"["inspect","seer"]"#, r#"["inspect","x"]"#);
        assert!(serde_json::from_str::<GrantRecord>(&future).is_err());
    }

    #[test]
    fn millisecond_instants() {
        let t = UnixMillis(10_000);
        assert_eq!(t.plus(Duration::from_secs(2)), UnixMillis(12_000));
        assert!(t.is_past(UnixMillis(10_000)), "an expiry equal to now has passed");
        assert!(!t.is_past(UnixMillis(9_999)));
        assert_eq!(t.until(UnixMillis(9_000)), Duration::from_secs(1));
        assert_eq!(t.until(UnixMillis(11_000)), Duration::ZERO);
        assert_eq!(UnixMillis(70_001).since(UnixMillis(10_000)), Duration::from_millis(60_001));
    }

    #[test]
    fn upstream_tokens_debug_hides_them() {
        let u = UpstreamTokens {
            access_token: "sntryo_secret".into(),
            refresh_token: Some("sntryr_secret".into()),
            expires_at_ms: UnixMillis(1),
        };
        assert!(!format!("{u:?}").contains("secret"));
    }
}
