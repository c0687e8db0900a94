//! The boundary between the core and the machine it runs on.
//!
//! The core needs four things from outside: an HTTP client with a deadline, a clock, randomness
//! and a log sink. Each runtime supplies them: `edge::WorkerPlatform` in the Worker, a native
//! implementation in the stdio binary and a scripted one in unit tests. Keeping this trait small is
//! what lets every other module stay plain Rust.

use std::time::Duration;

use async_trait::async_trait;

use crate::http::{HttpRequest, HttpResponse};

/// Why an outbound request produced no HTTP response at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// No answer arrived before the deadline; the request was abandoned.
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// The connection failed (refused, reset, DNS, TLS...). The text comes from the runtime.
    #[error("network error: {0}")]
    Network(String),
}

/// How loud a log line is; the edge maps these onto `console.*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Info,
    Warn,
    Error,
}

/// What the core needs from its runtime.
#[async_trait(?Send)]
pub trait Platform {
    /// Send one HTTP request, giving up after `timeout`.
    async fn fetch(&self, request: HttpRequest, timeout: Duration) -> Result<HttpResponse, FetchError>;
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
    /// Fill `buf` with cryptographically secure random bytes.
    fn fill_random(&self, buf: &mut [u8]);
    /// Write one log line. Callers must never pass credentials here.
    fn log(&self, level: LogLevel, line: &str);
}

/// A lowercase hex string of `bytes` random bytes (nonces, request ids).
pub fn random_hex(platform: &dyn Platform, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    platform.fill_random(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
