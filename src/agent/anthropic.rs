//! Anthropic's messages wire format (`POST {ANTHROPIC_BASE_URL}/v1/messages`).

use super::{json_str, AgentError, ModelReply, ModelRequest, Usage, WireFormat};
use crate::config::AgentSettings;
use crate::platform::http::HttpRequest;

/// The API version this format follows (`anthropic-version` header).
pub(crate) const API_VERSION: &str = "2023-06-01";

/// `POST /v1/messages` with an `x-api-key`.
pub(crate) struct Messages;

impl WireFormat for Messages {
    fn build(&self, settings: &AgentSettings, request: &ModelRequest) -> HttpRequest {
        let messages: Vec<_> = request.messages.iter().map(super::Message::to_json).collect();
        let mut system = request.system.clone();
        if request.json {
            system.push_str("\n\nAnswer with one JSON object and nothing else.");
        }
        let body = serde_json::json!({
            "model": settings.model,
            "max_tokens": settings.max_tokens,
            "system": system,
            "messages": messages,
        });
        let mut headers = vec![("anthropic-version", API_VERSION.to_string())];
        if let Some(key) = &settings.api_key {
            headers.push(("x-api-key", key.0.clone()));
        }
        super::post_json(settings, &["v1", "messages"], &headers, &body)
    }

    fn parse(&self, body: &[u8]) -> Result<ModelReply, AgentError> {
        let value = super::parse_body(body)?;
        let blocks = value
            .get("content")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| AgentError::BadReply("no content array in the message".into()))?;
        let text: String = blocks
            .iter()
            .filter(|b| b.get("type").and_then(serde_json::Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(serde_json::Value::as_str))
            .collect();
        if text.is_empty() {
            return Err(AgentError::BadReply("the message has no text block".into()));
        }
        Ok(ModelReply {
            text,
            model: json_str(&value, "/model"),
            usage: Usage::at(&value, "/usage/input_tokens", "/usage/output_tokens"),
            finish_reason: json_str(&value, "/stop_reason"),
        })
    }

    fn error_message(&self, body: &[u8]) -> Option<String> {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        json_str(&value, "/error/message")
    }
}
