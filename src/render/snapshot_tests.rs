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

fn render(name: &str, fixture: &Value) -> String {
    let u = Untrusted::with_nonce("5eed5eed5eed5eed".into());
    let md = if let Some(trace) = fixture.get("trace") {
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
