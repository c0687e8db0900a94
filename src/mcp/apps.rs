//! MCP Apps (SEP-1865, the `io.modelcontextprotocol/ui` extension): interactive views for the
//! clients that render them, as `ui://` resources.
//!
//! Two tools have a view: `get_trace_details` (a span waterfall) and `search_events` (the time
//! series of an aggregate). A client that declares the extension with the `text/html;profile=mcp-app`
//! MIME type (in `initialize`'s capabilities, or per request in the modern era's `_meta`) gets,
//! and only it: the extension in the server's capabilities, `_meta.ui.resourceUri` on those two
//! tools' `tools/list` entries, the views in `resources/list`, and the data the views draw as the
//! tools' `structuredContent`. Every other client gets exactly what it got before.
//!
//! The server is stateless, so a legacy-era HTTP client's `initialize` capabilities would be lost
//! by its next request: the `initialize` answer to a client that declared the extension carries an
//! `Mcp-Session-Id` that says so ([`session_id`]), which the client repeats on every later request
//! ([`from_session_id`]). It holds no state and grants nothing: it only turns the views on.
//!
//! A view is one self-contained HTML document (inline script and style, no external asset, its
//! own restrictive CSP) that speaks the host side's JSON-RPC over `postMessage` (`ui/initialize`,
//! `ui/notifications/initialized`, then `ui/notifications/tool-result`) and draws the result's
//! `structuredContent`. Span names, descriptions and transaction names are application-written:
//! the views put them in the page only as text nodes, never as markup.

use serde_json::{json, Value};

use super::jsonrpc::{ErrorCode, RpcError};
use crate::session::Session;
use crate::tools;

/// The extension's identifier.
pub(crate) const EXTENSION: &str = "io.modelcontextprotocol/ui";
/// The MIME type of an MCP Apps HTML view.
pub(crate) const MIME_TYPE: &str = "text/html;profile=mcp-app";
/// The prefix of the `Mcp-Session-Id` given to a legacy HTTP client that declared the extension.
const SESSION_PREFIX: &str = "mcp-app.";

/// One view: its resource and the tool whose results it draws.
#[derive(Debug)]
pub(crate) struct View {
    pub uri: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub tool: &'static str,
    html: &'static str,
}

/// A view's document: the shared head, style and bridge around one view's title, placeholder and
/// drawing script.
macro_rules! view_html {
    ($title:literal, $waiting:literal, $script:literal) => {
        concat!(
            include_str!("apps/head.html"),
            "<title>",
            $title,
            "</title>\n<style>",
            include_str!("apps/view.css"),
            "</style>\n</head>\n<body>\n<main id=\"view\" aria-live=\"polite\"><p class=\"note\">",
            $waiting,
            "</p></main>\n<script>",
            include_str!("apps/bridge.js"),
            include_str!($script),
            "</script>\n</body>\n</html>\n"
        )
    };
}

static VIEWS: [View; 2] = [
    View {
        uri: "ui://sentry-mcp-rs/trace-waterfall.html",
        name: "trace_waterfall",
        title: "Trace waterfall",
        description: "The spans of a get_trace_details answer as a waterfall: one bar per span, placed and sized by its timing.",
        tool: "get_trace_details",
        html: view_html!("Trace waterfall", "Waiting for the trace…", "apps/waterfall.js"),
    },
    View {
        uri: "ui://sentry-mcp-rs/time-series.html",
        name: "time_series",
        title: "Time series",
        description: "The time series of an aggregate search_events answer (e.g. count() or p95(span.duration)) as a chart: one point per interval.",
        tool: "search_events",
        html: view_html!("Time series", "Waiting for the series…", "apps/chart.js"),
    },
];

/// Whether client `capabilities` declare the extension with the HTML view type.
pub(crate) fn declared(capabilities: Option<&Value>) -> bool {
    capabilities
        .and_then(|c| c.pointer("/extensions").and_then(|e| e.get(EXTENSION)))
        .and_then(|ui| ui.get("mimeTypes"))
        .and_then(Value::as_array)
        .is_some_and(|types| types.iter().any(|t| t.as_str() == Some(MIME_TYPE)))
}

/// The `Mcp-Session-Id` for a legacy HTTP client that declared the extension: a random marker
/// (`hex`, from the platform's generator) behind a prefix that says the views are on.
pub(crate) fn session_id(hex: &str) -> String {
    format!("{SESSION_PREFIX}{hex}")
}

/// Whether an `Mcp-Session-Id` is one [`session_id`] gave.
pub(crate) fn from_session_id(id: Option<&str>) -> bool {
    id.and_then(|id| id.trim().strip_prefix(SESSION_PREFIX))
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The views of the tools the session can call.
pub(crate) fn visible(session: &Session) -> impl Iterator<Item = &'static View> + '_ {
    VIEWS.iter().filter(|v| tools::lookup(v.tool, session).is_ok())
}

/// The view of a tool, by the tool's name.
pub(crate) fn for_tool(tool: &str) -> Option<&'static View> {
    VIEWS.iter().find(|v| v.tool == tool)
}

