//! `analyze_issue_with_seer`: start (or reuse) Sentry's Seer root-cause and fix run for an issue
//! and wait a bounded time for it, reporting progress while it waits.
//!
//! Seer takes minutes, longer than most clients wait for one call. So the call waits at most
//! `waitSeconds`, sends `notifications/progress` meanwhile when the client asked for progress,
//! and otherwise says plainly that the run is still going. Calling again reports on the same run
//! (Sentry keeps one current run per issue) instead of starting another.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use super::args;
use super::shared::{issue_args, path};
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
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
    }
}

const POLL_INTERVAL: Duration = Duration::from_secs(2);
const DEFAULT_WAIT_SECS: i64 = 30;
/// Seer run states after which nothing more will happen without the user.
const FINAL_STATES: [&str; 5] =
    ["completed", "error", "failed", "cancelled", "awaiting_user_input"];

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let wait = args.wait_seconds.unwrap_or(DEFAULT_WAIT_SECS) as u64;
    let instruction = args.instruction.clone();
    let issue = ctx.resolve_issue(&args).await?;
    let (org, short) = (&issue.org, &issue.short_id);
    let autofix = path(&["organizations", org, "issues", &issue.numeric_id, "autofix"])?;
    let seer_error = |e: SentryError| {
        match e {
        SentryError::NotFound { .. } => ToolError::Unsupported(
            "this Sentry has no Seer (self-hosted Sentry, or Seer is not enabled for the organization). Use get_issue_details to investigate the issue directly.".into(),
        ),
        SentryError::BadRequest { detail, .. } => ToolError::Unsupported(format!(
            "Seer cannot analyze this issue ({detail}). Seer handles error and performance issues; use get_issue_details instead."
        )),
        other => ToolError::Upstream(other),
    }
    };

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
