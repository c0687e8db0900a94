//! The instruction profile of one request: the worker's per-request path (`http::handle`: the
//! route, credentials, session, `mcp` dispatch, the tool, rendering, telemetry, JSON), run
//! natively against canned Sentry answers so that only this server's work is counted. Made for
//! `valgrind --tool=callgrind`, which counts instructions instead of time, so the figures hold on
//! a busy machine: `scripts/profile-requests.sh` (`make profile`) builds this test, runs it once
//! per request kind with the count switched on only inside [`measured`], and prints instructions
//! per request. Ignored by default; it asserts answers, never time.
//!
//! The canned answers in `tests/fixtures/profile/` are the Sentry emulator's answers to the calls
//! `bench/worker.mjs` makes (organization `acme`, issue `API-SERVER-2A`), with its address
//! replaced by `https://sentry.io`.

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::Duration;

use async_trait::async_trait;

use super::{handle, App};
use crate::caches::Caches;
use crate::config::Config;
use crate::platform::http::{Headers, HttpRequest, HttpResponse};
use crate::platform::services::NoServices;
use crate::platform::testing::block_on;
use crate::platform::{FetchError, LogLevel, Platform};

/// Sentry's answers by path, as the emulator gave them.
const CANNED: &[(&str, &str)] = &[
    ("/api/0/organizations/acme/", include_str!("../../tests/fixtures/profile/organization.json")),
    (
        "/api/0/organizations/acme/issues/API-SERVER-2A/",
        include_str!("../../tests/fixtures/profile/issue.json"),
    ),
    (
        "/api/0/organizations/acme/issues/4101/events/latest/",
        include_str!("../../tests/fixtures/profile/latest-event.json"),
    ),
    ("/api/0/organizations/acme/issues/", include_str!("../../tests/fixtures/profile/issues.json")),
    ("/api/0/organizations/acme/events/", include_str!("../../tests/fixtures/profile/events.json")),
];

/// A runtime that answers from [`CANNED`] and drops its log lines, so nearly every instruction
/// counted is the server's own. The body is copied per answer, as a real fetch copies it out of
/// the runtime.
#[derive(Default)]
struct CannedSentry {
    fetches: Cell<usize>,
    logged_bytes: Cell<usize>,
}

#[async_trait(?Send)]
impl Platform for CannedSentry {
    async fn fetch(&self, request: HttpRequest, _: Duration) -> Result<HttpResponse, FetchError> {
        self.fetches.set(self.fetches.get() + 1);
        let path = request.url.path();
        let Some((_, body)) = CANNED.iter().find(|(p, _)| *p == path) else {
            return Err(FetchError::Network(format!("nothing canned for {path}")));
        };
        let mut response = HttpResponse::json_bytes(200, body.as_bytes().to_vec());
        if path.ends_with("/issues/") || path.ends_with("/events/") {
            let next =
                format!("{}?cursor=0:10:0", request.url.as_str().split('?').next().unwrap_or(""));
            response.headers.add(
                "link",
                format!(r#"<{next}>; rel="previous"; results="false"; cursor="0:0:1", <{next}>; rel="next"; results="true"; cursor="0:10:0""#),
            );
        }
        Ok(response)
    }

    async fn sleep(&self, _: Duration) {}

    fn now_ms(&self) -> u64 {
        1_700_000_000_000
    }

    fn fill_random(&self, buf: &mut [u8]) {
        buf.iter_mut().enumerate().for_each(|(i, b)| *b = (i as u8).wrapping_mul(151));
    }

    fn log(&self, _: LogLevel, line: &str) {
        self.logged_bytes.set(self.logged_bytes.get() + line.len());
    }
}

/// The request kinds `bench/worker.mjs` measures: (name, method, params).
pub(super) const REQUESTS: &[(&str, &str, &str)] = &[
    ("ping", "ping", "{}"),
    ("tools/list", "tools/list", "{}"),
    (
        "get_issue_details",
        "tools/call",
        r#"{"name":"get_issue_details","arguments":{"organizationSlug":"acme","issueId":"API-SERVER-2A"}}"#,
    ),
    (
        "search_issues",
        "tools/call",
        r#"{"name":"search_issues","arguments":{"organizationSlug":"acme","query":"is:unresolved"}}"#,
    ),
    (
        "search_events",
        "tools/call",
        r#"{"name":"search_events","arguments":{"organizationSlug":"acme","query":"level:error","fields":["title","count()"]}}"#,
    ),
];

/// The POST a client sends through workerd (Node's `fetch`, as the benchmark's clients are).
pub(super) fn post(id: u32, method: &str, params: &str) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        url: url::Url::parse("http://127.0.0.1:8787/mcp").unwrap(),
        headers: Headers::new()
            .with("accept", "application/json, text/event-stream")
            .with("accept-encoding", "gzip, deflate")
            .with("accept-language", "*")
            .with("authorization", "Sentry-Bearer sntryu_e2e_valid_token_0123456789abcdef")
            .with("cf-connecting-ip", "127.0.0.1")
            .with("connection", "keep-alive")
            .with("content-length", "120")
            .with("content-type", "application/json")
            .with("host", "127.0.0.1:8787")
            .with("mcp-protocol-version", "2025-11-25")
            .with("sec-fetch-mode", "cors")
            .with("user-agent", "node"),
        body: format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{params}}}"#)
            .into_bytes(),
    }
}