/// The server's capability entry for the extension.
pub(crate) fn capability() -> Value {
    json!({ EXTENSION: {} })
}

/// A tool's `_meta` pointing at its view.
pub(crate) fn tool_meta(view: &View) -> Value {
    json!({"ui": {"resourceUri": view.uri}})
}

/// The session's views as `resources/list` entries.
pub(crate) fn listing(session: &Session) -> Vec<Value> {
    visible(session)
        .map(|v| {
            json!({"uri": v.uri, "name": v.name, "title": v.title, "description": v.description, "mimeType": MIME_TYPE})
        })
        .collect()
}

/// Whether `uri` names a view (the `ui://` scheme).
pub(crate) fn is_view_uri(uri: &str) -> bool {
    uri.starts_with("ui://")
}

/// `resources/read` of a view: the HTML, with its rendering preferences. A view of a tool the
/// session cannot call is not found, like any resource it cannot read.
pub(crate) fn read(session: &Session, uri: &str, not_found: ErrorCode) -> Result<Value, RpcError> {
    let Some(view) = visible(session).find(|v| v.uri == uri) else {
        let known: Vec<&str> = visible(session).map(|v| v.uri).collect();
        let message = if known.is_empty() {
            "Resource not found: this connection offers no views".to_string()
        } else {
            format!("Resource not found: the views of this connection are {}", known.join(", "))
        };
        return Err(RpcError::new(not_found, message)
            .data(json!({"uri": crate::render::truncate(uri, 200)})));
    };
    Ok(json!({"contents": [{
        "uri": view.uri,
        "mimeType": MIME_TYPE,
        "text": view.html,
        "_meta": {"ui": {"prefersBorder": true}},
    }]}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{AccessMethod, Constraints, Skill, SkillSet};

    fn session(skills: SkillSet) -> Session {
        Session {
            upstream_token: "t".into(),
            access: AccessMethod::SentryBearer,
            skills,
            constraints: Constraints::default(),
            agent_off: false,
        }
    }

    #[test]
    fn the_extension_needs_the_html_type() {
        let caps = |ui: Value| json!({"extensions": {EXTENSION: ui}});
        assert!(declared(Some(&caps(json!({"mimeTypes": [MIME_TYPE]})))));
        assert!(declared(Some(&caps(json!({"mimeTypes": ["text/uri-list", MIME_TYPE]})))));
        assert!(!declared(Some(&caps(json!({})))));
        assert!(!declared(Some(&caps(json!({"mimeTypes": ["text/html"]})))));
        assert!(!declared(Some(&json!({"experimental": {EXTENSION: {"mimeTypes": [MIME_TYPE]}}}))));
        assert!(!declared(None));
    }

    #[test]
    fn session_ids_say_only_whether_views_are_on() {
        let id = session_id("0a1b2c");
        assert!(from_session_id(Some(&id)));
        for other in ["", "mcp-app.", "mcp-app.xyz", "0a1b2c", "other.0a1b2c"] {
            assert!(!from_session_id(Some(other)), "{other}");
        }
        assert!(!from_session_id(None));
    }

    #[test]
    fn views_are_self_contained_documents_with_a_strict_policy() {
        for view in &VIEWS {
            let html = view.html;
            assert!(html.starts_with("<!doctype html>"), "{}", view.uri);
            assert!(html.contains("default-src 'none'"), "{}", view.uri);
            for external in ["src=\"http", "href=\"http", "src=\"//", "@import", "url("] {
                assert!(!html.contains(external), "{} loads {external}", view.uri);
            }
            assert!(!html.contains("innerHTML") && !html.contains("insertAdjacentHTML"));
            assert!(!html.contains("eval(") && !html.contains("new Function"));
            assert!(
                tools::catalogue().iter().any(|t| t.spec().name == view.tool),
                "{} names a tool",
                view.uri
            );
        }
    }

    #[test]
    fn reads_follow_the_session() {
        let all = session(SkillSet::all());
        let read_one = read(&all, VIEWS[0].uri, ErrorCode::RESOURCE_NOT_FOUND).unwrap();
        assert_eq!(read_one["contents"][0]["mimeType"], MIME_TYPE);
        assert_eq!(read_one["contents"][0]["text"], VIEWS[0].html);
        let err =
            read(&all, "ui://sentry-mcp-rs/nope.html", ErrorCode::RESOURCE_NOT_FOUND).unwrap_err();
        assert!(err.message.contains(VIEWS[1].uri), "{}", err.message);
        let none = session(SkillSet::none().with(Skill::ProjectManagement));
        assert_eq!(listing(&none), Vec::<Value>::new());
        assert!(read(&none, VIEWS[0].uri, ErrorCode::RESOURCE_NOT_FOUND).is_err());
        assert_eq!(listing(&all).len(), 2);
    }
}
