//! Remote OAuth mode: this server is an OAuth 2.1 authorization server for MCP clients and an
//! OAuth client of Sentry. Clients get tokens of ours; the Sentry tokens stay sealed in storage.
//!
//! The flow (see `docs/oauth.md` for the whole story and the security decisions):
//!
//! 1. `POST /mcp` without credentials → 401 pointing at [`metadata`] (RFC 9728, RFC 8414).
//! 2. [`registration`]: dynamic client registration (RFC 7591), or [`cimd`]: a `client_id` that
//!    is an HTTPS URL names a client ID metadata document, fetched and cached.
//! 3. [`authorize`]: validates the client and redirect first, then shows the consent page
//!    ([`page`]); approval is remembered in signed cookies ([`cookies`]) and the browser goes to
//!    Sentry with a signed, single-use `state` ([`signed`]).
//! 4. [`callback`]: Sentry sends the browser back; the code is exchanged ([`upstream`]) and a
//!    grant is created ([`grant`]); the client gets our authorization code.
//! 5. [`token`]: code and refresh grants (PKCE, rotation with a grace window, reuse detection),
//!    each decided by the grant's [`ledger`]; [`revoke`] (RFC 7009).
//! 6. [`bearer`]: `/mcp` with our access token: one storage read, audience check, and the
//!    decrypted Sentry token for the tool calls.
//!
//! Everything here is plain Rust over [`store::Store`] and [`crate::platform::Platform`]; the
//! edge supplies KV.

pub(crate) mod authorize;
pub(crate) mod bearer;
pub(crate) mod callback;
pub(crate) mod cimd;
pub(crate) mod config;
pub(crate) mod cookies;
/// The shared primitives (`crate::crypto`), under the name this layer has always used.
pub(crate) use crate::crypto;
pub(crate) mod error;
pub(crate) mod grant;
pub(crate) mod ledger;
pub(crate) mod metadata;
pub(crate) mod page;
pub(crate) mod records;
pub(crate) mod redirect;
pub(crate) mod registration;
pub(crate) mod revoke;
pub(crate) mod signed;
pub(crate) mod store;
pub(crate) mod token;
pub(crate) mod upstream;

#[cfg(test)]
mod flow_tests;
#[cfg(test)]
pub(crate) mod testing;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

pub(crate) use config::OAuthConfig;
pub(crate) use error::{oauth_error, OAuthError, OAuthErrorCode};
pub(crate) use store::{Store, StoreError};

use crate::caches::Caches;
use crate::config::{Config, ConfigError};
use crate::platform::http::{HttpRequest, HttpResponse};
use crate::platform::{LogLevel, Platform};

/// What the OAuth routes run with: their configuration (or why it is unusable) and the store.
pub(crate) struct OAuthSetup {
    pub config: Result<OAuthConfig, ConfigError>,
    pub store: std::rc::Rc<dyn Store>,
}

/// Everything an OAuth handler needs.
pub(crate) struct Ctx<'a> {
    pub config: &'a Config,
    pub oauth: &'a OAuthConfig,
    pub store: &'a dyn Store,
    pub platform: &'a dyn Platform,
    /// The isolate's caches (recently redeemed codes).
    pub caches: &'a Caches,
}

impl Ctx<'_> {
    pub(crate) fn now(&self) -> records::UnixMillis {
        records::UnixMillis(self.platform.now_ms())
    }
    /// Read a JSON record (see [`get_json`]).
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        get_json(self.store, self.platform, key).await
    }
    /// A signing key for one purpose, derived from `COOKIE_SECRET`.
    pub(crate) fn key(&self, purpose: &str) -> crypto::Key {
        crypto::derive_key(&self.oauth.cookie_secret, purpose)
    }
    pub(crate) fn log(&self, level: LogLevel, event: &str, fields: Value) {
        let mut line = json!({"event": event});
        if let (Some(obj), Value::Object(extra)) = (line.as_object_mut(), fields) {
            obj.extend(extra);
        }
        self.platform.log(level, &line.to_string());
    }
}

/// A handler's early exit: a finished response, or storage trouble (503).
pub(crate) enum Failure {
    Respond(HttpResponse),
    Store(StoreError),
}

