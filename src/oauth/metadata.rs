//! Discovery documents: protected-resource metadata (RFC 9728) for `/mcp` and every constrained
//! path below it, and authorization-server metadata (RFC 8414).

use serde_json::{json, Value};

use super::error::{oauth_error, OAuthErrorCode};
use super::{origin, redirect, OAuthConfig};
use crate::platform::http::{HttpRequest, HttpResponse};
use crate::session::Skill;

const PRM_PREFIX: &str = "/.well-known/oauth-protected-resource";

/// The scopes clients may ask for: the skills. Deliberately no `offline_access` (refresh tokens
/// are always issued; MCP 2026-07-28 says not to advertise it on the resource).
pub(crate) fn scopes_supported() -> Vec<&'static str> {
    Skill::ALL.iter().map(|s| s.id()).collect()
}

fn public_json(body: &Value) -> HttpResponse {
    HttpResponse::json(200, body).with_header("cache-control", "public, max-age=3600")
}

/// `GET /.well-known/oauth-protected-resource[/mcp[/{org}[/{project}]]]`.
///
/// The root document (no path) describes the canonical `/mcp` resource rather than answering 404
/// (the official server's choice): clients that implement only the older root-only discovery, or
/// that fall back to it (the TypeScript SDK does), still find the authorization server, and
/// `/mcp` is the resource they would be granted anyway.
pub(crate) fn protected_resource(req: &HttpRequest) -> HttpResponse {
    let issuer = origin(req);
    let rest = req.url.path()[PRM_PREFIX.len()..].trim_end_matches('/');
    let resource = if rest.is_empty() {
        Some(format!("{issuer}/mcp"))
    } else {
        redirect::audience_from_resource(Some(&format!("{issuer}{rest}")), &issuer)
            .ok()
            .map(|a| a.0)
    };
    match resource {
        Some(resource) => public_json(&json!({
            "resource": resource,
            "authorization_servers": [issuer],
            "bearer_methods_supported": ["header"],
            "scopes_supported": scopes_supported(),
            "resource_name": "Sentry MCP",
        })),
        None => oauth_error(404, OAuthErrorCode::NotFound, "no protected resource here; MCP endpoints are /mcp, /mcp/{organization} and /mcp/{organization}/{project}"),
    }
}

/// `GET /.well-known/oauth-authorization-server`, also served at the path-inserted locations
/// (`/.well-known/oauth-authorization-server/mcp/...`) that some clients probe. The `issuer` is
/// always the origin, byte-identical to `authorization_servers` in the resource metadata and to
/// the `iss` we send on authorization responses.
///
/// `iss` (RFC 9207) is sent on every redirect to the client, and
/// `authorization_response_iss_parameter_supported` is advertised, as 2026-07-28 asks (ChatGPT
/// expects it), unless `OAUTH_ADVERTISE_ISS=false`: Codex 0.146 (rmcp 1.8.0) rejects callbacks
/// once the flag is present, which is why the official Sentry server leaves it out.
///
/// `client_id_metadata_document_supported`: a `client_id` that is an HTTPS URL is resolved as a
/// client ID metadata document ([`super::cimd`]); dynamic registration stays available.
pub(crate) fn authorization_server(req: &HttpRequest, oauth: &OAuthConfig) -> HttpResponse {
    let rest =
        req.url.path()["/.well-known/oauth-authorization-server".len()..].trim_end_matches('/');
    if !(rest.is_empty() || rest == "/mcp" || rest.starts_with("/mcp/")) {
        return oauth_error(
            404,
            OAuthErrorCode::NotFound,
            "authorization server metadata is at /.well-known/oauth-authorization-server",
        );
    }
    let issuer = origin(req);
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "registration_endpoint": format!("{issuer}/oauth/register"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "scopes_supported": scopes_supported(),
        "client_id_metadata_document_supported": true,
    });
    if oauth.advertise_iss {
        doc["authorization_response_iss_parameter_supported"] = json!(true);
    }
    public_json(&doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(url: &str) -> HttpResponse {
        get_with(url, &crate::oauth::testing::oauth_config())
    }

    fn get_with(url: &str, oauth: &OAuthConfig) -> HttpResponse {
        let req = HttpRequest::get(url::Url::parse(url).unwrap());
        if req.url.path().starts_with(PRM_PREFIX) {
            protected_resource(&req)
        } else {
            authorization_server(&req, oauth)
        }
    }

    fn body(r: &HttpResponse) -> Value {
        serde_json::from_slice(&r.body).unwrap()
    }

    #[test]
    fn resource_documents_name_the_exact_path() {
        let root = body(&get("https://m.example/.well-known/oauth-protected-resource"));
        assert_eq!(root["resource"], "https://m.example/mcp");
        assert_eq!(
            body(&get("https://m.example/.well-known/oauth-protected-resource/mcp"))["resource"],
            "https://m.example/mcp"
        );
        let scoped =
            body(&get("https://m.example/.well-known/oauth-protected-resource/mcp/acme/web"));
        assert_eq!(scoped["resource"], "https://m.example/mcp/acme/web");
        assert_eq!(scoped["authorization_servers"], json!(["https://m.example"]));
        assert_eq!(scoped["bearer_methods_supported"], json!(["header"]));
        assert!(!scoped["scopes_supported"].to_string().contains("offline_access"));
        assert_eq!(get("https://m.example/.well-known/oauth-protected-resource/other").status, 404);
        assert_eq!(
            get("https://m.example/.well-known/oauth-protected-resource/mcp/a/b/c").status,
            404
        );
    }

    #[test]
    fn authorization_server_metadata_everywhere_clients_look() {
        for path in ["", "/mcp", "/mcp/acme"] {
            let doc = body(&get(&format!(
                "https://m.example/.well-known/oauth-authorization-server{path}"
            )));
            assert_eq!(doc["issuer"], "https://m.example");
            assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
            assert!(doc["token_endpoint_auth_methods_supported"]
                .as_array()
                .unwrap()
                .contains(&json!("none")));
            assert_eq!(doc["authorization_response_iss_parameter_supported"], json!(true));
            assert_eq!(doc["client_id_metadata_document_supported"], json!(true));
            assert!(doc["registration_endpoint"].is_string(), "DCR stays available");
        }
        let mut quiet = crate::oauth::testing::oauth_config();
        quiet.advertise_iss = false;
        let doc =
            body(&get_with("https://m.example/.well-known/oauth-authorization-server", &quiet));
        assert!(doc.get("authorization_response_iss_parameter_supported").is_none());
        assert_eq!(
            get("https://m.example/.well-known/oauth-authorization-server/elsewhere").status,
            404
        );
    }
}
