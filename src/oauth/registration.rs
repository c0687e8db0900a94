//! `POST /oauth/register`: dynamic client registration (RFC 7591), rate-limited per IP.
//!
//! Public clients (`token_endpoint_auth_method: "none"`, what MCP clients send) get a client id;
//! confidential ones also a secret, stored only as its SHA-256. Registrations expire after 90
//! days; an expired client gets 401 `invalid_client` at the token endpoint and re-registers.
//! The metadata rules ([`client_metadata`]) are shared with client ID metadata documents; the
//! token endpoint authentication method is negotiated ([`negotiate_auth_method`]), not refused.

use serde_json::{json, Map, Value};

use super::error::{oauth_error, OAuthErrorCode};
use super::records::{self, ClientId, ClientRecord, RedirectUri, SecretHash, CLIENT_TTL_SECS};
use super::{no_store_json, put_json, redirect, Ctx, Handled};
use crate::platform::http::HttpRequest;

const MAX_BODY: usize = 16 * 1024;
const MAX_REDIRECT_URIS: usize = 20;
const AUTH_METHODS: [&str; 3] = ["none", "client_secret_basic", "client_secret_post"];

fn invalid(error: OAuthErrorCode, why: &str) -> super::Failure {
    oauth_error(400, error, why).into()
}

pub(crate) async fn register(ctx: &Ctx<'_>, req: &HttpRequest) -> Handled {
    rate_limit(ctx, req).await?;
    if !req
        .headers
        .get("content-type")
        .unwrap_or("")
        .to_ascii_lowercase()
        .contains("application/json")
    {
        return Err(invalid(
            OAuthErrorCode::InvalidClientMetadata,
            "send the client metadata as application/json",
        ));
    }
    if req.body.len() > MAX_BODY {
        return Err(invalid(
            OAuthErrorCode::InvalidClientMetadata,
            "client metadata is limited to 16 KiB",
        ));
    }
    let Ok(Value::Object(meta)) = serde_json::from_slice::<Value>(&req.body) else {
        return Err(invalid(
            OAuthErrorCode::InvalidClientMetadata,
            "the body must be a JSON object",
        ));
    };

    let metadata = client_metadata(&meta, &AUTH_METHODS, "client_secret_basic") // RFC 7591 §2 default
        .map_err(|e| invalid(e.code, &e.why))?;

    let now_s = ctx.now().0 / 1000;
    let client_id = records::new_id(ctx.platform);
    let secret = (metadata.token_endpoint_auth_method != "none")
        .then(|| format!("smcp_cs_{}", crate::platform::random_hex(ctx.platform, 32)));
    let record = metadata.into_record(
        ClientId(client_id.clone()),
        secret.as_deref().map(SecretHash::of),
        now_s,
        now_s + CLIENT_TTL_SECS,
    );
    put_json(ctx.store, &records::client_key(&client_id), &record, CLIENT_TTL_SECS).await?;
    ctx.log(
        crate::platform::LogLevel::Info,
        "oauth_client_registered",
        json!({"auth_method": record.token_endpoint_auth_method}),
    );

    let mut body = json!({
        "client_id": client_id,
        "client_id_issued_at": record.issued_at,
        "redirect_uris": record.redirect_uris,
        "token_endpoint_auth_method": record.token_endpoint_auth_method,
        "grant_types": record.grant_types,
        "response_types": record.response_types,
    });
    if let Some(n) = &record.client_name {
        body["client_name"] = json!(n);
    }
    if let Some(u) = &record.client_uri {
        body["client_uri"] = json!(u);
    }
    if let Some(s) = secret {
        body["client_secret"] = json!(s);
        body["client_secret_expires_at"] = json!(record.expires_at);
    }
    Ok(no_store_json(201, &body))
}

/// Client metadata as validated: what a registration or a client ID metadata document
/// ([`super::cimd`]) contributes to a [`ClientRecord`].
pub(crate) struct ClientMetadata {
    pub redirect_uris: Vec<RedirectUri>,
    pub client_name: Option<String>,
    pub client_uri: Option<String>,
    pub token_endpoint_auth_method: String,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
}

