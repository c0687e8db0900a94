//! The optional embedded agent: a small model the search tools may consult to turn a request in
//! natural language into Sentry query syntax.
//!
//! It is off unless the operator names a provider (`config::EmbeddedAgent`); the deterministic
//! search is the default and needs no model. Everything here is about *calling* a model safely:
//!
//! - [`ModelProvider`] is the small trait every provider implements; [`openai`] (any
//!   OpenAI-compatible chat-completions endpoint) and [`anthropic`] (messages API) are HTTP wire
//!   formats sent through the runtime's [`Platform::fetch`], so the Worker and the stdio binary
//!   share them. [`workers_ai`] calls Workers AI through the runtime's `[ai]` binding
//!   ([`Platform::run_ai`]); [`provider`] picks the one the settings name.
//! - [`AgentRun`] is one tool call's budget: at most [`MAX_MODEL_CALLS`] model calls, all inside
//!   one deadline, with the tokens and time they cost added up for telemetry (`gen_ai.*`).
//!
//! The agent never sees the user's Sentry token: a provider gets only the text it is sent, and its
//! own API key travels only in the header its API defines. Provider error text is scrubbed of that
//! key before it reaches a tool result or a log line.

pub(crate) mod anthropic;
pub(crate) mod openai;
pub(crate) mod workers_ai;

use std::cell::{Cell, RefCell};
use std::time::Duration;

use async_trait::async_trait;

use crate::config::{AgentProvider, AgentSettings};
use crate::platform::http::{Headers, HttpRequest, HttpResponse};
use crate::platform::{FetchError, Platform};

/// The most model calls one tool call may make (translation plus corrections).
pub(crate) const MAX_MODEL_CALLS: u8 = 5;

/// Who wrote a turn of the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    User,
    Assistant,
}

/// One turn sent to the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    pub role: Role,
    pub content: String,
}

/// What one model call asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ModelRequest {
    /// Instructions (the system prompt); never holds application data.
    pub system: String,
    pub messages: Vec<Message>,
    /// Ask for a single JSON object as the answer (OpenAI `response_format`, Anthropic prefill).
    pub json: bool,
}

/// Tokens a call consumed, as the provider reported them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// What one model call answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ModelReply {
    pub text: String,
    /// The model that answered, when the provider says (`gen_ai.response.model`).
    pub model: Option<String>,
    pub usage: Usage,
    /// Why generation stopped (`stop`, `end_turn`, `length`, `max_tokens`...).
    pub finish_reason: Option<String>,
}

/// Why the agent produced no answer; each text says what the calling agent or operator can do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AgentError {
    #[error(
        "the embedded agent reached its limit of {MAX_MODEL_CALLS} model calls for this tool call"
    )]
    StepLimit,
    #[error("the embedded agent ran out of time ({0:?} for this tool call); retry, or write the query in Sentry syntax")]
    Deadline(Duration),
    #[error("the embedded agent's model service could not be reached: {0}")]
    Unreachable(String),
    #[error("the embedded agent's model service is rate limiting this server{}; retry later, or write the query in Sentry syntax", retry_after.as_ref().map(|s| format!(" (retry after {s} s)")).unwrap_or_default())]
    RateLimited { retry_after: Option<String> },
    #[error("the embedded agent's model service failed (HTTP {status}): {message}")]
    Upstream { status: u16, message: String },
    #[error("the embedded agent's model service sent an answer this server cannot read: {0}")]
    BadReply(String),
    #[error(
        "the embedded agent needs the Worker's [ai] binding (Workers AI), which this deployment does not have; add it to wrangler.toml (see the README) or choose another EMBEDDED_AGENT_PROVIDER"
    )]
    NoBinding,
    #[error("the embedded agent's Workers AI call failed: {0}")]
    Binding(String),
}

