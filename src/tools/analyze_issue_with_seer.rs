//! `analyze_issue_with_seer`: start (or reuse) Sentry's Seer root-cause and fix run for an issue
//! and wait a bounded time for it, reporting progress while it waits.
//!
//! Seer takes minutes, longer than most clients wait for one call. So the call waits at most
//! `waitSeconds`, sends `notifications/progress` meanwhile when the client asked for progress,
//! and otherwise says plainly that the run is still going. Calling again reports on the same run
//! (Sentry keeps one current run per issue) instead of starting another.
//!
//! Clients that take tasks (see `mcp::tasks`) get no wait at all: the call starts the run and
//! returns a [`SeerHandle`], and [`check_task`] later reads the run's state back from Sentry, so
//! any isolate or process holding the caller's token can answer for it.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::args;
use super::shared::{issue_args, path};
use super::{tool, Annotations, HiddenWhen, Skill, TaskState, ToolContext, ToolError, ToolOutput};
use crate::render::seer::{seer_markdown, SeerRun};
use crate::render::{plain, str_at};
use crate::sentry::{Host, SentryError};

issue_args! {
    #[derive(Deserialize)]
    #[cfg_attr(test, derive(schemars::JsonSchema))]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Args {
        /// Optional guidance for Seer when a new run starts.
        #[serde(default, deserialize_with = "args::string")]
        #[cfg_attr(test, schemars(length(max = 2000)))]
        pub instruction: Option<String>,
        /// How long to wait for the run in this call (default 30).
        #[serde(default, deserialize_with = "args::int::<_, 0, 50>")]
        #[cfg_attr(test, schemars(range(min = 0, max = 50)))]
        pub wait_seconds: Option<i64>,
    }
}

tool! {
    pub(super) struct AnalyzeIssueWithSeer {
        name: "analyze_issue_with_seer",
        title: "Analyze an issue with Seer",
        skills: &[Skill::Seer],
        annotations: Annotations {
            read_only: false,
            destructive: false,
            idempotent: true,
            open_world: true,
        },
        hidden_when: HiddenWhen::Never,
        args: Args,
        check_task: check_task,
    }
}

/// What a task-mode call needs to find its run again: sealed into the task id by the MCP layer,
/// so it is only ever read back as written.
#[derive(Debug, Serialize, Deserialize)]
struct SeerHandle {
    org: String,
    /// Sentry's numeric issue id (API paths).
    issue: String,
    short_id: String,
    /// The issue's `project` (`slug`, `id`), checked against a project constraint on every poll.
    project: Value,
    /// The run this call started, when Sentry named it.
    run_id: Option<String>,
}

