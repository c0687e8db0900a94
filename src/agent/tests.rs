//! The providers' exact requests and the answers they read, and the run's budgets, against the
//! scripted platform.

use std::time::Duration;

use serde_json::{json, Value};

use super::*;
use crate::config::{AgentProvider, AgentSettings, ApiKey};
use crate::platform::testing::{block_on, FakePlatform};

fn settings(provider: AgentProvider, base: &str) -> AgentSettings {
    AgentSettings {
        provider,
        base: Some(url::Url::parse(base).unwrap()),
        model: "test-model".into(),
        api_key: Some(ApiKey("sk-test-key-123".into())),
        timeout: Duration::from_secs(10),
        max_tokens: 300,
    }
}

fn ask(text: &str) -> ModelRequest {
    ModelRequest {
        system: "Translate to Sentry search syntax.".into(),
        messages: vec![Message { role: Role::User, content: text.into() }],
        json: true,
    }
}

fn body(request: &HttpRequest) -> Value {
    serde_json::from_slice(&request.body).unwrap()
}

#[test]
fn openai_request_and_reply() {
    let platform = FakePlatform::default();
    platform.answer_json(
        200,
        json!({
            "id": "chatcmpl-1", "object": "chat.completion", "model": "test-model-2025",
            "choices": [{ "index": 0, "finish_reason": "stop",
                "message": { "role": "assistant", "content": "{\"query\":\"is:unresolved\"}" } }],
            "usage": { "prompt_tokens": 120, "completion_tokens": 9, "total_tokens": 129 }
        }),
    );
    let s = settings(AgentProvider::OpenAi, "http://127.0.0.1:9/v1");
    let provider = HttpProvider::for_settings(&s, &platform).unwrap();
    let reply = block_on(provider.complete(&ask("open bugs"), Duration::from_secs(3))).unwrap();
    assert_eq!(reply.text, "{\"query\":\"is:unresolved\"}");
    assert_eq!(reply.usage, Usage { input_tokens: 120, output_tokens: 9 });
    assert_eq!(reply.model.as_deref(), Some("test-model-2025"));
    assert_eq!(reply.finish_reason.as_deref(), Some("stop"));

    let sent = &platform.requests.borrow()[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.url.as_str(), "http://127.0.0.1:9/v1/chat/completions");
    assert_eq!(sent.headers.get("authorization"), Some("Bearer sk-test-key-123"));
    assert_eq!(
        body(sent),
        json!({
            "model": "test-model",
            "messages": [
                { "role": "system", "content": "Translate to Sentry search syntax." },
                { "role": "user", "content": "open bugs" }
            ],
            "max_completion_tokens": 300,
            "response_format": { "type": "json_object" }
        })
    );
}

#[test]
fn anthropic_request_and_reply() {
    let platform = FakePlatform::default();
    platform.answer_json(
        200,
        json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "test-model",
            "content": [{ "type": "text", "text": "{\"query\":" }, { "type": "text", "text": "\"level:error\"}" }],
            "stop_reason": "end_turn",
            "usage": { "input_tokens": 80, "output_tokens": 7 }
        }),
    );
    let s = settings(AgentProvider::Anthropic, "https://api.anthropic.com");
    let provider = HttpProvider::for_settings(&s, &platform).unwrap();
    let reply = block_on(provider.complete(&ask("errors"), Duration::from_secs(3))).unwrap();
    assert_eq!(reply.text, "{\"query\":\"level:error\"}");
    assert_eq!(reply.usage, Usage { input_tokens: 80, output_tokens: 7 });
    let sent = &platform.requests.borrow()[0];
    assert_eq!(sent.url.as_str(), "https://api.anthropic.com/v1/messages");
    assert_eq!(sent.headers.get("x-api-key"), Some("sk-test-key-123"));
    assert_eq!(sent.headers.get("anthropic-version"), Some(anthropic::API_VERSION));
    assert_eq!(sent.headers.get("authorization"), None);
    let b = body(sent);
    assert_eq!(b["max_tokens"], 300);
    assert_eq!(b["messages"], json!([{ "role": "user", "content": "errors" }]));
    assert!(b["system"].as_str().unwrap().ends_with("one JSON object and nothing else."));
}

