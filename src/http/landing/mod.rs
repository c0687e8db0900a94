//! The public pages: the landing page at `/` (HTML, or Markdown for `Accept: text/markdown`) and
//! its icon, `/robots.txt`, `/llms.txt`, and the server's machine-readable description: the MCP server card
//! at `/mcp/server-card` (SEP-2127's reserved place; also `/mcp.json` and
//! `/.well-known/mcp/server-card.json`, where earlier drafts and other servers put it) and the
//! MCP catalog at `/.well-known/mcp/catalog.json`.
//!
//! They need no credentials and no configuration, read nothing but the request's URL and
//! `Accept`, and are the same for every visitor with the same query, so they may be cached.
//! The HTML page gets a strict Content-Security-Policy: nothing loads from anywhere, and its one
//! inline style sheet and script are allowed by their SHA-256 hashes only.

mod clients;
mod connection;
mod describe;
mod page;

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::platform::http::{HttpRequest, HttpResponse};
use connection::Connection;

/// The response for a public page, or `None` when `path` is not one (or the method is not
/// GET/HEAD).
pub(crate) fn handle(req: &HttpRequest, path: &str) -> Option<HttpResponse> {
    if req.method != "GET" && req.method != "HEAD" {
        return None;
    }
    let origin = req.url.origin().ascii_serialization();
    let response = match path {
        "/" if wants_markdown(req) => {
            text(describe::llms_txt(&origin), "text/markdown").with_header("vary", "Accept")
        }
        "/" => landing(req, &origin).with_header("vary", "Accept"),
        "/llms.txt" => text(describe::llms_txt(&origin), "text/markdown"),
        "/robots.txt" => text(describe::ROBOTS_TXT.to_string(), "text/plain"),
        "/favicon.svg" | "/favicon.ico" => icon(),
        "/mcp/server-card" | "/mcp.json" | "/.well-known/mcp/server-card.json" => {
            public_json(&describe::server_card(&origin), "application/mcp-server-card+json")
        }
        "/.well-known/mcp/catalog.json" => {
            public_json(&describe::catalog(&origin), "application/json")
        }
        _ => return None,
    };
    Some(response)
}

/// `Accept` prefers Markdown to HTML (agents that fetch the home page).
fn wants_markdown(req: &HttpRequest) -> bool {
    let accept = req.headers.get("accept").unwrap_or("").to_ascii_lowercase();
    accept.contains("text/markdown") && !accept.contains("text/html")
}

fn landing(req: &HttpRequest, origin: &str) -> HttpResponse {
    let pairs: Vec<(String, String)> = req.url.query_pairs().into_owned().take(32).collect();
    let connection =
        Connection::from_query(origin, pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut r = HttpResponse::new(200);
    r.headers.set("content-type", "text/html; charset=utf-8");
    r.headers.set("content-security-policy", content_security_policy());
    r.headers.set("x-frame-options", "DENY");
    r.headers.set("referrer-policy", "no-referrer");
    r.headers.set("cache-control", "public, max-age=300");
    r.body = page::render(&connection).into_bytes();
    r
}

/// Nothing from anywhere; the inline style and script by hash; the builder's form and its
/// refresh (`fetch` of this page) to this origin only; no framing.
pub(crate) fn content_security_policy() -> String {
    let hash = |s: &str| {
        format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s)))
    };
    format!(
        "default-src 'none'; style-src {}; script-src {}; connect-src 'self'; img-src 'self'; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        hash(page::STYLE),
        hash(page::SCRIPT)
    )
}

/// The page's icon (so browsers find one instead of a 404); an SVG with nothing active in it.
pub(crate) const ICON_SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\">\
<rect width=\"32\" height=\"32\" rx=\"7\" fill=\"#362d59\"/><path d=\"M8 23 16 8l8 15H12\" fill=\"none\" \
stroke=\"#fff\" stroke-width=\"3\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/></svg>";

fn icon() -> HttpResponse {
    let mut r = text(ICON_SVG.to_string(), "image/svg+xml");
    r.headers.set("content-security-policy", "default-src 'none'");
    r.headers.set("cache-control", "public, max-age=86400");
    r
}

fn text(body: String, media_type: &str) -> HttpResponse {
    let mut r = HttpResponse::new(200);
    r.headers.set("content-type", format!("{media_type}; charset=utf-8"));
    r.headers.set("cache-control", "public, max-age=300");
    r.body = body.into_bytes();
    r
}

/// Public metadata: readable from any origin (the card's CORS rules), cached for an hour.
fn public_json(value: &serde_json::Value, media_type: &str) -> HttpResponse {
    let mut r = HttpResponse::json(200, value);
    r.headers.set("content-type", media_type);
    r.headers.set("access-control-allow-origin", "*");
    r.headers.set("access-control-allow-methods", "GET");
    r.headers.set("access-control-allow-headers", "Content-Type");
    r.headers.set("cache-control", "public, max-age=3600");
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::http::Headers;

    fn get(url: &str, accept: &str) -> Option<HttpResponse> {
        let req = HttpRequest {
            method: "GET".into(),
            url: url::Url::parse(url).unwrap(),
            headers: Headers::new().with("accept", accept),
            body: Vec::new(),
        };
        handle(&req, req.url.path())
    }

    #[test]
    fn the_page_escapes_what_it_echoes_and_allows_only_its_own_script_and_style() {
        let r = get(
            "https://mcp.example.com/?org=%3Cscript%3Ealert(1)%3C/script%3E&project=web",
            "text/html",
        )
        .unwrap();
        let body = r.body_text();
        assert!(!body.contains("<script>alert"), "the bad slug is escaped");
        assert!(body.contains("https://mcp.example.com/mcp"), "the URL without it");
        let csp = r.headers.get("content-security-policy").unwrap();
        assert!(csp.starts_with("default-src 'none'") && !csp.contains("unsafe"), "{csp}");
        assert_eq!(body.matches("<script>").count(), 1, "only the page's own script");
    }

    #[test]
    fn the_builder_choices_reach_every_snippet() {
        let body =
            get("https://mcp.example.com/?org=acme&project=web", "text/html").unwrap().body_text();
        assert!(body.matches("https://mcp.example.com/mcp/acme/web").count() >= 9, "{body}");
    }

    #[test]
    fn agents_get_markdown_and_crawlers_stay_out_of_the_endpoints() {
        let md = get("https://mcp.example.com/", "text/markdown").unwrap();
        assert!(md.headers.get("content-type").unwrap().starts_with("text/markdown"));
        assert!(md.body_text().starts_with("# Sentry MCP"));
        let robots = get("https://mcp.example.com/robots.txt", "*/*").unwrap().body_text();
        assert!(robots.contains("Disallow: /mcp\n") && robots.contains("Disallow: /oauth/"));
        let card =
            get("https://mcp.example.com/mcp/server-card", "application/mcp-server-card+json")
                .unwrap();
        assert_eq!(card.headers.get("access-control-allow-origin"), Some("*"));
        assert!(get("https://mcp.example.com/mcp/acme", "*/*").is_none());
    }
}
