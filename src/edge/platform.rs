//! The Workers runtime as the core sees it: [`WorkerPlatform`] (`fetch` with an abort deadline,
//! `Date.now`, `crypto.getRandomValues`, the console) and [`WorkerServices`] (`waitUntil` for
//! reports, Analytics Engine for metrics, the rate-limiting bindings) of one request.

use std::time::Duration;

use async_trait::async_trait;
use futures_util::future::{select, Either};
use wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{
    AbortSignal, AnalyticsEngineDataPointBuilder, Fetch, Method, Request, RequestInit,
    RequestRedirect,
};

use crate::platform::http::{Headers, HttpRequest, HttpResponse};
use crate::platform::services::{Binding, Limiter, MetricPoint, Services, SseCall, SseReply};
use crate::platform::{FetchError, LogLevel, Platform};

/// The Workers runtime: `fetch`, the clock, randomness, the console, and the request's `[ai]`
/// binding (Workers AI) when the Worker has one.
#[derive(Default)]
pub(crate) struct WorkerPlatform {
    pub ai: Option<wasm_bindgen::JsValue>,
}

impl WorkerPlatform {
    /// The runtime with the `AI` binding of `env`, if bound.
    pub(crate) fn with_bindings(env: &worker::Env) -> Self {
        let ai = js_sys::Reflect::get(env, &AI_BINDING.into())
            .ok()
            .filter(|b| !b.is_undefined() && !b.is_null());
        Self { ai }
    }
}

/// The name of the optional `[ai]` binding (`binding = "AI"` in wrangler.toml).
const AI_BINDING: &str = "AI";

/// The Worker's services for one request: its bindings (`env`) and its context (`waitUntil`).
pub(crate) struct WorkerServices {
    pub env: worker::Env,
    pub ctx: worker::Context,
}

/// How long a deferred report may take after the response.
const REPORT_TIMEOUT: Duration = Duration::from_secs(10);

#[async_trait(?Send)]
impl Platform for WorkerPlatform {
    async fn fetch(
        &self,
        request: HttpRequest,
        timeout: Duration,
    ) -> Result<HttpResponse, FetchError> {
        send(request, timeout).await
    }

    async fn sleep(&self, duration: Duration) {
        sleep(duration).await;
    }

    fn now_ms(&self) -> u64 {
        worker::Date::now().as_millis()
    }

    fn fill_random(&self, buf: &mut [u8]) {
        // crypto.getRandomValues (getrandom splits large buffers into the sizes it accepts), so it
        // can only fail if the runtime has no Web Crypto at all. Then there is nothing safe to
        // hand out: tokens, secrets and nonces must never come from a predictable source, so the
        // request fails here (the one deliberate panic of the worker) instead of going on.
        if let Err(e) = getrandom::getrandom(buf) {
            panic!("secure randomness is unavailable ({e}); refusing to continue without it");
        }
    }

    fn log(&self, level: LogLevel, line: &str) {
        match level {
            LogLevel::Info => worker::console_log!("{line}"),
            LogLevel::Warn => worker::console_warn!("{line}"),
            LogLevel::Error => worker::console_error!("{line}"),
        }
    }

    async fn run_ai(
        &self,
        model: &str,
        input: serde_json::Value,
        timeout: Duration,
    ) -> Option<Result<serde_json::Value, FetchError>> {
        let ai = self.ai.as_ref()?;
        Some(run_ai(ai, model, &input, timeout).await)
    }
}

/// `env.AI.run(model, input)` with a deadline, its answer read back as JSON.
async fn run_ai(
    ai: &wasm_bindgen::JsValue,
    model: &str,
    input: &serde_json::Value,
    timeout: Duration,
) -> Result<serde_json::Value, FetchError> {
    let failed = |e: wasm_bindgen::JsValue| FetchError::Network(js_error_text(&e));
    let run: js_sys::Function = js_sys::Reflect::get(ai, &"run".into())
        .map_err(failed)?
        .dyn_into()
        .map_err(|_| FetchError::Network("the AI binding has no run method".into()))?;
    let input = js_sys::JSON::parse(&input.to_string()).map_err(failed)?;
    let promise: js_sys::Promise = run
        .call2(ai, &model.into(), &input)
        .map_err(failed)?
        .dyn_into()
        .map_err(|_| FetchError::Network("AI.run did not return a promise".into()))?;
    let call = Box::pin(JsFuture::from(promise));
    let deadline = Box::pin(sleep(timeout));
    let value = match select(call, deadline).await {
        Either::Left((result, _)) => result.map_err(failed)?,
        Either::Right(((), _)) => return Err(FetchError::Timeout(timeout)),
    };
    let json = js_sys::JSON::stringify(&value).map_err(failed)?;
    serde_json::from_str(&String::from(json)).map_err(|e| {
        FetchError::Network(format!("Workers AI answered something other than JSON ({e})"))
    })
}

