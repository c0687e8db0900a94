//! Telemetry: one structured log line per HTTP request and per tool call, errors reported to
//! Sentry, a metrics data point per tool call, and sampled performance transactions.
//!
//! The product monitors itself with the product it serves. Attribute names follow the
//! OpenTelemetry semantic conventions for GenAI/MCP where they exist (`mcp.method.name`,
//! `gen_ai.tool.name`, `network.transport`...). Only fields chosen here are ever emitted: never
//! a token, secret, cookie, `Authorization` value or event payload of the monitored application.
//!
//! A [`Telemetry`] lives for one request (or one stdio message): layers below fill it in (the
//! access method, the org, each upstream call) and it emits at the end.
//!
//! Spans follow Sentry's MCP monitoring conventions so its MCP views understand them: each MCP
//! message is an `mcp.server` span (built by `mcp::span`, attributes in its `data`), the calls to
//! Sentry's API made while it runs are its children, and a W3C `traceparent` a client sends in
//! `params._meta` makes the transaction part of the client's trace ([`Telemetry::continue_trace`]).

pub(crate) mod client_family;
pub(crate) mod report;

use std::cell::RefCell;

use serde_json::{json, Value};

use std::rc::Rc;

use crate::platform::services::{Binding, NoServices, Services};
use crate::platform::{random_hex, LogLevel, Platform};
use report::{Dsn, Span};

/// Which transport a request came over, as a label for log lines and reports (`mcp::Transport`
/// is the transport itself, with what each one carries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransportKind {
    Http,
    /// The legacy HTTP+SSE transport (`/sse`, `/message`).
    Sse,
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))] // the stdio binary's
    Stdio,
}

impl TransportKind {
    fn app(self) -> &'static str {
        match self {
            TransportKind::Http => "http",
            TransportKind::Sse => "sse",
            TransportKind::Stdio => "stdio",
        }
    }

    fn network(self) -> &'static str {
        match self {
            TransportKind::Http | TransportKind::Sse => "tcp",
            TransportKind::Stdio => "pipe",
        }
    }
}

/// Deployment settings for telemetry.
#[derive(Debug, Clone, Default)]
pub(crate) struct TelemetrySettings {
    /// Where reportable errors and sampled transactions go (`SENTRY_DSN`).
    pub dsn: Option<Dsn>,
    pub environment: String,
    pub release: String,
    /// Share of requests that send a performance transaction (`SENTRY_TRACES_SAMPLE_RATE`).
    pub traces_sample_rate: f64,
    /// Whether tool-call spans carry the result's text (`SENTRY_TRACES_TOOL_RESULTS`, off by
    /// default: results hold the monitored application's data).
    pub record_tool_results: bool,
}

/// The most characters of a tool result a span carries: Sentry drops a span's MCP attributes
/// when one is much longer (about 5,000 characters).
const MAX_RECORDED_RESULT_CHARS: usize = 2_000;

/// A failed call as telemetry sees it: the layer that failed classifies it, so telemetry needs
/// none of the error types above it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Failure<'a> {
    /// A stable class name (`invalid_input`, `upstream_server_error`, ...).
    pub class: &'static str,
    /// Caused by the caller's input or an ordinary upstream answer: logged, never reported.
    pub expected: bool,
    /// The text a report carries (already free of secrets).
    pub message: &'a str,
}

#[derive(Default)]
struct State {
    route: Option<&'static str>,
    client_family: &'static str,
    access_method: Option<&'static str>,
    caller: Option<String>,
    organization: Option<String>,
    mcp_method: Option<String>,
    tool: Option<String>,
    upstream_status: Option<u16>,
    spans: Vec<Span>,
    /// The span that is running (an MCP message), parent of the upstream calls made meanwhile.
    current_span: Option<String>,
    /// The caller's span when a `traceparent` continued its trace.
    remote_parent: Option<String>,
    /// How many span ids were handed out (each id is derived from this count).
    spans_started: u64,
    /// The embedded agent's `gen_ai.*` cost in the running tool call, added to its log line.
    agent: Option<Value>,
}

/// The most spans one transaction carries (a batch of tool calls stays bounded).
const MAX_SPANS: usize = 100;

