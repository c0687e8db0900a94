//! Property tests: the parsers and guards that face attacker-controlled input, fed generated input
//! until a counterexample appears (proptest, on stable Rust).
//!
//! Example tests show that the cases someone thought of work; these look for the cases nobody
//! thought of. Each property states what must hold for *every* input: no panic, a well-formed
//! refusal, or a round trip. They run with `cargo test`; a failure prints the smallest input that
//! breaks the property, which then belongs in an example test beside the code.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::mcp::jsonrpc::{classify, ErrorCode, Incoming};
use crate::oauth::cimd::check_url;
use crate::oauth::cookies;
use crate::oauth::crypto::derive_key;
use crate::oauth::records::{RedirectUri, UnixMillis};
use crate::oauth::redirect::{redirect_allowed, validate_redirect_uri};
use crate::oauth::signed::{sign, verify};
use crate::platform::http::{Headers, HttpResponse};
use crate::render::untrusted::{defuse, Untrusted};
use crate::sentry::ids;
use crate::sentry::path::ApiPath;
use crate::sentry::web_url::{self, SentryResource};

/// Any JSON value, nested a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("jsonrpc".to_string()),
                    Just("id".to_string()),
                    Just("method".to_string()),
                    Just("params".to_string()),
                    Just("result".to_string()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A JSON-RPC message as a client might get it wrong: a real or made-up method, any id and
/// params, sometimes no `jsonrpc`, sometimes several in a batch.
fn rpc_message() -> impl Strategy<Value = Value> {
    let method = prop_oneof![
        Just("initialize"),
        Just("ping"),
        Just("tools/list"),
        Just("tools/call"),
        Just("server/discover"),
        Just("notifications/initialized"),
        Just("resources/list"),
        Just("x/unknown"),
    ];
    let tool_params = (
        prop_oneof![
            Just("whoami".to_string()),
            Just("search_issues".to_string()),
            Just("nope".to_string()),
            "[a-z_]{0,10}"
        ],
        json_value(),
    )
        .prop_map(|(name, arguments)| json!({"name": name, "arguments": arguments}));
    let one = (
        method,
        prop::option::of(json_value()),
        prop_oneof![json_value(), tool_params],
        any::<bool>(),
    )
        .prop_map(|(method, id, params, versioned)| {
            let mut m = json!({"method": method, "params": params});
            if versioned {
                m["jsonrpc"] = json!("2.0");
            }
            if let Some(id) = id {
                m["id"] = id;
            }
            m
        })
        .boxed();
    prop_oneof![
        3 => one.clone(),
        1 => prop::collection::vec(one, 0..4).prop_map(Value::Array),
        1 => json_value(),
    ]
}

/// Whether `v` is a well-formed JSON-RPC response: version 2.0, and exactly one of `result` or
/// an `error` with an integer code and a message.
fn well_formed_response(v: &Value) -> bool {
    let error_ok = |e: &Value| {
        e.get("code").is_some_and(Value::is_i64) && e.get("message").is_some_and(Value::is_string)
    };
    v.get("jsonrpc") == Some(&json!("2.0"))
        && match (v.get("result"), v.get("error")) {
            (Some(_), None) => true,
            (None, Some(e)) => error_ok(e),
            _ => false,
        }
}

/// Text that mixes ordinary characters with the ones attackers use: marker look-alikes, angle
/// brackets, control, zero-width and bidirectional characters.
fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9 ]{0,8}",
        Just("untrusted-data".to_string()),
        Just("UNTRUSTED-DATA".to_string()),
        Just("<untrusted-data-".to_string()),
        Just("</untrusted-data-".to_string()),
        Just(">".to_string()),
        Just("\n".to_string()),
        Just("\r".to_string()),
        Just("\u{200B}".to_string()),
        Just("\u{202E}".to_string()),
        Just("\u{2066}".to_string()),
        Just("\u{FEFF}".to_string()),
        Just("\u{0007}".to_string()),
        Just("untrusted\u{2013}data".to_string()),
        Just("Untrusted\u{2011}DATA".to_string()),
        Just("\u{2060}".to_string()),
        Just("\u{00AD}".to_string()),
        Just("\u{FE00}".to_string()),
        (0u32..0x80).prop_map(|c| char::from_u32(0xE0000 + c).unwrap().to_string()),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// JSON-RPC classification never panics; a refusal carries a standard code, and an `id` it
    /// echoes is one the client could have sent (a string or an integer).
    #[test]
    fn jsonrpc_classification_is_total(message in json_value()) {
        match classify(&message) {
            Ok(Incoming::Request { method, .. }) => prop_assert!(message["method"] == json!(method)),
            Ok(_) => {}
            Err((id, error)) => {
                prop_assert!(id.is_null() || id.is_string() || id.is_i64() || id.is_u64());
                prop_assert!(
                    [ErrorCode::INVALID_REQUEST, ErrorCode::INVALID_PARAMS].contains(&error.code),
                    "unexpected code {:?}", error.code
                );
            }
        }
    }

    /// Arbitrary bytes never panic the parser path either.
    #[test]
    fn jsonrpc_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(message) = serde_json::from_slice::<Value>(&bytes) {
            let _ = classify(&message);
        }
    }

    /// A redirect URI that validation accepts is never a dangerous scheme, carries no fragment,
    /// plain http is allowed only to a loopback host, and a private-use scheme is reverse-DNS (or
    /// one of the known clients' single-word schemes).
    #[test]
    fn accepted_redirect_uris_are_safe(raw in prop_oneof![
        ".{0,40}",
        "(https|http|javascript|data|file|vbscript|cursor|com\\.example\\.app)://[a-z0-9.\\[\\]:]{0,20}(/[a-z#?]{0,10})?",
        "[a-zA-Z][a-zA-Z0-9+.-]{0,12}:(//)?[a-z0-9.]{0,10}(/[a-z]{0,6})?",
    ]) {
        if let Ok(url) = validate_redirect_uri(&raw) {
            let scheme = url.scheme();
            let private_use_ok = matches!(scheme, "https" | "http")
                || crate::oauth::redirect::KNOWN_APP_SCHEMES.contains(&scheme)
                || (scheme.contains('.') && !scheme.split('.').any(str::is_empty));
            prop_assert!(private_use_ok, "a private-use scheme outside reverse-DNS form: {raw}");
            prop_assert!(!["javascript", "data", "file", "vbscript", "blob", "about"].contains(&scheme), "{raw}");
            prop_assert!(url.fragment().is_none(), "{raw}");
            if scheme == "http" {
                let host = url.host_str().unwrap_or("");
                prop_assert!(["localhost", "127.0.0.1", "[::1]"].contains(&host), "{raw}");
            }
        }
    }

    /// A metadata-document URL the fetcher accepts is https to a public host (or, with the test
    /// switch, also plain http to loopback), with a path, and exactly the string given.
    #[test]
    fn accepted_metadata_document_urls_are_public_https(raw in prop_oneof![
        ".{0,40}",
        "(https|http|ftp)://(localhost|127\\.0\\.0\\.[0-9]{1,3}|10\\.[0-9]\\.[0-9]\\.[0-9]|192\\.168\\.[0-9]\\.[0-9]|169\\.254\\.[0-9]{1,3}\\.[0-9]|\\[(::1|fd00::[0-9a-f]{1,4}|fe80::1|::ffff:10\\.0\\.0\\.1)\\]|[a-z]{1,8}(\\.[a-z]{1,6}){0,2})(:[0-9]{1,5})?(/[a-zA-Z0-9._#%-]{0,10}){0,3}",
    ], loopback_ok in any::<bool>()) {
        if let Ok(url) = check_url(&raw, loopback_ok) {
            prop_assert_eq!(url.as_str(), raw.as_str());
            prop_assert!(url.path().len() > 1 && url.fragment().is_none(), "{}", raw);
            let host = url.host_str().unwrap_or("");
            let loopback = host == "localhost" || host.starts_with("127.") || host == "[::1]";
            prop_assert!(!host.starts_with("10.") && !host.starts_with("192.168.") && !host.starts_with("169.254.") && !host.starts_with("[f"), "{}", raw);
            prop_assert!(host.contains('.') || host.starts_with('[') || loopback, "{}", raw);
            if loopback {
                prop_assert!(loopback_ok, "{}", raw);
            } else {
                prop_assert_eq!(url.scheme(), "https");
            }
        }
    }

    /// A registered https redirect URI matches itself, and nothing on another host.
    #[test]
    fn redirects_match_only_what_was_registered(host in "[a-z]{1,10}", other in "[a-z]{1,10}", path in "(/[a-z]{0,6}){0,3}") {
        let registered = format!("https://{host}.example{path}");
        let list = [RedirectUri(registered.clone())];
        prop_assert!(redirect_allowed(&list, &registered));
        if other != host {
            let elsewhere = format!("https://{other}.example{path}");
            prop_assert!(!redirect_allowed(&list, &elsewhere));
        }
        let with_fragment = format!("{registered}#frag");
        prop_assert!(!redirect_allowed(&list, &with_fragment));
    }

    /// Sentry link parsing never panics, and whatever it reads as an organization is a valid slug.
    #[test]
    fn sentry_links_yield_valid_slugs(raw in prop_oneof![
        ".{0,60}",
        "https://[a-z-]{1,12}\\.sentry\\.io/(issues|performance/trace)/[A-Za-z0-9-]{1,12}/?(events/[0-9a-f]{0,32})?",
        "https://sentry\\.io/organizations/[a-z0-9%./-]{1,16}/issues/[0-9]{1,8}/",
    ]) {
        if let Ok(resource) = web_url::parse(&raw) {
            let org = match &resource {
                SentryResource::Issue { org, .. } => Some(org),
                _ => None,
            };
            if let Some(org) = org {
                prop_assert!(ids::slug("organization", org).is_ok(), "{raw} → {org}");
            }
        }
    }

    /// Every path segment is encoded so it stays one segment: the path has exactly one `/` per
    /// segment, nothing that ends the path (`?`, `#`) and no dot-segment, and each segment
    /// decodes back to what was given.
    #[test]
    fn path_segments_stay_segments(segments in prop::collection::vec(".{0,12}", 1..5)) {
        let refs: Vec<&str> = segments.iter().map(String::as_str).collect();
        if let Ok(path) = ApiPath::of(&refs) {
            let text = path.as_str();
            prop_assert!(!text.contains('?') && !text.contains('#'), "{text}");
            prop_assert!(text.starts_with("/api/0/") && text.ends_with('/'), "{}", text);
            let parts: Vec<&str> = text["/api/0/".len()..text.len() - 1].split('/').collect();
            prop_assert_eq!(parts.len(), segments.len(), "{}", text);
            for (part, given) in parts.iter().zip(&segments) {
                prop_assert!(*part != "." && *part != "..", "{}", text);
                let decoded = percent_encoding::percent_decode_str(part).decode_utf8_lossy();
                prop_assert_eq!(decoded.as_ref(), given.as_str());
            }
        }
    }

    /// A signed envelope verifies only with its key and purpose, before it expires, unaltered;
    /// arbitrary text never verifies and never panics.
    #[test]
    fn signed_envelopes_resist_tampering(data in ".{0,24}", flip in any::<prop::sample::Index>(), junk in ".{0,80}") {
        let key = derive_key(b"unit-test-secret-0123456789abcdef", "props");
        let now = UnixMillis(1_700_000_000_000);
        let token = sign(&key, "state", &data, UnixMillis(now.0 + 60_000));
        prop_assert_eq!(verify::<String>(&key, "state", &token, now).ok(), Some(data));
        prop_assert!(verify::<String>(&key, "other", &token, now).is_err());
        prop_assert!(verify::<String>(&key, "state", &token, UnixMillis(now.0 + 60_001)).is_err());
        let mut bytes = token.clone().into_bytes();
        let i = flip.index(bytes.len());
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        if let Ok(altered) = String::from_utf8(bytes) {
            if altered != token {
                prop_assert!(verify::<String>(&key, "state", &altered, now).is_err());
            }
        }
        prop_assert!(verify::<String>(&key, "state", &junk, now).is_err());
    }

    /// Whatever a client POSTs to `/mcp` (any bytes, any JSON, any message or batch, any
    /// protocol version header), the protocol layer answers without panicking: 202 with no body,
    /// or well-formed JSON-RPC responses.
    #[test]
    fn every_mcp_body_gets_a_well_formed_answer(
        message in rpc_message(),
        bytes in prop::collection::vec(any::<u8>(), 0..64),
        raw in any::<bool>(),
        version in prop::option::of(prop_oneof![Just("2025-11-25".to_string()), Just("2026-07-28".to_string()), Just("2024-11-05".to_string()), "[ -~]{0,12}"]),
    ) {
        let body = if raw { bytes } else { serde_json::to_vec(&message).unwrap() };
        let mut headers = Headers::new().with("content-type", "application/json");
        if let Some(v) = version {
            headers.add("mcp-protocol-version", v);
        }
        let response = mcp_answer(&headers, &body);
        if response.body.is_empty() {
            prop_assert!(response.status == 202 || response.status >= 400, "{}", response.status);
        } else {
            let answer: Value = serde_json::from_slice(&response.body).map_err(|e| TestCaseError::fail(format!("not JSON: {e}")))?;
            let all = match &answer {
                Value::Array(items) => items.clone(),
                one => vec![one.clone()],
            };
            for a in &all {
                prop_assert!(well_formed_response(a), "{a}");
            }
        }
    }

    /// A `Cookie` header of any shape never yields an approval the server did not sign, and
    /// the one it signed is found among any other cookies.
    #[test]
    fn cookies_never_approve_what_was_not_signed(
        header in "[ -~]{0,120}",
        before in prop::collection::vec("[a-zA-Z0-9_-]{1,8}=[ -:<-~]{0,12}", 0..4),
        after in prop::collection::vec("[a-zA-Z0-9_-]{1,8}=[ -:<-~]{0,12}", 0..4),
        client in "[a-zA-Z0-9]{1,16}",
    ) {
        let fixture = crate::oauth::testing::Fixture::new();
        let ctx = fixture.ctx();
        let forged = Headers::new().with("cookie", &header).with("cookie", format!("{}={header}", cookies::APPROVED));
        prop_assert!(cookies::approved_clients(&ctx, &forged).is_empty());
        prop_assert!(cookies::preference(&ctx, &forged, &client).is_none());
        let set = cookies::approve(&ctx, &Headers::new(), &client);
        let pair = set.split(';').next().unwrap().to_string();
        let jar: Vec<String> = before.iter().filter(|c| !c.starts_with("__Host-")).cloned()
            .chain([pair])
            .chain(after.iter().filter(|c| !c.starts_with("__Host-")).cloned())
            .collect();
        let honest = Headers::new().with("cookie", jar.join("; "));
        prop_assert_eq!(cookies::approved_clients(&ctx, &honest), vec![client]);
    }

    /// Whatever the application writes, a fenced block has exactly one opening and one closing
    /// marker, both ours; the content carries no marker name and none of the characters that hide
    /// text from a reader.
    #[test]
    fn fenced_text_cannot_forge_the_boundary(text in hostile_text(), nonce in "[0-9a-f]{16}") {
        let u = Untrusted::with_nonce(nonce.clone());
        for out in [u.block(&text), u.inline(&text, 10_000)] {
            let open = format!("<untrusted-data-{nonce}>");
            let close = format!("</untrusted-data-{nonce}>");
            prop_assert_eq!(out.matches(&open).count(), 1);
            prop_assert_eq!(out.matches(&close).count(), 1);
            let inner = &out[out.find(&open).unwrap() + open.len()..out.find(&close).unwrap()];
            prop_assert!(!inner.to_ascii_lowercase().contains("untrusted-data"), "{inner:?}");
            prop_assert!(!inner.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "{inner:?}");
            prop_assert!(!inner.contains(['\u{200B}', '\u{202E}', '\u{2066}', '\u{FEFF}', '\u{2060}', '\u{00AD}', '\u{FE00}']), "{inner:?}");
            prop_assert!(!inner.chars().any(|c| (0xE0000..=0xE007F).contains(&(c as u32))), "{inner:?}");
            let folded: String = inner
                .chars()
                .map(|c| if matches!(c, '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FF0D}') { '-' } else { c.to_ascii_lowercase() })
                .collect();
            prop_assert!(!folded.contains("untrusted-data"), "{inner:?}");
        }
        prop_assert_eq!(defuse(&defuse(&text)), defuse(&text));
    }
}

/// The protocol layer's answer to one HTTP body (an authenticated caller, no network: every call
/// to Sentry fails as unreachable).
fn mcp_answer(headers: &Headers, body: &[u8]) -> HttpResponse {
    use crate::platform::testing::{block_on, FakePlatform};
    let platform = FakePlatform::default();
    let config = crate::config::Config::from_vars(|_| None).unwrap();
    let session = crate::session::Session {
        upstream_token: "sntryu_props".into(),
        access: crate::session::AccessMethod::SentryBearer,
        skills: crate::session::SkillSet::all(),
        constraints: crate::session::Constraints::default(),
        agent_off: false,
    };
    let telemetry = crate::telemetry::Telemetry::disabled(&platform);
    let caches = crate::caches::Caches::new();
    let upstream = crate::sentry::UpstreamSignals::default();
    let ctx = crate::mcp::McpContext {
        session: &session,
        config: &config,
        platform: &platform,
        caches: &caches,
        notifications: None,
        telemetry: &telemetry,
        upstream: &upstream,
    };
    block_on(crate::mcp::handle(&ctx, headers, body))
}
