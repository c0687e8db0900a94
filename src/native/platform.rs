//! [`Platform`] for the native binary: reqwest over rustls (system trust store, so a self-hosted
//! Sentry behind an internal CA works), the system clock, the OS random source and stderr.
//!
//! Redirects are never followed, as in the worker: a redirect could carry the token to another
//! host. The HTTP client is built on the first call to Sentry, so `initialize` and `tools/list`
//! never wait for the trust store to load.

use std::cell::OnceCell;
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use serde_json::json;

use crate::platform::http::{HttpRequest, HttpResponse};
use crate::platform::{FetchError, LogLevel, Platform};

/// The native runtime. Its futures run on a single-threaded tokio runtime.
#[derive(Default)]
pub(crate) struct NativePlatform {
    client: OnceCell<Result<reqwest::Client, String>>,
}

impl NativePlatform {
    fn client(&self) -> Result<&reqwest::Client, FetchError> {
        let built = self.client.get_or_init(|| {
            // Another provider may already be installed (tests); either is fine.
            let _ = rustls::crypto::ring::default_provider().install_default();
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| describe(&e))
        });
        built
            .as_ref()
            .map_err(|e| FetchError::Network(format!("could not set up the HTTP client: {e}")))
    }

    async fn exchange(
        client: &reqwest::Client,
        method: reqwest::Method,
        request: HttpRequest,
    ) -> Result<HttpResponse, reqwest::Error> {
        let mut builder = client.request(method, request.url);
        for (name, value) in request.headers.iter() {
            builder = builder.header(name, value);
        }
        if !request.body.is_empty() {
            builder = builder.body(request.body);
        }
        let response = builder.send().await?;
        let mut out = HttpResponse::new(response.status().as_u16());
        for (name, value) in response.headers() {
            out.headers.add(name.as_str(), String::from_utf8_lossy(value.as_bytes()));
        }
        out.body = response.bytes().await?.to_vec();
        Ok(out)
    }
}

#[async_trait(?Send)]
impl Platform for NativePlatform {
    async fn fetch(
        &self,
        request: HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, FetchError> {
        let client = self.client()?;
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| FetchError::Network(format!("invalid HTTP method {}", request.method)))?;
        let host = request.url.host_str().unwrap_or_default().to_string();
        match tokio::time::timeout(timeout, Self::exchange(client, method, request)).await {
            Err(_) => Err(FetchError::Timeout(timeout)),
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => {
                // The tool result only says the host was unreachable; the operator gets the cause
                // (refused, DNS, an untrusted certificate...) here. No URL, no headers.
                let cause = describe(&e.without_url());
                self.log(
                    LogLevel::Warn,
                    &json!({"event": "upstream_unreachable", "host": host, "error": cause})
                        .to_string(),
                );
                Err(FetchError::Network(cause))
            }
        }
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    fn now_ms(&self) -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
    }

    fn fill_random(&self, buf: &mut [u8]) {
        // The OS generator does not fail on supported systems; a nonce must never be predictable,
        // so a failure is fatal rather than silently weak.
        getrandom::getrandom(buf).expect("the operating system's random number generator failed");
    }

    fn log(&self, level: LogLevel, line: &str) {
        let level = match level {
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
        };
        // stderr only: stdout carries nothing but JSON-RPC. A failed log write is not worth dying for.
        let _ = writeln!(std::io::stderr().lock(), "{level} {line}");
    }
}

/// An error and its causes on one line, without the request URL.
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;

    use super::*;

    /// A one-shot HTTP server on 127.0.0.1 that answers the first connection with `reply` (or
    /// holds it open without answering when `reply` is empty). Returns its base URL.
    fn serve_once(reply: &'static str) -> url::Url {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                if reply.is_empty() {
                    std::thread::sleep(Duration::from_secs(2));
                } else {
                    let _ = stream.write_all(reply.as_bytes());
                }
            }
        });
        url::Url::parse(&format!("http://127.0.0.1:{port}/api/0/")).unwrap()
    }

    fn fetch(url: url::Url, timeout: Duration) -> Result<HttpResponse, FetchError> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(NativePlatform::default().fetch(HttpRequest::get(url), timeout))
    }

    #[test]
    fn redirects_are_returned_not_followed() {
        let url = serve_once("HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/steal\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        let response = fetch(url, Duration::from_secs(5)).unwrap();
        assert_eq!(response.status, 302);
        assert_eq!(response.headers.get("location"), Some("http://127.0.0.1:9/steal"));
    }

    #[test]
    fn answers_keep_status_headers_and_body() {
        let url = serve_once("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLink: <x>; rel=\"next\"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
        let response = fetch(url, Duration::from_secs(5)).unwrap();
        assert_eq!((response.status, response.body.as_slice()), (200, b"{}".as_slice()));
        assert_eq!(response.headers.get("content-type"), Some("application/json"));
        assert!(response.headers.get("link").is_some());
    }

    #[test]
    fn silence_is_a_timeout_and_a_closed_port_a_network_error() {
        let silent = serve_once("");
        assert_eq!(
            fetch(silent, Duration::from_millis(200)).unwrap_err(),
            FetchError::Timeout(Duration::from_millis(200))
        );
        let closed = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = listener.local_addr().unwrap().port();
            drop(listener);
            url::Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap()
        };
        assert!(matches!(fetch(closed, Duration::from_secs(5)), Err(FetchError::Network(_))));
    }

    #[test]
    fn randomness_and_clock_work() {
        let platform = NativePlatform::default();
        let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
        platform.fill_random(&mut a);
        platform.fill_random(&mut b);
        assert_ne!(a, b);
        assert!(platform.now_ms() > 1_700_000_000_000);
    }
}
