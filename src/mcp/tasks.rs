//! Tool calls as MCP tasks, with no server-side state: the task id *is* the task.
//!
//! Seer runs for minutes, longer than clients wait for one call. A client that takes tasks gets
//! one at once instead of a bounded wait, and asks about it later, from any isolate or process:
//! the task id is the tool's handle (which Seer run of which issue), sealed with AES-256-GCM under
//! a key derived by HMAC from the caller's Sentry token (`crate::crypto`). So an id cannot be
//! forged or altered, reveals nothing to intermediaries that see it (the modern era puts it in the
//! `Mcp-Name` header), and works only with the credentials that created it; every answer is read
//! back from Sentry, which keeps the run.
//!
//! Two flavours, chosen by how the client asks:
//!
//! - [`Flavour::Extension`]: the 2026-07-28 `io.modelcontextprotocol/tasks` extension. The client
//!   declares it in the request's client capabilities; `tools/call` answers `resultType: "task"`,
//!   `tasks/get` reports the state with the result inlined once complete, `tasks/cancel` and
//!   `tasks/update` are acknowledged (Seer runs cannot be stopped from here, which the extension
//!   allows: cancellation is cooperative).
//! - [`Flavour::Experimental`]: the experimental tasks of 2025-11-25 for legacy clients.
//!   `initialize` declares `tasks.requests.tools.call`, the tool lists
//!   `execution.taskSupport: "optional"`, the client adds `params.task`; `tasks/get` reports the
//!   state and `tasks/result` waits (bounded) for the outcome.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::jsonrpc::RpcError;
use super::server::{tool_context, tool_result, McpContext};
use super::version::ProtocolVersion;
use crate::crypto::{self, Key};
use crate::render::iso_from_epoch;
use crate::tools::{self, TaskState, Tool, ToolContext, ToolError, ToolOutput};

/// The extension's identifier in capabilities.
pub(crate) const EXTENSION: &str = "io.modelcontextprotocol/tasks";
const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
const RELATED_TASK: &str = "io.modelcontextprotocol/related-task";
const IMMEDIATE_RESPONSE: &str = "io.modelcontextprotocol/model-immediate-response";
/// How long a task id stays valid: Seer runs take minutes, and Sentry keeps the run longer.
const TTL_MS: u64 = 3_600_000;
/// The polling pace suggested to clients (each poll is one Sentry call).
const POLL_INTERVAL_MS: u64 = 5_000;
/// How long `tasks/result` waits for an unfinished task before telling the client to poll.
const RESULT_WAIT: Duration = Duration::from_secs(240);
/// The pace of `tasks/result`'s own checks.
const RESULT_POLL: Duration = Duration::from_secs(POLL_INTERVAL_MS / 1000);

/// How a client takes tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavour {
    /// 2025-11-25's experimental tasks (legacy era, `params.task`).
    Experimental,
    /// The 2026-07-28 tasks extension (modern era, declared per request).
    Extension,
}

/// Whether a modern request declares the extension in its client capabilities.
fn declared(params: &Map<String, Value>) -> bool {
    params
        .get("_meta")
        .and_then(|m| m.get(META_CAPABILITIES))
        .and_then(|c| c.get("extensions"))
        .and_then(|e| e.get(EXTENSION))
        .is_some_and(Value::is_object)
}

/// The extension's task methods serve only requests that declare it (-32021 otherwise, naming
/// the capability to declare).
pub(crate) fn require_extension(params: &Map<String, Value>) -> Result<(), RpcError> {
    if declared(params) {
        return Ok(());
    }
    Err(RpcError::new(
        super::jsonrpc::ErrorCode::MISSING_CLIENT_CAPABILITY,
        format!("Missing required client capability: declare the '{EXTENSION}' extension in _meta[\"{META_CAPABILITIES}\"].extensions to use tasks"),
    )
    .data(json!({"requiredCapabilities": {"extensions": {EXTENSION: {}}}})))
}

/// The flavour this `tools/call` asks for, if any.
pub(crate) fn requested(version: ProtocolVersion, params: &Map<String, Value>) -> Option<Flavour> {
    if version.is_modern() {
        return declared(params).then_some(Flavour::Extension);
    }
    (version.has_experimental_tasks() && params.get("task").is_some_and(Value::is_object))
        .then_some(Flavour::Experimental)
}

