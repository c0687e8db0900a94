//! Plain HTTP values: the request and response types the whole core speaks.
//!
//! They sit at the bottom of the layers, beside the [`super::Platform`] trait whose `fetch` sends
//! them, so every module can use them without depending on the route table in `crate::http`. The
//! edge converts `worker::Request` into [`HttpRequest`] and [`HttpResponse`] back into a
//! `worker::Response`; the native binary converts them to and from `reqwest`.

use serde_json::Value;

/// HTTP header list with case-insensitive lookup. Names are stored lowercase.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Headers(Vec<(String, String)>);

impl Headers {
    pub(crate) fn new() -> Self {
        Self(Vec::new())
    }

    /// Append a header (several values for one name are allowed).
    pub(crate) fn add(&mut self, name: &str, value: impl Into<String>) {
        self.0.push((name.to_ascii_lowercase(), value.into()));
    }

    /// Builder form of [`Headers::add`].
    pub(crate) fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.add(name, value);
        self
    }

    /// Replace every value of `name` with one value.
    pub(crate) fn set(&mut self, name: &str, value: impl Into<String>) {
        let name = name.to_ascii_lowercase();
        self.0.retain(|(n, _)| *n != name);
        self.0.push((name, value.into()));
    }

    /// The first value of `name`, if any.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub(crate) fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// An HTTP request, inbound (from an MCP client) or outbound (to Sentry).
#[derive(Debug, Clone)]
pub(crate) struct HttpRequest {
    pub method: String,
    /// Absolute URL, e.g. `https://mcp.example.com/mcp/acme?skills=inspect`.
    pub url: url::Url,
    pub headers: Headers,
    pub body: Vec<u8>,
}

impl HttpRequest {
    #[cfg(test)]
    pub(crate) fn get(url: url::Url) -> Self {
        Self { method: "GET".into(), url, headers: Headers::new(), body: Vec::new() }
    }
}

/// An HTTP response.
#[derive(Debug)]
pub(crate) struct HttpResponse {
    pub status: u16,
    pub headers: Headers,
    pub body: Vec<u8>,
    /// For server-sent events: chunks that arrive over time instead of `body`.
    pub stream: Option<EventStream>,
}

/// A streamed body: the runtime must drive `work` to completion while forwarding `chunks`.
pub(crate) struct EventStream {
    pub chunks: std::pin::Pin<Box<dyn futures_util::Stream<Item = Vec<u8>>>>,
    pub work: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>,
}

impl EventStream {
    /// One stream that drives `work` whenever the reader asks for the next chunk, so the runtime
    /// needs no background task (in workerd, work spawned outside the response can be cancelled as
    /// "hung"): the request lives exactly as long as its response stream.
    pub(crate) fn into_stream(self) -> impl futures_util::Stream<Item = Vec<u8>> {
        DrivenStream { work: Some(self.work), chunks: self.chunks }
    }
}

struct DrivenStream {
    work: Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>>,
    chunks: std::pin::Pin<Box<dyn futures_util::Stream<Item = Vec<u8>>>>,
}

impl futures_util::Stream for DrivenStream {
    type Item = Vec<u8>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Vec<u8>>> {
        if let Some(work) = self.work.as_mut() {
            if work.as_mut().poll(cx).is_ready() {
                self.work = None;
            }
        }
        self.chunks.as_mut().poll_next(cx)
    }
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventStream")
    }
}

impl HttpResponse {
    pub(crate) fn new(status: u16) -> Self {
        Self { status, headers: Headers::new(), body: Vec::new(), stream: None }
    }

    /// A JSON body with the right content type.
    pub(crate) fn json(status: u16, value: &Value) -> Self {
        let mut r = Self::new(status);
        r.headers.set("content-type", "application/json");
        r.body = serde_json::to_vec(value).unwrap_or_default();
        r
    }

    /// A body that is already serialised JSON.
    pub(crate) fn json_bytes(status: u16, body: Vec<u8>) -> Self {
        let mut r = Self::new(status);
        r.headers.set("content-type", "application/json");
        r.body = body;
        r
    }

    /// A plain-text body.
    pub(crate) fn text(status: u16, text: &str) -> Self {
        let mut r = Self::new(status);
        r.headers.set("content-type", "text/plain; charset=utf-8");
        r.body = text.as_bytes().to_vec();
        r
    }

    pub(crate) fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.set(name, value);
        self
    }

    /// The body as UTF-8 text (lossy), for tests and error messages.
    #[cfg(test)]
    pub(crate) fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why [`read_capped`] stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BodyError {
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the body could not be read: {0}")]
    Unreadable(String),
}

/// Read a body stream into memory, stopping as soon as it passes `max` bytes: a chunked body
/// (no `Content-Length`) is capped while it arrives, so an endless one costs at most `max` bytes
/// and is refused without waiting for its end.
pub(crate) async fn read_capped<S, E>(mut chunks: S, max: usize) -> Result<Vec<u8>, BodyError>
where
    S: futures_util::Stream<Item = Result<Vec<u8>, E>> + Unpin,
    E: std::fmt::Display,
{
    use futures_util::StreamExt;
    let mut body = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| BodyError::Unreadable(e.to_string()))?;
        if body.len() + chunk.len() > max {
            return Err(BodyError::TooLarge(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod body_tests {
    use super::*;
    use crate::platform::testing::block_on;

    #[test]
    fn an_endless_chunked_body_is_refused_once_it_passes_the_cap() {
        let pulled = std::cell::Cell::new(0usize);
        let endless = futures_util::stream::repeat_with(|| {
            pulled.set(pulled.get() + 1);
            Ok::<_, String>(vec![b'x'; 1000])
        });
        assert_eq!(block_on(read_capped(endless, 10_000)), Err(BodyError::TooLarge(10_000)));
        assert_eq!(pulled.get(), 11, "reading stops at the first chunk past the cap");
    }

    #[test]
    fn a_body_within_the_cap_is_read_whole() {
        let chunks = futures_util::stream::iter(vec![
            Ok::<_, String>(b"{\"a\"".to_vec()),
            Ok(b":1}".to_vec()),
        ]);
        assert_eq!(block_on(read_capped(chunks, 7)).unwrap(), b"{\"a\":1}");
        let broken = futures_util::stream::iter(vec![Ok(b"{".to_vec()), Err("reset".to_string())]);
        assert!(matches!(block_on(read_capped(broken, 100)), Err(BodyError::Unreadable(_))));
    }
}
