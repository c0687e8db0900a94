//! Sending errors and transactions to Sentry's envelope endpoint, and the metrics data point.
//!
//! Reports are sent after the response (`Services::defer`, `waitUntil` at the edge), never
//! delaying it; where there are no services (the stdio binary) nothing is sent. They carry only what this module puts in: class, message (scrubbed), tags and
//! timings; never headers, cookies, tokens or the monitored application's event data.

use serde_json::{json, Value};
use url::Url;

use crate::platform::http::{Headers, HttpRequest};
use crate::platform::services::{MetricPoint, Services};
use crate::redact::scrub;

/// A parsed `SENTRY_DSN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dsn {
    public_key: String,
    envelope_url: Url,
}

impl Dsn {
    /// `https://<public key>@<host>[/<path>]/<project id>`; `None` when it is not one.
    pub(crate) fn parse(raw: &str) -> Option<Self> {
        let url = Url::parse(raw.trim()).ok()?;
        if !matches!(url.scheme(), "http" | "https") || url.username().is_empty() {
            return None;
        }
        let path = url.path().trim_end_matches('/');
        let (prefix, project) = path.rsplit_once('/')?;
        if project.is_empty() || !project.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let mut envelope_url = url.clone();
        envelope_url.set_username("").ok()?;
        envelope_url.set_password(None).ok()?;
        envelope_url.set_path(&format!("{prefix}/api/{project}/envelope/"));
        Some(Self { public_key: url.username().to_string(), envelope_url })
    }
}

/// A finished span of a transaction.
#[derive(Debug, Clone)]
pub(crate) struct Span {
    pub op: &'static str,
    pub description: String,
    pub span_id: String,
    /// `None`: a child of the transaction's root span.
    pub parent_span_id: Option<String>,
    pub start_ms: u64,
    pub end_ms: u64,
    pub status: String,
    /// The span's attributes (an object), or `Null` for none.
    pub data: Value,
}

/// Where a transaction sits in its trace.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TraceIds<'a> {
    pub trace_id: &'a str,
    /// The transaction's own (root) span.
    pub span_id: &'a str,
    /// The caller's span, when the request continued the caller's trace.
    pub parent_span_id: Option<&'a str>,
}

fn seconds(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

/// The tags every report carries, from the telemetry attributes (strings only, nulls dropped).
fn tags(attributes: &Value) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(map) = attributes.as_object() {
        for (k, v) in map {
            if let Some(s) = v.as_str() {
                out.insert(k.clone(), json!(s));
            }
        }
    }
    Value::Object(out)
}

/// An error event for a reportable failure.
pub(crate) fn error_event(
    event_id: &str,
    settings: &super::TelemetrySettings,
    class: &str,
    message: &str,
    attributes: &Value,
    (trace_id, span_id): (&str, &str),
    at_ms: u64,
) -> Value {
    json!({
        "event_id": event_id,
        "timestamp": seconds(at_ms),
        "platform": "other",
        "level": "error",
        "logger": "sentry-mcp-rs",
        "release": settings.release,
        "environment": settings.environment,
        "tags": tags(attributes),
        "exception": {"values": [{"type": class, "value": scrub(message, None), "mechanism": {"type": "generic", "handled": true}}]},
        "contexts": {"trace": {"trace_id": trace_id, "span_id": span_id}},
    })
}

/// A performance transaction for one request, with a span per MCP message and upstream call.
#[allow(clippy::too_many_arguments)]
pub(crate) fn transaction(
    event_id: &str,
    settings: &super::TelemetrySettings,
    name: &str,
    trace: &TraceIds<'_>,
    (start_ms, end_ms): (u64, u64),
    status: u16,
    attributes: &Value,
    spans: &[Span],
) -> Value {
    let trace_id = trace.trace_id;
    let spans: Vec<Value> = spans
        .iter()
        .map(|s| {
            let mut span = json!({"trace_id": trace_id, "span_id": s.span_id,
                   "parent_span_id": s.parent_span_id.as_deref().unwrap_or(trace.span_id), "op": s.op,
                   "description": scrub(&s.description, None), "start_timestamp": seconds(s.start_ms), "timestamp": seconds(s.end_ms), "status": s.status});
            if s.data.is_object() {
                span["data"] = s.data.clone();
            }
            span
        })
        .collect();
    let mut root = json!({"trace_id": trace_id, "span_id": trace.span_id, "op": "http.server", "status": if status < 500 { "ok" } else { "internal_error" }});
    if let Some(parent) = trace.parent_span_id {
        root["parent_span_id"] = json!(parent);
    }
    json!({
        "type": "transaction",
        "event_id": event_id,
        "transaction": name,
        "start_timestamp": seconds(start_ms),
        "timestamp": seconds(end_ms),
        "platform": "other",
        "release": settings.release,
        "environment": settings.environment,
        "tags": tags(attributes),
        "contexts": {"trace": root},
        "spans": spans,
    })
}