/// A span that started and has not finished: its id and start time.
#[derive(Debug, Clone)]
pub(crate) struct OpenSpan {
    pub span_id: String,
    pub start_ms: u64,
}

/// One request's telemetry.
pub(crate) struct Telemetry {
    settings: TelemetrySettings,
    /// Where reports and metrics go (the Worker's services; none over stdio).
    services: Rc<dyn Services>,
    transport: TransportKind,
    started_ms: u64,
    /// Random per request, or the caller's when [`Telemetry::continue_trace`] accepted one.
    trace_id: RefCell<String>,
    /// The transaction's own span id (the root the other spans hang from).
    root_span_id: String,
    state: RefCell<State>,
}

impl Telemetry {
    pub(crate) fn new(
        settings: TelemetrySettings,
        transport: TransportKind,
        platform: &dyn Platform,
        services: Rc<dyn Services>,
        user_agent: Option<&str>,
    ) -> Self {
        let state = State {
            client_family: client_family::from_user_agent(user_agent.unwrap_or("")),
            ..State::default()
        };
        Self {
            settings,
            services,
            transport,
            started_ms: platform.now_ms(),
            trace_id: RefCell::new(random_hex(platform, 16)),
            root_span_id: random_hex(platform, 8),
            state: RefCell::new(state),
        }
    }

    /// Telemetry that records nothing beyond logs (unit tests, misconfigured deployments).
    pub(crate) fn disabled(platform: &dyn Platform) -> Self {
        Self::new(
            TelemetrySettings::default(),
            TransportKind::Http,
            platform,
            Rc::new(NoServices),
            None,
        )
    }

    /// Whether this request's spans can ever be sent: a DSN and a sample rate above 0. Without,
    /// spans keep their ids (notifications carry them in `traceparent`) but record nothing.
    pub(crate) fn tracing(&self) -> bool {
        self.settings.dsn.is_some() && self.settings.traces_sample_rate > 0.0
    }

    /// The normalised HTTP route (see [`route_of`]), carried by every line and report.
    pub(crate) fn set_route(&self, route: &'static str) {
        self.state.borrow_mut().route = Some(route);
    }

    pub(crate) fn set_access_method(&self, method: &'static str) {
        self.state.borrow_mut().access_method = Some(method);
    }

    /// A non-reversible id of the caller (hashed token or user), for distinct-user counts.
    pub(crate) fn set_caller(&self, caller_hash: String) {
        self.state.borrow_mut().caller = Some(caller_hash);
    }

    pub(crate) fn set_organization(&self, org: &str) {
        self.state.borrow_mut().organization = Some(org.to_string());
    }

    /// The MCP method, and the client's own name when it sent one (more precise than the UA).
    pub(crate) fn set_mcp(&self, method: &str, tool: Option<&str>, client_name: Option<&str>) {
        let mut s = self.state.borrow_mut();
        s.mcp_method = Some(method.chars().take(64).collect());
        s.tool = tool.map(|t| t.chars().take(64).collect());
        if let Some(family) = client_name.and_then(client_family::from_client_name) {
            s.client_family = family;
        }
    }

    /// One call to Sentry's API, for spans and the tool-call line.
    pub(crate) fn record_upstream(
        &self,
        method: &str,
        host: &str,
        path: &str,
        status: Option<u16>,
        start_ms: u64,
        end_ms: u64,
    ) {
        let span_id = self.new_span_id();
        let mut s = self.state.borrow_mut();
        s.upstream_status = status;
        if s.spans.len() < MAX_SPANS && self.tracing() {
            let parent_span_id = s.current_span.clone();
            s.spans.push(Span {
                op: "http.client",
                description: format!("{method} {host}{path}"),
                span_id,
                parent_span_id,
                start_ms,
                end_ms,
                status: status.map_or("unknown_error".into(), |c| {
                    if c < 400 {
                        "ok".into()
                    } else {
                        format!("http_{c}")
                    }
                }),
                data: Value::Null,
            });
        }
    }