/// What a task id holds.
#[derive(Debug, Serialize, Deserialize)]
struct Sealed {
    /// The tool that started the work.
    tool: String,
    /// The tool's handle on the work (`ToolOutput::task`).
    handle: Value,
    /// Creation time, epoch milliseconds.
    created: u64,
    /// For a call that failed before any work started: its final `CallToolResult`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    done: Option<Value>,
}

/// The key of this caller's task ids: only the holder of the same Sentry token derives it.
fn key(ctx: &McpContext<'_>) -> Key {
    crypto::derive_key(ctx.session.upstream_token.as_bytes(), "mcp-task-id")
}

const AAD: &[u8] = b"mcp-task";

fn seal(ctx: &McpContext<'_>, sealed: &Sealed) -> String {
    let json = serde_json::to_vec(sealed).expect("serialisable");
    crypto::seal(ctx.platform, &key(ctx), &json, AAD)
}

/// Open a task id of this caller's, refusing unknown, foreign, altered and expired ones with the
/// error the task specifications name (-32602).
fn open(ctx: &McpContext<'_>, params: &Map<String, Value>) -> Result<(String, Sealed), RpcError> {
    let Some(id) = params.get("taskId").and_then(Value::as_str) else {
        return Err(RpcError::invalid_params("Invalid params: 'taskId' (a string) is required"));
    };
    let sealed = crypto::open(&key(ctx), id.trim(), AAD)
        .and_then(|json| serde_json::from_slice::<Sealed>(&json).ok())
        .ok_or_else(|| {
            RpcError::invalid_params(
                "Failed to retrieve task: Task not found (a task id works only with the credentials that created it)",
            )
        })?;
    if ctx.platform.now_ms() >= sealed.created.saturating_add(TTL_MS) {
        return Err(RpcError::invalid_params(format!(
            "Failed to retrieve task: Task has expired (tasks live {} minutes); call the tool again for a new one",
            TTL_MS / 60_000
        )));
    }
    Ok((id.trim().to_string(), sealed))
}

/// The answer to a `tools/call` that asked for a task, once the tool returned.
pub(crate) fn created(
    ctx: &McpContext<'_>,
    flavour: Flavour,
    version: ProtocolVersion,
    tool: &dyn Tool,
    outcome: Result<ToolOutput, ToolError>,
    tool_ctx: &ToolContext<'_>,
    reported: Option<String>,
) -> Value {
    let now = ctx.platform.now_ms();
    let (handle, done) = match outcome {
        Ok(ToolOutput { task: Some(handle), .. }) => (handle, None),
        // The call ended before any work started (an unknown issue, no Seer): the extension
        // lets the server answer with the plain result; the experimental flavour promised a task,
        // so it gets one that is already finished.
        other => {
            let result = tool_result(version, other, tool_ctx, reported);
            if flavour == Flavour::Extension {
                return result;
            }
            (Value::Null, Some(result))
        }
    };
    let failed = done.as_ref().is_some_and(|r| r["isError"] == true);
    let sealed = Sealed { tool: tool.spec().name.to_string(), handle, created: now, done };
    let id = seal(ctx, &sealed);
    let (status, message) = match (&sealed.done, failed) {
        (None, _) => ("working", format!("{} started; poll the task for its outcome", sealed.tool)),
        (Some(_), true) => ("failed", "the call failed before any work started".to_string()),
        (Some(_), false) => ("completed", "the call finished at once".to_string()),
    };
    let task = task_object(flavour, &id, sealed.created, now, status, &message);
    match flavour {
        Flavour::Extension => {
            let mut r = task;
            r["resultType"] = json!("task");
            r
        }
        Flavour::Experimental => json!({
            "task": task,
            "_meta": { IMMEDIATE_RESPONSE: format!(
                "{} is running as a task ({message}). Its result arrives when the task completes.",
                sealed.tool
            )},
        }),
    }
}