impl ClientMetadata {
    /// The client record for `client_id`, valid from `issued_at` to `expires_at` (seconds).
    pub(crate) fn into_record(
        self,
        client_id: ClientId,
        secret_hash: Option<SecretHash>,
        issued_at: u64,
        expires_at: u64,
    ) -> ClientRecord {
        ClientRecord {
            client_id,
            secret_hash,
            redirect_uris: self.redirect_uris,
            client_name: self.client_name,
            client_uri: self.client_uri,
            token_endpoint_auth_method: self.token_endpoint_auth_method,
            grant_types: self.grant_types,
            response_types: self.response_types,
            issued_at,
            expires_at,
        }
    }
}

/// Why client metadata was refused: the OAuth error code and what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MetadataError {
    pub code: OAuthErrorCode,
    pub why: String,
}

impl MetadataError {
    fn new(code: OAuthErrorCode, why: impl Into<String>) -> Self {
        Self { code, why: why.into() }
    }
}

/// Validate client metadata (RFC 7591 §2, the same fields a metadata document carries).
/// `auth_methods` are the token endpoint authentication methods this kind of client may use, in
/// our order of preference; `default_method` applies when the metadata names none.
pub(crate) fn client_metadata(
    meta: &Map<String, Value>,
    auth_methods: &[&str],
    default_method: &str,
) -> Result<ClientMetadata, MetadataError> {
    let bad_uri = |why: &str| MetadataError::new(OAuthErrorCode::InvalidRedirectUri, why);
    let redirect_uris = strings(meta, "redirect_uris")
        .ok_or_else(|| bad_uri("redirect_uris must be a non-empty array of strings"))?;
    if redirect_uris.is_empty() || redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(bad_uri("register between 1 and 20 redirect_uris"));
    }
    for uri in &redirect_uris {
        redirect::validate_redirect_uri(uri).map_err(|why| bad_uri(&why))?;
    }
    let bad = |why: String| MetadataError::new(OAuthErrorCode::InvalidClientMetadata, why);
    let token_endpoint_auth_method =
        negotiate_auth_method(meta, auth_methods, default_method).map_err(bad)?;
    let grant_types = subset(
        meta,
        "grant_types",
        &["authorization_code", "refresh_token"],
        &["authorization_code", "refresh_token"],
    )
    .map_err(bad)?;
    let response_types = subset(meta, "response_types", &["code"], &["code"]).map_err(bad)?;
    let client_name = match meta.get("client_name") {
        None | Some(Value::Null) => None,
        Some(Value::String(n)) if n.chars().count() <= 200 => {
            Some(n.chars().filter(|c| !c.is_control()).collect::<String>())
        }
        Some(_) => {
            return Err(bad("client_name must be a string of at most 200 characters".into()))
        }
    };
    let client_uri = match meta.get("client_uri").and_then(Value::as_str) {
        None => None,
        Some(u) => match url::Url::parse(u) {
            Ok(p) if matches!(p.scheme(), "https" | "http") => Some(u.to_string()),
            _ => return Err(bad("client_uri must be an http(s) URL".into())),
        },
    };
    Ok(ClientMetadata {
        redirect_uris: redirect_uris.into_iter().map(RedirectUri).collect(),
        client_name,
        client_uri,
        token_endpoint_auth_method,
        grant_types,
        response_types,
    })
}

/// Pick the token endpoint authentication method. The declared `token_endpoint_auth_method` is
/// a preference, not a requirement: when we do not support it, a method the client also offers
/// in `token_endpoint_auth_methods_supported` is chosen (ChatGPT declares `private_key_jwt` and
/// offers `none` as well). The choice is echoed in the registration response and enforced at
/// the token endpoint. `Err` names what the client offered.
pub(crate) fn negotiate_auth_method(
    meta: &Map<String, Value>,
    supported: &[&str],
    default: &str,
) -> Result<String, String> {
    let declared = match meta.get("token_endpoint_auth_method") {
        None | Some(Value::Null) => None,
        Some(Value::String(m)) => Some(m.as_str()),
        Some(_) => return Err("token_endpoint_auth_method must be a string".into()),
    };
    let offered = match meta.get("token_endpoint_auth_methods_supported") {
        None | Some(Value::Null) => Vec::new(),
        Some(_) => strings(meta, "token_endpoint_auth_methods_supported").ok_or_else(|| {
            "token_endpoint_auth_methods_supported must be an array of strings".to_string()
        })?,
    };
    if let Some(m) = declared.filter(|m| supported.contains(m)) {
        return Ok(m.to_string());
    }
    if let Some(m) = supported.iter().find(|m| offered.iter().any(|o| o == *m)) {
        return Ok(m.to_string());
    }
    if declared.is_none() && offered.is_empty() {
        return Ok(default.to_string());
    }
    let mut named: Vec<&str> = declared.into_iter().collect();
    named.extend(offered.iter().map(String::as_str).filter(|o| Some(*o) != declared));
    Err(format!(
        "none of the offered token endpoint authentication methods ({}) is supported; use {}",
        named.iter().map(|m| crate::render::truncate(m, 40)).collect::<Vec<_>>().join(", "),
        supported.join(" or ")
    ))
}