/// Post one item to the envelope endpoint after the response.
pub(crate) fn send(
    services: &dyn Services,
    dsn: &Dsn,
    event_id: &str,
    item_type: &str,
    payload: Value,
) {
    let body = format!(
        "{}\n{}\n{}\n",
        json!({"event_id": event_id}),
        json!({"type": item_type, "content_type": "application/json"}),
        payload
    );
    let headers = Headers::new().with("content-type", "application/x-sentry-envelope").with(
        "x-sentry-auth",
        format!(
            "Sentry sentry_version=7, sentry_key={}, sentry_client={}/{}",
            dsn.public_key,
            crate::SERVER_NAME,
            crate::SERVER_VERSION
        ),
    );
    let request = HttpRequest {
        method: "POST".into(),
        url: dsn.envelope_url.clone(),
        headers,
        body: body.into_bytes(),
    };
    services.defer(request);
}

/// One tool call as an analytics data point (column order documented in docs/dashboards.md):
/// index1 = tool; blob1..8 = tool, transport, client family, access method, org hash, outcome,
/// error type, caller hash; double1..2 = duration ms, upstream status.
pub(crate) fn metric_point(tool: &str, line: &Value, _reporting: bool) -> MetricPoint {
    let text = |k: &str| line.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let org_hash = line
        .get("organization.slug")
        .and_then(Value::as_str)
        .map(|o| crate::digest::fingerprint("org", o))
        .unwrap_or_default();
    MetricPoint {
        index: tool.to_string(),
        blobs: vec![
            tool.to_string(),
            text("app.transport"),
            text("app.client.family"),
            text("app.access.method"),
            org_hash,
            text("outcome"),
            text("error.type"),
            text("app.caller.hash"),
        ],
        doubles: vec![
            line.get("duration_ms").and_then(Value::as_f64).unwrap_or(0.0),
            line.get("upstream.status_code").and_then(Value::as_f64).unwrap_or(0.0),
            // The embedded agent's cost in this call (0 when it did not work).
            line.get("gen_ai.usage.input_tokens").and_then(Value::as_f64).unwrap_or(0.0),
            line.get("gen_ai.usage.output_tokens").and_then(Value::as_f64).unwrap_or(0.0),
            line.get("gen_ai.agent.duration_ms").and_then(Value::as_f64).unwrap_or(0.0),
            line.get("gen_ai.agent.calls").and_then(Value::as_f64).unwrap_or(0.0),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsn_forms() {
        let d = Dsn::parse("https://abc123@o1.ingest.us.sentry.io/4507").unwrap();
        assert_eq!(d.envelope_url.as_str(), "https://o1.ingest.us.sentry.io/api/4507/envelope/");
        let prefixed = Dsn::parse("http://k@127.0.0.1:9000/prefix/7").unwrap();
        assert_eq!(prefixed.envelope_url.as_str(), "http://127.0.0.1:9000/prefix/api/7/envelope/");
        assert!(Dsn::parse("https://o1.ingest.sentry.io/1").is_none(), "no key");
        assert!(Dsn::parse("https://k@host/notanumber").is_none());
        assert!(Dsn::parse("nonsense").is_none());
    }

    #[test]
    fn error_events_are_scrubbed() {
        let settings = super::super::TelemetrySettings::default();
        let e = error_event(
            "e",
            &settings,
            "c",
            "failed with Bearer sntryu_secret",
            &json!({"tool": "x", "n": 1}),
            ("0123456789abcdef0123456789abcdef", "0123456789abcdef"),
            1000,
        );
        assert!(!e.to_string().contains("sntryu_secret"));
        assert_eq!(e["tags"], json!({"tool": "x"}));
    }
}
