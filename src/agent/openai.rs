//! The OpenAI chat-completions wire format, spoken by OpenAI and by most gateways and self-hosted
//! model servers (`POST {OPENAI_BASE_URL}/chat/completions`).

use super::{json_str, AgentError, ModelReply, ModelRequest, Usage, WireFormat};
use crate::config::AgentSettings;
use crate::platform::http::HttpRequest;

/// `POST /chat/completions` with a bearer API key.
pub(crate) struct ChatCompletions;

impl WireFormat for ChatCompletions {
    fn build(&self, settings: &AgentSettings, request: &ModelRequest) -> HttpRequest {
        let messages = super::chat_messages(request);
        let mut body = serde_json::json!({
            "model": settings.model,
            "messages": messages,
            "max_completion_tokens": settings.max_tokens,
        });
        if request.json {
            body["response_format"] = serde_json::json!({ "type": "json_object" });
        }
        let headers: Vec<_> = settings
            .api_key
            .iter()
            .map(|key| ("authorization", format!("Bearer {}", key.0)))
            .collect();
        super::post_json(settings, &["chat", "completions"], &headers, &body)
    }

    fn parse(&self, body: &[u8]) -> Result<ModelReply, AgentError> {
        let value = super::parse_body(body)?;
        let text = json_str(&value, "/choices/0/message/content").ok_or_else(|| {
            AgentError::BadReply("no choices[0].message.content in the chat completion".into())
        })?;
        Ok(ModelReply {
            text,
            model: json_str(&value, "/model"),
            usage: Usage::at(&value, "/usage/prompt_tokens", "/usage/completion_tokens"),
            finish_reason: json_str(&value, "/choices/0/finish_reason"),
        })
    }

    fn error_message(&self, body: &[u8]) -> Option<String> {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        json_str(&value, "/error/message").or_else(|| json_str(&value, "/error"))
    }
}
