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
    if state.get("autofix").is_none_or(Value::is_null) {
        let mut body = json!({});
        if let Some(i) = &instruction {
            body["instruction"] = json!(i);
        }
        ctx.sentry
            .send("POST", Host::Org(org), &autofix, &[], Some(&body))
            .await
            .map_err(seer_error)?;
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
    Ok(ToolOutput::markdown(ctx.untrusted.finish(render(org, short, &state, started, wait, ctx))))
}

fn render(
    org: &str,
    short: &str,
    state: &Value,
    started: bool,
    wait: u64,
    ctx: &ToolContext<'_>,
) -> String {
    let run = state.get("autofix").unwrap_or(&Value::Null);
    let status = str_at(run, "/status").unwrap_or("processing").to_ascii_lowercase();
    let run_id = run.get("run_id").map(plain).unwrap_or_else(|| "?".into());
    let mut out = format!(
        "# Seer analysis of {short} in **{org}**\n\n**Run**: {run_id} · **Status**: {status}"
    );
    out.push_str(if started { " · started by this call\n" } else { " · existing run\n" });
    let artifact = |key: &str| -> Option<Value> {
        run.get("blocks")?.as_array()?.iter().rev().find_map(|b| {
            b.get("artifacts")?
                .as_array()?
                .iter()
                .find(|a| str_at(a, "/key") == Some(key))
                .and_then(|a| a.get("data").cloned())
        })
    };
    let mut body = String::new();
    if let Some(rc) = artifact("root_cause") {
        body.push_str("## Root cause\n");
        if let Some(d) = str_at(&rc, "/one_line_description") {
            body.push_str(&format!("{d}\n"));
        }
        for (i, why) in
            rc.get("five_whys").and_then(Value::as_array).into_iter().flatten().enumerate()
        {
            body.push_str(&format!("{}. {}\n", i + 1, plain(why)));
        }
        if let Some(steps) =
            rc.get("reproduction_steps").and_then(Value::as_array).filter(|s| !s.is_empty())
        {
            body.push_str("Reproduction:\n");
            for s in steps {
                body.push_str(&format!("- {}\n", plain(s)));
            }
        }
    }
    if let Some(sol) = artifact("solution") {
        body.push_str("\n## Proposed fix\n");
        if let Some(d) = str_at(&sol, "/one_line_summary") {
            body.push_str(&format!("{d}\n"));
        }
        for (i, step) in
            sol.get("steps").and_then(Value::as_array).into_iter().flatten().enumerate()
        {
            body.push_str(&format!(
                "{}. {}: {}\n",
                i + 1,
                str_at(step, "/title").unwrap_or(""),
                str_at(step, "/description").unwrap_or("")
            ));
        }
    }
    if !body.is_empty() {
        // Seer's text is generated from event data an attacker may control.
        out.push('\n');
        out.push_str(&ctx.untrusted.block(&body));
    }
    match status.as_str() {
        "completed" => out.push_str("\nNext: check the proposed fix against the code before changing anything.\n"),
        "error" | "failed" | "cancelled" => out.push_str("\nThe run did not finish. Start a new one from the issue page in Sentry, or investigate with get_issue_details.\n"),
        "awaiting_user_input" => out.push_str("\nSeer is waiting for input in Sentry's UI; open the issue in Sentry to continue.\n"),
        _ => out.push_str(&format!(
            "\nSeer is still running after {wait}s (it usually needs a few minutes). Call analyze_issue_with_seer again for {short} to check on this same run; it will not start a new one.\n"
        )),
    }
    out
}