    fn new_span_id(&self) -> String {
        // Span ids need only be unique within the trace: derived from the request's random root
        // id and a counter, they cost no randomness per span.
        let n = {
            let mut s = self.state.borrow_mut();
            s.spans_started += 1;
            s.spans_started
        };
        let root = u64::from_str_radix(&self.root_span_id, 16).unwrap_or(0);
        format!("{:016x}", root ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    /// Continue the caller's trace from a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`,
    /// read from a request's `params._meta`). Only the first valid one of a request counts; a
    /// malformed value is ignored (the request keeps its own trace).
    pub(crate) fn continue_trace(&self, traceparent: &str) {
        let mut s = self.state.borrow_mut();
        if s.remote_parent.is_some() {
            return;
        }
        if let Some((trace_id, parent)) = parse_traceparent(traceparent) {
            *self.trace_id.borrow_mut() = trace_id;
            s.remote_parent = Some(parent);
        }
    }

    /// Start a span (an MCP message): the upstream calls until [`Telemetry::close_span`] are
    /// its children.
    pub(crate) fn open_span(&self, platform: &dyn Platform) -> OpenSpan {
        let span_id = self.new_span_id();
        self.state.borrow_mut().current_span = Some(span_id.clone());
        OpenSpan { span_id, start_ms: platform.now_ms() }
    }

    /// Finish a span opened by [`Telemetry::open_span`], with its attributes.
    pub(crate) fn close_span(
        &self,
        platform: &dyn Platform,
        open: OpenSpan,
        op: &'static str,
        description: String,
        status: &str,
        data: Value,
    ) {
        let end_ms = platform.now_ms();
        let mut s = self.state.borrow_mut();
        if s.current_span.as_deref() == Some(open.span_id.as_str()) {
            s.current_span = None;
        }
        if s.spans.len() < MAX_SPANS && self.tracing() {
            s.spans.push(Span {
                op,
                description,
                span_id: open.span_id,
                parent_span_id: None,
                start_ms: open.start_ms,
                end_ms,
                status: status.to_string(),
                data,
            });
        }
    }

    /// A tool result's text as a span may carry it: `None` unless the deployment opted in;
    /// otherwise scrubbed of anything token-like and cut to [`MAX_RECORDED_RESULT_CHARS`]. The
    /// text is only put together when it is recorded.
    pub(crate) fn recordable_result(&self, text: impl FnOnce() -> String) -> Option<String> {
        if !self.settings.record_tool_results {
            return None;
        }
        let scrubbed = crate::redact::scrub(&text(), None);
        let mut out: String = scrubbed.chars().take(MAX_RECORDED_RESULT_CHARS).collect();
        if out.len() < scrubbed.len() {
            out.push('…');
        }
        Some(out)
    }

    /// The W3C `traceparent` naming the running span (or the request's root), for messages this
    /// server sends while it runs (`params._meta.traceparent` of notifications).
    pub(crate) fn traceparent(&self) -> String {
        let s = self.state.borrow();
        let span = s.current_span.as_deref().unwrap_or(&self.root_span_id);
        format!("00-{}-{span}-01", self.trace_id.borrow())
    }

    fn common(&self) -> Value {
        let s = self.state.borrow();
        json!({
            "http.route": s.route,
            "app.transport": self.transport.app(),
            "network.transport": self.transport.network(),
            "app.client.family": s.client_family,
            "app.access.method": s.access_method,
            "app.caller.hash": s.caller,
            "organization.slug": s.organization,
        })
    }

    /// The embedded agent worked for the running tool call: its `gen_ai.*` attributes (provider,
    /// model, tokens, model calls, time) go on the tool call's log line and metric point.
    pub(crate) fn record_agent(&self, attributes: Value) {
        self.state.borrow_mut().agent = Some(attributes);
    }

    /// One model call of the embedded agent, as a `gen_ai.chat` span under the running MCP span
    /// (OpenTelemetry GenAI conventions: `gen_ai.operation.name`, `gen_ai.system`,
    /// `gen_ai.request.model`, `gen_ai.usage.*` in `data`). Never the prompt or the answer.
    pub(crate) fn record_model_call(
        &self,
        model: &str,
        start_ms: u64,
        end_ms: u64,
        status: &str,
        data: Value,
    ) {
        if !self.tracing() {
            return;
        }
        let span_id = self.new_span_id();
        let mut s = self.state.borrow_mut();
        if s.spans.len() < MAX_SPANS {
            let parent_span_id = s.current_span.clone();
            s.spans.push(Span {
                op: "gen_ai.chat",
                description: format!("chat {}", crate::redact::scrub(model, None)),
                span_id,
                parent_span_id,
                start_ms,
                end_ms,
                status: status.to_string(),
                data,
            });
        }
    }

    /// A tool call ended: log it, count it, report it if reportable. Returns the reported event id.
    pub(crate) fn tool_call_finished(
        &self,
        platform: &dyn Platform,
        tool: &str,
        outcome: Result<(), Failure<'_>>,
        start_ms: u64,
    ) -> Option<String> {
        let end_ms = platform.now_ms();
        let (class, expected) = match outcome {
            Ok(()) => ("ok", true),
            Err(f) => (f.class, f.expected),
        };
        let upstream_status = self.state.borrow().upstream_status;
        let mut line = self.common();
        line["event"] = json!("tool_call");
        line["mcp.method.name"] = json!("tools/call");
        line["gen_ai.tool.name"] = json!(tool);
        line["outcome"] = json!(if class == "ok" { "ok" } else { "error" });
        line["error.type"] = json!(if class == "ok" { Value::Null } else { json!(class) });
        line["error.expected"] = json!(expected);
        line["upstream.status_code"] = json!(upstream_status);
        line["duration_ms"] = json!(end_ms.saturating_sub(start_ms));
        if let Some(Value::Object(agent)) = self.state.borrow_mut().agent.take() {
            for (key, value) in agent {
                line[key.as_str()] = value;
            }
        }
        let level = if class == "ok" {
            LogLevel::Info
        } else if expected {
            LogLevel::Warn
        } else {
            LogLevel::Error
        };
        platform.log(level, &line.to_string());
        if self.services.has(Binding::Metrics) {
            let point = report::metric_point(tool, &line, self.settings.dsn.is_some());
            self.services.write_metric(&point);
        }

        let Err(failure) = outcome else { return None };
        if expected {
            return None;
        }
        let dsn = self.settings.dsn.as_ref()?;
        let event_id = random_hex(platform, 16);
        let mut tags = self.common();
        tags["tool"] = json!(tool);
        let span_id =
            self.state.borrow().current_span.clone().unwrap_or_else(|| self.root_span_id.clone());
        let event = report::error_event(
            &event_id,
            &self.settings,
            failure.class,
            failure.message,
            &tags,
            (&self.trace_id.borrow(), &span_id),
            end_ms,
        );
        report::send(self.services.as_ref(), dsn, &event_id, "event", event);
        Some(event_id)
    }

    /// The HTTP request ended: log it and maybe send a sampled transaction.
    pub(crate) fn request_finished(
        &self,
        platform: &dyn Platform,
        route: &str,
        method: &str,
        status: u16,
    ) {
        let end_ms = platform.now_ms();
        let mut line = self.common();
        line["event"] = json!("http_request");
        line["http.request.method"] = json!(method);
        line["http.route"] = json!(route);
        line["http.response.status_code"] = json!(status);
        line["mcp.method.name"] = json!(self.state.borrow().mcp_method);
        line["gen_ai.tool.name"] = json!(self.state.borrow().tool);
        line["duration_ms"] = json!(end_ms.saturating_sub(self.started_ms));
        platform
            .log(if status >= 500 { LogLevel::Error } else { LogLevel::Info }, &line.to_string());

        let Some(dsn) = &self.settings.dsn else { return };
        let mut roll = [0u8; 4];
        platform.fill_random(&mut roll);
        if (u32::from_le_bytes(roll) as f64 / u32::MAX as f64) >= self.settings.traces_sample_rate {
            return;
        }
        let event_id = random_hex(platform, 16);
        let spans = std::mem::take(&mut self.state.borrow_mut().spans);
        let name = format!("{method} {route}");
        let remote_parent = self.state.borrow().remote_parent.clone();
        let trace = report::TraceIds {
            trace_id: &self.trace_id.borrow(),
            span_id: &self.root_span_id,
            parent_span_id: remote_parent.as_deref(),
        };
        let event = report::transaction(
            &event_id,
            &self.settings,
            &name,
            &trace,
            (self.started_ms, end_ms),
            status,
            &line,
            &spans,
        );
        report::send(self.services.as_ref(), dsn, &event_id, "transaction", event);
    }
}

/// `(trace id, parent span id)` of a version-00 W3C `traceparent`; `None` unless well formed
/// (lowercase hex of the right lengths, neither id all zeros).
pub(crate) fn parse_traceparent(value: &str) -> Option<(String, String)> {
    let mut parts = value.trim().split('-');
    let (version, trace_id, parent, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, len: usize| {
        s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let nonzero = |s: &str| s.bytes().any(|b| b != b'0');
    (parts.next().is_none()
        && version == "00"
        && hex(trace_id, 32)
        && hex(parent, 16)
        && hex(flags, 2)
        && nonzero(trace_id)
        && nonzero(parent))
    .then(|| (trace_id.to_string(), parent.to_string()))
}

/// The route pattern of a path, without ids or slugs.
pub(crate) fn route_of(path: &str) -> &'static str {
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match parts.as_slice() {
        [] => "/",
        ["mcp"] => "/mcp",
        ["mcp", _] => "/mcp/:organizationSlug",
        ["mcp", _, _] => "/mcp/:organizationSlug/:projectSlug",
        ["health"] => "/health",
        ["robots.txt"] => "/robots.txt",
        ["llms.txt"] => "/llms.txt",
        ["mcp.json"] => "/mcp.json",
        ["favicon.svg" | "favicon.ico"] => "/favicon.svg",
        ["sse", ..] | ["message"] | ["messages"] => "/sse",
        ["oauth", "authorize"] => "/oauth/authorize",
        ["oauth", "callback"] => "/oauth/callback",
        ["oauth", "token"] => "/oauth/token",
        ["oauth", "register"] => "/oauth/register",
        ["oauth", "revoke"] => "/oauth/revoke",
        [".well-known", ..] => "/.well-known/*",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::testing::FakePlatform;

    #[test]
    fn routes_carry_no_ids() {
        assert_eq!(route_of("/mcp/acme/web"), "/mcp/:organizationSlug/:projectSlug");
        assert_eq!(route_of("/mcp"), "/mcp");
        assert_eq!(route_of("/.well-known/oauth-protected-resource/mcp/acme"), "/.well-known/*");
        assert_eq!(route_of("/x/y"), "other");
        assert_eq!(route_of("/llms.txt"), "/llms.txt");
    }

    #[test]
    fn tool_call_lines_and_reports() {
        let platform = Rc::new(FakePlatform::default());
        let settings = TelemetrySettings {
            dsn: Dsn::parse("http://pubkey@127.0.0.1:9/42"),
            environment: "test".into(),
            release: "r".into(),
            traces_sample_rate: 0.0,
            record_tool_results: false,
        };
        let t = Telemetry::new(
            settings,
            TransportKind::Http,
            platform.as_ref(),
            platform.clone(),
            Some("claude-code/2.1.0"),
        );
        t.set_organization("acme");
        assert_eq!(
            t.tool_call_finished(
                platform.as_ref(),
                "whoami",
                Err(Failure { class: "invalid_input", expected: true, message: "bad" }),
                0
            ),
            None
        );
        let id = t.tool_call_finished(
            platform.as_ref(),
            "whoami",
            Err(Failure {
                class: "upstream_server_error",
                expected: false,
                message: "Sentry answered 500",
            }),
            0,
        );
        assert_eq!(id.as_deref().map(str::len), Some(32));
        let logs = platform.logs.borrow();
        assert!(
            logs[0].contains(r#""app.client.family":"claude-code""#)
                && logs[0].contains(r#""error.expected":true"#),
            "{}",
            logs[0]
        );
        assert!(logs[1].contains(r#""error.type":"upstream_server_error""#));
        let reqs = platform.requests.borrow();
        assert_eq!(reqs.len(), 1, "only the reportable error was sent");
        assert_eq!(reqs[0].url.as_str(), "http://127.0.0.1:9/api/42/envelope/");
    }
}