impl From<HttpResponse> for Failure {
    fn from(r: HttpResponse) -> Self {
        Failure::Respond(r)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

pub(crate) type Handled = Result<HttpResponse, Failure>;

/// The public origin of this server (also the OAuth `issuer`).
pub(crate) fn origin(req: &HttpRequest) -> String {
    req.url.origin().ascii_serialization()
}

/// A JSON answer that must never be cached (token and registration responses, errors).
pub(crate) fn no_store_json(status: u16, body: &Value) -> HttpResponse {
    HttpResponse::json(status, body)
        .with_header("cache-control", "no-store")
        .with_header("pragma", "no-cache")
}

/// Read a JSON record. A record that does not parse is treated as absent: a token, code or grant
/// whose record is refused is unknown (401 `invalid_token` at `/mcp`, `invalid_grant` at the token
/// endpoint), exactly as if it had been revoked. That covers records written by a future version
/// and records naming a skill this version does not know ([`crate::session::SkillSet`] refuses
/// unknown ids rather than dropping them, so a grant never silently changes). A refusal is logged
/// as a warning naming only the kind of record (the key's prefix) and the kind of parse error:
/// never the key (it holds a grant id and a token hash) nor the value.
pub(crate) async fn get_json<T: DeserializeOwned>(
    store: &dyn Store,
    platform: &dyn Platform,
    key: &str,
) -> Result<Option<T>, StoreError> {
    let Some(raw) = store.get(key).await? else { return Ok(None) };
    Ok(serde_json::from_str(&raw).map_err(|e| refused(platform, key, &e)).ok())
}

/// Log a record that does not parse (not generic, so each record type does not carry a copy).
fn refused(platform: &dyn Platform, key: &str, e: &serde_json::Error) {
    log_refused(platform, key, parse_problem(e));
}

/// The kind of a parse error, the only detail a refused record's log line gives.
pub(crate) fn parse_problem(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Data => "data",
        serde_json::error::Category::Syntax => "syntax",
        serde_json::error::Category::Eof => "eof",
        serde_json::error::Category::Io => "io",
    }
}

/// The warning for a refused record under `key`: the kind of record (the key's prefix) only.
pub(crate) fn log_refused(platform: &dyn Platform, key: &str, problem: &str) {
    let kind = key.split(':').next().unwrap_or_default();
    let line = json!({"event": "oauth_record_refused", "record": kind, "problem": problem});
    platform.log(LogLevel::Warn, &line.to_string());
}

pub(crate) async fn put_json<T: Serialize>(
    store: &dyn Store,
    key: &str,
    value: &T,
    ttl_secs: u64,
) -> Result<(), StoreError> {
    store.put(key, &serde_json::to_string(value).expect("records serialise"), ttl_secs).await
}

/// Parameters of a query string or form body. OAuth forbids repeating a parameter.
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn query(req: &HttpRequest) -> Self {
        Self(req.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }
    pub(crate) fn form(body: &[u8]) -> Self {
        Self(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    /// The single value of `name`; empty values count as absent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    /// The first of `names` that appears more than once.
    pub(crate) fn repeated<'a>(&self, names: &[&'a str]) -> Option<&'a str> {
        names.iter().copied().find(|n| self.0.iter().filter(|(k, _)| k == n).count() > 1)
    }
}

/// The OAuth paths this module serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    ProtectedResource,
    AuthorizationServer,
    Register,
    Authorize,
    Callback,
    Token,
    Revoke,
}

impl Route {
    fn of(path: &str) -> Option<Self> {
        let under = |base: &str| {
            path == base || path.strip_prefix(base).is_some_and(|r| r.starts_with('/'))
        };
        Some(match path {
            _ if under("/.well-known/oauth-protected-resource") => Route::ProtectedResource,
            _ if under("/.well-known/oauth-authorization-server") => Route::AuthorizationServer,
            "/oauth/register" => Route::Register,
            "/oauth/authorize" => Route::Authorize,
            "/oauth/callback" => Route::Callback,
            "/oauth/token" => Route::Token,
            "/oauth/revoke" => Route::Revoke,
            _ => return None,
        })
    }

    /// Browser pages answer with HTML and never with CORS; the rest is for (browser-based) clients.
    fn is_page(self) -> bool {
        matches!(self, Route::Authorize | Route::Callback)
    }

