//! The route table: which paths exist and who handles them.

use std::rc::Rc;

use serde_json::json;

use super::{landing, mcp_endpoint, rate_limit};
use crate::caches::Caches;
use crate::config::{Config, ConfigError};
use crate::digest::fingerprint;
use crate::oauth::{self, oauth_error, OAuthErrorCode, OAuthSetup};
use crate::platform::http::{HttpRequest, HttpResponse};
use crate::platform::services::{Binding, Limiter, Services};
use crate::platform::{LogLevel, Platform};
use crate::session::{Constraints, EndpointPathError};
use crate::telemetry::{self, Telemetry, TransportKind};

/// What a request is served with: the parsed configuration (or why it is wrong), the runtime and
/// its services (shared, because a streamed response keeps working after `handle` returns), the
/// isolate's caches and, where OAuth storage exists (the Worker's `OAUTH_KV`), remote OAuth mode.
pub(crate) struct App {
    pub config: Result<Config, ConfigError>,
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
        Self { config, platform, services, caches: Rc::new(Caches::new()), oauth }
    }

    /// `Some(429)` when `limiter` refuses `key`; see [`rate_limit::check`].
    pub(super) async fn rate_limit(&self, limiter: Limiter, key: &str) -> Option<HttpResponse> {
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

/// Serve one request, with its telemetry and the per-address rate limit.
pub(crate) async fn handle(app: &App, req: HttpRequest) -> HttpResponse {
    let path = req.url.path().to_string();
    let platform = app.platform.as_ref();
    let telemetry = Rc::new(match &app.config {
        Ok(c) => Telemetry::new(
            c.telemetry.clone(),
            TransportKind::Http,
            platform,
            app.services.clone(),
            req.headers.get("user-agent"),
        ),
        Err(_) => Telemetry::disabled(platform),
    });
    telemetry.set_route(telemetry::route_of(&path));
    let limited = path == "/mcp" || path.starts_with("/mcp/") || path.starts_with("/oauth/");
    let mut response = match limited && req.method != "OPTIONS" {
        true => {
            app.rate_limit(Limiter::PerAddress, &fingerprint("ip", &rate_limit::client_ip(&req)))
                .await
        }
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
    if path == "/mcp" || path.starts_with("/mcp/") {
        let constraints = match Constraints::from_mcp_path(path) {
            Ok(c) => c,
            Err(e @ EndpointPathError::TooDeep) => {
                return oauth_error(404, OAuthErrorCode::NotFound, &e.to_string())
            }
            Err(e) => return oauth_error(400, OAuthErrorCode::InvalidRequest, &e.to_string()),
        };
        let config = match &app.config {
            Ok(c) => c,
            Err(e) => return config_error(app, e),
        };
        return mcp_endpoint::handle(config, app, req, constraints, telemetry).await;
    }
    if path.starts_with("/.well-known/") || path.starts_with("/oauth/") {
        let config = match &app.config {
            Ok(c) => c,
            Err(e) => return config_error(app, e),
        };
        if let Some(response) =
            oauth::handle(app.oauth.as_ref(), config, app.platform.as_ref(), &app.caches, req).await
        {
            return response;
        }
    }
    match path {
        "/sse" | "/sse/message" | "/message" | "/messages" => HttpResponse::json(
            410,
            &json!({"error": "gone", "error_description": "The HTTP+SSE transport is not served. Connect to /mcp with Streamable HTTP.", "endpoint": "/mcp"}),
        ),
        _ => oauth_error(404, OAuthErrorCode::NotFound, "Nothing here; the MCP endpoint is /mcp"),
    }
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
    let config = app.config.as_ref().ok();
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
                "rateLimits": has(Binding::RateLimiter(Limiter::PerAddress))
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

    #[test]
    fn a_configuration_mistake_is_explained_and_logged() {
        let platform = Rc::new(FakePlatform::default());
        let config = Config::from_vars(|k| {
            (k == "SENTRY_URL").then(|| "http://sentry.internal".to_string())
        });
        let app = App::for_tests(config, platform.clone(), None);
        let headers = Headers::new()
            .with("authorization", "Sentry-Bearer sntryu_x")
            .with("content-type", "application/json");
        let resp =
            block_on(handle(&app, request("POST", "https://mcp.example.com/mcp", headers, "{}")));
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
