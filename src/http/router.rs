//! The route table: which paths exist and who handles them.

use serde_json::json;

use super::mcp_endpoint;
use super::{HttpRequest, HttpResponse};
use crate::config::{Config, ConfigError};
use crate::platform::{LogLevel, Platform};

/// What a request is served with: the parsed configuration (or why it is wrong) and the runtime.
pub struct App<'a> {
    pub config: Result<Config, ConfigError>,
    pub platform: &'a dyn Platform,
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
        return mcp_endpoint::handle(config, app.platform, req, constraints).await;
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