impl AgentError {
    /// A short stable name (`error.type` of the model call's span).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::StepLimit => "step_limit",
            Self::Deadline(_) => "deadline",
            Self::Unreachable(_) => "unreachable",
            Self::RateLimited { .. } => "rate_limited",
            Self::Upstream { .. } => "upstream_error",
            Self::BadReply(_) => "bad_reply",
            Self::NoBinding => "no_binding",
            Self::Binding(_) => "binding_error",
        }
    }

    /// The span status of a call that failed this way.
    fn span_status(&self) -> &'static str {
        match self {
            Self::Deadline(_) => "deadline_exceeded",
            Self::RateLimited { .. } | Self::StepLimit => "resource_exhausted",
            Self::Unreachable(_) | Self::NoBinding => "unavailable",
            _ => "internal_error",
        }
    }
}

/// A model service. Implementations send one request and read one answer; budgets are
/// [`AgentRun`]'s job.
#[async_trait(?Send)]
pub(crate) trait ModelProvider {
    /// The settings it was made from.
    fn settings(&self) -> &AgentSettings;
    /// The provider's name as `EMBEDDED_AGENT_PROVIDER` spells it (`gen_ai.system`).
    fn system(&self) -> &'static str {
        self.settings().provider.name()
    }
    /// The model asked for (`gen_ai.request.model`).
    fn model(&self) -> &str {
        &self.settings().model
    }
    /// One call, given up after `timeout`.
    async fn complete(
        &self,
        request: &ModelRequest,
        timeout: Duration,
    ) -> Result<ModelReply, AgentError>;
}

/// An HTTP API's request and response shapes (OpenAI chat completions, Anthropic messages).
pub(crate) trait WireFormat {
    fn build(&self, settings: &AgentSettings, request: &ModelRequest) -> HttpRequest;
    /// Read a 2xx answer's body.
    fn parse(&self, body: &[u8]) -> Result<ModelReply, AgentError>;
    /// The error text inside a non-2xx body, if the API's error shape is there.
    fn error_message(&self, body: &[u8]) -> Option<String>;
}

/// A provider reached over HTTP through the runtime's fetch.
pub(crate) struct HttpProvider<'a> {
    pub settings: &'a AgentSettings,
    pub platform: &'a dyn Platform,
    pub format: &'a dyn WireFormat,
}

impl<'a> HttpProvider<'a> {
    /// The HTTP provider the settings name; `None` for Workers AI (a binding: [`provider`]).
    pub(crate) fn for_settings(
        settings: &'a AgentSettings,
        platform: &'a dyn Platform,
    ) -> Option<Self> {
        let format: &'a dyn WireFormat = match settings.provider {
            AgentProvider::OpenAi => &openai::ChatCompletions,
            AgentProvider::Anthropic => &anthropic::Messages,
            AgentProvider::WorkersAi => return None,
        };
        Some(Self { settings, platform, format })
    }
}

/// The provider the settings name: an HTTP API, or Workers AI through the runtime's binding.
pub(crate) fn provider<'a>(
    settings: &'a AgentSettings,
    platform: &'a dyn Platform,
) -> Box<dyn ModelProvider + 'a> {
    match HttpProvider::for_settings(settings, platform) {
        Some(http) => Box::new(http),
        None => Box::new(workers_ai::WorkersAi { settings, platform }),
    }
}

#[async_trait(?Send)]
impl ModelProvider for HttpProvider<'_> {
    fn settings(&self) -> &AgentSettings {
        self.settings
    }
    async fn complete(
        &self,
        request: &ModelRequest,
        timeout: Duration,
    ) -> Result<ModelReply, AgentError> {
        let http = self.format.build(self.settings, request);
        let response = self.platform.fetch(http, timeout).await.map_err(|e| match e {
            FetchError::Timeout(_) => AgentError::Deadline(self.settings.timeout),
            FetchError::Network(text) => AgentError::Unreachable(self.scrub(&text)),
        })?;
        self.read(response)
    }
}

