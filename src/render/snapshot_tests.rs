//! Snapshot tests of the Markdown renderers: every fixture in `tests/fixtures/render/` (what the
//! Sentry emulator answers for one issue of each category with its latest event, both trace
//! formats, both Seer state shapes; written by `scripts/dump-render-fixtures.mjs`) is rendered and
//! compared with `tests/snapshots/render/<name>.md`, so a reviewer sees every change of output in
//! the diff. `UPDATE_EXPECT=1 cargo test --lib render::snapshot_tests` rewrites the snapshots.

use std::fs;
use std::path::Path;

use expect_test::expect_file;
use serde_json::Value;

use super::event::{issue_and_event, issue_list_entry, EventOptions};
use super::seer::{seer_markdown, SeerRun};
use super::trace::{trace_markdown, TraceOptions};
use super::Untrusted;
use super::{feed, resource};

fn render(name: &str, fixture: &Value) -> String {
    let u = Untrusted::with_nonce("5eed5eed5eed5eed".into());
    let md = if let Some(md) = investigation(fixture, &u) {
        md
    } else if let Some(trace) = fixture.get("trace") {
        let id = fixture["traceId"].as_str().unwrap_or_default();
        let opts = TraceOptions { max_spans: 50, focus_span: None };
        trace_markdown(id, "initech", &Value::Null, trace, &opts, &u)
    } else if let Some(state) = fixture.get("state") {
        let short = fixture["shortId"].as_str().unwrap_or_default();
        let run = SeerRun {
            org: "initech",
            short_id: short,
            state,
            started: false,
            started_run_id: None,
            waited: 0,
        };
        seer_markdown(&run, &u)
    } else {
        let issue = &fixture["issue"];
        let event = fixture.get("event").filter(|e| e.is_object()).map(|e| (e, "latest"));
        let opts = EventOptions { max_frames: 20, breadcrumbs: Some(10) };
        let mut md = String::new();
        issue_and_event(issue, "initech", event, &opts, &u, &mut md);
        md.push_str("\n---- as a search_issues entry ----\n");
        md.push_str(&issue_list_entry(issue, 1, &u));
        md
    };
    assert!(!md.contains("null") || name.starts_with("error-"), "{name}: the word null in\n{md}");
    u.finish(md)
}

/// The investigation fixtures (`investigation-*.json`): replays, profiles, releases, spans, AI
/// conversations, and an issue's activity, user reports and suspect commits.
fn investigation(f: &Value, u: &Untrusted) -> Option<String> {
    let list = |k: &str| f[k].as_array().cloned().unwrap_or_default();
    Some(if let Some(replay) = f.get("replay") {
        resource::replay("acme", replay, &f["segments"], u)
    } else if let Some(profile) = f.get("profile") {
        super::profile::sampled(
            "acme",
            "api-server",
            "d4c3b2a1f0e94d8c8b7a6f5e4d3c2b1a",
            profile,
            u,
        )
    } else if let Some(flamegraph) = f.get("flamegraph") {
        super::profile::flamegraph("acme", "api-server", "/api/orders/", "7d", flamegraph, u)
    } else if let Some(release) = f.get("release") {
        resource::release("acme", release, &list("deploys"), &list("commits"), u)
    } else if let Some(span) = f.get("span") {
        resource::span("acme", span, u)
    } else if f.get("rows").is_some() {
        resource::conversation(
            "acme",
            f["conversationId"].as_str().unwrap_or_default(),
            &list("rows"),
            u,
        )
    } else if f.get("activity").is_some() {
        let mut md = String::from("# Activity\n");
        feed::activity(&list("activity"), 50, u, &mut md);
        md.push_str("\n# User reports\n");
        feed::user_reports(&list("userReports"), u, &mut md);
        md.push_str("\n# Suspect commits\n");
        feed::suspect_commits(&list("committers"), u, &mut md);
        md
    } else {
        return None;
    })
}

#[test]
fn every_fixture_renders_as_its_snapshot() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/render");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .expect("tests/fixtures/render")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|f| f.strip_suffix(".json").map(str::to_string))
        .collect();
    names.sort();
    assert!(names.len() >= 30, "fixtures missing: {names:?}");
    for name in names {
        let text = fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
        let fixture: Value = serde_json::from_str(&text).unwrap();
        let md = render(&name, &fixture);
        expect_file![format!("../../tests/snapshots/render/{name}.md")].assert_eq(&md);
    }
}
