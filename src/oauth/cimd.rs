//! Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document): a `client_id`
//! that is an HTTPS URL names a JSON document describing the client, so clients such as Claude
//! Code and ChatGPT need no registration. The 2026-07-28 revision prefers it to DCR.
//!
//! Fetching a URL the caller chose is an SSRF risk, so the fetcher is strict:
//!
//! - **HTTPS only**, a path below the root, no user information, no fragment, and the URL in
//!   canonical form (what the `url` crate would print), so the string compared with the
//!   document's `client_id` is the string fetched.
//! - **No private, loopback or link-local addresses**: IP literals in those ranges and names
//!   such as `localhost`, `*.local` or `*.internal` are refused before any request. (The Worker
//!   cannot resolve names itself; Workers' `fetch` does not reach private networks.)
//!   `OAUTH_CIMD_ALLOW_INSECURE_LOOPBACK=true` lets tests and local development use plain `http`
//!   on loopback; private ranges stay refused even then.
//! - **Redirects only within the same origin** (at most [`MAX_REDIRECTS`]); the platform never
//!   follows one by itself.
//! - **Limits**: [`FETCH_TIMEOUT`] and [`MAX_DOCUMENT_BYTES`].
//! - The document's `client_id` must equal the URL; it must name `client_name` and valid
//!   `redirect_uris`, must not carry a `client_secret`, and only public-client authentication
//!   (`none`) is possible (negotiated, see [`super::registration::negotiate_auth_method`]).
//!
//! A validated document is cached in KV as a [`ClientRecord`] for the document's `max-age`,
//! bounded to [`MIN_FRESH_SECS`]..=[`MAX_FRESH_SECS`] (an hour when it names none), and fetched
//! again once stale. A failed fetch is never cached.
//!
//! A CIMD client id is shared by every installation of the client, so when a user signs in again,
//! only their earlier grant for the **same redirect URI** is revoked
//! ([`supersede_earlier_grant`]): signing in on one device does not sign them out on another.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use serde_json::Value;
use url::{Host, Url};

use super::records::{self, ClientId, ClientRecord, RedirectUri};
use super::registration::client_metadata;
use super::{get_json, grant, put_json, Ctx, StoreError};
use crate::platform::http::{Headers, HttpRequest};
use crate::platform::FetchError;

/// Longest document accepted (the draft suggests 5 KB).
pub(crate) const MAX_DOCUMENT_BYTES: usize = 5 * 1024;
/// Deadline for fetching the document (each hop).
pub(crate) const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Same-origin redirects followed at most.
pub(crate) const MAX_REDIRECTS: usize = 2;
/// Longest client id URL accepted (it travels in cookies and records).
pub(crate) const MAX_URL_LEN: usize = 255;
/// A cached document is fresh for at least this long (the sign-in must not refetch midway)...
pub(crate) const MIN_FRESH_SECS: u64 = 300;
/// ...and at most this long, whatever its `Cache-Control` says.
pub(crate) const MAX_FRESH_SECS: u64 = 24 * 3_600;
/// Freshness when the document's answer names no `max-age`.
pub(crate) const DEFAULT_FRESH_SECS: u64 = 3_600;
/// The only token endpoint authentication a metadata-document client can use: it has no secret
/// shared with us (`private_key_jwt` is not implemented).
const CIMD_AUTH_METHODS: [&str; 1] = ["none"];

/// Why a metadata-document client id cannot be used. The text is shown to the user on the error
/// page and to the client as `error_description`; it never echoes the document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CimdError {
    #[error("the client_id URL is not allowed: {0}")]
    BadUrl(String),
    #[error("the client's metadata document could not be fetched: {0}")]
    Fetch(String),
    #[error("the client's metadata document is invalid: {0}")]
    Invalid(String),
}