    fn methods(self) -> &'static [&'static str] {
        match self {
            Route::ProtectedResource | Route::AuthorizationServer => &["GET", "HEAD"],
            Route::Authorize => &["GET", "POST"],
            Route::Callback => &["GET"],
            Route::Register | Route::Token | Route::Revoke => &["POST"],
        }
    }
}

const CORS_ALLOW_HEADERS: &str = "Authorization, Content-Type, Accept, MCP-Protocol-Version";

/// CORS without credentials: any origin may read metadata and call the token, registration and
/// revocation endpoints (browser-based clients such as MCP Inspector run OAuth in the page).
fn with_cors(mut r: HttpResponse) -> HttpResponse {
    r.headers.set("access-control-allow-origin", "*");
    r.headers.set("access-control-expose-headers", "WWW-Authenticate, Retry-After");
    r
}

fn preflight(route: Route) -> HttpResponse {
    let mut r = HttpResponse::new(204);
    r.headers
        .set("access-control-allow-methods", format!("{}, OPTIONS", route.methods().join(", ")));
    r.headers.set("access-control-allow-headers", CORS_ALLOW_HEADERS);
    r.headers.set("access-control-max-age", "86400");
    with_cors(r)
}

/// Serve an OAuth route, or `None` when the path is not one.
pub(crate) async fn handle(
    setup: Option<&OAuthSetup>,
    config: &Config,
    platform: &dyn Platform,
    caches: &Caches,
    req: &HttpRequest,
) -> Option<HttpResponse> {
    let route = Route::of(req.url.path())?;
    if req.method == "OPTIONS" && !route.is_page() {
        return Some(preflight(route));
    }
    let response = if !route.methods().contains(&req.method.as_str()) {
        oauth_error(
            405,
            OAuthErrorCode::InvalidRequest,
            &format!("use {}", route.methods().join(" or ")),
        )
        .with_header("allow", route.methods().join(", "))
    } else {
        serve(route, setup, config, platform, caches, req).await
    };
    Some(if route.is_page() { response } else { with_cors(response) })
}

async fn serve(
    route: Route,
    setup: Option<&OAuthSetup>,
    config: &Config,
    platform: &dyn Platform,
    caches: &Caches,
    req: &HttpRequest,
) -> HttpResponse {
    let unavailable = |why: String| {
        platform.log(
            LogLevel::Error,
            &json!({"event": "oauth_unavailable", "message": why}).to_string(),
        );
        if route.is_page() {
            page::error_page(
                503,
                "Sign-in is not available",
                &format!("This server cannot run OAuth sign-in: {why}."),
            )
        } else {
            oauth_error(503, OAuthErrorCode::TemporarilyUnavailable, &why)
        }
    };
    let Some(setup) = setup else {
        return unavailable("no OAUTH_KV namespace is bound to this worker".into());
    };
    let oauth = match &setup.config {
        Ok(c) => c,
        Err(e) => return unavailable(e.to_string()),
    };
    let ctx = Ctx { config, oauth, store: setup.store.as_ref(), platform, caches };
    let outcome = match (route, req.method.as_str()) {
        (Route::ProtectedResource, _) => Ok(metadata::protected_resource(req)),
        (Route::AuthorizationServer, _) => Ok(metadata::authorization_server(req, oauth)),
        (Route::Register, _) => registration::register(&ctx, req).await,
        (Route::Authorize, "GET") => authorize::show(&ctx, req).await,
        (Route::Authorize, _) => authorize::approve(&ctx, req).await,
        (Route::Callback, _) => callback::complete(&ctx, req).await,
        (Route::Token, _) => token::exchange(&ctx, req).await,
        (Route::Revoke, _) => revoke::revoke(&ctx, req).await,
    };
    match outcome {
        Ok(r) | Err(Failure::Respond(r)) => r,
        Err(Failure::Store(e)) => {
            ctx.log(LogLevel::Error, "oauth_store_error", json!({"message": e.to_string()}));
            if route.is_page() {
                page::error_page(
                    503,
                    "Try again in a moment",
                    "The sign-in service could not reach its storage. Please try again.",
                )
            } else {
                oauth_error(
                    503,
                    OAuthErrorCode::TemporarilyUnavailable,
                    "storage is unavailable; try again",
                )
                .with_header("retry-after", "5")
            }
        }
    }
}