impl HttpProvider<'_> {
    fn scrub(&self, text: &str) -> String {
        let key = self.settings.api_key.as_ref().map(|k| k.0.as_str());
        crate::redact::scrub(text, key)
    }

    fn read(&self, response: HttpResponse) -> Result<ModelReply, AgentError> {
        match response.status {
            200..=299 => self.format.parse(&response.body),
            429 => Err(AgentError::RateLimited {
                retry_after: response
                    .headers
                    .get("retry-after")
                    .filter(|v| {
                        v.len() <= 40
                            && v.chars().all(|c| c.is_ascii_alphanumeric() || " ,:.-".contains(c))
                    })
                    .map(str::to_string),
            }),
            status => {
                let message = self
                    .format
                    .error_message(&response.body)
                    .unwrap_or_else(|| "no error message".into());
                let mut message = self.scrub(&message);
                if message.chars().count() > 300 {
                    message = message.chars().take(300).collect::<String>() + "…";
                }
                Err(AgentError::Upstream { status, message })
            }
        }
    }
}

/// One tool call's use of the agent: a step limit, a deadline and the running cost.
pub(crate) struct AgentRun<'a> {
    provider: &'a dyn ModelProvider,
    platform: &'a dyn Platform,
    started_ms: u64,
    budget: Duration,
    calls: Cell<u8>,
    usage: Cell<Usage>,
    log: RefCell<Vec<ModelCall>>,
}

/// One model call of a run, for its telemetry span.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ModelCall {
    pub start_ms: u64,
    pub end_ms: u64,
    /// `ok`, or the span status of the failure (`deadline_exceeded`, `resource_exhausted`...).
    pub status: &'static str,
    /// The call's `gen_ai.*` attributes.
    pub attributes: serde_json::Value,
}

impl<'a> AgentRun<'a> {
    pub(crate) fn new(
        provider: &'a dyn ModelProvider,
        platform: &'a dyn Platform,
        budget: Duration,
    ) -> Self {
        Self {
            provider,
            platform,
            started_ms: platform.now_ms(),
            budget,
            calls: Cell::new(0),
            usage: Cell::new(Usage::default()),
            log: RefCell::new(Vec::new()),
        }
    }

    /// Make one model call, if the step limit and the deadline still allow it.
    pub(crate) async fn call(&self, request: &ModelRequest) -> Result<ModelReply, AgentError> {
        if self.calls.get() >= MAX_MODEL_CALLS {
            return Err(AgentError::StepLimit);
        }
        let elapsed = Duration::from_millis(self.platform.now_ms().saturating_sub(self.started_ms));
        let remaining = self.budget.saturating_sub(elapsed);
        if remaining.is_zero() {
            return Err(AgentError::Deadline(self.budget));
        }
        self.calls.set(self.calls.get() + 1);
        let start_ms = self.platform.now_ms();
        let outcome = self.provider.complete(request, remaining).await;
        let mut attributes = serde_json::json!({
            "gen_ai.operation.name": "chat",
            "gen_ai.system": self.provider.system(),
            "gen_ai.request.model": self.provider.model(),
        });
        let status = match &outcome {
            Ok(reply) => {
                attributes["gen_ai.usage.input_tokens"] = reply.usage.input_tokens.into();
                attributes["gen_ai.usage.output_tokens"] = reply.usage.output_tokens.into();
                if let Some(model) = &reply.model {
                    attributes["gen_ai.response.model"] = model.as_str().into();
                }
                if let Some(reason) = &reply.finish_reason {
                    attributes["gen_ai.response.finish_reasons"] = serde_json::json!([reason]);
                }
                "ok"
            }
            Err(e) => {
                attributes["error.type"] = e.kind().into();
                e.span_status()
            }
        };
        self.log.borrow_mut().push(ModelCall {
            start_ms,
            end_ms: self.platform.now_ms(),
            status,
            attributes,
        });
        let reply = outcome?;
        let total = self.usage.get();
        self.usage.set(Usage {
            input_tokens: total.input_tokens + reply.usage.input_tokens,
            output_tokens: total.output_tokens + reply.usage.output_tokens,
        });
        Ok(reply)
    }

