//! The Worker's optional services: work deferred past the response, metrics, rate limiters.
//!
//! They are not part of [`super::Platform`] because only the Worker has them: the stdio binary
//! and most unit tests run with [`NoServices`]. Bindings are named by type ([`Limiter`],
//! [`Binding`]), so a misspelt binding name cannot compile; the names themselves are the ones in
//! `wrangler.toml`.

use async_trait::async_trait;

use super::http::{HttpRequest, HttpResponse};

/// One metrics data point: an index, text dimensions and numbers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MetricPoint {
    pub index: String,
    pub blobs: Vec<String>,
    pub doubles: Vec<f64>,
}

/// A rate limiter of the Worker (`[[ratelimits]]` in wrangler.toml).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limiter {
    /// Per client address, on `/oauth/*` and on `/mcp` requests that name no valid caller.
    PerAddress,
    /// Per caller (a hashed Sentry token, or the OAuth grant), on `/mcp`.
    PerCaller,
}

impl Limiter {
    /// The binding's name in wrangler.toml.
    pub(crate) fn binding_name(self) -> &'static str {
        match self {
            Limiter::PerAddress => "MCP_IP_RATE_LIMITER",
            Limiter::PerCaller => "MCP_USER_RATE_LIMITER",
        }
    }
}

/// An optional binding whose presence `/health` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Binding {
    /// The Analytics Engine dataset that receives one data point per tool call.
    Metrics,
    /// A rate limiter.
    RateLimiter(Limiter),
}

impl Binding {
    /// The binding's name in wrangler.toml.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Binding::Metrics => "MCP_METRICS",
            Binding::RateLimiter(l) => l.binding_name(),
        }
    }
}

/// A call to the holder of a legacy HTTP+SSE session (in the Worker, the session's Durable
/// Object), which keeps the session's event stream open while any isolate takes its messages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum SseCall {
    /// Open the session: its stream starts with `first_event`, carries a keep-alive comment every
    /// few seconds and ends after `idle_secs` without a message. `caller` is the fingerprint of
    /// the credential that opened it; `settings` what its messages run with (opaque here).
    Open { caller: String, settings: String, first_event: Vec<u8>, idle_secs: u64 },
    /// The session's caller and settings.
    Lookup,
    /// Put `event` on the stream, if `caller` opened the session.
    Send { caller: String, event: Vec<u8> },
}

/// What the holder of an SSE session answered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum SseReply {
    Opened,
    Found {
        caller: String,
        settings: String,
    },
    Sent,
    /// No such session: never opened, expired, or its stream closed.
    Gone,
    /// Another credential opened the session.
    WrongCaller,
}

/// What the Worker offers beyond the runtime. Every method has a do-nothing default, which is
/// what a runtime without the service gets.
#[async_trait(?Send)]
pub(crate) trait Services {
    /// Send a request after the response has gone out (`waitUntil`), ignoring the answer: used
    /// for error reports and transactions.
    fn defer(&self, _request: HttpRequest) {}

    /// Record one metrics data point (Analytics Engine).
    fn write_metric(&self, _point: &MetricPoint) {}

    /// Ask `limiter` whether `key` may proceed. `None` when the limiter is not bound;
    /// `Some(Err)` when it failed (callers fail open).
    async fn rate_limit(&self, _limiter: Limiter, _key: &str) -> Option<Result<bool, String>> {
        None
    }

    /// Whether an optional binding is configured.
    fn has(&self, _binding: Binding) -> bool {
        false
    }

    /// Call the holder of SSE session `session_id`. `None` when this runtime has no SSE
    /// sessions; for [`SseCall::Open`] the stream comes back as the response (`Ok(Some)`).
    async fn sse(
        &self,
        _session_id: &str,
        _call: SseCall,
    ) -> Option<Result<(SseReply, Option<HttpResponse>), String>> {
        None
    }
}

/// No services at all: the stdio binary, and requests whose configuration is broken.
pub(crate) struct NoServices;

impl Services for NoServices {}
