//! Replays, releases, single spans and AI agent conversations as Markdown (the resource kinds
//! of `get_sentry_resource` beyond issues, traces and profiles, which `render::profile` shows).
//!
//! Sentry's facts (ids, counts, durations, dates, statuses) are written plainly; what the
//! application or its users sent (URLs, user names, span descriptions, click targets, frame
//! names, commit messages, prompts and answers) goes inside the answer's untrusted boundary.
//! Every list is bounded and every cut is announced.

use std::fmt::Write;

use serde_json::Value;

use super::{minute, plain, str_at, token_or_unknown, truncate, Untrusted};

/// The spans-dataset fields shown for one span.
pub(crate) const SPAN_FIELDS: &[&str] = &[
    "id",
    "trace",
    "parent_span",
    "span.op",
    "span.description",
    "span.duration",
    "span.self_time",
    "span.status",
    "transaction",
    "project",
    "environment",
    "release",
    "timestamp",
];

/// The spans-dataset fields shown for each step of an AI agent conversation.
pub(crate) const CONVERSATION_FIELDS: &[&str] = &[
    "id",
    "span.op",
    "span.description",
    "gen_ai.agent.name",
    "gen_ai.request.model",
    "gen_ai.tool.name",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.request.messages",
    "gen_ai.response.text",
    "span.duration",
    "span.status",
    "trace",
    "project",
    "timestamp",
];

/// Whether a spans-dataset field holds application text (fenced) rather than Sentry's facts.
fn app_field(field: &str) -> bool {
    matches!(
        field,
        "span.description"
            | "transaction"
            | "release"
            | "environment"
            | "gen_ai.agent.name"
            | "gen_ai.tool.name"
            | "gen_ai.request.messages"
            | "gen_ai.response.text"
    )
}

fn fact(v: &Value) -> String {
    token_or_unknown(&plain(v)).to_string()
}

/// One span: Sentry's facts, then the application's text in one block.
pub(crate) fn span(org: &str, row: &Value, u: &Untrusted) -> String {
    let id = row.get("id").map(fact).unwrap_or_default();
    let mut out = format!("# Span {id} in **{org}**\n\n");
    let mut app = String::new();
    for field in SPAN_FIELDS.iter().filter(|f| **f != "id") {
        let Some(v) = row.get(*field).filter(|v| !super::is_blank(v)) else { continue };
        if app_field(field) {
            let _ = writeln!(app, "{field}: {}", truncate(&plain(v), 2_000));
        } else if *field == "timestamp" {
            let _ = writeln!(out, "- **{field}**: {}", minute(v));
        } else {
            let unit = if field.ends_with("duration") || field.ends_with("self_time") {
                " ms"
            } else {
                ""
            };
            let _ = writeln!(out, "- **{field}**: {}{unit}", fact(v));
        }
    }
    if !app.is_empty() {
        out.push('\n');
        out.push_str(&u.block(&app));
    }
    if let Some(trace) = row.get("trace").map(fact) {
        let _ = writeln!(
            out,
            "\nWhole trace: get_sentry_resource(resourceType='trace', resourceId='{trace}')."
        );
    }
    out
}

fn secs(v: Option<&Value>) -> String {
    match v.and_then(Value::as_f64) {
        Some(s) if s >= 60.0 => format!("{}m {}s", (s / 60.0).floor(), (s % 60.0).round()),
        Some(s) => format!("{s:.0}s"),
        None => "unknown".into(),
    }
}

