//! The evidence of issues that are not plain errors: performance problems, regressions, user
//! feedback, cron and uptime monitors, metric alerts, replay clicks.
//!
//! Sentry attaches an `occurrence` to such events: a subtitle, `evidenceDisplay` (the name/value
//! pairs its UI shows) and `evidenceData` (the detector's raw facts: span ids, the breakpoint and
//! before/after values of a regression, the monitor's config…). Performance events also carry a
//! `spans` entry, from which the offending, parent and cause spans are picked by id. Span
//! descriptions, transaction names, selectors and feedback text are written by the application,
//! so the callers put this text inside the untrusted boundary.

use std::fmt::Write;

use serde_json::Value;

use super::{is_blank, iso_from_epoch, plain, readable, str_at, truncate};

const VALUE_CHARS: usize = 600;
const MAX_DATA_FIELDS: usize = 25;
const MAX_SPAN_LINES: usize = 12;

/// `evidenceData` keys that only link to other data (shown through the spans instead) or repeat
/// what `evidenceDisplay` already says.
const SKIPPED_DATA: &[&str] = &[
    "offenderSpanIds",
    "parentSpanIds",
    "causeSpanIds",
    "repeatingSpans",
    "fingerprint",
    "op",
    "project_id",
    "data_start",
    "data_end",
    "absolute_percentage_change",
    "unweighted_t_value",
    "unweighted_p_value",
    "examples",
    "data_packet_source_id",
    "uptime_subscription_id",
];

/// The evidence of the event's occurrence as plain lines, leaving out values already in `shown`
/// (the text rendered so far). Empty when the event has no occurrence.
pub(crate) fn evidence_text(event: &Value, shown: &str) -> String {
    let Some(occ) = event.get("occurrence").filter(|o| o.is_object()) else {
        return String::new();
    };
    let mut text = String::new();
    let fresh = |v: &str, text: &str| !v.is_empty() && !shown.contains(v) && !text.contains(v);
    if let Some(sub) = str_at(occ, "/subtitle") {
        if fresh(sub, &text) {
            let _ = writeln!(text, "{}", truncate(sub, VALUE_CHARS));
        }
    }
    for item in occ.get("evidenceDisplay").and_then(Value::as_array).into_iter().flatten() {
        let name = str_at(item, "/name").unwrap_or("Evidence");
        let value = item.get("value").map(plain).unwrap_or_default();
        if value.is_empty() {
            continue;
        }
        // A one-line value already shown (the transaction as the culprit) is not repeated.
        if !value.contains('\n') && value.chars().count() >= 8 && shown.contains(&value) {
            continue;
        }
        let value = truncate(&value, VALUE_CHARS * 3);
        if value.contains('\n') {
            let _ = writeln!(text, "- {}:\n{value}", truncate(name, 80));
        } else {
            let _ = writeln!(text, "- {}: {value}", truncate(name, 80));
        }
    }
    let spans = occ
        .get("evidenceData")
        .map(|d| spans_text(event, d, &format!("{shown}{text}")))
        .unwrap_or_default();
    let fresh = |v: &str, text: &str| fresh(v, text) && !spans.contains(v);
    let data = occ.get("evidenceData").and_then(Value::as_object);
    let mut extras = Vec::new();
    let mut repeated = None;
    for (key, value) in data.into_iter().flatten() {
        if SKIPPED_DATA.contains(&key.as_str()) || is_blank(value) {
            continue;
        }
        let shown_value = match (key.as_str(), value) {
            ("numRepeatingSpans", v) => {
                let n = plain(v);
                if n != "1" {
                    repeated = Some(n);
                }
                continue;
            }
            ("breakpoint" | "timestamp", Value::Number(n)) if n.is_i64() => {
                n.as_i64().map(iso_from_epoch).unwrap_or_default()
            }
            ("repeatingSpansCompact", Value::Array(items))
                if items.iter().all(|i| !fresh(&plain(i), &text)) =>
            {
                continue
            }
            (_, Value::Number(n)) if n.is_f64() => {
                let f = n.as_f64().unwrap_or_default();
                let rounded = format!("{f:.4}");
                rounded.trim_end_matches('0').trim_end_matches('.').to_string()
            }
            (_, v @ Value::Object(_)) => format!("{{{}}}", readable(v, VALUE_CHARS)),
            (_, v @ Value::Array(_)) => format!("[{}]", readable(v, VALUE_CHARS)),
            (_, v) => plain(v),
        };
        if shown_value.is_empty() || !fresh(&shown_value, &text) {
            continue;
        }
        extras.push(format!("{key}={shown_value}"));
        if extras.len() >= MAX_DATA_FIELDS {
            break;
        }
    }
    if let Some(n) = repeated {
        let _ = writeln!(text, "- Repeated {n} times");
    }
    if !extras.is_empty() {
        let _ = writeln!(text, "- Evidence data: {}", extras.join("; "));
    }
    text.push_str(&spans);
    text
}

/// Every span of the event's `spans` entry (none when it has no such entry).
fn event_spans(event: &Value) -> Vec<&Value> {
    event
        .get("entries")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|e| str_at(e, "/type") == Some("spans"))
        .filter_map(|e| e.get("data").and_then(Value::as_array))
        .flatten()
        .collect()
}