/// Whether `client_id` names a metadata document (rather than a registration of ours, which is
/// hex). Such ids are resolved by [`resolve`], never looked up as registrations.
pub(crate) fn is_document_id(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

/// Check a metadata-document URL before anything is fetched.
pub(crate) fn check_url(raw: &str, allow_insecure_loopback: bool) -> Result<Url, CimdError> {
    let bad = |why: &str| Err(CimdError::BadUrl(why.to_string()));
    if raw.len() > MAX_URL_LEN {
        return bad("it is longer than 255 characters");
    }
    let Ok(url) = Url::parse(raw) else { return bad("it is not a URL") };
    if url.as_str() != raw {
        return bad(
            "it is not in canonical form (lowercase host, no dot segments, no default port)",
        );
    }
    if !url.username().is_empty() || url.password().is_some() {
        return bad("it must not contain user information");
    }
    if url.fragment().is_some() {
        return bad("it must not contain a fragment");
    }
    if matches!(url.path(), "" | "/") {
        return bad("it must have a path (for example https://client.example/oauth/client.json)");
    }
    let loopback = match check_host(&url) {
        Ok(loopback) => loopback,
        Err(why) => return bad(why),
    };
    match (url.scheme(), loopback) {
        ("https", false) => Ok(url),
        ("https" | "http", true) if allow_insecure_loopback => Ok(url),
        (_, true) => bad("loopback hosts are not allowed"),
        _ => bad("only https URLs are fetched"),
    }
}

/// `Ok(true)` for a loopback host, `Ok(false)` for a public one, `Err` for anything else.
fn check_host(url: &Url) -> Result<bool, &'static str> {
    match url.host() {
        None => Err("it has no host"),
        Some(Host::Ipv4(ip)) => v4_kind(ip),
        Some(Host::Ipv6(ip)) => match ip.to_ipv4_mapped() {
            Some(v4) => v4_kind(v4),
            None => v6_kind(ip),
        },
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d == "localhost" || d.ends_with(".localhost") {
                Ok(true)
            } else if !d.contains('.') {
                Err("single-label host names are not public")
            } else if [".local", ".internal", ".home.arpa", ".lan", ".intranet", ".corp"]
                .iter()
                .any(|s| d.ends_with(s))
            {
                Err("private host names are not allowed")
            } else {
                Ok(false)
            }
        }
    }
}

const NOT_PUBLIC: &str = "private, link-local and reserved addresses are not allowed";

fn v4_kind(ip: Ipv4Addr) -> Result<bool, &'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        return Ok(true);
    }
    let shared = a == 100 && (64..128).contains(&b); // 100.64.0.0/10 (carrier-grade NAT)
    let benchmarking = a == 198 && (18..20).contains(&b); // 198.18.0.0/15
    if ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || a >= 240
        || shared
        || benchmarking
    {
        return Err(NOT_PUBLIC);
    }
    Ok(false)
}

fn v6_kind(ip: Ipv6Addr) -> Result<bool, &'static str> {
    if ip.is_loopback() {
        return Ok(true);
    }
    let first = ip.segments()[0];
    let unique_local = first & 0xfe00 == 0xfc00; // fc00::/7
    let link_local = first & 0xffc0 == 0xfe80; // fe80::/10
    let documentation = first == 0x2001 && ip.segments()[1] == 0x0db8; // 2001:db8::/32
    if ip.is_unspecified() || ip.is_multicast() || unique_local || link_local || documentation {
        return Err(NOT_PUBLIC);
    }
    Ok(false)
}

fn cache_key(url: &str) -> String {
    format!("cimd:{}", crate::digest::sha256_hex(url.as_bytes()))
}

/// The client a metadata-document id describes: from the KV cache while fresh, otherwise
/// fetched, validated and cached again.
pub(crate) async fn resolve(
    ctx: &Ctx<'_>,
    client_id: &str,
) -> Result<Result<ClientRecord, CimdError>, StoreError> {
    let url = match check_url(client_id, ctx.oauth.cimd_allow_insecure_loopback) {
        Ok(u) => u,
        Err(e) => return Ok(Err(e)),
    };
    let key = cache_key(client_id);
    let now = ctx.now();
    if let Some(cached) = ctx.get_json::<ClientRecord>(&key).await? {
        if cached.client_id == client_id && cached.expires_at * 1000 > now.0 {
            return Ok(Ok(cached));
        }
    }
    let fetched = async {
        let fetched = fetch(ctx, &url).await?;
        let record = validate(client_id, &fetched.body, now.0 / 1000, fetched.fresh_secs)?;
        Ok((record, fetched.fresh_secs))
    };
    let (record, fresh_secs) = match fetched.await {
        Ok(r) => r,
        Err(e) => {
            ctx.log(
                crate::platform::LogLevel::Warn,
                "oauth_cimd_refused",
                serde_json::json!({"reason": kind(&e)}),
            );
            return Ok(Err(e));
        }
    };
    put_json(ctx.store, &key, &record, fresh_secs).await?;
    ctx.log(crate::platform::LogLevel::Info, "oauth_cimd_fetched", serde_json::json!({}));
    Ok(Ok(record))
}

fn kind(e: &CimdError) -> &'static str {
    match e {
        CimdError::BadUrl(_) => "url",
        CimdError::Fetch(_) => "fetch",
        CimdError::Invalid(_) => "document",
    }
}

struct Fetched {
    body: Vec<u8>,
    fresh_secs: u64,
}

