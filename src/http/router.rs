//! The route table: which paths exist and who handles them.

use std::rc::Rc;

use serde_json::json;

use super::{landing, mcp_endpoint, rate_limit, sse};
use crate::caches::Caches;
use crate::config::{Config, ConfigError};
use crate::digest::fingerprint;
use crate::oauth::{self, oauth_error, OAuthErrorCode, OAuthSetup};
use crate::platform::http::{HttpRequest, HttpResponse};
use crate::platform::services::{Binding, Limiter, Services};
use crate::platform::{LogLevel, Platform};
use crate::session::{Constraints, EndpointPathError};
use crate::telemetry::{self, Telemetry, TransportKind};

/// What a request is served with: the parsed configuration (or why it is wrong; shared, as the
/// Worker parses it once per isolate), the runtime and its services (shared, because a streamed
/// response keeps working after `handle` returns), the isolate's caches and, where OAuth storage
/// exists (the Worker's `OAUTH_KV`), remote OAuth mode.
pub(crate) struct App {
    pub config: Rc<Result<Config, ConfigError>>,
    pub platform: Rc<dyn Platform>,
    pub services: Rc<dyn Services>,
    pub caches: Rc<Caches>,
    pub oauth: Option<OAuthSetup>,
}

impl App {
    /// An app with no Worker services and fresh caches, for unit tests.
    #[cfg(test)]
    pub(crate) fn for_tests(
        config: Result<Config, ConfigError>,
        platform: Rc<dyn Platform>,
        oauth: Option<OAuthSetup>,
    ) -> Self {
        let services = Rc::new(crate::platform::services::NoServices);
        let config = Rc::new(config);
        Self { config, platform, services, caches: Rc::new(Caches::new()), oauth }
    }

    /// Whether the rate limits apply: always, unless the configuration says `MCP_RATE_LIMITS=off`.
    fn limits_on(&self) -> bool {
        (*self.config).as_ref().map_or(true, |c| c.rate_limits)
    }

    /// The per-address limit, for requests that do not (or not validly) name a caller.
    pub(super) async fn address_limit(&self, req: &HttpRequest) -> Option<HttpResponse> {
        self.rate_limit(Limiter::PerAddress, &fingerprint("ip", &rate_limit::client_ip(req))).await
    }

    /// `Some(429)` when `limiter` refuses `key`; see [`rate_limit::check`].
    pub(super) async fn rate_limit(&self, limiter: Limiter, key: &str) -> Option<HttpResponse> {
        if !self.limits_on() {
            return None;
        }
        rate_limit::check(
            self.services.as_ref(),
            self.platform.as_ref(),
            &self.caches,
            limiter,
            key,
        )
        .await
    }
}

/// Serve one request, with its telemetry and the per-address rate limit of `/oauth/*` (`/mcp`
/// applies its own: per address only for requests that name no valid caller).
pub(crate) async fn handle(app: &App, req: HttpRequest) -> HttpResponse {
    let path = req.url.path().to_string();
    let platform = app.platform.as_ref();
    let is_sse = is_sse_path(&path);
    let transport = if is_sse { TransportKind::Sse } else { TransportKind::Http };
    let telemetry = Rc::new(match &*app.config {
        Ok(c) => Telemetry::new(
            c.telemetry.clone(),
            transport,
            platform,
            app.services.clone(),
            req.headers.get("user-agent"),
        ),
        Err(_) => Telemetry::disabled(platform),
    });
    telemetry.set_route(telemetry::route_of(&path));
    let mut response = match path.starts_with("/oauth/") && req.method != "OPTIONS" {
        true => app.address_limit(&req).await,
        false => None,
    };
    if response.is_none() {
        response = Some(route(app, &req, &path, &telemetry).await);
    }
    let mut response = response.unwrap_or_else(|| HttpResponse::new(500));
    response.headers.set("x-content-type-options", "nosniff");
    telemetry.request_finished(platform, telemetry::route_of(&path), &req.method, response.status);
    response
}

