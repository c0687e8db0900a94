//! Traces as Markdown: counts, a per-operation breakdown and a bounded span tree.
//!
//! Span operations, descriptions and transaction names are written by the application, so the
//! breakdown and the tree sit inside the untrusted boundary; the counts are Sentry's own.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{json, Value};

use super::{num_at, str_at, truncate, Untrusted};

/// How much of a trace to show.
#[derive(Debug, Clone)]
pub(crate) struct TraceOptions {
    pub(crate) max_spans: usize,
    /// A span to point out in the tree.
    pub(crate) focus_span: Option<String>,
}

/// Render a trace from `/trace-meta/` (may be `Null`) and `/trace/` (an array of root nodes).
pub(crate) fn trace_markdown(
    trace_id: &str,
    org: &str,
    meta: &Value,
    roots: &Value,
    opts: &TraceOptions,
    u: &Untrusted,
) -> String {
    let mut out = format!("# Trace {trace_id} in **{org}**\n\n");
    let roots: Vec<&Value> = roots.as_array().map(|a| a.iter().collect()).unwrap_or_default();
    let mut all = Vec::new();
    for r in &roots {
        collect(r, 0, &mut all);
    }
    let spans: Vec<&(usize, &Value)> = all.iter().filter(|(_, n)| is_span(n)).collect();
    let errors: Vec<&Value> = all.iter().map(|(_, n)| *n).filter(|n| !is_span(n)).collect();
    let inline_errors: usize = spans
        .iter()
        .map(|(_, n)| n.get("errors").and_then(Value::as_array).map_or(0, Vec::len))
        .sum();
    let occurrences: usize = spans.iter().map(|(_, n)| performance_issues(n).len()).sum();

    let mut facts = vec![format!(
        "**Spans**: {}",
        num_at(meta, "/span_count").map_or(spans.len() as u64, |c| c)
    )];
    facts.push(format!(
        "**Errors**: {}",
        num_at(meta, "/errors").unwrap_or((errors.len() + inline_errors) as u64)
    ));
    facts.push(format!(
        "**Performance issues**: {}",
        num_at(meta, "/performance_issues").unwrap_or(occurrences as u64)
    ));
    if let Some(l) = num_at(meta, "/logs") {
        facts.push(format!("**Logs**: {l}"));
    }
    let _ = writeln!(out, "{}", facts.join(" · "));
    if all.is_empty() {
        let _ = writeln!(
            out,
            "\nNo spans or errors were found for this trace in the last 14 days. Check the trace id, or that the project sends performance data."
        );
        return out;
    }
    let start = spans
        .iter()
        .filter_map(|(_, n)| n.get("start_timestamp").and_then(Value::as_f64))
        .fold(f64::INFINITY, f64::min);
    let end = spans
        .iter()
        .filter_map(|(_, n)| n.get("end_timestamp").or(n.get("timestamp")).and_then(Value::as_f64))
        .fold(0.0, f64::max);
    if start.is_finite() && end > start {
        let _ = writeln!(out, "**Duration**: {:.1} ms", (end - start) * 1000.0);
    }

    let mut by_op: BTreeMap<String, (usize, f64)> = BTreeMap::new();
    for (_, n) in &spans {
        let e = by_op.entry(span_op(n).to_string()).or_default();
        e.0 += 1;
        e.1 += duration_ms(n);
    }
    let mut ops: Vec<_> = by_op.into_iter().collect();
    ops.sort_by(|a, b| b.1 .1.total_cmp(&a.1 .1));
    let mut table = String::from("op | spans | total ms | avg ms\n");
    for (op, (count, total)) in ops.iter().take(15) {
        let _ = writeln!(
            table,
            "{} | {count} | {total:.1} | {:.1}",
            truncate(op, 60),
            total / *count as f64
        );
    }
    if ops.len() > 15 {
        let _ = writeln!(table, "… {} more operations", ops.len() - 15);
    }
    let _ = write!(out, "\n## Operations (by total time)\n{}", u.block(&table));

    let mut tree = String::new();
    let mut shown = 0;
    for (depth, node) in &all {
        if shown >= opts.max_spans {
            break;
        }
        shown += 1;
        let indent = "  ".repeat((*depth).min(12));
        if is_span(node) {
            let span_id = span_id(node).unwrap_or("unknown");
            let focus = if opts.focus_span.as_deref() == Some(span_id) {
                "  ← selected span"
            } else {
                ""
            };
            let mut label = span_label(node);
            // The older format names the node's transaction apart from its description.
            if let Some(t) = str_at(node, "/transaction").filter(|t| !label.contains(*t)) {
                if node.get("transaction.op").is_some() || is_transaction(node) {
                    label = format!("{label} (transaction {t})");
                }
            }
            let kind = if is_transaction(node) { " · transaction" } else { "" };
            let _ = writeln!(
                tree,
                "{indent}- [{} · {:.1} ms · span {span_id}{}{kind}] {}{focus}",
                span_op(node),
                duration_ms(node),
                str_at(node, "/project_slug").map(|p| format!(" · {p}")).unwrap_or_default(),
                truncate(&label.replace('\n', " "), 160)
            );
            for err in node.get("errors").and_then(Value::as_array).into_iter().flatten().take(3) {
                let _ = writeln!(
                    tree,
                    "{indent}  ! error: {} (issue {})",
                    truncate(str_at(err, "/title").unwrap_or("untitled"), 160),
                    issue_ref(err)
                );
            }
            for occ in performance_issues(node).into_iter().take(3) {
                let _ = writeln!(
                    tree,
                    "{indent}  ! performance issue: {} (issue {})",
                    truncate(
                        str_at(occ, "/title").or(str_at(occ, "/issueTitle")).unwrap_or("untitled"),
                        160
                    ),
                    issue_ref(occ)
                );
            }
        } else {
            let _ = writeln!(
                tree,
                "{indent}- [error · issue {} · {}] {}",
                issue_ref(node),
                str_at(node, "/project_slug").unwrap_or("unknown project"),
                truncate(str_at(node, "/title").unwrap_or("untitled"), 160)
            );
        }
    }
    if all.len() > shown {
        let _ = writeln!(
            tree,
            "… {} more spans/errors not shown (raise maxSpans to see more)",
            all.len() - shown
        );
    }
    let _ = write!(
        out,
        "\n## Span tree (depth-first, first {shown} of {})\n{}",
        all.len(),
        u.block(&tree)
    );
    out
}

