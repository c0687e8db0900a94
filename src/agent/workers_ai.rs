//! The values exchanged with Cloudflare Workers AI through the Worker's `[ai]` binding
//! (`env.AI.run(model, input)`): the input this server builds and the output it reads. The call
//! itself is the edge's; keeping the shapes here lets `cargo test` check them natively.
//!
//! Not wired yet: the edge does not call the binding, so the configuration refuses
//! `EMBEDDED_AGENT_PROVIDER=workers-ai` until it does; only the tests use these shapes today.
#![cfg_attr(not(test), allow(dead_code))]

use super::{AgentError, ModelReply, ModelRequest, Usage};
use crate::config::AgentSettings;

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