async fn route(
    app: &App,
    req: &HttpRequest,
    path: &str,
    telemetry: &Rc<Telemetry>,
) -> HttpResponse {
    if path == "/health" && req.method == "GET" {
        return health(app);
    }
    if let Some(page) = landing::handle(req, path) {
        return page;
    }
    if path == "/mcp" || path.starts_with("/mcp/") || path == "/sse" || path.starts_with("/sse/") {
        let as_mcp =
            path.strip_prefix("/sse").map_or_else(|| path.to_string(), |r| format!("/mcp{r}"));
        let constraints = match Constraints::from_mcp_path(&as_mcp) {
            Ok(c) => c,
            Err(e @ EndpointPathError::TooDeep) => {
                return oauth_error(404, OAuthErrorCode::NotFound, &e.to_string())
            }
            Err(e) => return oauth_error(400, OAuthErrorCode::InvalidRequest, &e.to_string()),
        };
        let config = match &*app.config {
            Ok(c) => c,
            Err(e) => return config_error(app, e),
        };
        if path.starts_with("/sse") {
            return sse::open(config, app, req, constraints, telemetry).await;
        }
        return mcp_endpoint::handle(config, app, req, constraints, telemetry).await;
    }
    if path == sse::MESSAGE_PATH {
        let config = match &*app.config {
            Ok(c) => c,
            Err(e) => return config_error(app, e),
        };
        return sse::message(config, app, req, telemetry).await;
    }
    if path.starts_with("/.well-known/") || path.starts_with("/oauth/") {
        let config = match &*app.config {
            Ok(c) => c,
            Err(e) => return config_error(app, e),
        };
        if let Some(response) =
            oauth::handle(app.oauth.as_ref(), config, app.platform.as_ref(), &app.caches, req).await
        {
            return response;
        }
    }
    oauth_error(404, OAuthErrorCode::NotFound, "Nothing here; the MCP endpoint is /mcp")
}

/// The legacy HTTP+SSE transport's paths: the stream and the message URL.
fn is_sse_path(path: &str) -> bool {
    path == "/sse" || path.starts_with("/sse/") || path == sse::MESSAGE_PATH
}

/// A configuration mistake: explained in the operator's logs; the caller only learns the server cannot serve.
fn config_error(app: &App, e: &ConfigError) -> HttpResponse {
    app.platform.log(
        LogLevel::Error,
        &json!({"event": "config_error", "message": e.to_string()}).to_string(),
    );
    // The details (which variable, which value) are for the operator's logs, not for whoever
    // happens to call: the caller learns only that the server cannot serve.
    let err = crate::mcp::jsonrpc::RpcError::internal_error(
        "The server is misconfigured, so no request can be served; its operator can find the reason in the server's logs",
    );
    crate::mcp::http_error(&err, crate::mcp::Stage::Refused(crate::mcp::Refusal::Misconfigured))
}