/// Serve `n` requests. Callgrind counts only inside this function (`--toggle-collect`), so the
/// set-up, the warm-up and the checks are left out.
#[inline(never)]
fn measured(app: &App, requests: Vec<HttpRequest>) -> HttpResponse {
    let mut last = HttpResponse::new(0);
    for request in requests {
        last = black_box(block_on(handle(app, black_box(request))));
    }
    last
}

#[test]
#[ignore = "an instruction profile, not a test: run by scripts/profile-requests.sh under callgrind"]
fn request_profile() {
    let which = std::env::var("PROFILE_REQUEST").unwrap_or_else(|_| "get_issue_details".into());
    let n: u32 =
        std::env::var("PROFILE_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let &(_, method, params) =
        REQUESTS.iter().find(|(name, ..)| *name == which).unwrap_or_else(|| {
            panic!(
                "PROFILE_REQUEST is one of {:?}",
                REQUESTS.iter().map(|r| r.0).collect::<Vec<_>>()
            )
        });
    let platform = Rc::new(CannedSentry::default());
    let app = App {
        config: Rc::new(Config::from_vars(|name| {
            (name == "MCP_RATE_LIMITS").then(|| "off".into())
        })),
        platform: platform.clone(),
        services: Rc::new(NoServices),
        caches: Rc::new(Caches::new()),
        oauth: None,
    };
    // The warm-up resolves the organization's region and builds the cached tools/list, as an
    // isolate's first requests do.
    let warm = block_on(handle(&app, post(0, method, params)));
    assert_eq!(warm.status, 200, "{}", warm.body_text());
    let fetches = platform.fetches.get();
    let requests: Vec<HttpRequest> = (1..=n).map(|id| post(id, method, params)).collect();
    let last = measured(&app, requests);
    let text = last.body_text();
    assert_eq!(last.status, 200, "{text}");
    assert!(!text.contains(r#""isError":true"#), "{text}");
    assert_eq!(
        text,
        String::from_utf8_lossy(&block_on(handle(&app, post(n, method, params))).body)
    );
    let per_request = (platform.fetches.get() - fetches) as f64 / f64::from(n + 1);
    #[allow(clippy::print_stderr)] // the report is the point
    {
        eprintln!(
            "{which}: {n} requests, {per_request} upstream calls each, answer {} bytes, log {} bytes",
            last.body.len(),
            platform.logged_bytes.get() / (n as usize + 1)
        );
    }
}