#[test]
fn provider_failures_become_actionable_errors_without_the_key() {
    let platform = FakePlatform::default();
    let s = settings(AgentProvider::OpenAi, "https://models.example.com/v1");
    let provider = HttpProvider::for_settings(&s, &platform).unwrap();
    let call = || block_on(provider.complete(&ask("x"), Duration::from_secs(1)));

    platform.answers.borrow_mut().push_back(Ok(HttpResponse::json(
        429,
        &json!({ "error": { "message": "Rate limit reached" } }),
    )
    .with_header("retry-after", "7")));
    let err = call().unwrap_err();
    assert_eq!(err, AgentError::RateLimited { retry_after: Some("7".into()) });
    assert!(err.to_string().contains("retry after 7 s"), "{err}");

    platform.answer_json(
        401,
        json!({ "error": { "message": "Incorrect API key provided: sk-test-key-123" } }),
    );
    let err = call().unwrap_err().to_string();
    assert!(err.contains("HTTP 401") && err.contains("Incorrect API key"), "{err}");
    assert!(!err.contains("sk-test-key-123"), "{err}");

    platform.answers.borrow_mut().push_back(Ok(HttpResponse::text(503, "upstream connect error")));
    assert!(matches!(call().unwrap_err(), AgentError::Upstream { status: 503, .. }));

    platform.answers.borrow_mut().push_back(Err(FetchError::Timeout(Duration::from_secs(1))));
    assert!(matches!(call().unwrap_err(), AgentError::Deadline(_)));

    platform.answers.borrow_mut().push_back(Err(FetchError::Network("connection refused".into())));
    assert!(matches!(call().unwrap_err(), AgentError::Unreachable(_)));

    platform.answer_json(200, json!({ "choices": [] }));
    assert!(matches!(call().unwrap_err(), AgentError::BadReply(_)));
}

#[test]
fn a_run_stops_at_five_calls_and_adds_up_their_cost() {
    let platform = FakePlatform::default();
    for _ in 0..6 {
        platform.answer_json(
            200,
            json!({ "choices": [{ "message": { "content": "q" } }], "usage": { "prompt_tokens": 10, "completion_tokens": 2 } }),
        );
    }
    let s = settings(AgentProvider::OpenAi, "https://models.example.com/v1");
    let provider = HttpProvider::for_settings(&s, &platform).unwrap();
    let run = AgentRun::new(&provider, &platform, Duration::from_secs(10));
    for _ in 0..MAX_MODEL_CALLS {
        block_on(run.call(&ask("x"))).unwrap();
    }
    assert_eq!(block_on(run.call(&ask("x"))).unwrap_err(), AgentError::StepLimit);
    assert_eq!(platform.requests.borrow().len(), 5, "the sixth call is never sent");
    assert_eq!(run.usage(), Usage { input_tokens: 50, output_tokens: 10 });
    let attributes = run.attributes();
    assert_eq!(attributes["gen_ai.system"], "openai");
    assert_eq!(attributes["gen_ai.request.model"], "test-model");
    assert_eq!(attributes["gen_ai.usage.input_tokens"], 50);
    assert_eq!(attributes["gen_ai.agent.calls"], 5);
}

#[test]
fn a_run_past_its_deadline_sends_nothing() {
    let platform = FakePlatform::default();
    let s = settings(AgentProvider::Anthropic, "https://api.anthropic.com");
    let provider = HttpProvider::for_settings(&s, &platform).unwrap();
    let run = AgentRun::new(&provider, &platform, Duration::from_secs(2));
    block_on(Platform::sleep(&platform, Duration::from_secs(3)));
    assert_eq!(
        block_on(run.call(&ask("x"))).unwrap_err(),
        AgentError::Deadline(Duration::from_secs(2))
    );
    assert!(platform.requests.borrow().is_empty());
}

