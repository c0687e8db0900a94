//! The boundary between the core and the machine it runs on.
//!
//! The core needs four things from outside: an HTTP client with a deadline, a clock, randomness
//! and a log sink ([`Platform`]). Each runtime supplies them: `edge::WorkerPlatform` in the
//! Worker, `native::NativePlatform` in the stdio binary and [`testing::FakePlatform`] in unit tests.
//! What only the Worker has (deferred work, metrics, rate limiters) is a separate trait,
//! [`services::Services`]. The plain HTTP values both speak are in [`http`]. Keeping these small
//! is what lets every other module stay plain Rust.

use std::time::Duration;

use async_trait::async_trait;

pub(crate) mod http;
pub(crate) mod services;

use http::{HttpRequest, HttpResponse};

/// Why an outbound request produced no HTTP response at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FetchError {
    /// No answer arrived before the deadline; the request was abandoned.
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// The connection failed (refused, reset, DNS, TLS...). The text comes from the runtime.
    #[error("network error: {0}")]
    Network(String),
}

/// How loud a log line is; the edge maps these onto `console.*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogLevel {
    Info,
    Warn,
    Error,
}

/// What the core needs from its runtime.
#[async_trait(?Send)]
pub(crate) trait Platform {
    /// Send one HTTP request, giving up after `timeout`.
    async fn fetch(
        &self,
        request: HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, FetchError>;
    /// Wait (used between polls of long-running Sentry jobs such as Seer).
    async fn sleep(&self, duration: Duration);
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
    /// Fill `buf` with cryptographically secure random bytes.
    fn fill_random(&self, buf: &mut [u8]);
    /// Write one log line. Callers must never pass credentials here.
    fn log(&self, level: LogLevel, line: &str);
    /// Run a Cloudflare Workers AI model through the Worker's `[ai]` binding
    /// (`env.AI.run(model, input)`), giving up after `timeout`: `None` when this runtime has no
    /// such binding (the stdio binary, a Worker deployed without `[ai]`); a failure is the
    /// binding's message ([`FetchError::Network`]) or the deadline.
    async fn run_ai(
        &self,
        _model: &str,
        _input: serde_json::Value,
        _timeout: Duration,
    ) -> Option<Result<serde_json::Value, FetchError>> {
        None
    }
}

/// A lowercase hex string of `bytes` random bytes (nonces, request ids).
pub(crate) fn random_hex(platform: &dyn Platform, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    platform.fill_random(&mut buf);
    crate::digest::hex(&buf)
}

/// A scripted [`Platform`] for unit tests: canned upstream answers, a fixed clock, recorded
/// requests and log lines.
#[cfg(test)]
pub(crate) mod testing {
    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};
    use std::time::Duration;

    use async_trait::async_trait;

    use super::{FetchError, LogLevel, Platform};
    use crate::platform::http::{HttpRequest, HttpResponse};

    #[derive(Default)]
    pub(crate) struct FakePlatform {
        pub answers: RefCell<VecDeque<Result<HttpResponse, FetchError>>>,
        pub requests: RefCell<Vec<HttpRequest>>,
        pub logs: RefCell<Vec<String>>,
        /// Time passed by `sleep`, added to the clock.
        pub slept_ms: Cell<u64>,
        /// Scripted `[ai]` binding answers; `None`: no binding.
        pub ai: RefCell<Option<VecDeque<Result<serde_json::Value, FetchError>>>>,
        /// What `run_ai` was asked: model and input.
        pub ai_calls: RefCell<Vec<(String, serde_json::Value)>>,
    }

    impl FakePlatform {
        /// Queue a JSON answer.
        pub(crate) fn answer_json(&self, status: u16, body: serde_json::Value) {
            self.answers.borrow_mut().push_back(Ok(HttpResponse::json(status, &body)));
        }
    }

    #[async_trait(?Send)]
    impl Platform for FakePlatform {
        async fn fetch(
            &self,
            request: HttpRequest,
            _timeout: Duration,
        ) -> Result<HttpResponse, FetchError> {
            self.requests.borrow_mut().push(request);
            self.answers
                .borrow_mut()
                .pop_front()
                .unwrap_or(Err(FetchError::Network("no scripted answer".into())))
        }
        async fn sleep(&self, duration: Duration) {
            self.slept_ms.set(self.slept_ms.get() + duration.as_millis() as u64);
        }
        fn now_ms(&self) -> u64 {
            1_700_000_000_000 + self.slept_ms.get()
        }
        fn fill_random(&self, buf: &mut [u8]) {
            buf.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
        }
        fn log(&self, _level: LogLevel, line: &str) {
            self.logs.borrow_mut().push(line.to_string());
        }
        async fn run_ai(
            &self,
            model: &str,
            input: serde_json::Value,
            _timeout: Duration,
        ) -> Option<Result<serde_json::Value, FetchError>> {
            let mut ai = self.ai.borrow_mut();
            let answers = ai.as_mut()?;
            self.ai_calls.borrow_mut().push((model.to_string(), input));
            Some(
                answers
                    .pop_front()
                    .unwrap_or(Err(FetchError::Network("no scripted answer".into()))),
            )
        }
    }

    /// Deferred requests are recorded with the fetched ones.
    impl super::services::Services for FakePlatform {
        fn defer(&self, request: HttpRequest) {
            self.requests.borrow_mut().push(request);
        }
    }

    /// Run a future that never waits on real I/O (everything here is scripted).
    pub(crate) fn block_on<F: Future>(f: F) -> F::Output {
        let mut cx = Context::from_waker(Waker::noop());
        let mut f = pin!(f);
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }
}