/// `GET /health`: the version and which optional features are configured; no secrets, no auth.
fn health(app: &App) -> HttpResponse {
    let config = (*app.config).as_ref().ok();
    let has = |binding| app.services.has(binding);
    HttpResponse::json(
        if config.is_some() { 200 } else { 503 },
        &json!({
            "status": if config.is_some() { "ok" } else { "misconfigured" },
            "name": crate::SERVER_NAME,
            "version": crate::SERVER_VERSION,
            "features": {
                "oauth": app.oauth.as_ref().is_some_and(|o| o.config.is_ok()),
                "sentryBearer": config.is_some_and(|c| c.sentry_bearer_enabled),
                "errorReporting": config.is_some_and(|c| c.telemetry.dsn.is_some()),
                "metrics": has(Binding::Metrics),
                "rateLimits": app.limits_on()
                    && has(Binding::RateLimiter(Limiter::PerAddress))
                    && has(Binding::RateLimiter(Limiter::PerCaller)),
            },
            "embeddedAgent": config.map(|c| c.agent.status()),
        }),
    )
    .with_header("cache-control", "no-store")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::http::Headers;
    use crate::platform::testing::{block_on, FakePlatform};

    fn request(method: &str, url: &str, headers: Headers, body: &str) -> HttpRequest {
        HttpRequest {
            method: method.into(),
            url: url::Url::parse(url).unwrap(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    /// Rate limiters that allow `allow` requests per (limiter, key) and record every question.
    struct CountingLimiters {
        allow: usize,
        asked: std::cell::RefCell<Vec<(Limiter, String)>>,
    }

    #[async_trait::async_trait(?Send)]
    impl Services for CountingLimiters {
        async fn rate_limit(&self, limiter: Limiter, key: &str) -> Option<Result<bool, String>> {
            let mut asked = self.asked.borrow_mut();
            asked.push((limiter, key.to_string()));
            let used = asked.iter().filter(|(l, k)| *l == limiter && k == key).count();
            Some(Ok(used <= self.allow))
        }
    }

    fn limited_app(vars: &[(&str, &str)], allow: usize) -> (App, Rc<CountingLimiters>) {
        let vars: Vec<(String, String)> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let config =
            Config::from_vars(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()));
        let limiters = Rc::new(CountingLimiters { allow, asked: Default::default() });
        let platform = Rc::new(FakePlatform::default());
        for _ in 0..8 {
            platform.answer_json(200, json!({"user": {"id": "1", "email": "a@example.com"}}));
        }
        let app = App {
            config: Rc::new(config),
            platform,
            services: limiters.clone(),
            caches: Rc::new(Caches::new()),
            oauth: None,
        };
        (app, limiters)
    }

    fn mcp_post(ip: &str, token: Option<&str>) -> HttpRequest {
        let mut headers =
            Headers::new().with("content-type", "application/json").with("cf-connecting-ip", ip);
        if let Some(t) = token {
            headers = headers.with("authorization", format!("Sentry-Bearer {t}"));
        }
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}"#;
        request("POST", "https://mcp.example.com/mcp", headers, body)
    }

    #[test]
    fn authenticated_callers_behind_one_address_do_not_share_a_budget() {
        let (app, limiters) = limited_app(&[], 1);
        for token in ["sntryu_alice", "sntryu_bob", "sntryu_carol"] {
            let resp = block_on(handle(&app, mcp_post("198.51.100.7", Some(token))));
            assert_eq!(resp.status, 200, "{}", resp.body_text());
        }
        let asked = limiters.asked.borrow();
        assert!(asked.iter().all(|(l, _)| *l == Limiter::PerCaller), "{asked:?}");
        assert_eq!(asked.len(), 3);
        drop(asked);
        let again = block_on(handle(&app, mcp_post("198.51.100.7", Some("sntryu_alice"))));
        assert_eq!(again.status, 429, "the caller's own budget is spent");
        assert_eq!(again.headers.get("retry-after"), Some("60"));
    }

    #[test]
    fn unauthenticated_mcp_and_oauth_requests_are_limited_per_address() {
        let (app, limiters) = limited_app(&[], 2);
        assert_eq!(block_on(handle(&app, mcp_post("198.51.100.8", None))).status, 401);
        let oauth = request(
            "GET",
            "https://mcp.example.com/oauth/authorize",
            Headers::new().with("cf-connecting-ip", "198.51.100.8"),
            "",
        );
        assert_ne!(block_on(handle(&app, oauth.clone())).status, 429);
        let refused = block_on(handle(&app, mcp_post("198.51.100.8", None)));
        assert_eq!(refused.status, 429);
        assert_eq!(block_on(handle(&app, oauth)).status, 429);
        assert_eq!(
            block_on(handle(&app, mcp_post("198.51.100.9", None))).status,
            401,
            "another address has its own budget"
        );
        assert!(limiters.asked.borrow().iter().all(|(l, _)| *l == Limiter::PerAddress));
    }

    #[test]
    fn rate_limits_off_never_asks_a_limiter() {
        let (app, limiters) = limited_app(&[("MCP_RATE_LIMITS", "off")], 0);
        assert_eq!(block_on(handle(&app, mcp_post("198.51.100.10", None))).status, 401);
        let resp = block_on(handle(&app, mcp_post("198.51.100.10", Some("sntryu_dave"))));
        assert_eq!(resp.status, 200, "{}", resp.body_text());
        assert!(limiters.asked.borrow().is_empty());
        let health = block_on(handle(
            &app,
            request("GET", "https://mcp.example.com/health", Headers::new(), ""),
        ));
        assert!(health.body_text().contains(r#""rateLimits":false"#), "{}", health.body_text());
    }

    /// An authenticated `/mcp` POST to a server configured by `var`, and its platform.
    fn mcp_with(var: impl Fn(&str) -> Option<String>) -> (HttpResponse, Rc<FakePlatform>) {
        let platform = Rc::new(FakePlatform::default());
        let app = App::for_tests(Config::from_vars(var), platform.clone(), None);
        let headers = Headers::new()
            .with("authorization", "Sentry-Bearer sntryu_x")
            .with("content-type", "application/json");
        let resp =
            block_on(handle(&app, request("POST", "https://mcp.example.com/mcp", headers, "{}")));
        (resp, platform)
    }

    #[test]
    fn health_says_why_the_agent_is_off_and_a_provider_without_its_key_is_a_mistake() {
        let health = |vars: &[(&str, &str)]| {
            let (app, _) = limited_app(vars, 100);
            let resp = block_on(handle(
                &app,
                request("GET", "https://mcp.example.com/health", Headers::new(), ""),
            ));
            (
                resp.status,
                serde_json::from_slice::<serde_json::Value>(&resp.body).unwrap_or_default(),
            )
        };
        let (status, body) = health(&[("OPENAI_API_KEY", "sk-live-secret")]);
        assert_eq!(status, 200);
        let reason = body["embeddedAgent"]["reason"].as_str().unwrap_or_default();
        assert_eq!(body["embeddedAgent"]["enabled"], false, "{body}");
        assert!(
            reason.contains("OPENAI_API_KEY is set but EMBEDDED_AGENT_PROVIDER is not"),
            "{reason}"
        );
        assert!(!body.to_string().contains("sk-live-secret"), "never the key");
        let (_, body) = health(&[("EMBEDDED_AGENT_PROVIDER", "workers-ai")]);
        assert_eq!(body["embeddedAgent"]["provider"], "workers-ai", "{body}");

        let (resp, platform) =
            mcp_with(|k| (k == "EMBEDDED_AGENT_PROVIDER").then(|| "anthropic".into()));
        assert_eq!(resp.status, 500, "a provider without its key is a configuration error");
        assert!(platform
            .logs
            .borrow()
            .iter()
            .any(|l| l.contains("config_error") && l.contains("ANTHROPIC_API_KEY is not set")));
    }

    #[test]
    fn agent_off_in_the_url_is_understood_and_a_typo_refused() {
        let (app, _) = limited_app(&[], 100);
        let post = |query: &str| {
            let mut req = mcp_post("198.51.100.9", Some("sntryu_alice"));
            req.url.set_query(Some(query));
            block_on(handle(&app, req))
        };
        assert_eq!(post("agent=off").status, 200);
        assert_eq!(post("agent=on&skills=inspect").status, 200);
        let typo = post("agent=of");
        assert_eq!(typo.status, 400);
        assert!(typo.body_text().contains("agent must be 'off'"), "{}", typo.body_text());
    }

    #[test]
    fn a_configuration_mistake_is_explained_and_logged() {
        let (resp, platform) =
            mcp_with(|k| (k == "SENTRY_URL").then(|| "http://sentry.internal".to_string()));
        assert_eq!(resp.status, 500);
        assert!(resp.body_text().contains("misconfigured"), "{}", resp.body_text());
        assert!(
            !resp.body_text().contains("SENTRY_ALLOW_INSECURE_HTTP"),
            "details stay in the logs"
        );
        assert!(platform
            .logs
            .borrow()
            .iter()
            .any(|l| l.contains("config_error") && l.contains("SENTRY_ALLOW_INSECURE_HTTP")));
        assert!(platform.logs.borrow().iter().all(|l| !l.contains("sntryu_x")));
    }

    #[test]
    fn upstream_failures_become_tool_errors_and_the_token_goes_only_to_sentry() {
        let platform = Rc::new(FakePlatform::default());
        platform
            .answers
            .borrow_mut()
            .push_back(Ok(HttpResponse::text(200, "<html>login</html>")
                .with_header("content-type", "text/html")));
        let app = App::for_tests(Config::from_vars(|_| None), platform.clone(), None);
        let headers = Headers::new()
            .with("authorization", "Sentry-Bearer sntryu_secret")
            .with("content-type", "application/json");
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}"#;
        let resp =
            block_on(handle(&app, request("POST", "https://mcp.example.com/mcp", headers, body)));
        assert_eq!(resp.status, 200);
        let text = resp.body_text();
        assert!(
            text.contains(r#""isError":true"#) && text.contains("text/html instead of API JSON"),
            "{text}"
        );
        assert!(!text.contains("sntryu_secret"));
        let sent = &platform.requests.borrow()[0];
        assert_eq!(sent.url.as_str(), "https://sentry.io/api/0/");
        assert_eq!(sent.headers.get("authorization"), Some("Bearer sntryu_secret"));
        assert!(platform.logs.borrow().iter().all(|l| !l.contains("sntryu_secret")));
    }
}