#[test]
fn workers_ai_input_and_output() {
    let mut s = settings(AgentProvider::WorkersAi, "https://unused.example.com");
    s.base = None;
    s.api_key = None;
    let input = workers_ai::input(&s, &ask("slow pages"));
    assert_eq!(
        input,
        json!({
            "messages": [
                { "role": "system", "content": "Translate to Sentry search syntax." },
                { "role": "user", "content": "slow pages" }
            ],
            "max_tokens": 300,
            "response_format": { "type": "json_object" }
        })
    );
    let reply = workers_ai::output(&json!({
        "response": "{\"query\":\"transaction.duration:>2s\"}",
        "usage": { "prompt_tokens": 40, "completion_tokens": 12, "total_tokens": 52 }
    }))
    .unwrap();
    assert_eq!(reply.text, "{\"query\":\"transaction.duration:>2s\"}");
    assert_eq!(reply.usage, Usage { input_tokens: 40, output_tokens: 12 });
    let object = workers_ai::output(&json!({ "response": { "query": "is:unresolved" } })).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&object.text).unwrap(),
        json!({ "query": "is:unresolved" })
    );
    assert!(workers_ai::output(&json!({ "result": {} })).is_err());
    assert!(HttpProvider::for_settings(&s, &FakePlatform::default()).is_none());
}

#[test]
fn workers_ai_through_the_binding() {
    let mut s = settings(AgentProvider::WorkersAi, "https://unused.example.com");
    s.base = None;
    s.api_key = None;
    s.model = "@cf/meta/llama-3.3-70b-instruct-fp8-fast".into();
    let platform = FakePlatform::default();
    *platform.ai.borrow_mut() = Some(
        [
            Ok(json!({
                "response": { "keep": [2] },
                "usage": { "prompt_tokens": 210, "completion_tokens": 7 }
            })),
            Err(FetchError::Network("3040: Capacity temporarily exceeded".into())),
            Err(FetchError::Timeout(Duration::from_secs(1))),
        ]
        .into(),
    );
    let provider = provider(&s, &platform);
    assert_eq!((provider.system(), provider.model()), ("workers-ai", s.model.as_str()));
    let run = AgentRun::new(provider.as_ref(), &platform, Duration::from_secs(10));
    let reply = block_on(run.call(&ask("which part?"))).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&reply.text).unwrap(), json!({ "keep": [2] }));
    assert_eq!(run.usage(), Usage { input_tokens: 210, output_tokens: 7 });
    let calls = platform.ai_calls.borrow().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].0, "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
        "the model is the binding's first argument"
    );
    assert_eq!(
        calls[0].1,
        workers_ai::input(&s, &ask("which part?")),
        "the input is exactly what input() builds"
    );
    assert!(platform.requests.borrow().is_empty(), "no HTTP request: the binding is the transport");
    assert_eq!(
        block_on(run.call(&ask("again"))).unwrap_err(),
        AgentError::Binding("3040: Capacity temporarily exceeded".into())
    );
    assert_eq!(block_on(run.call(&ask("late"))).unwrap_err(), AgentError::Deadline(s.timeout));
    let attributes = run.attributes();
    assert_eq!(attributes["gen_ai.system"], "workers-ai");
    assert_eq!(attributes["gen_ai.request.model"], "@cf/meta/llama-3.3-70b-instruct-fp8-fast");

    // A runtime without the binding (stdio, a Worker deployed without [ai]) says what is missing.
    let bare = FakePlatform::default();
    let provider = super::provider(&s, &bare);
    let err = block_on(provider.complete(&ask("x"), Duration::from_secs(1))).unwrap_err();
    assert_eq!(err, AgentError::NoBinding);
    assert!(err.to_string().contains("[ai] binding"), "{err}");
}