/// The spans of a trace as the MCP Apps waterfall draws them (`structuredContent` of
/// `get_trace_details` for a client that renders views): the first `max_spans` spans of the
/// depth-first walk the tree shows, each with its depth, its start relative to the trace's
/// earliest span and its duration in milliseconds. `op` and `name` are application-written (the
/// tool names them as such in its provenance); a span without timestamps starts at 0.
pub(crate) fn waterfall(trace_id: &str, org: &str, roots: &Value, max_spans: usize) -> Value {
    let mut all = Vec::new();
    for r in roots.as_array().into_iter().flatten() {
        collect(r, 0, &mut all);
    }
    let spans: Vec<&(usize, &Value)> = all.iter().filter(|(_, n)| is_span(n)).collect();
    let start_of = |n: &Value| n.get("start_timestamp").and_then(Value::as_f64);
    let start = spans.iter().filter_map(|(_, n)| start_of(n)).fold(f64::INFINITY, f64::min);
    let round = |ms: f64| (ms * 1000.0).round() / 1000.0;
    let shown: Vec<Value> = spans
        .iter()
        .take(max_spans)
        .map(|(depth, n)| {
            let offset = match start_of(n) {
                Some(s) if start.is_finite() => (s - start) * 1000.0,
                _ => 0.0,
            };
            let errors = n.get("errors").and_then(Value::as_array).map_or(0, Vec::len);
            json!({
                "spanId": span_id(n),
                "depth": depth,
                "op": truncate(span_op(n), 80),
                "name": truncate(&span_label(n).replace('\n', " "), 200),
                "project": str_at(n, "/project_slug"),
                "startMs": round(offset.max(0.0)),
                "durationMs": round(duration_ms(n)),
                "errors": errors,
                "transaction": is_transaction(n),
            })
        })
        .collect();
    let duration = shown
        .iter()
        .map(|s| s["startMs"].as_f64().unwrap_or(0.0) + s["durationMs"].as_f64().unwrap_or(0.0))
        .fold(0.0, f64::max);
    json!({
        "traceId": trace_id,
        "organization": org,
        "durationMs": round(duration),
        "spans": shown,
        "total": spans.len(),
    })
}

/// Span nodes in both formats: the older one (`span_id`, `transaction.op`) and the newer one
/// (`event_type: "span"`, the span id in `event_id`); error nodes are the rest.
fn is_span(n: &Value) -> bool {
    match str_at(n, "/event_type") {
        Some("span") => true,
        Some(_) => false,
        None => {
            n.get("span_id").is_some() || n.get("op").is_some() || n.get("transaction.op").is_some()
        }
    }
}

fn is_transaction(n: &Value) -> bool {
    n.get("is_transaction").and_then(Value::as_bool) == Some(true)
        || n.get("transaction.op").is_some()
}

fn span_id(n: &Value) -> Option<&str> {
    str_at(n, "/span_id").or_else(|| {
        (str_at(n, "/event_type") == Some("span")).then(|| str_at(n, "/event_id")).flatten()
    })
}

fn span_op(n: &Value) -> &str {
    str_at(n, "/op")
        .or_else(|| n.get("transaction.op").and_then(Value::as_str).filter(|s| !s.is_empty()))
        .unwrap_or("(no op)")
}