fn strings(meta: &Map<String, Value>, key: &str) -> Option<Vec<String>> {
    meta.get(key)?.as_array()?.iter().map(|v| v.as_str().map(str::to_string)).collect()
}

/// An optional list that must be drawn from `allowed`; absent means `default`.
fn subset(
    meta: &Map<String, Value>,
    key: &str,
    allowed: &[&str],
    default: &[&str],
) -> Result<Vec<String>, String> {
    if meta.get(key).is_none_or(Value::is_null) {
        return Ok(default.iter().map(|s| s.to_string()).collect());
    }
    match strings(meta, key) {
        Some(list) if !list.is_empty() && list.iter().all(|v| allowed.contains(&v.as_str())) => {
            Ok(list)
        }
        _ => Err(format!("{key} may only contain {}", allowed.join(", "))),
    }
}

/// A per-IP hourly counter in KV. Not atomic (KV has no increment), which only lets a burst of
/// parallel registrations slightly exceed the limit: good enough to stop floods, and cheap.
async fn rate_limit(ctx: &Ctx<'_>, req: &HttpRequest) -> Result<(), super::Failure> {
    let limit = ctx.oauth.registrations_per_hour;
    if limit == 0 || !ctx.config.rate_limits {
        return Ok(());
    }
    let ip = req.headers.get("cf-connecting-ip").unwrap_or("unknown");
    let hour = ctx.now().0 / 3_600_000;
    let key = format!("ratelimit:register:{}:{hour}", crate::digest::sha256_hex(ip.as_bytes()));
    let count: u32 = ctx.get_json(&key).await?.unwrap_or(0);
    if count >= limit {
        let retry = 3_600 - (ctx.now().0 / 1000) % 3_600;
        return Err(oauth_error(
            429,
            OAuthErrorCode::TooManyRequests,
            "too many client registrations from this address; try again later",
        )
        .with_header("retry-after", retry.to_string())
        .into());
    }
    put_json(ctx.store, &key, &(count + 1), 3_600).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::testing::Fixture;
    use crate::platform::http::{Headers, HttpResponse};
    use crate::platform::testing::block_on;

    fn call(ctx: &Ctx<'_>, body: Value) -> HttpResponse {
        let req = HttpRequest {
            method: "POST".into(),
            url: url::Url::parse("https://m.example/oauth/register").unwrap(),
            headers: Headers::new()
                .with("content-type", "application/json")
                .with("cf-connecting-ip", "203.0.113.9"),
            body: serde_json::to_vec(&body).unwrap(),
        };
        match block_on(register(ctx, &req)) {
            Ok(r) | Err(super::super::Failure::Respond(r)) => r,
            Err(_) => panic!("store error"),
        }
    }

    #[test]
    fn public_and_confidential_clients() {
        let fixture = Fixture::new();
        let ctx = fixture.ctx();
        let r = call(
            &ctx,
            json!({"redirect_uris": ["cursor://anysphere.cursor-mcp/oauth/callback", "https://www.cursor.com/agents/mcp/oauth/callback", "http://localhost:8787/callback"], "token_endpoint_auth_method": "none", "client_name": "Cursor"}),
        );
        assert_eq!(r.status, 201, "{}", r.body_text());
        let b: Value = serde_json::from_slice(&r.body).unwrap();
        assert!(
            b["client_id"].is_string()
                && b["client_id_issued_at"].is_u64()
                && b.get("client_secret").is_none()
        );
        assert_eq!(fixture.store.ttl("client:"), Some(CLIENT_TTL_SECS));
        let c = call(&ctx, json!({"redirect_uris": ["https://claude.ai/api/mcp/auth_callback"]}));
        let b: Value = serde_json::from_slice(&c.body).unwrap();
        let secret = b["client_secret"].as_str().unwrap();
        assert!(b["client_secret_expires_at"].is_u64());
        assert!(!fixture.store.dump().contains(secret), "the secret is stored only hashed");
    }

    #[test]
    fn auth_method_is_negotiated_not_refused() {
        let pick = |meta: Value, supported: &[&str]| {
            negotiate_auth_method(meta.as_object().unwrap(), supported, "client_secret_basic")
        };
        let chatgpt = json!({"token_endpoint_auth_method": "private_key_jwt", "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"]});
        assert_eq!(pick(chatgpt.clone(), &AUTH_METHODS).as_deref(), Ok("none"));
        assert_eq!(pick(chatgpt, &["none"]).as_deref(), Ok("none"));
        assert_eq!(pick(json!({}), &AUTH_METHODS).as_deref(), Ok("client_secret_basic"));
        assert_eq!(
            pick(json!({"token_endpoint_auth_method": "client_secret_post"}), &AUTH_METHODS)
                .as_deref(),
            Ok("client_secret_post")
        );
        // Our preference order decides among several offers.
        assert_eq!(
            pick(
                json!({"token_endpoint_auth_methods_supported": ["client_secret_post", "none"]}),
                &AUTH_METHODS
            )
            .as_deref(),
            Ok("none")
        );
        let err =
            pick(json!({"token_endpoint_auth_method": "private_key_jwt"}), &["none"]).unwrap_err();
        assert!(err.contains("private_key_jwt") && err.contains("use none"), "{err}");
        assert!(pick(json!({"token_endpoint_auth_methods_supported": "none"}), &["none"]).is_err());

        let fixture = Fixture::new();
        let ctx = fixture.ctx();
        let r = call(
            &ctx,
            json!({"redirect_uris": ["https://chatgpt.com/connector/oauth/x"], "token_endpoint_auth_method": "private_key_jwt", "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"]}),
        );
        let b: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!((r.status, b["token_endpoint_auth_method"].as_str()), (201, Some("none")));
        assert!(b.get("client_secret").is_none());
        let r = call(
            &ctx,
            json!({"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "private_key_jwt"}),
        );
        assert_eq!((r.status, r.body_text().contains("invalid_client_metadata")), (400, true));
    }

    #[test]
    fn bad_metadata_and_rate_limit() {
        let mut fixture = Fixture::new();
        fixture.oauth.registrations_per_hour = 3;
        let ctx = fixture.ctx();
        let r = call(&ctx, json!({"redirect_uris": ["javascript:alert(1)"]}));
        assert_eq!((r.status, r.body_text().contains("invalid_redirect_uri")), (400, true));
        let r = call(
            &ctx,
            json!({"redirect_uris": ["https://a.example/cb"], "grant_types": ["client_credentials"]}),
        );
        assert!(r.body_text().contains("invalid_client_metadata"));
        let r = call(&ctx, json!({"redirect_uris": ["https://a.example/cb"]}));
        assert_eq!(r.status, 201);
        let r = call(&ctx, json!({"redirect_uris": ["https://a.example/cb"]}));
        assert_eq!(r.status, 429);
        assert!(r.headers.get("retry-after").is_some());
        fixture.platform.advance_secs(3_600);
        assert_eq!(call(&ctx, json!({"redirect_uris": ["https://a.example/cb"]})).status, 201);
    }

    #[test]
    fn rate_limits_off_lifts_the_registration_limit() {
        let mut fixture = Fixture::new();
        fixture.oauth.registrations_per_hour = 1;
        fixture.config.rate_limits = false;
        let ctx = fixture.ctx();
        for _ in 0..3 {
            assert_eq!(call(&ctx, json!({"redirect_uris": ["https://a.example/cb"]})).status, 201);
        }
        assert!(!fixture.store.dump().contains("ratelimit:"), "no counter is kept");
    }
}
