//! The `mcp.server` span of one MCP message, in the conventions Sentry's MCP monitoring views
//! read (its JavaScript and Python SDKs emit the same): op `mcp.server`, name `{method} {target}`
//! (`tools/call whoami`, `prompts/get fix_issue`), the canonical OpenTelemetry attributes
//! (`mcp.method.name`, `jsonrpc.request.id`, `gen_ai.tool.name`, ...) and the legacy aliases the
//! views still read (`mcp.tool.name`, `mcp.request.id`, `mcp.tool.result.is_error`, ...).
//!
//! Kept apart from `server` so dispatch stays about the protocol: `server` calls [`start`] before
//! a message runs and [`finish`] with its outcome. What a span carries is chosen here and only
//! here: names, ids, versions, counts and error codes; never arguments or tokens, and result
//! content (which holds what the monitored application wrote) only where the deployment opted in
//! (`SENTRY_TRACES_TOOL_RESULTS`), scrubbed and cut short by `Telemetry::recordable_result`. A `traceparent` in the message's `params._meta`
//! continues the caller's trace; notifications sent while it runs carry ours ([`TracedSink`]).

use std::rc::Rc;

use serde_json::{json, Map, Value};

use super::jsonrpc::{ErrorCode, RpcError};
use super::server::{McpContext, Transport};
use super::version::ProtocolVersion;
use crate::telemetry::OpenSpan;
use crate::tools::NotificationSink;

/// `_meta` keys that carry the client's identity and version in the modern era.
const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";

/// Longest value of a free-form attribute (client names, resource URIs): the attributes stay
/// small, so Sentry never drops a span's MCP fields for its size.
const MAX_ATTRIBUTE_CHARS: usize = 200;

/// A message whose span is running.
pub(super) struct MessageSpan {
    open: OpenSpan,
    op: &'static str,
    name: String,
    method: String,
    data: Map<String, Value>,
}

/// Open the span of a request or notification (a response from the client gets none).
pub(super) fn start(
    ctx: &McpContext<'_>,
    transport: &Transport<'_>,
    message: &Value,
) -> Option<MessageSpan> {
    let method = message.get("method")?.as_str()?;
    let method = bounded(method, 64);
    let empty = Map::new();
    let params = message.get("params").and_then(Value::as_object).unwrap_or(&empty);
    let meta = params.get("_meta").and_then(Value::as_object);
    if let Some(traceparent) = meta.and_then(|m| m.get("traceparent")).and_then(Value::as_str) {
        ctx.telemetry.continue_trace(traceparent);
    }
    let open = ctx.telemetry.open_span(ctx.platform);
    let id = message.get("id");
    if !ctx.telemetry.tracing() {
        // The span keeps its id (the parent of notifications' `traceparent`), but no attributes
        // are gathered for a span that can never be sent.
        let op = if id.is_none() { "mcp.notification.client_to_server" } else { "mcp.server" };
        return Some(MessageSpan { open, op, name: String::new(), method, data: Map::new() });
    }
    let mut data = Map::new();
    let mut set = |key: &str, value: Value| {
        data.insert(key.to_string(), value);
    };
    set("mcp.method.name", json!(method));
    if let Some(id) = id {
        let id = match id {
            Value::String(s) => bounded(s, 64),
            other => other.to_string(),
        };
        set("jsonrpc.request.id", json!(id));
        set("mcp.request.id", json!(id));
    }
    let text = |key: &str| params.get(key).and_then(Value::as_str).map(|s| bounded(s, 64));
    let mut target = None;
    match method.as_str() {
        "tools/call" => {
            if let Some(tool) = text("name") {
                set("gen_ai.tool.name", json!(tool));
                set("mcp.tool.name", json!(tool));
                target = Some(tool);
            }
            set("gen_ai.operation.name", json!("execute_tool"));
        }
        "prompts/get" => {
            if let Some(prompt) = text("name") {
                set("gen_ai.prompt.name", json!(prompt));
                set("mcp.prompt.name", json!(prompt));
                target = Some(prompt);
            }
        }
        m if m.starts_with("resources/") => {
            if let Some(uri) = params.get("uri").and_then(Value::as_str) {
                set("mcp.resource.uri", json!(bounded(uri, MAX_ATTRIBUTE_CHARS)));
            }
        }
        _ => {}
    }
    let client = params
        .get("clientInfo")
        .or_else(|| meta.and_then(|m| m.get(META_CLIENT_INFO)))
        .and_then(Value::as_object);
    for field in ["name", "title", "version"] {
        if let Some(v) = client.and_then(|c| c.get(field)).and_then(Value::as_str) {
            set(&format!("mcp.client.{field}"), json!(bounded(v, MAX_ATTRIBUTE_CHARS)));
        }
    }
    set("mcp.server.name", json!(crate::SERVER_NAME));
    set("mcp.server.version", json!(crate::SERVER_VERSION));
    let (transport_name, network) = match transport {
        Transport::Http(_) => ("http", "tcp"),
        Transport::Stdio(_) => ("stdio", "pipe"),
    };
    set("mcp.transport", json!(transport_name));
    set("network.transport", json!(network));
    if matches!(transport, Transport::Http(_)) {
        set("network.protocol.name", json!("http"));
    }
    if let Some(version) = requested_version(transport, &method, params, meta) {
        set("mcp.protocol.version", json!(version));
    }
    let notification = id.is_none();
    Some(MessageSpan {
        open,
        op: if notification { "mcp.notification.client_to_server" } else { "mcp.server" },
        name: match target {
            Some(t) => format!("{method} {t}"),
            None => method.clone(),
        },
        method,
        data,
    })
}