/// The task fields of either flavour (they differ in the names of the two durations).
fn task_object(
    flavour: Flavour,
    id: &str,
    created: u64,
    now: u64,
    status: &str,
    message: &str,
) -> Value {
    let (ttl, poll) = match flavour {
        Flavour::Experimental => ("ttl", "pollInterval"),
        Flavour::Extension => ("ttlMs", "pollIntervalMs"),
    };
    let mut task = json!({
        "taskId": id,
        "status": status,
        "statusMessage": message,
        "createdAt": iso_from_epoch((created / 1000) as i64),
        "lastUpdatedAt": iso_from_epoch((now / 1000) as i64),
    });
    task[ttl] = json!(TTL_MS);
    task[poll] = json!(POLL_INTERVAL_MS);
    task
}

/// One look at a task: its status line, and its `CallToolResult` once finished.
struct Look {
    status: &'static str,
    message: String,
    result: Option<Value>,
}

async fn look(
    ctx: &McpContext<'_>,
    flavour: Flavour,
    version: ProtocolVersion,
    sealed: &Sealed,
) -> Look {
    if let Some(done) = &sealed.done {
        let failed = done["isError"] == true;
        let status =
            if failed && flavour == Flavour::Experimental { "failed" } else { "completed" };
        return Look { status, message: "finished".into(), result: Some(done.clone()) };
    }
    let tool_ctx = tool_context(ctx, None, false);
    let state = match tools::lookup(&sealed.tool, ctx.session) {
        Ok(tool) => tool.check_task(&tool_ctx, sealed.handle.clone()).await,
        Err(_) => TaskState::Finished(Err(ToolError::Unsupported(format!(
            "this connection no longer offers {}, which ran this task",
            sealed.tool
        )))),
    };
    match state {
        TaskState::Working(message) => Look { status: "working", message, result: None },
        TaskState::Finished(outcome) => {
            let failed = outcome.is_err();
            let result = tool_result(version, outcome, &tool_ctx, None);
            // The experimental flavour calls a tool error "failed"; the extension keeps "failed"
            // for JSON-RPC errors and reports a tool error as a completed call with `isError`.
            let status =
                if failed && flavour == Flavour::Experimental { "failed" } else { "completed" };
            let message = if failed { "the call ended with an error" } else { "finished" };
            Look { status, message: message.into(), result: Some(result) }
        }
    }
}

/// `tasks/get`: the task's state now (the extension inlines the result once complete).
pub(crate) async fn get(
    ctx: &McpContext<'_>,
    flavour: Flavour,
    version: ProtocolVersion,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    let (id, sealed) = open(ctx, params)?;
    let seen = look(ctx, flavour, version, &sealed).await;
    let mut task = task_object(
        flavour,
        &id,
        sealed.created,
        ctx.platform.now_ms(),
        seen.status,
        &seen.message,
    );
    if let (Flavour::Extension, Some(mut result)) = (flavour, seen.result) {
        result["resultType"] = json!("complete");
        task["result"] = result;
    }
    Ok(task)
}

/// `tasks/result` (experimental flavour): the call's result once the task finishes, waiting for
/// it a bounded time (then an error that says to keep polling `tasks/get`).
pub(crate) async fn result(
    ctx: &McpContext<'_>,
    version: ProtocolVersion,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    let (id, sealed) = open(ctx, params)?;
    let begun = ctx.platform.now_ms();
    loop {
        let seen = look(ctx, Flavour::Experimental, version, &sealed).await;
        if let Some(mut result) = seen.result {
            let meta = result
                .as_object_mut()
                .expect("results are objects")
                .entry("_meta")
                .or_insert_with(|| json!({}));
            meta[RELATED_TASK] = json!({ "taskId": id });
            return Ok(result);
        }
        if ctx.platform.now_ms().saturating_sub(begun) >= RESULT_WAIT.as_millis() as u64 {
            return Err(RpcError::new(
                super::jsonrpc::ErrorCode::INTERNAL_ERROR,
                format!(
                    "The task is still working after {}s ({}); poll tasks/get and ask for the result when it completes",
                    RESULT_WAIT.as_secs(),
                    seen.message
                ),
            ));
        }
        ctx.platform.sleep(RESULT_POLL).await;
    }
}

/// `tasks/cancel` and `tasks/update` (extension): acknowledged for a valid task. Nothing is
/// stopped (Sentry runs Seer on its own), which the extension allows; no input is ever pending.
pub(crate) fn acknowledge(
    ctx: &McpContext<'_>,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    open(ctx, params).map(|_| json!({}))
}
