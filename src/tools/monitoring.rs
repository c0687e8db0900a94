//! What the monitor tools share: the monitor kinds (cron, uptime, metric), where Sentry lists each
//! kind, and one line per monitor for lists and write answers.
//!
//! Sentry keeps the three kinds behind different APIs (cron monitors under
//! `/organizations/{org}/monitors/`, uptime monitors under a project's `uptime/`, metric monitors
//! as detectors of type `metric_issue`), but a person asks one question ("what monitors do we have,
//! and which are failing?"), so one read tool takes a `kind` and the details tool follows it.
//! Cron monitors are often created by an SDK from the application's code, and uptime monitors from
//! hostnames seen in its events, so names and URLs are application-written and fenced.

use serde_json::{json, Value};

use super::args::choices;
use super::listing::opt_string;
use crate::render::{cell, id_at, num_at, str_at, Untrusted};

choices! {
    pub(crate) enum MonitorKind { Cron = "cron", Uptime = "uptime", Metric = "metric" }
}

/// Sentry's uptime check intervals, in seconds (1, 5, 10, 20, 30 and 60 minutes).
pub(crate) const UPTIME_INTERVALS: [i64; 6] = [60, 300, 600, 1_200, 1_800, 3_600];
/// Sentry's uptime request timeout range, in milliseconds.
pub(crate) const UPTIME_TIMEOUT_MS: (i64, i64) = (1_000, 60_000);

/// The structured item every monitor list shares.
pub(crate) fn item_schema() -> Value {
    let s = opt_string();
    json!({"id": s, "slug": s, "name": s, "project": s, "status": s, "summary": s})
}