/// The offending, parent and cause spans of a performance occurrence, looked up in the event's
/// `spans` entry (identical offenders grouped, with how often they repeat).
///
/// A description already quoted in `already` (the evidence above) is shortened to its start.
fn spans_text(event: &Value, data: &Value, already: &str) -> String {
    let spans = event_spans(event);
    if spans.is_empty() {
        return String::new();
    }
    let ids = |key: &str| -> Vec<String> {
        data.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().map(plain).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default()
    };
    let mut text = String::new();
    for (label, key) in [
        ("Parent span", "parentSpanIds"),
        ("Cause span", "causeSpanIds"),
        ("Offending span", "offenderSpanIds"),
    ] {
        let wanted = ids(key);
        let found: Vec<&Value> = wanted
            .iter()
            .filter_map(|id| spans.iter().find(|s| str_at(s, "/span_id") == Some(id.as_str())))
            .copied()
            .collect();
        if found.is_empty() {
            continue;
        }
        // Group identical operations and descriptions, keeping their order.
        let mut groups: Vec<(String, Vec<f64>)> = Vec::new();
        for span in &found {
            let mut label = span_label(span);
            if label.chars().count() > 40 && already.contains(&label) {
                label = format!("{}… (quoted above)", label.chars().take(30).collect::<String>());
            }
            let line = format!("{} · {label}", span_op(span));
            match groups.iter_mut().find(|(l, _)| *l == line) {
                Some((_, durations)) => durations.push(span_ms(span)),
                None => groups.push((line, vec![span_ms(span)])),
            }
        }
        let plural = if found.len() > 1 { "s" } else { "" };
        let _ = writeln!(text, "{label}{plural} ({}):", found.len());
        for (line, durations) in groups.iter().take(MAX_SPAN_LINES) {
            let total: f64 = durations.iter().sum();
            let timing = if durations.len() > 1 {
                format!("{}× · {total:.0} ms total", durations.len())
            } else {
                format!("{total:.0} ms")
            };
            let _ = writeln!(text, "  {timing} · {}", truncate(line, VALUE_CHARS));
        }
        if groups.len() > MAX_SPAN_LINES {
            let _ = writeln!(text, "  … {} more distinct spans", groups.len() - MAX_SPAN_LINES);
        }
    }
    text
}

/// A transaction without an occurrence: how many spans it has and the slowest few.
pub(crate) fn slowest_spans_text(event: &Value, max: usize) -> String {
    let spans = event_spans(event);
    if spans.is_empty() {
        return String::new();
    }
    let mut sorted = spans.clone();
    sorted.sort_by(|a, b| span_ms(b).total_cmp(&span_ms(a)));
    let mut text = format!("{} spans; the slowest:\n", spans.len());
    for span in sorted.iter().take(max) {
        let _ = writeln!(
            text,
            "  {:.0} ms · {} · {}",
            span_ms(span),
            span_op(span),
            truncate(&span_label(span), VALUE_CHARS)
        );
    }
    text
}

fn span_op(span: &Value) -> &str {
    str_at(span, "/op").unwrap_or("span")
}

/// A span's label: its description, or its name (newer trace format), or its operation.
pub(crate) fn span_label(span: &Value) -> String {
    str_at(span, "/description")
        .or(str_at(span, "/name"))
        .or(str_at(span, "/transaction"))
        .or(str_at(span, "/op"))
        .unwrap_or("(unnamed span)")
        .replace('\n', " ⏎ ")
}

fn span_ms(span: &Value) -> f64 {
    match (
        span.get("start_timestamp").and_then(Value::as_f64),
        span.get("timestamp").and_then(Value::as_f64),
    ) {
        (Some(s), Some(e)) if e >= s => (e - s) * 1000.0,
        _ => span.get("exclusive_time").and_then(Value::as_f64).unwrap_or(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_plain_transaction_lists_its_slowest_spans() {
        let event = json!({"entries": [{"type": "spans", "data": [
            {"op": "db", "name": "SELECT 1", "description": null, "start_timestamp": 1.0, "timestamp": 1.2},
            {"op": "http.client", "description": "GET /x", "start_timestamp": 1.0, "timestamp": 1.5}]}]});
        let text = slowest_spans_text(&event, 5);
        assert_eq!(
            text,
            "2 spans; the slowest:\n  500 ms · http.client · GET /x\n  200 ms · db · SELECT 1\n"
        );
    }

    #[test]
    fn n_plus_one_groups_repeated_spans() {
        let spans: Vec<Value> = (0..3)
            .map(|i| json!({"span_id": format!("o{i}"), "op": "db", "description": "SELECT 1", "start_timestamp": 1.0, "timestamp": 1.005}))
            .chain([json!({"span_id": "p", "op": "function", "description": "Serializer.to_repr", "start_timestamp": 1.0, "timestamp": 1.1})])
            .collect();
        let event = json!({"entries": [{"type": "spans", "data": spans}], "occurrence": {
            "subtitle": "SELECT 1", "evidenceDisplay": [{"name": "Offending Spans", "value": "SELECT 1\nSELECT 2"}],
            "evidenceData": {"offenderSpanIds": ["o0", "o1", "o2"], "parentSpanIds": ["p"], "numRepeatingSpans": "3", "nested": {"a": null, "b": 2}}}});
        let text = evidence_text(&event, "");
        assert!(text.contains("- Offending Spans:\nSELECT 1\nSELECT 2"), "{text}");
        assert!(
            text.contains("Parent span (1):\n  100 ms · function · Serializer.to_repr"),
            "{text}"
        );
        assert!(text.contains("3× · 15 ms total · db · SELECT 1"), "{text}");
        assert!(text.contains("- Repeated 3 times\n- Evidence data: nested={b=2}"), "{text}");
        assert!(!text.contains("null"));
    }
}
