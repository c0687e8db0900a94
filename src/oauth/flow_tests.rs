//! The whole OAuth flow through the real router, against the in-memory store, a scripted Sentry
//! and a clock the tests move: every time-based rule is checked here.

use std::rc::Rc;

use serde_json::{json, Value};

use super::records::{
    ACCESS_TTL_SECS, CODE_TTL_SECS, GRANT_TTL_SECS, REFRESH_GRACE_SECS, STATE_TTL_SECS,
};
use super::store::MemoryStore;
use super::testing::{oauth_config, TestPlatform};
use super::OAuthSetup;
use crate::config::Config;
use crate::http::{self, App};
use crate::platform::http::{Headers, HttpRequest, HttpResponse};
use crate::platform::testing::block_on;

const ORIGIN: &str = "https://mcp.example.com";
const REDIRECT: &str = "https://client.example/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

struct Env {
    platform: Rc<TestPlatform>,
    store: Rc<MemoryStore>,
}

impl Env {
    fn new() -> Self {
        Self { platform: Rc::new(TestPlatform::new()), store: Rc::new(MemoryStore::default()) }
    }

    fn send(&self, method: &str, path: &str, headers: Headers, body: &str) -> HttpResponse {
        let app = App::for_tests(
            Config::from_vars(|_| None),
            self.platform.clone(),
            Some(OAuthSetup { config: Ok(oauth_config()), store: self.store.clone() }),
        );
        let req = HttpRequest {
            method: method.into(),
            url: url::Url::parse(&format!("{ORIGIN}{path}")).unwrap(),
            headers,
            body: body.as_bytes().to_vec(),
        };
        block_on(http::handle(&app, req))
    }

    fn form(&self, path: &str, pairs: &[(&str, &str)], headers: Headers) -> HttpResponse {
        let body =
            url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        self.send(
            "POST",
            path,
            headers.with("content-type", "application/x-www-form-urlencoded"),
            &body,
        )
    }

    fn register(&self) -> String {
        let body = json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", "client_name": "Test <Client>"}).to_string();
        let r = self.send(
            "POST",
            "/oauth/register",
            Headers::new().with("content-type", "application/json"),
            &body,
        );
        assert_eq!(r.status, 201, "{}", r.body_text());
        json_of(&r)["client_id"].as_str().unwrap().to_string()
    }

    /// Consent page → approval → Sentry → callback. Returns (client id, our code, the cookies).
    fn authorize(
        &self,
        resource: Option<&str>,
        sentry_expires_in: u64,
    ) -> (String, String, String) {
        let client = self.register();
        let (code, cookies) = self.authorize_as(&client, REDIRECT, resource, sentry_expires_in);
        (client, code, cookies)
    }

    /// The sign-in of an existing client through `redirect`: (our code, the cookies).
    fn authorize_as(
        &self,
        client: &str,
        redirect: &str,
        resource: Option<&str>,
        sentry_expires_in: u64,
    ) -> (String, String) {
        let (tx, csrf) = self.consent_page_for(client, redirect, resource);
        let approve = self.form(
            "/oauth/authorize",
            &[("tx", &tx), ("skill", "inspect"), ("skill", "triage"), ("action", "approve")],
            Headers::new().with("cookie", csrf),
        );
        assert_eq!(approve.status, 302, "{}", approve.body_text());
        let cookies = cookie_header(&approve);
        let state = query_param(approve.headers.get("location").unwrap(), "state");
        self.sentry_tokens("sntryo_first", "sntryr_first", sentry_expires_in);
        let cb = self.send(
            "GET",
            &format!("/oauth/callback?code=upstream-code&state={}", enc(&state)),
            Headers::new().with("cookie", cookies.clone()),
            "",
        );
        assert_eq!(cb.status, 302, "{}", cb.body_text());
        let location = cb.headers.get("location").unwrap().to_string();
        assert!(
            location.starts_with(redirect)
                && location.contains("state=client-state")
                && location.contains(&format!("iss={}", enc(ORIGIN))),
            "{location}"
        );
        (query_param(&location, "code"), cookies)
    }

    fn consent_page(&self, client: &str, resource: Option<&str>) -> (String, String) {
        self.consent_page_for(client, REDIRECT, resource)
    }