/// Close the span with the message's outcome: the result (`None` for a notification) or the
/// JSON-RPC error it was answered with.
pub(super) fn finish(
    ctx: &McpContext<'_>,
    span: MessageSpan,
    outcome: Option<Result<&Value, &RpcError>>,
) {
    let MessageSpan { open, op, name, method, mut data } = span;
    if !ctx.telemetry.tracing() {
        ctx.telemetry.close_span(ctx.platform, open, op, name, "ok", Value::Null);
        return;
    }
    let mut status = "ok";
    match outcome {
        Some(Ok(result)) => {
            if method == "initialize" {
                if let Some(v) = result.get("protocolVersion").and_then(Value::as_str) {
                    data.insert("mcp.protocol.version".into(), json!(v));
                }
            }
            if method == "tools/call" {
                let is_error = result.get("isError").and_then(Value::as_bool).unwrap_or(false);
                let count = result.get("content").and_then(Value::as_array).map_or(0, Vec::len);
                data.insert("mcp.tool.result.is_error".into(), json!(is_error));
                data.insert("mcp.tool.result.content_count".into(), json!(count));
                let text: Vec<&str> = result
                    .get("content")
                    .and_then(Value::as_array)
                    .map(|blocks| blocks.iter().filter_map(|b| b.get("text")?.as_str()).collect())
                    .unwrap_or_default();
                if let Some(content) = ctx.telemetry.recordable_result(|| text.join("\n")) {
                    data.insert("mcp.tool.result.content".into(), json!(content));
                }
                if is_error {
                    data.insert("error.type".into(), json!("tool_error"));
                    status = "internal_error";
                }
            }
        }
        Some(Err(error)) => {
            let code = error.code.0.to_string();
            data.insert("error.type".into(), json!(code));
            data.insert("rpc.response.status_code".into(), json!(code));
            if is_server_error(error.code) {
                status = "internal_error";
            }
        }
        None => {}
    }
    ctx.telemetry.close_span(ctx.platform, open, op, name, status, Value::Object(data));
}

/// Errors the server caused (a span failure), as opposed to a request the client got wrong:
/// parse, request, method and params errors, and the modern era's header, capability and
/// version refusals are the client's.
fn is_server_error(code: ErrorCode) -> bool {
    !matches!(code.0, -32700 | -32600 | -32601 | -32602 | -32022..=-32020)
}

/// The protocol version the message speaks, as far as it says: `initialize`'s request (the
/// answer refines it), the modern `_meta`, the HTTP header, or what stdio negotiated.
fn requested_version(
    transport: &Transport<'_>,
    method: &str,
    params: &Map<String, Value>,
    meta: Option<&Map<String, Value>>,
) -> Option<String> {
    if let Some(v) = meta.and_then(|m| m.get(META_VERSION)).and_then(Value::as_str) {
        return Some(bounded(v, 32));
    }
    if method == "initialize" {
        return params.get("protocolVersion").and_then(Value::as_str).map(|v| bounded(v, 32));
    }
    match transport {
        Transport::Http(headers) => Some(bounded(
            headers
                .get("mcp-protocol-version")
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .unwrap_or(ProtocolVersion::DEFAULT_LEGACY.as_str()),
            32,
        )),
        Transport::Stdio(conn) => {
            Some(conn.negotiated().unwrap_or(ProtocolVersion::DEFAULT_LEGACY).as_str().to_string())
        }
    }
}