#[async_trait(?Send)]
impl Services for WorkerServices {
    fn defer(&self, request: HttpRequest) {
        self.ctx.wait_until(async move {
            let _ = send(request, REPORT_TIMEOUT).await;
        });
    }

    fn write_metric(&self, point: &MetricPoint) {
        let Ok(dataset) = self.env.analytics_engine(Binding::Metrics.name()) else { return };
        let mut builder = AnalyticsEngineDataPointBuilder::new().indexes([point.index.as_str()]);
        for blob in &point.blobs {
            builder = builder.add_blob(blob.as_str());
        }
        for double in &point.doubles {
            builder = builder.add_double(*double);
        }
        if let Err(e) = dataset.write_data_point(&builder.build()) {
            WorkerPlatform::default().log(
                LogLevel::Warn,
                &serde_json::json!({"event": "metrics_write_failed", "error": e.to_string()})
                    .to_string(),
            );
        }
    }

    async fn rate_limit(&self, limiter: Limiter, key: &str) -> Option<Result<bool, String>> {
        if !self.has(Binding::RateLimiter(limiter)) {
            return None;
        }
        let binding = match self.env.rate_limiter(limiter.binding_name()) {
            Ok(b) => b,
            Err(e) => return Some(Err(e.to_string())),
        };
        Some(binding.limit(key.to_string()).await.map(|o| o.success).map_err(|e| e.to_string()))
    }

    fn has(&self, binding: Binding) -> bool {
        js_sys::Reflect::get(&self.env, &binding.name().into()).is_ok_and(|b| !b.is_undefined())
    }

    async fn sse(
        &self,
        session_id: &str,
        call: SseCall,
    ) -> Option<Result<(SseReply, Option<HttpResponse>), String>> {
        let sessions = self.env.durable_object(super::sse_session::BINDING).ok()?;
        Some(super::sse_session::call(&sessions, session_id, call).await)
    }
}

/// `fetch` with a deadline for the whole exchange, the answer's body included.
///
/// The deadline is `AbortSignal.timeout`: the runtime keeps it and aborts the request, or the
/// body still arriving, when it passes, so no timer of ours runs per call. The body is read with
/// one `arrayBuffer()` and copied into wasm once; worker-rs's `Response::bytes` reads it as a
/// stream, a reader call and a microtask per chunk, which a profile of get_issue_details in
/// workerd showed costing more than parsing the JSON (`bench/worker-profile.mjs`).
async fn send(request: HttpRequest, timeout: Duration) -> Result<HttpResponse, FetchError> {
    let ms = timeout.as_millis().min(u128::from(u32::MAX)) as u32;
    let signal: AbortSignal = worker::web_sys::AbortSignal::timeout_with_u32(ms).into();
    let failed = |e: String| {
        if signal.aborted() {
            FetchError::Timeout(timeout)
        } else {
            FetchError::Network(e)
        }
    };
    let headers = worker::Headers::new();
    for (name, value) in request.headers.iter() {
        headers.append(name, value).map_err(|e| failed(e.to_string()))?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::from(request.method.clone()))
        .with_headers(headers)
        // Never follow a redirect: it could carry the token to another host.
        .with_redirect(RequestRedirect::Manual);
    if !request.body.is_empty() {
        init.with_body(Some(js_sys::Uint8Array::from(request.body.as_slice()).into()));
    }
    let outbound =
        Request::new_with_init(request.url.as_str(), &init).map_err(|e| failed(e.to_string()))?;
    let response = Fetch::Request(outbound)
        .send_with_signal(&signal)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let mut out = HttpResponse::new(response.status_code());
    let mut headers = Headers::new();
    for (name, value) in response.headers().entries() {
        headers.add(&name, value);
    }
    out.headers = headers;
    let response = worker::web_sys::Response::from(response);
    let js_error = |e: wasm_bindgen::JsValue| failed(js_error_text(&e));
    let body =
        JsFuture::from(response.array_buffer().map_err(js_error)?).await.map_err(js_error)?;
    out.body = js_sys::Uint8Array::new(&body).to_vec();
    Ok(out)
}

/// What a JavaScript exception says: itself when it is a string, else its `message`.
fn js_error_text(e: &wasm_bindgen::JsValue) -> String {
    e.as_string()
        .or_else(|| js_sys::Reflect::get(e, &"message".into()).ok()?.as_string())
        .unwrap_or_else(|| "no error message".into())
}

/// A timer as a promise. Unlike `worker::Delay`, which keeps the waker of its first poll, a
/// `JsFuture` wakes whichever task polled it last: needed when a request's work moves from the
/// fetch handler into its response stream.
pub(super) async fn sleep(duration: Duration) {
    let ms = duration.as_millis().min(i32::MAX as u128) as i32;
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let global: worker::web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        let _ = global.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}