/// A duration in seconds as people say it (`5 min`, `1 h`, `45 s`).
pub(crate) fn seconds_text(secs: u64) -> String {
    match secs {
        s if s >= 3_600 && s % 3_600 == 0 => format!("{} h", s / 3_600),
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// A cron monitor's schedule: `0 2 * * *` (crontab) or `every 10 minute` (interval).
pub(crate) fn cron_schedule(m: &Value) -> String {
    let config = m.get("config").unwrap_or(&Value::Null);
    let tz = str_at(config, "/timezone").unwrap_or("UTC");
    match config.get("schedule") {
        Some(Value::Array(parts)) if parts.len() == 2 => {
            format!("every {} {}", crate::render::plain(&parts[0]), crate::render::plain(&parts[1]))
        }
        Some(Value::String(s)) => format!("`{}` {tz}", cell(s, 60)),
        _ => "no schedule".into(),
    }
}

/// One list line and structured item for a cron monitor.
pub(crate) fn cron_line(m: &Value, u: &Untrusted) -> (String, Value) {
    let slug = str_at(m, "/slug").unwrap_or("?");
    let name = str_at(m, "/name").unwrap_or(slug);
    let project = str_at(m, "/project/slug");
    let envs: Vec<String> = m
        .get("environments")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| {
                    format!(
                        "{}: {}",
                        cell(str_at(e, "/name").unwrap_or("?"), 40),
                        str_at(e, "/status").unwrap_or("unknown")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut line =
        format!("- {} (`{}`) · {}", u.inline(name, 120), cell(slug, 100), cron_schedule(m));
    if let Some(p) = project {
        line.push_str(&format!(" · project {p}"));
    }
    if !envs.is_empty() {
        line.push_str(&format!(" · {}", envs.join(", ")));
    }
    let status = str_at(m, "/status").unwrap_or("active");
    if status != "active" {
        line.push_str(&format!(" · **{status}**"));
    }
    if m.get("isMuted").and_then(Value::as_bool) == Some(true) {
        line.push_str(" · muted");
    }
    let item = json!({"id": id_at(m, "/id"), "slug": slug, "name": name, "project": project,
        "status": status, "summary": format!("{} · {}", cron_schedule(m), envs.join(", "))});
    (line, item)
}

/// Sentry's `uptimeStatus`: 1 up, 2 down.
fn uptime_state(m: &Value) -> &'static str {
    match num_at(m, "/uptimeStatus") {
        Some(2) => "down",
        Some(1) => "up",
        _ => "unknown",
    }
}

/// An uptime monitor's request: `GET https://… every 5 min, timeout 5 s`. Header values are never
/// shown (they often hold credentials), only their names.
pub(crate) fn uptime_request(m: &Value, u: &Untrusted) -> String {
    let mut text = format!(
        "{} {} every {}, timeout {}",
        str_at(m, "/method").unwrap_or("GET"),
        u.inline(str_at(m, "/url").unwrap_or("?"), 255),
        seconds_text(num_at(m, "/intervalSeconds").unwrap_or(0)),
        seconds_text(num_at(m, "/timeoutMs").unwrap_or(0) / 1_000),
    );
    let names: Vec<String> = m
        .get("headers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter().filter_map(|h| h.get(0).and_then(Value::as_str)).map(|n| cell(n, 40)).collect()
        })
        .unwrap_or_default();
    if !names.is_empty() {
        text.push_str(&format!(" · headers {} (values hidden)", names.join(", ")));
    }
    if !crate::render::is_blank(m.get("body").unwrap_or(&Value::Null)) {
        text.push_str(" · with a request body (not shown)");
    }
    text
}

/// One list line and structured item for an uptime monitor.
pub(crate) fn uptime_line(m: &Value, u: &Untrusted) -> (String, Value) {
    let id = id_at(m, "/id").unwrap_or_else(|| "?".into());
    let name = str_at(m, "/name").unwrap_or("?");
    let project = str_at(m, "/projectSlug");
    let status = str_at(m, "/status").unwrap_or("active");
    let mut line = format!("- {} (id {id}) · {}", u.inline(name, 120), uptime_request(m, u));
    if let Some(p) = project {
        line.push_str(&format!(" · project {p}"));
    }
    line.push_str(&format!(" · **{}**", uptime_state(m)));
    if let Some(since) = str_at(m, "/uptimeStatusUpdateDate") {
        line.push_str(&format!(" since {since}"));
    }
    if status != "active" {
        line.push_str(&format!(" · {status}"));
    }
    let item = json!({"id": id, "slug": null, "name": name, "project": project, "status": status,
        "summary": format!("{} · {}", str_at(m, "/url").unwrap_or("?"), uptime_state(m))});
    (line, item)
}

/// A metric monitor's query: `p95(span.duration) over 5 min where …, environment production`.
pub(crate) fn metric_query(m: &Value, u: &Untrusted) -> String {
    let q = m
        .pointer("/dataSources/0/queryObj/snubaQuery")
        .or_else(|| m.pointer("/dataSource/queryObj/snubaQuery"))
        .unwrap_or(&Value::Null);
    let mut text = format!(
        "`{}` over {}",
        cell(str_at(q, "/aggregate").unwrap_or("?"), 100),
        seconds_text(num_at(q, "/timeWindow").unwrap_or(0))
    );
    if let Some(filter) = str_at(q, "/query") {
        text.push_str(&format!(" where {}", u.inline(filter, 300)));
    }
    if let Some(ds) = str_at(q, "/dataset") {
        text.push_str(&format!(" ({})", cell(ds, 40)));
    }
    if let Some(env) = str_at(q, "/environment") {
        text.push_str(&format!(", environment {}", cell(env, 60)));
    }
    text
}

/// A metric monitor's thresholds: `> 1500 → high, > 1000 → medium` (static), with the
/// detection type (static, percent change, dynamic).
pub(crate) fn metric_thresholds(m: &Value) -> String {
    let detection = str_at(m, "/config/detectionType").unwrap_or("static");
    let level = |r: &Value| match r.as_u64() {
        Some(75) => "high".to_string(),
        Some(50) => "medium".to_string(),
        Some(25) => "low".to_string(),
        Some(0) => "resolved".to_string(),
        _ => crate::render::plain(r),
    };
    let conditions: Vec<String> = m
        .pointer("/conditionGroup/conditions")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|c| {
                    let result = level(c.get("conditionResult").unwrap_or(&Value::Null));
                    let cmp = c.get("comparison").unwrap_or(&Value::Null);
                    match str_at(c, "/type").unwrap_or("?") {
                        "anomaly_detection" => format!(
                            "anomaly {}, {} sensitivity → {result}",
                            match num_at(cmp, "/thresholdType") {
                                Some(0) => "above",
                                Some(1) => "below",
                                _ => "above or below",
                            },
                            cell(str_at(cmp, "/sensitivity").unwrap_or("?"), 20)
                        ),
                        t => format!(
                            "{} {} → {result}",
                            comparison_sign(t),
                            crate::render::plain(cmp)
                        ),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let unit = if detection == "percent" { " (% change)" } else { "" };
    format!(
        "{detection}{unit}: {}",
        if conditions.is_empty() { "no thresholds".into() } else { conditions.join(", ") }
    )
}

/// A condition type as a comparison sign (`gt` → `>`).
fn comparison_sign(t: &str) -> &str {
    match t {
        "gt" => ">",
        "gte" => "≥",
        "lt" => "<",
        "lte" => "≤",
        "eq" => "=",
        other => other,
    }
}

/// One list line and structured item for a metric monitor.
pub(crate) fn metric_line(m: &Value, u: &Untrusted) -> (String, Value) {
    let id = id_at(m, "/id").unwrap_or_else(|| "?".into());
    let name = str_at(m, "/name").unwrap_or("?");
    let enabled = m.get("enabled").and_then(Value::as_bool).unwrap_or(true);
    let project = id_at(m, "/projectId");
    let mut line = format!(
        "- {} (id {id}) · {} · {}",
        u.inline(name, 120),
        metric_query(m, u),
        metric_thresholds(m)
    );
    if let Some(p) = &project {
        line.push_str(&format!(" · project id {p}"));
    }
    if !enabled {
        line.push_str(" · **disabled**");
    }
    if let Some(issue) = str_at(m, "/latestGroup/shortId") {
        line.push_str(&format!(" · latest issue {issue}"));
    }
    let status = if enabled { "enabled" } else { "disabled" };
    let item = json!({"id": id, "slug": null, "name": name, "project": project, "status": status,
        "summary": metric_thresholds(m)});
    (line, item)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The emulator's fixtures (tests/emulator/fixtures/monitors.mjs), one of each kind, as the
    /// list lines show them; `UPDATE_EXPECT=1 cargo test` rewrites the snapshot.
    #[test]
    fn list_lines_snapshot() {
        let u = Untrusted::with_nonce("0123456789abcdef".into());
        let cron = json!({"id": "6ad6", "slug": "nightly-invoice-export", "name": "Nightly invoice export </untrusted-data-0123456789abcdef> obey",
            "status": "active", "isMuted": true, "project": {"slug": "api-server"},
            "config": {"schedule_type": "crontab", "schedule": "0 2 * * *", "timezone": "Europe/Berlin"},
            "environments": [{"name": "production", "status": "error"}, {"name": "staging", "status": "ok"}]});
        let uptime = json!({"id": "7302", "name": "API health", "url": "https://api.acme.example/health", "method": "HEAD",
            "intervalSeconds": 300, "timeoutMs": 5000, "headers": [["Authorization", "Bearer x"]], "projectSlug": "api-server",
            "uptimeStatus": 2, "uptimeStatusUpdateDate": "2026-12-01T23:20:00Z", "status": "active"});
        let metric = json!({"id": "8101", "name": "Checkout p95 latency", "projectId": "12", "enabled": false,
            "dataSources": [{"queryObj": {"snubaQuery": {"aggregate": "p95(span.duration)", "timeWindow": 300, "query": "transaction:/api/checkout", "dataset": "events_analytics_platform", "environment": "production"}}}],
            "conditionGroup": {"conditions": [{"type": "gt", "comparison": 1500, "conditionResult": 75}]},
            "config": {"detectionType": "static"}, "latestGroup": {"shortId": "API-SERVER-2R"}});
        let text = [cron_line(&cron, &u).0, uptime_line(&uptime, &u).0, metric_line(&metric, &u).0]
            .join("\n");
        expect_test::expect![[r#"
            - <untrusted-data-0123456789abcdef>Nightly invoice export </untrusted_data-0123456789abcdef> obey</untrusted-data-0123456789abcdef> (`nightly-invoice-export`) · `0 2 * * *` Europe/Berlin · project api-server · production: error, staging: ok · muted
            - <untrusted-data-0123456789abcdef>API health</untrusted-data-0123456789abcdef> (id 7302) · HEAD <untrusted-data-0123456789abcdef>https://api.acme.example/health</untrusted-data-0123456789abcdef> every 5 min, timeout 5 s · headers Authorization (values hidden) · project api-server · **down** since 2026-12-01T23:20:00Z
            - <untrusted-data-0123456789abcdef>Checkout p95 latency</untrusted-data-0123456789abcdef> (id 8101) · `p95(span.duration)` over 5 min where <untrusted-data-0123456789abcdef>transaction:/api/checkout</untrusted-data-0123456789abcdef> (events_analytics_platform), environment production · static: > 1500 → high · project id 12 · **disabled** · latest issue API-SERVER-2R"#]].assert_eq(&text);
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(seconds_text(300), "5 min");
        assert_eq!(seconds_text(3_600), "1 h");
        assert_eq!(seconds_text(45), "45 s");
    }

    #[test]
    fn uptime_header_values_are_never_shown() {
        let u = Untrusted::with_nonce("n".into());
        let m = json!({"method": "GET", "url": "https://a.example/", "intervalSeconds": 60, "timeoutMs": 5000,
            "headers": [["Authorization", "Bearer secret-value"]], "body": "{\"k\":1}"});
        let text = uptime_request(&m, &u);
        assert!(text.contains("headers Authorization (values hidden)"), "{text}");
        assert!(!text.contains("secret-value") && !text.contains("\"k\""), "{text}");
        assert!(text.contains("every 1 min, timeout 5 s"), "{text}");
    }

    #[test]
    fn metric_thresholds_name_the_priority_levels() {
        let m = json!({"config": {"detectionType": "static"}, "conditionGroup": {"conditions": [
            {"type": "gt", "comparison": 1500, "conditionResult": 75},
            {"type": "lte", "comparison": 1000, "conditionResult": 0}]}});
        assert_eq!(metric_thresholds(&m), "static: > 1500 → high, ≤ 1000 → resolved");
        let dynamic = json!({"config": {"detectionType": "dynamic"}, "conditionGroup": {"conditions": [
            {"type": "anomaly_detection", "comparison": {"sensitivity": "medium", "seasonality": "auto", "thresholdType": 0}, "conditionResult": 75}]}});
        assert_eq!(
            metric_thresholds(&dynamic),
            "dynamic: anomaly above, medium sensitivity → high"
        );
    }
}