    fn consent_page_for(
        &self,
        client: &str,
        redirect: &str,
        resource: Option<&str>,
    ) -> (String, String) {
        let mut q = format!("/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&state=client-state&code_challenge={CHALLENGE}&code_challenge_method=S256", enc(client), enc(redirect));
        if let Some(r) = resource {
            q.push_str(&format!("&resource={}", enc(r)));
        }
        let page = self.send("GET", &q, Headers::new(), "");
        assert_eq!(page.status, 200, "{}", page.body_text());
        let html = page.body_text();
        let tx = html
            .split("name=\"tx\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        (tx, cookie_header(&page))
    }

    fn sentry_tokens(&self, access: &str, refresh: &str, expires_in: u64) {
        self.platform.inner.answer_json(200, json!({"access_token": access, "refresh_token": refresh, "token_type": "bearer", "expires_in": expires_in, "scope": "org:read", "user": {"id": "1001", "name": "Jane"}}));
    }

    /// Authorize (Sentry token valid 30 days) and redeem the code: (client, access, refresh).
    fn connect(&self) -> (String, String, String) {
        let (client, code, _) = self.authorize(None, 30 * 24 * 3600);
        let (access, refresh) = tokens(&self.exchange(&client, &code));
        (client, access, refresh)
    }

    fn token(&self, pairs: &[(&str, &str)]) -> HttpResponse {
        self.form("/oauth/token", pairs, Headers::new())
    }

    fn exchange(&self, client: &str, code: &str) -> HttpResponse {
        self.exchange_via(client, code, REDIRECT)
    }

    fn exchange_via(&self, client: &str, code: &str, redirect: &str) -> HttpResponse {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("client_id", client),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", VERIFIER),
        ])
    }

    fn refresh(&self, client: &str, refresh: &str) -> HttpResponse {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("client_id", client),
            ("refresh_token", refresh),
        ])
    }

    fn mcp(&self, path: &str, token: &str) -> HttpResponse {
        self.call_tool(path, token, "whoami")
    }

    fn call_tool(&self, path: &str, token: &str, tool: &str) -> HttpResponse {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": {}}}).to_string();
        self.send(
            "POST",
            path,
            Headers::new()
                .with("authorization", format!("Bearer {token}"))
                .with("content-type", "application/json"),
            &body,
        )
    }
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn json_of(r: &HttpResponse) -> Value {
    serde_json::from_slice(&r.body).unwrap_or(Value::Null)
}

fn query_param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The `Cookie` header a browser would send back after this response.
fn cookie_header(r: &HttpResponse) -> String {
    r.headers
        .get_all("set-cookie")
        .map(|c| c.split(';').next().unwrap().to_string())
        .filter(|c| !c.ends_with('='))
        .collect::<Vec<_>>()
        .join("; ")
}

fn tokens(r: &HttpResponse) -> (String, String) {
    assert_eq!(r.status, 200, "{}", r.body_text());
    let b = json_of(r);
    (
        b["access_token"].as_str().unwrap().to_string(),
        b["refresh_token"].as_str().unwrap().to_string(),
    )
}

fn whoami_answer(env: &Env) {
    env.platform.inner.answer_json(
        200,
        json!({"user": {"id": "1001", "name": "Jane"}, "auth": {"scopes": ["org:read"]}}),
    );
}

#[test]
fn full_flow_uses_the_sentry_token_upstream_and_stores_nothing_in_clear() {
    let env = Env::new();
    let (client, code, _) = env.authorize(None, 30 * 24 * 3600);
    let exchanged = env.exchange(&client, &code);
    assert_eq!(exchanged.headers.get("cache-control"), Some("no-store"));
    let body = json_of(&exchanged);
    assert_eq!(
        (body["token_type"].as_str(), body["expires_in"].as_u64(), body["scope"].as_str()),
        (Some("Bearer"), Some(ACCESS_TTL_SECS), Some("inspect triage"))
    );
    let (access, refresh) = tokens(&exchanged);
    assert_eq!(env.store.ttl("token:"), Some(ACCESS_TTL_SECS));
    assert_eq!(env.store.ttl("grant:"), Some(GRANT_TTL_SECS));

    whoami_answer(&env);
    let r = env.mcp("/mcp", &access);
    assert_eq!(r.status, 200, "{}", r.body_text());
    assert!(
        r.body_text().contains("inspect, triage"),
        "the grant's skills decide: {}",
        r.body_text()
    );
    let sent = env.platform.inner.requests.borrow().last().unwrap().clone();
    assert_eq!(sent.headers.get("authorization"), Some("Bearer sntryo_first"));
    assert!(!format!("{sent:?}").contains(&access), "our token never goes upstream");

    let dump = env.store.dump();
    for secret in [access.as_str(), refresh.as_str(), code.as_str(), "sntryo_first", "sntryr_first"]
    {
        assert!(!dump.contains(secret), "{} found in storage", &secret[..12]);
    }
    assert!(env
        .platform
        .inner
        .logs
        .borrow()
        .iter()
        .all(|l| !l.contains("smcp_") && !l.contains("sntryo_")));
}

