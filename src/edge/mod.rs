//! The Cloudflare Workers edge: the only code that touches `worker::` types.
//!
//! It converts the incoming `worker::Request` into the core's plain [`HttpRequest`], reads the
//! configuration from the Worker's vars and secrets (once per isolate), runs [`crate::http::handle`] and converts the
//! answer back. [`WorkerPlatform`] gives the core fetch (with a deadline), the clock, randomness
//! and console logging. `guard::OAuthGuard` is the Durable Object that decides OAuth single use
//! (code redemption, refresh rotation, revocation, the upstream `state`); `sse_session::SseSession`
//! holds one legacy HTTP+SSE session's stream.

mod guard;
mod kv;
mod platform;
mod sse_session;

pub(crate) use platform::{WorkerPlatform, WorkerServices};

use std::cell::OnceCell;
use std::rc::Rc;

use futures_util::StreamExt;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{event, Context, Env, Request, Response, Result};

use crate::caches::Caches;
use crate::config::{Config, ConfigError};
use crate::http::{self, App};
use crate::oauth::{OAuthConfig, OAuthSetup};
use crate::platform::http::{read_capped, BodyError, Headers, HttpRequest, HttpResponse};

thread_local! {
    /// The isolate's caches: created with the isolate, shared by its requests (an isolate runs
    /// one thread, so a thread-local is exactly "per isolate").
    static CACHES: Rc<Caches> = Rc::new(Caches::new());
    /// The configuration, read from the Worker's vars and secrets by the isolate's first request.
    /// Vars and secrets are fixed for an isolate's life (a deploy or `wrangler secret put` starts
    /// new isolates), and each `env.var` is a call across the wasm boundary, so reading them once
    /// saves every later request that work.
    static CONFIG: OnceCell<IsolateConfig> = const { OnceCell::new() };
}

/// Both configurations, as parsed once per isolate. The server's is shared with each request's
/// `App`, not copied into it.
struct IsolateConfig {
    server: Rc<std::result::Result<Config, ConfigError>>,
    oauth: std::result::Result<OAuthConfig, ConfigError>,
}

impl IsolateConfig {
    fn read(env: &Env) -> Self {
        let var = |name: &str| {
            env.var(name)
                .ok()
                .map(|v| v.to_string())
                .or_else(|| env.secret(name).ok().map(|s| s.to_string()))
        };
        Self { server: Rc::new(Config::from_vars(var)), oauth: OAuthConfig::from_vars(var) }
    }
}

/// Bodies larger than this are refused: by their `Content-Length` before they are read, and a
/// chunked one as soon as it passes the limit while it is read (an MCP request is a few KB).
const MAX_BODY_BYTES: usize = 1 << 20;

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
pub(crate) async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let (config, oauth_config) = CONFIG.with(|cell| {
        let parsed = cell.get_or_init(|| {
            let parsed = IsolateConfig::read(&env);
            // Once per isolate: whether the embedded agent runs, and if not, why.
            if let Ok(config) = &*parsed.server {
                let line = serde_json::json!({ "event": "embedded_agent", "status": config.agent.status() });
                crate::platform::Platform::log(&WorkerPlatform::default(), crate::platform::LogLevel::Info, &line.to_string());
            }
            parsed
        });
        (parsed.server.clone(), parsed.oauth.clone())
    });
    // Remote OAuth needs the OAUTH_KV binding; without it the OAuth routes explain what is missing.
    // The OAUTH_GUARD Durable Object decides single use; without it KV does, as well as it can.
    let oauth = env.kv("OAUTH_KV").ok().map(|kv| {
        let kv = kv::KvOAuthStore(kv);
        let store: Rc<dyn crate::oauth::Store> = match env.durable_object(guard::BINDING) {
            Ok(guard) => Rc::new(guard::GuardedStore { kv, guard }),
            Err(_) => Rc::new(kv),
        };
        OAuthSetup { config: oauth_config, store }
    });
    let platform: Rc<dyn crate::platform::Platform> = Rc::new(WorkerPlatform::with_bindings(&env));
    let services: Rc<dyn crate::platform::services::Services> =
        Rc::new(WorkerServices { env, ctx });
    let caches = CACHES.with(Rc::clone);
    let app = App { config, platform, services, caches, oauth };
    let response = match into_http_request(req).await {
        Ok(request) => http::handle(&app, request).await,
        Err(early) => early,
    };
    into_worker_response(response)
}

async fn into_http_request(mut req: Request) -> std::result::Result<HttpRequest, HttpResponse> {
    let url = req.url().map_err(|_| HttpResponse::text(400, "Bad request URL"))?;
    let mut headers = Headers::new();
    for (name, value) in req.headers().entries() {
        headers.add(&name, value);
    }
    let declared = headers.get("content-length").and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(HttpResponse::text(413, "Request body too large (limit 1 MiB)"));
    }
    let method = req.method().to_string();
    let body = if matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS") {
        Vec::new()
    } else if declared.is_some() {
        // The runtime holds a body to its declared length, which the check above bounded: one
        // `arrayBuffer()` read, not a reader call and a microtask per chunk.
        match req.inner().array_buffer() {
            Ok(promise) => match JsFuture::from(promise).await {
                Ok(buffer) => js_sys::Uint8Array::new(&buffer).to_vec(),
                Err(_) => Vec::new(),
            },
            Err(_) => Vec::new(),
        }
    } else {
        match req.stream() {
            // No body at all (`stream` says so with an error).
            Err(_) => Vec::new(),
            Ok(stream) => match read_capped(Box::pin(stream), MAX_BODY_BYTES).await {
                Ok(body) => body,
                Err(BodyError::TooLarge(_)) => {
                    return Err(HttpResponse::text(413, "Request body too large (limit 1 MiB)"))
                }
                Err(BodyError::Unreadable(_)) => Vec::new(),
            },
        }
    };
    Ok(HttpRequest { method, url, headers, body })
}

fn into_worker_response(response: HttpResponse) -> Result<Response> {
    let headers = worker::Headers::new();
    for (name, value) in response.headers.iter() {
        headers.append(name, value)?;
    }
    let builder = Response::builder().with_status(response.status).with_headers(headers);
    if let Some(stream) = response.stream {
        // The request's remaining work is driven by the client reading the stream.
        return builder.from_stream(stream.into_stream().map(Ok::<Vec<u8>, worker::Error>));
    }
    Ok(if response.body.is_empty() { builder.empty() } else { builder.fixed(response.body) })
}
