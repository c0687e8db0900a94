//! The route table: which paths exist and who handles them.

use serde_json::json;

use super::mcp_endpoint;
use super::{HttpRequest, HttpResponse};
use crate::config::{Config, ConfigError};
use crate::oauth::{self, OAuthSetup};
use crate::platform::{LogLevel, Platform};

/// What a request is served with: the parsed configuration (or why it is wrong), the runtime and,
/// where OAuth storage exists (the Worker's `OAUTH_KV`), remote OAuth mode.
pub struct App<'a> {
    pub config: Result<Config, ConfigError>,
    pub platform: &'a dyn Platform,
    pub oauth: Option<OAuthSetup<'a>>,
}

/// Serve one request.
pub async fn handle(app: &App<'_>, req: HttpRequest) -> HttpResponse {
    let path = req.url.path().to_string();
    let mut response = route(app, &req, &path).await;
    response.headers.set("x-content-type-options", "nosniff");
    response
}

async fn route(app: &App<'_>, req: &HttpRequest, path: &str) -> HttpResponse {
    if path == "/mcp" || path.starts_with("/mcp/") {
        let constraints = match mcp_endpoint::constraints_from_path(&path[4..]) {
            Ok(c) => c,
            Err(resp) => return resp,
        };
        let config = match &app.config {
            Ok(c) => c,
            Err(e) => return config_error(app, e),
        };
        return mcp_endpoint::handle(config, app.platform, app.oauth.as_ref(), req, constraints).await;
    }
    if path.starts_with("/.well-known/") || path.starts_with("/oauth/") {
        let config = match &app.config {
            Ok(c) => c,
            Err(e) => return config_error(app, e),
        };
        if let Some(response) = oauth::handle(app.oauth.as_ref(), config, app.platform, req).await {
            return response;
        }
    }
    match path {
        "/sse" | "/sse/message" | "/message" | "/messages" => HttpResponse::json(
            410,
            &json!({"error": "gone", "error_description": "The HTTP+SSE transport is not served. Connect to /mcp with Streamable HTTP.", "endpoint": "/mcp"}),
        ),
        "/" if req.method == "GET" || req.method == "HEAD" => HttpResponse::text(200, &landing(req)),
        _ => HttpResponse::json(404, &json!({"error": "not_found", "error_description": "Nothing here; the MCP endpoint is /mcp"})),
    }
}

/// A configuration mistake: logged for the operator and explained to the caller.
fn config_error(app: &App<'_>, e: &ConfigError) -> HttpResponse {
    app.platform.log(LogLevel::Error, &json!({"event": "config_error", "message": e.to_string()}).to_string());
    let err = crate::mcp::jsonrpc::RpcError::new(crate::mcp::jsonrpc::code::INTERNAL_ERROR, format!("The server is misconfigured, so no request can be served: {e}")).status(500);
    HttpResponse::json(500, &crate::mcp::jsonrpc::failure(&serde_json::Value::Null, &err))
}

fn landing(req: &HttpRequest) -> String {
    format!(
        "{name} {version}\n\nAn MCP server for Sentry. Connect your MCP client to {origin}/mcp (Streamable HTTP).\n\
Optional scopes: {origin}/mcp/<organization> and {origin}/mcp/<organization>/<project>.\n",
        name = crate::SERVER_NAME,
        version = crate::SERVER_VERSION,
        origin = req.url.origin().ascii_serialization()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Headers;
    use crate::platform::testing::{block_on, FakePlatform};

    fn request(method: &str, url: &str, headers: Headers, body: &str) -> HttpRequest {
        HttpRequest { method: method.into(), url: url::Url::parse(url).unwrap(), headers, body: body.as_bytes().to_vec() }
    }

    #[test]
    fn a_configuration_mistake_is_explained_and_logged() {
        let platform = FakePlatform::default();
        let config = Config::from_vars(|k| (k == "SENTRY_URL").then(|| "http://sentry.internal".to_string()));
        let app = App { config, platform: &platform, oauth: None };
        let headers = Headers::new().with("authorization", "Sentry-Bearer sntryu_x").with("content-type", "application/json");
        let resp = block_on(handle(&app, request("POST", "https://mcp.example.com/mcp", headers, "{}")));
        assert_eq!(resp.status, 500);
        assert!(resp.body_text().contains("SENTRY_ALLOW_INSECURE_HTTP"), "{}", resp.body_text());
        assert!(platform.logs.borrow()[0].contains("config_error"));
        assert!(!platform.logs.borrow()[0].contains("sntryu_x"));
    }

    #[test]
    fn upstream_failures_become_tool_errors_and_the_token_goes_only_to_sentry() {
        let platform = FakePlatform::default();
        platform.answers.borrow_mut().push_back(Ok(HttpResponse::text(200, "<html>login</html>").with_header("content-type", "text/html")));
        let app = App { config: Config::from_vars(|_| None), platform: &platform, oauth: None };
        let headers = Headers::new().with("authorization", "Sentry-Bearer sntryu_secret").with("content-type", "application/json");
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}"#;
        let resp = block_on(handle(&app, request("POST", "https://mcp.example.com/mcp", headers, body)));
        assert_eq!(resp.status, 200);
        let text = resp.body_text();
        assert!(text.contains(r#""isError":true"#) && text.contains("text/html instead of API JSON"), "{text}");
        assert!(!text.contains("sntryu_secret"));
        let sent = &platform.requests.borrow()[0];
        assert_eq!(sent.url.as_str(), "https://sentry.io/api/0/");
        assert_eq!(sent.headers.get("authorization"), Some("Bearer sntryu_secret"));
        assert!(platform.logs.borrow().iter().all(|l| !l.contains("sntryu_secret")));
    }
}