/// A replay: summary counts, then a timeline of the recording's breadcrumbs (clicks,
/// navigations, console errors) and the related errors and traces.
pub(crate) fn replay(org: &str, data: &Value, segments: &Value, u: &Untrusted) -> String {
    let id = data.get("id").map(fact).unwrap_or_default();
    let mut out = format!("# Replay {id} in **{org}**\n\n");
    let count = |k: &str| data.get(k).and_then(Value::as_u64).unwrap_or(0);
    let _ = writeln!(
        out,
        "- **Started**: {} · **Duration**: {}",
        minute(&data["started_at"]),
        secs(data.get("duration"))
    );
    let _ = writeln!(
        out,
        "- **Errors**: {} · **Rage clicks**: {} · **Dead clicks**: {} · **Warnings**: {}",
        count("count_errors"),
        count("count_rage_clicks"),
        count("count_dead_clicks"),
        count("count_warnings")
    );
    let _ = writeln!(
        out,
        "- **Segments**: {} · **Archived**: {}",
        count("count_segments"),
        data["is_archived"] == Value::Bool(true)
    );
    let mut app = String::new();
    for (label, key) in [
        ("User", "user"),
        ("Browser", "browser"),
        ("OS", "os"),
        ("Device", "device"),
        ("Environment", "environment"),
        ("Releases", "releases"),
    ] {
        if let Some(v) = data.get(key).filter(|v| !super::is_blank(v)) {
            let _ = writeln!(app, "{label}: {}", truncate(&plain(v), 300));
        }
    }
    let urls: Vec<String> = data
        .get("urls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .take(10)
        .map(plain)
        .collect();
    if !urls.is_empty() {
        let _ = writeln!(app, "Pages: {}", truncate(&urls.join(" → "), 1_500));
    }
    let timeline = replay_timeline(segments, data.get("started_at").and_then(Value::as_str), 40);
    if !timeline.is_empty() {
        let _ = writeln!(app, "\nTimeline:\n{timeline}");
    }
    if !app.is_empty() {
        out.push('\n');
        out.push_str(&u.block(&app));
    }
    let list = |k: &str| -> Vec<String> {
        data.get(k).and_then(Value::as_array).into_iter().flatten().take(5).map(fact).collect()
    };
    let (errors, traces) = (list("error_ids"), list("trace_ids"));
    if !errors.is_empty() || !traces.is_empty() {
        out.push_str("\n## Related\n\n");
        for e in &errors {
            let _ = writeln!(out, "- Error event `{e}`");
        }
        for t in &traces {
            let _ = writeln!(
                out,
                "- Trace `{t}`: get_sentry_resource(resourceType='trace', resourceId='{t}')"
            );
        }
    }
    if segments.is_null() && count("count_segments") > 0 {
        out.push_str("\n_The recording could not be read; the summary above comes from the replay's index._\n");
    }
    out
}

/// Breadcrumb-like events of rrweb recording segments (custom events of type 5), in time order,
/// as lines `T+12s category: message`.
fn replay_timeline(segments: &Value, started_at: Option<&str>, max: usize) -> String {
    let start = started_at.and_then(super::epoch_ms);
    let mut events: Vec<(f64, String, String)> = Vec::new();
    for event in segments.as_array().into_iter().flatten().filter_map(Value::as_array).flatten() {
        if event.get("type").and_then(Value::as_u64) != Some(5) {
            continue;
        }
        let Some(data) = event.get("data") else { continue };
        let payload = data.get("payload").cloned().unwrap_or(Value::Null);
        let (label, detail) = match str_at(data, "/tag").unwrap_or("") {
            "breadcrumb" => (
                str_at(&payload, "/category").unwrap_or("breadcrumb").to_string(),
                str_at(&payload, "/message")
                    .map(str::to_string)
                    .unwrap_or_else(|| payload.get("data").map(plain).unwrap_or_default()),
            ),
            "performanceSpan" => (
                str_at(&payload, "/op").unwrap_or("span").to_string(),
                str_at(&payload, "/description").unwrap_or("").to_string(),
            ),
            _ => continue,
        };
        let ts = event.get("timestamp").and_then(Value::as_f64).map(|t| {
            if t > 1e12 {
                t
            } else {
                t * 1000.0
            }
        });
        events.push((ts.unwrap_or(f64::MAX), label, detail));
    }
    events.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut lines: Vec<String> = events
        .iter()
        .take(max)
        .map(|(ts, label, detail)| {
            let at = match start.filter(|_| *ts < f64::MAX) {
                Some(start) => format!("T+{:.0}s ", (ts - start).max(0.0) / 1000.0),
                None => String::new(),
            };
            format!("- {at}{}: {}", truncate(label, 60), truncate(detail, 200).replace('\n', " ⏎ "))
        })
        .collect();
    if events.len() > max {
        lines.push(format!("… {} more recording events not shown", events.len() - max));
    }
    lines.join("\n")
}

/// A release: dates, counts, per-project health, then its version, deploys and commits (all
/// written by the application's release tooling) in one block.
pub(crate) fn release(
    org: &str,
    r: &Value,
    deploys: &[Value],
    commits: &[Value],
    u: &Untrusted,
) -> String {
    let mut out = format!("# Release in **{org}**\n\n");
    let _ = writeln!(
        out,
        "- **Created**: {} · **Released**: {}\n- **First event**: {} · **Last event**: {}\n- **New issues**: {} · **Commits**: {} · **Deploys**: {}",
        minute(&r["dateCreated"]),
        minute(&r["dateReleased"]),
        minute(&r["firstEvent"]),
        minute(&r["lastEvent"]),
        fact(&r["newGroups"]),
        fact(&r["commitCount"]),
        fact(&r["deployCount"])
    );
    let projects = r.get("projects").and_then(Value::as_array).cloned().unwrap_or_default();
    for p in projects.iter().take(20) {
        let h = p.get("healthData").filter(|h| h.is_object());
        let pct = |k: &str| {
            h.and_then(|h| h.get(k))
                .and_then(Value::as_f64)
                .map(|v| format!("{v:.2}%"))
                .unwrap_or_else(|| "n/a".into())
        };
        let sessions =
            h.and_then(|h| h.get("totalSessions")).map(fact).unwrap_or_else(|| "n/a".into());
        let _ = writeln!(
            out,
            "- Project **{}**: {} new issues · crash-free sessions {} · crash-free users {} · sessions {sessions}",
            fact(&p["slug"]),
            fact(&p["newGroups"]),
            pct("crashFreeSessions"),
            pct("crashFreeUsers")
        );
    }
    let version = str_at(r, "/version").unwrap_or("");
    let mut app = format!("Version: {}\n", truncate(version, 200));
    if let Some(reference) = str_at(r, "/ref") {
        let _ = writeln!(app, "Ref: {}", truncate(reference, 200));
    }
    app.push_str("\nDeploys:\n");
    if deploys.is_empty() {
        app.push_str("- none recorded\n");
    }
    for d in deploys {
        let _ = writeln!(
            app,
            "- {} · finished {}",
            truncate(str_at(d, "/environment").unwrap_or(""), 80),
            minute(&d["dateFinished"])
        );
    }
    app.push_str("\nCommits (newest first):\n");
    if commits.is_empty() {
        app.push_str("- none recorded (link a repository and set commits on the release)\n");
    }
    for c in commits {
        let id: String = str_at(c, "/id").unwrap_or("").chars().take(12).collect();
        let author = str_at(c, "/author/name").or(str_at(c, "/author/email")).unwrap_or("");
        let message = str_at(c, "/message").unwrap_or("").lines().next().unwrap_or("");
        let _ = writeln!(
            app,
            "- {id} {} by {}: {}",
            minute(&c["dateCreated"]),
            truncate(author, 80),
            truncate(message, 200)
        );
    }
    out.push('\n');
    out.push_str(&u.block(&app));
    let token = token_or_unknown(version);
    if token != "unknown" {
        let _ = writeln!(
            out,
            "\nIssues new in this release: search_issues(query='firstRelease:{token}')."
        );
    }
    out
}

/// An AI agent conversation: one line of facts per gen_ai span, the prompts and answers fenced.
pub(crate) fn conversation(org: &str, id: &str, rows: &[Value], u: &Untrusted) -> String {
    let tokens =
        |k: &str| rows.iter().filter_map(|r| r.get(k).and_then(Value::as_u64)).sum::<u64>();
    let mut out = format!(
        "# AI conversation in **{org}**\n\n- **Spans**: {} · **Input tokens**: {} · **Output tokens**: {}\n",
        rows.len(),
        tokens("gen_ai.usage.input_tokens"),
        tokens("gen_ai.usage.output_tokens")
    );
    let mut app = format!("Conversation: {}\n", truncate(id, 128));
    for (i, r) in rows.iter().enumerate() {
        let _ = writeln!(
            app,
            "\n{}. {} · {} ms · {} · model {} · tokens {}/{}",
            i + 1,
            plain(&r["span.op"]),
            plain(&r["span.duration"]),
            plain(&r["span.status"]),
            plain(&r["gen_ai.request.model"]),
            plain(&r["gen_ai.usage.input_tokens"]),
            plain(&r["gen_ai.usage.output_tokens"])
        );
        for (label, key) in [
            ("agent", "gen_ai.agent.name"),
            ("tool", "gen_ai.tool.name"),
            ("step", "span.description"),
            ("input", "gen_ai.request.messages"),
            ("output", "gen_ai.response.text"),
        ] {
            if let Some(v) = r.get(key).filter(|v| !super::is_blank(v)) {
                let _ =
                    writeln!(app, "   {label}: {}", truncate(&plain(v), 800).replace('\n', " ⏎ "));
            }
        }
    }
    out.push('\n');
    out.push_str(&u.block(&app));
    if let Some(trace) = rows.first().and_then(|r| r.get("trace")).map(fact) {
        let _ = writeln!(
            out,
            "\nTrace: get_sentry_resource(resourceType='trace', resourceId='{trace}')."
        );
    }
    out
}
