//! Where a request's own time goes, natively: the same core the Worker runs, driven through
//! [`super::handle`] with scripted upstream answers, so only this server's work is timed
//! (configuration, credentials, JSON, rendering, telemetry). Ignored by default; run with
//! `cargo test --release cost_profile -- --ignored --nocapture`, or under `perf record` for a
//! call graph. The worker benchmark (`bench/worker.mjs`) measures the same requests in workerd.
//! On a busy machine, count instructions instead: `make profile` (`super::request_profile`).

use std::rc::Rc;
use std::time::Instant;

use serde_json::Value;

use super::request_profile::post;
use super::{handle, App};
use crate::config::Config;
use crate::platform::http::HttpResponse;
use crate::platform::testing::{block_on, FakePlatform};

/// Mean microseconds of `run` over `n` calls, after a warm-up.
fn time(n: u32, mut run: impl FnMut()) -> f64 {
    for _ in 0..n / 10 {
        run();
    }
    let start = Instant::now();
    for _ in 0..n {
        run();
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(n)
}

#[test]
#[ignore = "a profile, not a test: run in release with --ignored --nocapture"]
fn cost_profile() {
    let fixture: Value =
        serde_json::from_str(include_str!("../../tests/fixtures/render/error-python.json"))
            .unwrap();
    let vars = |_: &str| None;
    let platform = Rc::new(FakePlatform::default());
    let app = App::for_tests(Config::from_vars(vars), platform.clone(), None);
    let n = 2000;

    let config = time(n, || {
        let _ = Config::from_vars(vars);
    });
    let ping = time(n, || {
        let r = block_on(handle(&app, post(1, "ping", "{}")));
        assert_eq!(r.status, 200);
    });
    let list = time(n, || {
        let r = block_on(handle(&app, post(1, "tools/list", "{}")));
        assert_eq!(r.status, 200);
    });
    let list_body = block_on(handle(&app, post(1, "tools/list", "{}"))).body;
    let list_value: Value = serde_json::from_slice(&list_body).unwrap();
    let list_serialise = time(n, || {
        let _ = serde_json::to_vec(&list_value).unwrap();
    });
    let list_clone = time(n, || {
        let _ = list_value.clone();
    });
    let issue = fixture["issue"].clone();
    let event = fixture["event"].clone();
    let call = r#"{"name":"get_issue_details","arguments":{"organizationSlug":"initech","issueId":"8024"}}"#;
    // The first call also resolves the organization's region (cached afterwards).
    platform.answers.borrow_mut().push_back(Ok(HttpResponse::json(
        200,
        &serde_json::json!({"slug": "initech", "links": {"regionUrl": "https://sentry.io"}}),
    )));
    let details = time(n, || {
        platform.answers.borrow_mut().push_back(Ok(HttpResponse::json(200, &issue)));
        platform.answers.borrow_mut().push_back(Ok(HttpResponse::json(200, &event)));
        let r = block_on(handle(&app, post(1, "tools/call", call)));
        assert!(r.body_text().contains(r#""isError":false"#), "{}", r.body_text());
        platform.requests.borrow_mut().clear();
    });
    let json_only = time(n, || {
        let a = serde_json::to_vec(&issue).unwrap();
        let b = serde_json::to_vec(&event).unwrap();
        let _: Value = serde_json::from_slice(&a).unwrap();
        let _: Value = serde_json::from_slice(&b).unwrap();
    });
    let report = [
        ("Config::from_vars", config),
        ("ping", ping),
        ("tools/list (all skills)", list),
        ("  of which: serialise the answer", list_serialise),
        ("  of which: deep-clone the answer", list_clone),
        ("get_issue_details (2 scripted upstream answers)", details),
        ("  of which: serialise + parse the two upstream bodies", json_only),
    ];
    #[allow(clippy::print_stderr)] // the report is the point
    for (what, us) in report {
        eprintln!("{what:<50} {us:>8.1} µs");
    }
}