/// Issue #14's budget: one KV read per authenticated `/mcp` request and no write; none at all for
/// a Sentry token, which needs no record.
#[test]
fn an_authenticated_request_reads_one_record_and_a_sentry_token_none() {
    let env = Env::new();
    let (_, access, _) = env.connect();
    for _ in 0..2 {
        env.store.operations.borrow_mut().clear();
        whoami_answer(&env);
        assert_eq!(env.mcp("/mcp", &access).status, 200);
        assert_eq!(*env.store.operations.borrow(), ["get"], "a tool call with our access token");
    }

    env.store.operations.borrow_mut().clear();
    whoami_answer(&env);
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}).to_string();
    let r = env.send(
        "POST",
        "/mcp",
        Headers::new()
            .with("authorization", "Sentry-Bearer sntryu_0123456789abcdef")
            .with("content-type", "application/json"),
        &body,
    );
    assert_eq!(r.status, 200, "{}", r.body_text());
    assert!(!r.body_text().contains("isError\":true"), "{}", r.body_text());
    assert!(env.store.operations.borrow().is_empty(), "{:?}", env.store.operations.borrow());
}

#[test]
fn code_is_single_use_and_replay_revokes_what_it_issued() {
    let env = Env::new();
    let (client, code, _) = env.authorize(None, 30 * 24 * 3600);
    let (access, refresh) = tokens(&env.exchange(&client, &code));
    let replay = env.exchange(&client, &code);
    assert_eq!((replay.status, json_of(&replay)["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(env.mcp("/mcp", &access).status, 401);
    assert_eq!(json_of(&env.refresh(&client, &refresh))["error"], "invalid_grant");
}

#[test]
fn pkce_redirect_and_client_binding() {
    let env = Env::new();
    let (client, code, _) = env.authorize(None, 30 * 24 * 3600);
    let wrong = env.token(&[
        ("grant_type", "authorization_code"),
        ("client_id", &client),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", &"x".repeat(43)),
    ]);
    assert_eq!(json_of(&wrong)["error"], "invalid_grant");
    let missing = env.token(&[
        ("grant_type", "authorization_code"),
        ("client_id", &client),
        ("code", &code),
        ("redirect_uri", REDIRECT),
    ]);
    assert_eq!(json_of(&missing)["error"], "invalid_request");
    let redirect = env.token(&[
        ("grant_type", "authorization_code"),
        ("client_id", &client),
        ("code", &code),
        ("redirect_uri", "https://client.example/other"),
        ("code_verifier", VERIFIER),
    ]);
    assert_eq!(json_of(&redirect)["error"], "invalid_grant");
    let other = env.register();
    assert_eq!(json_of(&env.exchange(&other, &code))["error"], "invalid_grant");
    let unknown = env.exchange("00000000000000000000000000000000", &code);
    assert_eq!(
        (unknown.status, json_of(&unknown)["error"].as_str()),
        (401, Some("invalid_client"))
    );
    // None of that consumed the code.
    tokens(&env.exchange(&client, &code));
}

#[test]
fn codes_expire_after_ten_minutes() {
    let env = Env::new();
    let (client, code, _) = env.authorize(None, 30 * 24 * 3600);
    assert_eq!(env.store.ttl("grant:"), Some(CODE_TTL_SECS));
    env.platform.advance_secs(CODE_TTL_SECS + 1);
    assert_eq!(json_of(&env.exchange(&client, &code))["error"], "invalid_grant");
}

#[test]
fn access_tokens_expire_and_honour_their_audience() {
    let env = Env::new();
    let (client, code, _) = env.authorize(Some(&format!("{ORIGIN}/mcp/acme")), 30 * 24 * 3600);
    let (access, _) = tokens(&env.exchange(&client, &code));
    whoami_answer(&env);
    assert_eq!(env.mcp("/mcp/acme/web", &access).status, 200);
    for path in ["/mcp", "/mcp/other", "/mcp/acme-other"] {
        let r = env.mcp(path, &access);
        assert_eq!(r.status, 401, "{path}");
        let challenge = r.headers.get("www-authenticate").unwrap();
        assert!(
            challenge.contains("invalid_token")
                && challenge.contains(&format!(
                    "resource_metadata=\"{ORIGIN}/.well-known/oauth-protected-resource{path}\""
                )),
            "{challenge}"
        );
    }
    env.platform.advance_secs(ACCESS_TTL_SECS);
    assert_eq!(env.mcp("/mcp/acme", &access).status, 401);
}

#[test]
fn refresh_rotates_with_a_grace_window_then_detects_reuse() {
    let env = Env::new();
    let (client, _, first) = env.connect();
    let (_, second) = tokens(&env.refresh(&client, &first));
    assert_ne!(first, second);
    // The answer was lost: inside the window the previous token gets the very same pair again
    // (never a second one, so a stolen copy cannot orphan the legitimate client's tokens)...
    env.platform.advance_secs(REFRESH_GRACE_SECS - 1);
    let (access3, third) = tokens(&env.refresh(&client, &first));
    assert_eq!(third, second);
    assert_eq!(env.mcp("/mcp", &access3).status, 200);
    // ...and outside it, presenting it again is reuse: the whole grant goes.
    env.platform.advance_secs(2);
    assert_eq!(json_of(&env.refresh(&client, &first))["error"], "invalid_grant");
    assert_eq!(json_of(&env.refresh(&client, &third))["error"], "invalid_grant");
    assert_eq!(env.mcp("/mcp", &access3).status, 401);
}

#[test]
fn a_token_two_generations_old_or_a_distinct_second_use_revokes_the_grant() {
    let env = Env::new();
    let (client, _, first) = env.connect();
    let (_, second) = tokens(&env.refresh(&client, &first));
    let (access3, third) = tokens(&env.refresh(&client, &second));
    // `first` is two generations old: reuse, even inside the window. The grant goes.
    assert_eq!(json_of(&env.refresh(&client, &first))["error"], "invalid_grant");
    assert_eq!(env.mcp("/mcp", &access3).status, 401);
    assert_eq!(json_of(&env.refresh(&client, &third))["error"], "invalid_grant");
    assert!(env.platform.inner.logs.borrow().iter().any(|l| l.contains("oauth_refresh_reuse")));

    // A second use of the previous token asking for another scope is not a retry.
    let env = Env::new();
    let (client, _, first) = env.connect();
    let (access2, second) = tokens(&env.refresh(&client, &first));
    let narrower = env.token(&[
        ("grant_type", "refresh_token"),
        ("client_id", &client),
        ("refresh_token", &first),
        ("scope", "inspect"),
    ]);
    assert_eq!(json_of(&narrower)["error"], "invalid_grant");
    assert_eq!(env.mcp("/mcp", &access2).status, 401);
    assert_eq!(json_of(&env.refresh(&client, &second))["error"], "invalid_grant");
}

#[test]
fn revocation_leaves_a_tombstone_without_token_material() {
    let env = Env::new();
    let (client, access, refresh) = env.connect();
    assert_eq!(env.form("/oauth/revoke", &[("token", &refresh)], Headers::new()).status, 200);
    let dump = env.store.dump();
    let grant = dump.lines().find(|l| l.starts_with("grant:")).expect("a tombstone stays");
    assert!(grant.contains("revoked_at_ms") && grant.contains("\"upstream\":\"\""), "{grant}");
    assert!(!dump.contains("token:"), "every access token record is gone");
    assert_eq!(env.mcp("/mcp", &access).status, 401);
    assert_eq!(json_of(&env.refresh(&client, &refresh))["error"], "invalid_grant");
}

#[test]
fn refresh_scope_can_only_narrow() {
    let env = Env::new();
    let (client, _, rt) = env.connect();
    let wider = env.token(&[
        ("grant_type", "refresh_token"),
        ("client_id", &client),
        ("refresh_token", &rt),
        ("scope", "inspect seer"),
    ]);
    assert_eq!(json_of(&wider)["error"], "invalid_scope");
    let narrow = env.token(&[
        ("grant_type", "refresh_token"),
        ("client_id", &client),
        ("refresh_token", &rt),
        ("scope", "inspect"),
    ]);
    assert_eq!(json_of(&narrow)["scope"], "inspect");
}

#[test]
fn upstream_state_is_signed_single_use_and_expires() {
    let env = Env::new();
    let client = env.register();
    let approve = |env: &Env| {
        let (tx, csrf) = env.consent_page(&client, None);
        let r = env.form(
            "/oauth/authorize",
            &[("tx", &tx), ("skill", "inspect"), ("action", "approve")],
            Headers::new().with("cookie", csrf),
        );
        (query_param(r.headers.get("location").unwrap(), "state"), cookie_header(&r))
    };
    let callback = |env: &Env, state: &str, cookies: &str| {
        env.send(
            "GET",
            &format!("/oauth/callback?code=c&state={}", enc(state)),
            Headers::new().with("cookie", cookies.to_string()),
            "",
        )
    };

    let (state, cookies) = approve(&env);
    let mut tampered = state.clone();
    tampered.insert(5, 'x');
    assert_eq!(callback(&env, &tampered, &cookies).status, 400);
    assert_eq!(callback(&env, &state, "").status, 403, "approval cookie required");
    env.sentry_tokens("sntryo_a", "sntryr_a", 3600 * 24);
    assert_eq!(callback(&env, &state, &cookies).status, 302);
    let replay = callback(&env, &state, &cookies);
    assert!(replay.status == 400 && replay.body_text().contains("already used"));

    let (state, cookies) = approve(&env);
    env.platform.advance_secs(STATE_TTL_SECS + 1);
    assert!(callback(&env, &state, &cookies).body_text().contains("took too long"));

    // A state minted in another browser for the same, already approved, client does not
    // complete here: the flow cookie binds each state to the browser that consented.
    let (attackers_state, _attackers_cookies) = approve(&env);
    let (_victims_state, victims_cookies) = approve(&env);
    let foreign = callback(&env, &attackers_state, &victims_cookies);
    assert_eq!(foreign.status, 403, "{}", foreign.body_text());
    assert!(foreign.body_text().contains("not started in this browser"));
    let approval_only: String =
        victims_cookies.split("; ").filter(|c| c.starts_with("__Host-smcp-approved=")).collect();
    assert_eq!(callback(&env, &attackers_state, &approval_only).status, 403);
}

#[test]
fn consent_post_needs_the_csrf_cookie_and_an_intact_form() {
    let env = Env::new();
    let client = env.register();
    let (tx, csrf) = env.consent_page(&client, None);
    let no_cookie = env.form(
        "/oauth/authorize",
        &[("tx", &tx), ("skill", "inspect"), ("action", "approve")],
        Headers::new(),
    );
    assert_eq!(no_cookie.status, 403);
    let forged = env.form(
        "/oauth/authorize",
        &[("tx", &format!("{tx}x")), ("skill", "inspect"), ("action", "approve")],
        Headers::new().with("cookie", csrf.clone()),
    );
    assert_eq!(forged.status, 400);
    let cross_site = env.form(
        "/oauth/authorize",
        &[("tx", &tx), ("skill", "inspect"), ("action", "approve")],
        Headers::new().with("cookie", csrf.clone()).with("origin", "https://evil.example"),
    );
    assert_eq!(cross_site.status, 403);
    let deny = env.form(
        "/oauth/authorize",
        &[("tx", &tx), ("action", "deny")],
        Headers::new().with("cookie", csrf),
    );
    let location = deny.headers.get("location").unwrap();
    assert!(
        location.starts_with(REDIRECT)
            && location.contains("error=access_denied")
            && location.contains("iss="),
        "{location}"
    );
}

#[test]
fn authorize_validates_client_and_redirect_before_redirecting() {
    let env = Env::new();
    let client = env.register();
    let get = |q: &str| env.send("GET", &format!("/oauth/authorize?{q}"), Headers::new(), "");
    let base =
        format!("response_type=code&code_challenge={CHALLENGE}&code_challenge_method=S256&state=s");
    let unknown = get(&format!("{base}&client_id=nope&redirect_uri={}", enc(REDIRECT)));
    assert_eq!((unknown.status, unknown.headers.get("location")), (400, None));
    let unregistered =
        get(&format!("{base}&client_id={client}&redirect_uri={}", enc("https://evil.example/cb")));
    assert_eq!((unregistered.status, unregistered.headers.get("location")), (400, None));
    let cid = format!("client_id={client}&redirect_uri={}&state=s", enc(REDIRECT));
    for (q, error) in [
        (format!("{cid}&response_type=code"), "invalid_request"),
        (format!("{cid}&response_type=code&code_challenge={CHALLENGE}&code_challenge_method=plain"), "invalid_request"),
        (format!("{cid}&response_type=token&code_challenge={CHALLENGE}&code_challenge_method=S256"), "unsupported_response_type"),
        (format!("{cid}&response_type=code&code_challenge={CHALLENGE}&code_challenge_method=S256&resource={}", enc("https://other.example/mcp")), "invalid_target"),
    ] {
        let r = get(&q);
        let location = r.headers.get("location").unwrap_or_default();
        assert!(r.status == 302 && location.contains(&format!("error={error}")) && location.contains("state=s") && location.contains("iss="), "{q} → {location}");
    }
}

#[test]
fn sentry_rejecting_the_token_revokes_the_grant() {
    let env = Env::new();
    let (client, access, refresh) = env.connect();
    env.platform.inner.answer_json(401, json!({"detail": "Invalid token"}));
    let r = env.mcp("/mcp", &access);
    assert_eq!(r.status, 401);
    assert!(r.headers.get("www-authenticate").unwrap().contains("invalid_token"));
    assert_eq!(env.mcp("/mcp", &access).status, 401);
    assert_eq!(json_of(&env.refresh(&client, &refresh))["error"], "invalid_grant");
}

#[test]
fn an_organization_condition_from_sentry_keeps_the_grant() {
    let env = Env::new();
    let (_client, access, _refresh) = env.connect();
    let sso = json!({"detail": {"code": "sso-required", "message": "Must login via SSO"}});
    env.platform.inner.answer_json(401, sso);
    let r = env.mcp("/mcp", &access);
    assert_eq!(r.status, 200, "a tool error, not a revocation");
    assert!(r.body_text().contains("sso-required") && r.body_text().contains("\"isError\":true"));
    whoami_answer(&env);
    assert_eq!(env.mcp("/mcp", &access).status, 200, "the grant still works");
}

#[test]
fn an_expiring_sentry_token_is_refreshed_at_the_token_endpoint() {
    let env = Env::new();
    // Sentry's token has 30 minutes left: our access token may not outlive it.
    let (client, code, _) = env.authorize(None, 1800);
    let exchanged = env.exchange(&client, &code);
    assert_eq!(json_of(&exchanged)["expires_in"], 1800);
    let (old_access, rt) = tokens(&exchanged);
    env.sentry_tokens("sntryo_second", "sntryr_second", 30 * 24 * 3600);
    let (access, _) = tokens(&env.refresh(&client, &rt));
    let refresh_call = env.platform.inner.requests.borrow().last().unwrap().clone();
    let form = String::from_utf8(refresh_call.body).unwrap();
    assert!(
        refresh_call.url.as_str().ends_with("/oauth/token/")
            && form.contains("grant_type=refresh_token")
            && form.contains("refresh_token=sntryr_first")
    );
    whoami_answer(&env);
    assert_eq!(env.mcp("/mcp", &access).status, 200);
    assert_eq!(
        env.platform.inner.requests.borrow().last().unwrap().headers.get("authorization"),
        Some("Bearer sntryo_second")
    );
    assert_eq!(
        env.mcp("/mcp", &old_access).status,
        401,
        "tokens holding the rotated Sentry token are dropped"
    );
}

#[test]
fn sentry_refusing_the_refresh_forces_a_new_authorization() {
    let env = Env::new();
    let (client, code, _) = env.authorize(None, 600);
    let (_, rt) = tokens(&env.exchange(&client, &code));
    env.platform.inner.answer_json(400, json!({"error": "invalid_grant"}));
    assert_eq!(json_of(&env.refresh(&client, &rt))["error"], "invalid_grant");
    let (_, new_rt) = (0, rt);
    assert_eq!(json_of(&env.refresh(&client, &new_rt))["error"], "invalid_grant");
}

#[test]
fn revocation() {
    let env = Env::new();
    let (client, access, refresh) = env.connect();
    assert_eq!(
        env.form("/oauth/revoke", &[("token", "smcp_at_unknown")], Headers::new()).status,
        200
    );
    assert_eq!(
        env.form("/oauth/revoke", &[("token", &access), ("client_id", &client)], Headers::new())
            .status,
        200
    );
    assert_eq!(env.mcp("/mcp", &access).status, 401);
    let (access2, refresh2) = tokens(&env.refresh(&client, &refresh));
    assert_eq!(env.form("/oauth/revoke", &[("token", &refresh2)], Headers::new()).status, 200);
    assert_eq!(env.mcp("/mcp", &access2).status, 401);
}

#[test]
fn missing_secrets_disable_only_oauth() {
    let app = App::for_tests(
        Config::from_vars(|_| None),
        Rc::new(TestPlatform::new()),
        Some(OAuthSetup {
            config: super::OAuthConfig::from_vars(|_| None),
            store: Rc::new(MemoryStore::default()),
        }),
    );
    let get = |path: &str| {
        block_on(http::handle(
            &app,
            HttpRequest::get(url::Url::parse(&format!("{ORIGIN}{path}")).unwrap()),
        ))
    };
    let meta = get("/.well-known/oauth-authorization-server");
    assert_eq!(meta.status, 503);
    assert!(meta.body_text().contains("COOKIE_SECRET"));
    let page = get("/oauth/authorize?client_id=x");
    assert!(
        page.status == 503 && page.headers.get("content-type").unwrap().starts_with("text/html")
    );
    let mut mcp = HttpRequest::get(url::Url::parse(&format!("{ORIGIN}/mcp")).unwrap());
    mcp.method = "POST".into();
    let challenge = block_on(http::handle(&app, mcp));
    assert_eq!(challenge.status, 401);
    assert!(challenge.headers.get("www-authenticate").unwrap().contains("resource_metadata="));
}

#[test]
fn cors_on_client_endpoints_not_on_pages() {
    let env = Env::new();
    let pre = env.send(
        "OPTIONS",
        "/oauth/token",
        Headers::new().with("origin", "http://localhost:6274"),
        "",
    );
    assert_eq!((pre.status, pre.headers.get("access-control-allow-origin")), (204, Some("*")));
    assert!(pre.headers.get("access-control-allow-headers").unwrap().contains("Authorization"));
    let meta = env.send("GET", "/.well-known/oauth-protected-resource/mcp", Headers::new(), "");
    assert_eq!(meta.headers.get("access-control-allow-origin"), Some("*"));
    let page = env.send("GET", "/oauth/authorize", Headers::new(), "");
    assert_eq!(page.headers.get("access-control-allow-origin"), None);
}

/// A stored record naming a skill this version does not know is refused, not narrowed: the access
/// token is treated as unknown (401 `invalid_token`, as if revoked), the refresh token as invalid,
/// and a warning names only the kind of record, never its key, token hash or contents.
#[test]
fn records_with_unknown_skills_are_refused_like_unknown_tokens() {
    let env = Env::new();
    let (client, access, refresh) = env.connect();
    let rewrite = |prefix: &str| {
        let mut map = env.store.map.borrow_mut();
        let (key, (value, _)) = map.iter_mut().find(|(k, _)| k.starts_with(prefix)).unwrap();
        assert!(value.contains(r#""skills":["inspect","triage"]"#), "{key}");
        *value = value
            .replace(r#""skills":["inspect","triage"]"#, r#""skills":["inspect","telepathy"]"#);
    };
    rewrite("token:");
    rewrite("grant:");
    let r = env.mcp("/mcp", &access);
    assert_eq!(r.status, 401);
    assert_eq!(json_of(&r)["error"], "invalid_token");
    assert_eq!(json_of(&env.refresh(&client, &refresh))["error"], "invalid_grant");
    let logs = env.platform.inner.logs.borrow();
    let refused: Vec<&String> =
        logs.iter().filter(|l| l.contains("oauth_record_refused")).collect();
    assert_eq!(refused.len(), 2, "{logs:?}");
    assert!(
        refused[0].contains(r#""record":"token""#) && refused[1].contains(r#""record":"grant""#)
    );
    for line in &refused {
        assert!(!line.contains("smcp_") && !line.contains("telepathy"), "{line}");
        assert!(!env.store.map.borrow().keys().any(|k| line.contains(k.as_str())), "{line}");
    }
}

#[test]
fn challenges_name_the_scope_and_missing_skills_step_up() {
    let env = Env::new();
    let r = env.send(
        "POST",
        "/mcp",
        Headers::new().with("content-type", "application/json"),
        r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
    );
    let challenge = r.headers.get("www-authenticate").unwrap().to_string();
    assert_eq!(r.status, 401);
    assert!(
        challenge.contains(r#"scope="inspect triage seer project-management""#)
            && !challenge.contains("error="),
        "{challenge}"
    );
    let (_, access, _) = env.connect(); // inspect + triage
    let r = env.call_tool("/mcp", &access, "analyze_issue_with_seer");
    assert_eq!(r.status, 403, "{}", r.body_text());
    let challenge = r.headers.get("www-authenticate").unwrap();
    assert!(
        challenge.starts_with(r#"Bearer error="insufficient_scope", scope="inspect triage seer""#)
            && challenge.contains("resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource/mcp\""),
        "{challenge}"
    );
    assert_eq!(json_of(&r)["error"], "insufficient_scope");
    // A granted tool and an unknown one are left to the protocol layer.
    whoami_answer(&env);
    assert_eq!(env.mcp("/mcp", &access).status, 200);
    assert_eq!(env.call_tool("/mcp", &access, "no_such_tool").status, 200);
    let r = env.send(
        "POST",
        "/mcp",
        Headers::new()
            .with("authorization", "Bearer smcp_at_nope")
            .with("content-type", "application/json"),
        "{}",
    );
    assert!(r.headers.get("www-authenticate").unwrap().contains("scope="));
}

const CIMD_ID: &str = "https://claude.ai/oauth/claude-code-client-metadata";

fn serve_claude_code_document(env: &Env) {
    env.platform.inner.answer_json(
        200,
        json!({
            "client_id": CIMD_ID,
            "client_name": "Claude Code",
            "redirect_uris": ["http://localhost/callback", "http://127.0.0.1/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none"
        }),
    );
}

#[test]
fn a_metadata_document_client_signs_in_on_any_loopback_port_and_supersedes_per_redirect() {
    let env = Env::new();
    serve_claude_code_document(&env);
    let device_a = "http://localhost:53682/callback";
    let (code, _) = env.authorize_as(CIMD_ID, device_a, None, 30 * 24 * 3600);
    let (first_access, _) = tokens(&env.exchange_via(CIMD_ID, &code, device_a));
    whoami_answer(&env);
    assert_eq!(env.mcp("/mcp", &first_access).status, 200);
    assert_eq!(
        env.platform.inner.requests.borrow().iter().filter(|r| r.url.as_str() == CIMD_ID).count(),
        1,
        "the document is cached"
    );

    // Another device (another redirect URI): the first grant stays.
    let device_b = "http://127.0.0.1:41000/callback";
    let (code, _) = env.authorize_as(CIMD_ID, device_b, None, 30 * 24 * 3600);
    let (other_access, _) = tokens(&env.exchange_via(CIMD_ID, &code, device_b));
    whoami_answer(&env);
    assert_eq!(env.mcp("/mcp", &first_access).status, 200);

    // The same device signs in again: its earlier grant is revoked, the other device's stays.
    let (code, _) = env.authorize_as(CIMD_ID, device_a, None, 30 * 24 * 3600);
    let (new_access, _) = tokens(&env.exchange_via(CIMD_ID, &code, device_a));
    assert_eq!(env.mcp("/mcp", &first_access).status, 401);
    whoami_answer(&env);
    assert_eq!(env.mcp("/mcp", &other_access).status, 200);
    whoami_answer(&env);
    assert_eq!(env.mcp("/mcp", &new_access).status, 200);

    // Loopback leniency is about the port only; a public client presents no secret.
    let page = env.send("GET", &format!("/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&code_challenge={CHALLENGE}&code_challenge_method=S256", enc(CIMD_ID), enc("http://localhost:53682/other")), Headers::new(), "");
    assert_eq!(page.status, 400);
    let r = env.token(&[
        ("grant_type", "refresh_token"),
        ("client_id", CIMD_ID),
        ("client_secret", "guess"),
        ("refresh_token", "smcp_rt_x"),
    ]);
    assert_eq!((r.status, json_of(&r)["error"].as_str()), (401, Some("invalid_client")));
    assert!(r.body_text().contains("token_endpoint_auth_method=none"), "{}", r.body_text());
}

#[test]
fn an_unusable_metadata_document_is_explained_on_the_error_page() {
    let env = Env::new();
    env.platform.inner.answer_json(200, json!({"client_id": "https://claude.ai/elsewhere", "client_name": "X", "redirect_uris": ["https://a.example/cb"]}));
    let page = env.send("GET", &format!("/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&code_challenge={CHALLENGE}&code_challenge_method=S256", enc(CIMD_ID), enc("https://a.example/cb")), Headers::new(), "");
    assert_eq!(page.status, 400);
    assert!(page.body_text().contains("is not exactly the URL"), "{}", page.body_text());
    let private = env.send(
        "GET",
        &format!(
            "/oauth/authorize?response_type=code&client_id={}&redirect_uri=x",
            enc("https://10.1.2.3/c.json")
        ),
        Headers::new(),
        "",
    );
    assert!(
        private.status == 400 && private.body_text().contains("private"),
        "{}",
        private.body_text()
    );
}