const POLL_INTERVAL: Duration = Duration::from_secs(2);
const DEFAULT_WAIT_SECS: i64 = 30;
/// Seer run states after which nothing more will happen without the user.
const FINAL_STATES: [&str; 5] =
    ["completed", "error", "failed", "cancelled", "awaiting_user_input"];

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let wait =
        if ctx.start_task { 0 } else { args.wait_seconds.unwrap_or(DEFAULT_WAIT_SECS) as u64 };
    let instruction = args.instruction.clone();
    let issue = ctx.resolve_issue(&args).await?;
    let (org, short) = (&issue.org, &issue.short_id);
    let autofix = path(&["organizations", org, "issues", &issue.numeric_id, "autofix"])?;
    let mut state = ctx.sentry.get(Host::Org(org), &autofix, &[]).await.map_err(seer_error)?.body;
    let mut started = false;
    let mut started_run_id = None;
    if state.get("autofix").is_none_or(Value::is_null) {
        let mut body = json!({});
        if let Some(i) = &instruction {
            body["instruction"] = json!(i);
        }
        let answer = ctx
            .sentry
            .send("POST", Host::Org(org), &autofix, &[], Some(&body))
            .await
            .map_err(seer_error)?;
        // The start answer names the run; the state may not until Seer picks it up.
        started_run_id = answer.body.get("run_id").map(plain).filter(|s| !s.is_empty());
        started = true;
        state = json!({"autofix": {"status": "processing"}});
    }
    if ctx.start_task {
        let handle = SeerHandle {
            org: org.clone(),
            issue: issue.numeric_id.clone(),
            short_id: short.clone(),
            project: json!({
                "slug": issue.issue.pointer("/project/slug"),
                "id": issue.issue.pointer("/project/id"),
            }),
            run_id: started_run_id.or_else(|| state.pointer("/autofix/run_id").map(plain)),
        };
        return Ok(ToolOutput::task(serde_json::to_value(handle).unwrap_or_default()));
    }
    let begun = ctx.platform.now_ms();
    loop {
        let status = str_at(&state, "/autofix/status").unwrap_or("processing").to_ascii_lowercase();
        let elapsed = ctx.platform.now_ms().saturating_sub(begun) / 1000;
        if FINAL_STATES.contains(&status.as_str()) || elapsed >= wait {
            break;
        }
        if let Some(p) = &ctx.progress {
            p.report(
                elapsed as f64,
                Some(wait as f64),
                &format!("Seer is {status} ({elapsed}s of up to {wait}s in this call)"),
            );
            if p.client_gone() {
                return Err(ToolError::Unsupported(
                    "the client closed the request; the Seer run continues in Sentry".into(),
                ));
            }
        }
        ctx.platform.sleep(POLL_INTERVAL).await;
        state = ctx.sentry.get(Host::Org(org), &autofix, &[]).await.map_err(seer_error)?.body;
    }
    let run =
        SeerRun { org, short_id: short, state: &state, started, started_run_id, waited: wait };
    Ok(ToolOutput::markdown(ctx.untrusted.finish(seer_markdown(&run, &ctx.untrusted))))
}

/// Sentry's answers about Seer, as tool errors an agent can act on.
fn seer_error(e: SentryError) -> ToolError {
    match e {
        SentryError::NotFound { .. } => ToolError::Unsupported(
            "this Sentry has no Seer (self-hosted Sentry, or Seer is not enabled for the organization). Use get_issue_details to investigate the issue directly.".into(),
        ),
        SentryError::BadRequest { detail, .. } => ToolError::Unsupported(format!(
            "Seer cannot analyze this issue ({detail}). Seer handles error and performance issues; use get_issue_details instead."
        )),
        other => ToolError::Upstream(other),
    }
}

/// Where a run started by a task-mode call stands: one read of the issue's Seer state. A failure
/// Sentry may recover from (5xx, 429, timeouts) leaves the task working; any other ends it.
async fn check_task(ctx: &ToolContext<'_>, handle: Value) -> TaskState {
    let outcome = async {
        let h: SeerHandle = serde_json::from_value(handle)
            .map_err(|_| ToolError::invalid("the task does not name a Seer run"))?;
        ctx.ensure_org_in_scope(&h.org)?;
        ctx.ensure_project_in_scope(&json!({"project": h.project}))?;
        let autofix = path(&["organizations", &h.org, "issues", &h.issue, "autofix"])?;
        let state =
            ctx.sentry.get(Host::Org(&h.org), &autofix, &[]).await.map_err(seer_error)?.body;
        Ok((h, state))
    }
    .await;
    let (h, state) = match outcome {
        Ok(found) => found,
        Err(ToolError::Upstream(e)) if e.is_transient() => {
            return TaskState::Working(format!(
                "Sentry did not answer this check ({}); the run continues, ask again later",
                e.class()
            ))
        }
        Err(e) => return TaskState::Finished(Err(e)),
    };
    let status = str_at(&state, "/autofix/status").unwrap_or("processing").to_ascii_lowercase();
    if !FINAL_STATES.contains(&status.as_str()) {
        let run = h.run_id.as_deref().unwrap_or("not reported yet");
        return TaskState::Working(format!("Seer is {status} (run {run} for {})", h.short_id));
    }
    let run = SeerRun {
        org: &h.org,
        short_id: &h.short_id,
        state: &state,
        started: false,
        started_run_id: h.run_id.clone(),
        waited: 0,
    };
    TaskState::Finished(Ok(ToolOutput::markdown(
        ctx.untrusted.finish(seer_markdown(&run, &ctx.untrusted)),
    )))
}