/// At most `max` characters, without control characters (a client-chosen string must not
/// break a log viewer's lines).
fn bounded(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// The transport's notification sink, writing the running span's `traceparent` into each
/// notification's `params._meta`, so a client that traces can join what it receives to our span.
pub(super) fn traced(
    sink: Rc<dyn NotificationSink>,
    telemetry: &crate::telemetry::Telemetry,
) -> Rc<dyn NotificationSink> {
    Rc::new(TracedSink { inner: sink, traceparent: telemetry.traceparent() })
}

struct TracedSink {
    inner: Rc<dyn NotificationSink>,
    traceparent: String,
}

impl NotificationSink for TracedSink {
    fn send(&self, message: &Value) -> bool {
        let mut message = message.clone();
        if let Some(params) = message.get_mut("params").and_then(Value::as_object_mut) {
            let meta = params.entry("_meta").or_insert_with(|| json!({}));
            if let Some(meta) = meta.as_object_mut() {
                meta.insert("traceparent".into(), json!(self.traceparent));
            }
        }
        self.inner.send(&message)
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use serde_json::{json, Value};

    use super::super::server::{dispatch, McpContext, StdioConnection, Transport};
    use crate::caches::Caches;
    use crate::config::Config;
    use crate::platform::http::{Headers, HttpResponse};
    use crate::platform::testing::{block_on, FakePlatform};
    use crate::sentry::UpstreamSignals;
    use crate::session::{AccessMethod, Constraints, Session, SkillSet};
    use crate::telemetry::report::Dsn;
    use crate::telemetry::{Telemetry, TelemetrySettings, TransportKind};

    /// Run `messages` through dispatch as one request and return the transaction's JSON.
    fn transaction(transport: &Transport<'_>, messages: &[Value]) -> Value {
        transaction_with(transport, messages, false)
    }

    fn transaction_with(transport: &Transport<'_>, messages: &[Value], record: bool) -> Value {
        let platform = Rc::new(FakePlatform::default());
        let settings = TelemetrySettings {
            dsn: Dsn::parse("http://pubkey@127.0.0.1:9/42"),
            environment: "test".into(),
            release: "r".into(),
            traces_sample_rate: 1.0,
            record_tool_results: record,
        };
        let telemetry = Telemetry::new(
            settings,
            TransportKind::Http,
            platform.as_ref(),
            platform.clone(),
            None,
        );
        let config = Config::from_vars(|_| None).unwrap();
        let session = Session {
            upstream_token: "sntryu_secret".into(),
            access: AccessMethod::SentryBearer,
            skills: SkillSet::all(),
            constraints: Constraints::default(),
            agent_off: false,
        };
        let (caches, upstream) = (Caches::new(), UpstreamSignals::default());
        let ctx = McpContext {
            session: &session,
            config: &config,
            platform: platform.as_ref(),
            caches: &caches,
            notifications: None,
            telemetry: &telemetry,
            upstream: &upstream,
        };
        for message in messages {
            platform.answers.borrow_mut().push_back(Ok(HttpResponse::json(
                200,
                &json!({"user": {"id": "1", "email": "jane@example.com", "name": "Jane"}}),
            )));
            block_on(dispatch(&ctx, transport, message.clone()));
        }
        telemetry.request_finished(platform.as_ref(), "/mcp", "POST", 200);
        let sent = platform.requests.borrow();
        let envelope = sent.iter().rev().find(|r| r.url.path().ends_with("/envelope/")).unwrap();
        let body = String::from_utf8(envelope.body.clone()).unwrap();
        assert!(!body.contains("sntryu_secret"));
        serde_json::from_str(body.lines().nth(2).unwrap()).unwrap()
    }

    #[test]
    fn tool_calls_are_mcp_server_spans_with_the_canonical_and_legacy_attributes() {
        let headers = Headers::new().with("mcp-protocol-version", "2025-06-18");
        let call = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "whoami", "arguments": {},
            "_meta": {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}});
        let tx = transaction(&Transport::Http(&headers), &[call]);
        assert_eq!(tx["contexts"]["trace"]["trace_id"], "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(tx["contexts"]["trace"]["parent_span_id"], "b7ad6b7169203331");
        let spans = tx["spans"].as_array().unwrap();
        let span = spans.iter().find(|s| s["op"] == "mcp.server").unwrap();
        assert_eq!(span["description"], "tools/call whoami");
        assert_eq!(span["status"], "ok");
        let data = &span["data"];
        for (key, value) in [
            ("mcp.method.name", json!("tools/call")),
            ("jsonrpc.request.id", json!("7")),
            ("mcp.request.id", json!("7")),
            ("gen_ai.tool.name", json!("whoami")),
            ("mcp.tool.name", json!("whoami")),
            ("gen_ai.operation.name", json!("execute_tool")),
            ("mcp.protocol.version", json!("2025-06-18")),
            ("mcp.server.name", json!(crate::SERVER_NAME)),
            ("mcp.transport", json!("http")),
            ("network.transport", json!("tcp")),
            ("mcp.tool.result.is_error", json!(false)),
            ("mcp.tool.result.content_count", json!(1)),
        ] {
            assert_eq!(data[key], value, "{key} in {data}");
        }
        assert!(data.get("error.type").is_none());
        let upstream = spans.iter().find(|s| s["op"] == "http.client").unwrap();
        assert_eq!(
            upstream["parent_span_id"], span["span_id"],
            "Sentry calls nest in the tool call"
        );
        assert!(!tx.to_string().contains("jane@example.com"), "no result content");
    }

    #[test]
    fn errors_are_typed_and_only_server_errors_fail_the_span() {
        let conn = StdioConnection::default();
        let stdio = Transport::Stdio(&conn);
        let init = json!({"jsonrpc": "2.0", "id": "a", "method": "initialize", "params": {"protocolVersion": "2025-11-25",
            "capabilities": {}, "clientInfo": {"name": "claude-code\n", "version": "2.1.0"}}});
        let unknown =
            json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "nope"}});
        let failing = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "get_issue_details", "arguments": {}}});
        let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let tx = transaction(&stdio, &[init, unknown, failing, note]);
        let spans: Vec<&Value> =
            tx["spans"].as_array().unwrap().iter().filter(|s| s["op"] != "http.client").collect();
        assert_eq!(spans.len(), 4, "{spans:?}");
        assert_eq!(spans[0]["description"], "initialize");
        assert_eq!(spans[0]["data"]["mcp.client.name"], "claude-code");
        assert_eq!(spans[0]["data"]["mcp.protocol.version"], "2025-11-25");
        assert_eq!(spans[0]["data"]["mcp.transport"], "stdio");
        assert_eq!(spans[0]["data"]["network.transport"], "pipe");
        assert_eq!(spans[1]["data"]["error.type"], "-32602");
        assert_eq!(spans[1]["data"]["rpc.response.status_code"], "-32602");
        assert_eq!(spans[1]["status"], "ok", "the client's mistake");
        assert_eq!(spans[2]["data"]["error.type"], "tool_error");
        assert_eq!(spans[2]["data"]["mcp.tool.result.is_error"], true);
        assert_eq!(spans[2]["status"], "internal_error");
        assert_eq!(spans[2]["data"]["mcp.protocol.version"], "2025-11-25", "negotiated on stdio");
        assert_eq!(spans[3]["op"], "mcp.notification.client_to_server");
    }

    #[test]
    fn result_content_only_when_the_deployment_opts_in() {
        let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami"}});
        let headers = Headers::new();
        let tx = transaction_with(&Transport::Http(&headers), &[call], true);
        let span =
            tx["spans"].as_array().unwrap().iter().find(|s| s["op"] == "mcp.server").unwrap();
        let content = span["data"]["mcp.tool.result.content"].as_str().unwrap();
        assert!(
            content.contains("jane@example.com") && content.chars().count() <= 2_001,
            "{content}"
        );
    }

    #[test]
    fn traceparents_are_checked() {
        use crate::telemetry::parse_traceparent;
        assert!(
            parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").is_some()
        );
        for bad in [
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
            "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b71692033-01",
            "",
        ] {
            assert!(parse_traceparent(bad).is_none(), "{bad}");
        }
    }
}