/// GET the document, following same-origin redirects only.
async fn fetch(ctx: &Ctx<'_>, url: &Url) -> Result<Fetched, CimdError> {
    let failed = |why: String| Err(CimdError::Fetch(why));
    let mut current = url.clone();
    for _ in 0..=MAX_REDIRECTS {
        let request = HttpRequest {
            method: "GET".into(),
            url: current.clone(),
            headers: Headers::new().with("accept", "application/json"),
            body: Vec::new(),
        };
        let response = match ctx.platform.fetch(request, FETCH_TIMEOUT).await {
            Ok(r) => r,
            Err(FetchError::Timeout(_)) => {
                return failed(format!("no answer within {} seconds", FETCH_TIMEOUT.as_secs()))
            }
            Err(FetchError::Network(_)) => return failed("its host could not be reached".into()),
        };
        match response.status {
            200 => {
                let declared = response
                    .headers
                    .get("content-length")
                    .and_then(|l| l.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if response.body.len() > MAX_DOCUMENT_BYTES || declared > MAX_DOCUMENT_BYTES {
                    return failed(format!("it is larger than {MAX_DOCUMENT_BYTES} bytes"));
                }
                let fresh_secs = freshness(response.headers.get("cache-control"));
                return Ok(Fetched { body: response.body, fresh_secs });
            }
            301 | 302 | 303 | 307 | 308 => {
                let Some(next) =
                    response.headers.get("location").and_then(|l| current.join(l).ok())
                else {
                    return failed("it redirects without a usable Location".into());
                };
                if next.origin() != url.origin() {
                    return failed("it redirects to another host, which is not followed".into());
                }
                current = next;
            }
            status => return failed(format!("its host answered HTTP {status}")),
        }
    }
    failed(format!("more than {MAX_REDIRECTS} redirects"))
}

/// How long a fetched document stays fresh, from its `Cache-Control`.
fn freshness(cache_control: Option<&str>) -> u64 {
    let max_age = cache_control.and_then(|cc| {
        cc.split(',').find_map(|d| {
            let (k, v) = d.trim().split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("max-age")
                .then(|| v.trim().trim_matches('"').parse().ok())?
        })
    });
    max_age.unwrap_or(DEFAULT_FRESH_SECS).clamp(MIN_FRESH_SECS, MAX_FRESH_SECS)
}

/// Validate a fetched document for `client_id` and turn it into a client record that expires
/// when the document goes stale.
fn validate(
    client_id: &str,
    body: &[u8],
    now_s: u64,
    fresh_secs: u64,
) -> Result<ClientRecord, CimdError> {
    let invalid = |why: String| CimdError::Invalid(why);
    let Ok(Value::Object(meta)) = serde_json::from_slice::<Value>(body) else {
        return Err(invalid("it is not a JSON object".into()));
    };
    if meta.get("client_id").and_then(Value::as_str) != Some(client_id) {
        return Err(invalid("its client_id is not exactly the URL it was fetched from".into()));
    }
    if meta.contains_key("client_secret") || meta.contains_key("client_secret_expires_at") {
        return Err(invalid("it must not contain a client_secret".into()));
    }
    if meta.get("client_name").and_then(Value::as_str).is_none_or(|n| n.trim().is_empty()) {
        return Err(invalid("it must name the client (client_name)".into()));
    }
    let m = client_metadata(&meta, &CIMD_AUTH_METHODS, "none").map_err(|e| invalid(e.why))?;
    Ok(m.into_record(ClientId::from(client_id), None, now_s, now_s + fresh_secs))
}

fn supersede_key(client_id: &str, user_id: &str, redirect_uri: &RedirectUri) -> String {
    let identity = format!("{client_id}\n{user_id}\n{redirect_uri}");
    format!("cimd-grant:{}", crate::digest::sha256_hex(identity.as_bytes()))
}

/// A user signed in again with a metadata-document client: revoke their earlier grant for the
/// same client **and the same redirect URI** (the same installation), and remember the new one.
/// Grants through other redirect URIs (other devices or apps sharing the client id) stay.
pub(crate) async fn supersede_earlier_grant(
    ctx: &Ctx<'_>,
    client_id: &str,
    user_id: &str,
    redirect_uri: &RedirectUri,
    new_grant_id: &str,
) -> Result<(), StoreError> {
    let key = supersede_key(client_id, user_id, redirect_uri);
    if let Some(earlier) = get_json::<String>(ctx.store, ctx.platform, &key).await? {
        if earlier != new_grant_id {
            grant::revoke_id(ctx.store, ctx.platform, &earlier, None).await?;
            ctx.log(
                crate::platform::LogLevel::Info,
                "oauth_cimd_grant_superseded",
                serde_json::json!({}),
            );
        }
    }
    put_json(ctx.store, &key, &new_grant_id, records::GRANT_TTL_SECS).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::testing::Fixture;
    use crate::platform::http::HttpResponse;
    use crate::platform::testing::block_on;
    use serde_json::json;

    const CLAUDE_CODE: &str = "https://claude.ai/oauth/claude-code-client-metadata";
    const CHATGPT: &str = "https://chatgpt.com/oauth/IbUR3zxyNQ16/client.json";

    fn claude_code_doc() -> Value {
        json!({
            "client_id": CLAUDE_CODE,
            "client_name": "Claude Code",
            "client_uri": "https://claude.ai",
            "redirect_uris": ["http://localhost/callback", "http://127.0.0.1/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none"
        })
    }

    #[test]
    fn only_public_https_urls_with_a_path() {
        for ok in
            [CLAUDE_CODE, CHATGPT, "https://client.example:8443/c.json", "https://[2606:4700::1]/c"]
        {
            assert!(check_url(ok, false).is_ok(), "{ok}");
        }
        for bad in [
            "http://client.example/c.json",
            "https://client.example",
            "https://client.example/",
            "https://user@client.example/c",
            "https://client.example/c#x",
            "https://client.example/a/../c",
            "https://CLIENT.example/c",
            "https://client.example:443/c",
            "https://localhost/c",
            "https://app.localhost/c",
            "https://127.0.0.1/c",
            "https://[::1]/c",
            "https://10.0.0.8/c",
            "https://172.16.3.4/c",
            "https://192.168.1.1/c",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/c",
            "https://0.0.0.0/c",
            "https://[fd00::1]/c",
            "https://[fe80::1]/c",
            "https://[::ffff:10.0.0.1]/c",
            "https://printer.local/c",
            "https://metadata.google.internal/c",
            "https://intranet/c",
            "ftp://client.example/c",
            "not a url",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad}");
        }
        let long = format!("https://client.example/{}", "a".repeat(300));
        assert!(check_url(&long, false).is_err());
    }

    #[test]
    fn the_loopback_switch_allows_loopback_and_nothing_more() {
        for url in ["http://127.0.0.1:9000/c.json", "http://localhost:9000/c", "https://[::1]/c"] {
            assert!(check_url(url, false).is_err(), "{url} without the switch");
            assert!(check_url(url, true).is_ok(), "{url} with the switch");
        }
        for url in ["http://10.0.0.1/c", "http://client.example/c", "https://192.168.0.1/c"] {
            assert!(check_url(url, true).is_err(), "{url} stays refused");
        }
    }

    #[test]
    fn freshness_is_bounded() {
        assert_eq!(freshness(None), DEFAULT_FRESH_SECS);
        assert_eq!(freshness(Some("public, max-age=600")), 600);
        assert_eq!(freshness(Some("max-age=1")), MIN_FRESH_SECS);
        assert_eq!(freshness(Some("max-age=99999999")), MAX_FRESH_SECS);
        assert_eq!(freshness(Some("no-store")), DEFAULT_FRESH_SECS);
    }

    #[test]
    fn documents_are_validated() {
        let doc = |v: Value| serde_json::to_vec(&v).unwrap();
        let r = validate(CLAUDE_CODE, &doc(claude_code_doc()), 100, 600).unwrap();
        assert_eq!((r.client_id.as_str(), r.expires_at), (CLAUDE_CODE, 700));
        assert_eq!(r.token_endpoint_auth_method, "none");
        assert!(r.secret_hash.is_none());

        let chatgpt = json!({
            "client_id": CHATGPT, "client_name": "ChatGPT", "client_uri": "https://chatgpt.com/",
            "redirect_uris": ["https://chatgpt.com/connector/oauth/IbUR3zxyNQ16"],
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"],
            "token_endpoint_auth_signing_alg": "RS256", "jwks_uri": "https://chatgpt.com/oauth/jwks.json"
        });
        assert_eq!(
            validate(CHATGPT, &doc(chatgpt), 0, 600).unwrap().token_endpoint_auth_method,
            "none"
        );

        let mut cases = vec![];
        let mut other = claude_code_doc();
        other["client_id"] = json!("https://claude.ai/oauth/other");
        cases.push((other, "client_id"));
        let mut secret = claude_code_doc();
        secret["client_secret"] = json!("s");
        cases.push((secret, "client_secret"));
        let mut unnamed = claude_code_doc();
        unnamed.as_object_mut().unwrap().remove("client_name");
        cases.push((unnamed, "client_name"));
        let mut jwt_only = claude_code_doc();
        jwt_only["token_endpoint_auth_method"] = json!("private_key_jwt");
        cases.push((jwt_only, "private_key_jwt"));
        let mut bad_redirect = claude_code_doc();
        bad_redirect["redirect_uris"] = json!(["http://evil.example/cb"]);
        cases.push((bad_redirect, "loopback"));
        for (d, needle) in cases {
            let err = validate(CLAUDE_CODE, &doc(d), 0, 600).unwrap_err().to_string();
            assert!(err.contains(needle), "{needle}: {err}");
        }
        assert!(validate(CLAUDE_CODE, b"[1]", 0, 600).is_err());
    }

    fn answer(fixture: &Fixture, status: u16, headers: &[(&str, &str)], body: &[u8]) {
        let mut r = HttpResponse::new(status);
        for (k, v) in headers {
            r.headers.add(k, *v);
        }
        r.body = body.to_vec();
        fixture.platform.inner.answers.borrow_mut().push_back(Ok(r));
    }

    #[test]
    fn resolve_fetches_caches_and_refetches_when_stale() {
        let fixture = Fixture::new();
        let ctx = fixture.ctx();
        let body = serde_json::to_vec(&claude_code_doc()).unwrap();
        answer(&fixture, 200, &[("cache-control", "max-age=600")], &body);
        let c = block_on(resolve(&ctx, CLAUDE_CODE)).unwrap().unwrap();
        assert_eq!(c.client_name.as_deref(), Some("Claude Code"));
        assert_eq!(fixture.store.ttl("cimd:"), Some(600));
        // Fresh: no second request.
        block_on(resolve(&ctx, CLAUDE_CODE)).unwrap().unwrap();
        assert_eq!(fixture.platform.inner.requests.borrow().len(), 1);
        // Stale: fetched again; a failure now is a refusal, not the stale copy.
        fixture.platform.advance_secs(601);
        answer(&fixture, 404, &[], b"");
        let err = block_on(resolve(&ctx, CLAUDE_CODE)).unwrap().unwrap_err();
        assert!(err.to_string().contains("HTTP 404"), "{err}");
        assert_eq!(fixture.platform.inner.requests.borrow().len(), 2);
        let req = &fixture.platform.inner.requests.borrow()[0];
        assert_eq!((req.method.as_str(), req.url.as_str()), ("GET", CLAUDE_CODE));
    }

    #[test]
    fn redirects_size_and_network_limits() {
        let fixture = Fixture::new();
        let ctx = fixture.ctx();
        let body = serde_json::to_vec(&claude_code_doc()).unwrap();
        // Same-origin redirect: followed.
        answer(&fixture, 302, &[("location", "/oauth/claude-code-client-metadata.json")], b"");
        answer(&fixture, 200, &[], &body);
        assert!(block_on(resolve(&ctx, CLAUDE_CODE)).unwrap().is_ok());
        let urls: Vec<String> =
            fixture.platform.inner.requests.borrow().iter().map(|r| r.url.to_string()).collect();
        assert_eq!(urls[1], "https://claude.ai/oauth/claude-code-client-metadata.json");

        let other = "https://client.example/c.json";
        answer(&fixture, 302, &[("location", "https://elsewhere.example/c.json")], b"");
        let err = block_on(resolve(&ctx, other)).unwrap().unwrap_err();
        assert!(err.to_string().contains("another host"), "{err}");

        answer(&fixture, 200, &[], &vec![b' '; MAX_DOCUMENT_BYTES + 1]);
        let err = block_on(resolve(&ctx, other)).unwrap().unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");

        fixture
            .platform
            .inner
            .answers
            .borrow_mut()
            .push_back(Err(FetchError::Timeout(FETCH_TIMEOUT)));
        let err = block_on(resolve(&ctx, other)).unwrap().unwrap_err();
        assert!(err.to_string().contains("no answer within 5 seconds"), "{err}");
        for _ in 0..=MAX_REDIRECTS {
            answer(&fixture, 307, &[("location", "/again")], b"");
        }
        let err = block_on(resolve(&ctx, other)).unwrap().unwrap_err();
        assert!(err.to_string().contains("redirects"), "{err}");
        assert!(!fixture.store.dump().contains("client.example"), "failures are not cached");

        // Refused URLs never reach the network.
        let before = fixture.platform.inner.requests.borrow().len();
        assert!(block_on(resolve(&ctx, "https://169.254.169.254/latest")).unwrap().is_err());
        assert_eq!(fixture.platform.inner.requests.borrow().len(), before);
    }
}
