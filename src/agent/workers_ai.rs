//! Cloudflare Workers AI through the Worker's `[ai]` binding (`env.AI.run(model, input)`): the
//! input this server builds, the output it reads, and the provider that sends one through the
//! runtime's [`Platform::run_ai`]. No API key and no URL: the binding is the credential. The
//! call itself is the edge's; keeping the shapes here lets `cargo test` check them natively.

use std::time::Duration;

use async_trait::async_trait;

use super::{AgentError, ModelProvider, ModelReply, ModelRequest, Usage};
use crate::config::AgentSettings;
use crate::platform::{FetchError, Platform};

/// The `input` of `env.AI.run(model, input)` for a text-generation model.
pub(crate) fn input(settings: &AgentSettings, request: &ModelRequest) -> serde_json::Value {
    let messages = super::chat_messages(request);
    let mut input = serde_json::json!({ "messages": messages, "max_tokens": settings.max_tokens });
    if request.json {
        input["response_format"] = serde_json::json!({ "type": "json_object" });
    }
    input
}

/// Read what `env.AI.run` resolved to: `{ response, usage }`, where `response` is text, or an
/// object when JSON mode was asked for.
pub(crate) fn output(value: &serde_json::Value) -> Result<ModelReply, AgentError> {
    let text = match value.get("response") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(object @ serde_json::Value::Object(_)) => object.to_string(),
        _ => return Err(AgentError::BadReply("Workers AI returned no 'response'".into())),
    };
    Ok(ModelReply {
        text,
        model: None,
        usage: Usage::at(value, "/usage/prompt_tokens", "/usage/completion_tokens"),
        finish_reason: None,
    })
}

/// Workers AI through the runtime's `[ai]` binding.
pub(crate) struct WorkersAi<'a> {
    pub settings: &'a AgentSettings,
    pub platform: &'a dyn Platform,
}

#[async_trait(?Send)]
impl ModelProvider for WorkersAi<'_> {
    fn settings(&self) -> &AgentSettings {
        self.settings
    }
    async fn complete(
        &self,
        request: &ModelRequest,
        timeout: Duration,
    ) -> Result<ModelReply, AgentError> {
        let input = input(self.settings, request);
        match self.platform.run_ai(&self.settings.model, input, timeout).await {
            None => Err(AgentError::NoBinding),
            Some(Err(FetchError::Timeout(_))) => Err(AgentError::Deadline(self.settings.timeout)),
            Some(Err(FetchError::Network(message))) => {
                let mut message: String = message.chars().take(300).collect();
                if message.is_empty() {
                    message = "no error message".into();
                }
                Err(AgentError::Binding(message))
            }
            Some(Ok(value)) => output(&value),
        }
    }
}