    /// The model calls made so far, for their spans.
    pub(crate) fn model_calls(&self) -> Vec<ModelCall> {
        self.log.borrow().clone()
    }

    /// Model calls made so far.
    pub(crate) fn calls(&self) -> u8 {
        self.calls.get()
    }

    /// Tokens used so far, over all calls.
    pub(crate) fn usage(&self) -> Usage {
        self.usage.get()
    }

    /// Time since the run started.
    pub(crate) fn elapsed(&self) -> Duration {
        Duration::from_millis(self.platform.now_ms().saturating_sub(self.started_ms))
    }

    /// The `gen_ai.*` attributes of this run (OpenTelemetry GenAI semantic conventions), for the
    /// tool call's span and log line.
    pub(crate) fn attributes(&self) -> serde_json::Value {
        let usage = self.usage();
        serde_json::json!({
            "gen_ai.operation.name": "chat",
            "gen_ai.system": self.provider.system(),
            "gen_ai.request.model": self.provider.model(),
            "gen_ai.usage.input_tokens": usage.input_tokens,
            "gen_ai.usage.output_tokens": usage.output_tokens,
            "gen_ai.agent.calls": self.calls(),
            "gen_ai.agent.duration_ms": self.elapsed().as_millis() as u64,
        })
    }
}

/// A JSON `POST` to `{base}/{segments...}` with the provider's own headers (its key among them).
pub(crate) fn post_json(
    settings: &AgentSettings,
    segments: &[&str],
    headers: &[(&str, String)],
    body: &serde_json::Value,
) -> HttpRequest {
    let mut all =
        Headers::new().with("content-type", "application/json").with("accept", "application/json");
    for (name, value) in headers {
        all.set(name, value.clone());
    }
    HttpRequest {
        method: "POST".into(),
        url: endpoint(settings, segments),
        headers: all,
        body: body.to_string().into_bytes(),
    }
}

/// The JSON body of a provider's answer.
pub(crate) fn parse_body(body: &[u8]) -> Result<serde_json::Value, AgentError> {
    serde_json::from_slice(body).map_err(|e| AgentError::BadReply(format!("not JSON ({e})")))
}

/// `{base}/{segments...}` for an HTTP provider (the base URL was validated by the configuration).
pub(crate) fn endpoint(settings: &AgentSettings, segments: &[&str]) -> url::Url {
    let mut url = settings
        .base
        .clone()
        .unwrap_or_else(|| url::Url::parse("https://invalid.").expect("a literal URL"));
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

impl Usage {
    /// The token counts at two JSON pointers of a provider's answer (0 when absent).
    pub(crate) fn at(value: &serde_json::Value, input: &str, output: &str) -> Self {
        let count = |p: &str| value.pointer(p).and_then(serde_json::Value::as_u64).unwrap_or(0);
        Self { input_tokens: count(input), output_tokens: count(output) }
    }
}

/// The conversation as chat messages, the system prompt first (OpenAI and Workers AI shape).
pub(crate) fn chat_messages(request: &ModelRequest) -> Vec<serde_json::Value> {
    let mut messages = vec![serde_json::json!({ "role": "system", "content": request.system })];
    messages.extend(request.messages.iter().map(Message::to_json));
    messages
}

impl Message {
    fn to_json(&self) -> serde_json::Value {
        let role = match self.role {
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        serde_json::json!({ "role": role, "content": self.content })
    }
}

/// The text of a JSON body's string at `pointer`, if any (shared by the wire formats).
pub(crate) fn json_str(value: &serde_json::Value, pointer: &str) -> Option<String> {
    value.pointer(pointer).and_then(serde_json::Value::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests;