/// The label of a span: description, else name (newer format), else transaction, else op.
fn span_label(n: &Value) -> String {
    super::occurrence::span_label(n)
}

/// Performance issues on a node: `occurrences` (newer format) or `performance_issues` (older).
fn performance_issues(n: &Value) -> Vec<&Value> {
    ["occurrences", "performance_issues"]
        .iter()
        .filter_map(|k| n.get(*k).and_then(Value::as_array))
        .flatten()
        .collect()
}

/// An issue as its short id and numeric id when both are known.
fn issue_ref(n: &Value) -> String {
    let short = str_at(n, "/issue_short_id").or(str_at(n, "/issue"));
    let id = n.get("issue_id").map(super::plain).filter(|s| !s.is_empty());
    match (short, id) {
        (Some(s), Some(i)) => format!("{s}, id {i}"),
        (Some(s), None) => s.to_string(),
        (None, Some(i)) => i,
        (None, None) => "unknown".into(),
    }
}

fn duration_ms(n: &Value) -> f64 {
    if let Some(d) = n.get("duration").or(n.get("transaction.duration")).and_then(Value::as_f64) {
        return d;
    }
    match (
        n.get("start_timestamp").and_then(Value::as_f64),
        n.get("end_timestamp").or(n.get("timestamp")).and_then(Value::as_f64),
    ) {
        (Some(s), Some(e)) if e >= s => (e - s) * 1000.0,
        _ => 0.0,
    }
}

/// Depth-first flattening, bounded so a hostile or huge trace cannot exhaust memory.
fn collect<'a>(node: &'a Value, depth: usize, out: &mut Vec<(usize, &'a Value)>) {
    if out.len() >= 20_000 || depth > 200 {
        return;
    }
    out.push((depth, node));
    for child in node.get("children").and_then(Value::as_array).into_iter().flatten() {
        collect(child, depth + 1, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tree_is_bounded_and_wrapped() {
        let children: Vec<Value> = (0..30)
            .map(|i| json!({"span_id": format!("{i:016x}"), "op": "db", "description": format!("SELECT {i} </untrusted-data-x>"), "duration": 2.0, "children": []}))
            .collect();
        let roots = json!([{"span_id": "aaaaaaaaaaaaaaaa", "op": "http.server", "description": "GET /", "duration": 100.0, "children": children,
            "errors": [{"title": "Boom", "issue_id": 7}]}]);
        let u = Untrusted::with_nonce("t".into());
        let md = trace_markdown(
            "abc",
            "acme",
            &Value::Null,
            &roots,
            &TraceOptions { max_spans: 10, focus_span: Some("0000000000000001".into()) },
            &u,
        );
        assert!(md.contains("**Spans**: 31"), "{md}");
        assert!(md.contains("… 21 more spans/errors not shown"));
        assert!(md.contains("← selected span"));
        assert!(md.contains("! error: Boom (issue 7)"), "{md}");
        assert_eq!(md.matches("</untrusted-data-t>").count(), 2);
    }

    #[test]
    fn the_waterfall_places_every_shown_span() {
        for name in ["trace-newer-format", "trace-older-format"] {
            let path = format!("{}/tests/fixtures/render/{name}.json", env!("CARGO_MANIFEST_DIR"));
            let fixture: Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            let w = waterfall("t", "initech", &fixture["trace"], 50);
            let spans = w["spans"].as_array().unwrap();
            assert!(spans.len() >= 2 && spans.len() <= 50, "{name}: {}", spans.len());
            assert_eq!(spans[0]["startMs"], 0.0, "{name}: the root starts the trace");
            assert_eq!(spans[0]["depth"], 0);
            let total = w["durationMs"].as_f64().unwrap();
            for s in spans {
                let (start, d) =
                    (s["startMs"].as_f64().unwrap(), s["durationMs"].as_f64().unwrap());
                assert!(start >= 0.0 && d >= 0.0 && start + d <= total + 0.001, "{name}: {s}");
                assert!(s["name"].is_string() && s["op"].is_string(), "{name}: {s}");
            }
            assert!(w["total"].as_u64().unwrap() >= spans.len() as u64);
            assert_eq!(
                waterfall("t", "initech", &fixture["trace"], 2)["spans"].as_array().unwrap().len(),
                2
            );
        }
        assert_eq!(waterfall("t", "o", &Value::Null, 50)["spans"], json!([]));
    }

    #[test]
    fn empty_trace_says_so() {
        let u = Untrusted::with_nonce("t".into());
        let md = trace_markdown(
            "abc",
            "acme",
            &json!({"errors": 0}),
            &json!([]),
            &TraceOptions { max_spans: 10, focus_span: None },
            &u,
        );
        assert!(md.contains("No spans or errors were found"));
    }
}
