//! Seer runs as Markdown, in both state shapes Sentry answers with: the older autofix state
//! (`steps` with a `root_cause_analysis` step holding `causes` and a `solution` step holding
//! `solution` items) and the newer explorer state (`blocks` whose `artifacts` carry `root_cause`
//! and `solution`). Seer's text is generated from event data that an attacker may control, so it
//! goes inside the untrusted boundary. A finished run without a solution says so.

use std::fmt::Write;

use serde_json::Value;

use super::{plain, str_at, truncate, Untrusted};

/// What one call knows about a run.
pub(crate) struct SeerRun<'a> {
    pub(crate) org: &'a str,
    pub(crate) short_id: &'a str,
    /// The `{"autofix": …}` state (its `autofix` may be `null` or a bare status).
    pub(crate) state: &'a Value,
    /// Whether this call started the run.
    pub(crate) started: bool,
    /// The run id from the start answer, used when the state does not carry one yet.
    pub(crate) started_run_id: Option<String>,
    /// Seconds this call waited.
    pub(crate) waited: u64,
}

/// The Markdown answer for one Seer run: run id and status, Seer's root cause and fix inside the
/// boundary, and what to do next (a finished run without a solution says so).
pub(crate) fn seer_markdown(run: &SeerRun<'_>, u: &Untrusted) -> String {
    let state = run.state.get("autofix").unwrap_or(&Value::Null);
    let status = str_at(state, "/status").unwrap_or("processing").to_ascii_lowercase();
    let run_id = state
        .get("run_id")
        .map(plain)
        .filter(|s| !s.is_empty())
        .or_else(|| run.started_run_id.clone())
        .unwrap_or_else(|| "not reported yet".into());
    let mut out = format!(
        "# Seer analysis of {} in **{}**\n\n**Run**: {run_id} · **Status**: {status}",
        run.short_id, run.org
    );
    out.push_str(if run.started { " · started by this call\n" } else { " · existing run\n" });

    let (root_cause, solution) = if state.get("steps").is_some() {
        (older_root_cause(state), older_solution(state))
    } else {
        (explorer_root_cause(state), explorer_solution(state))
    };
    let mut body = String::new();
    if !root_cause.is_empty() {
        let _ = write!(body, "## Root cause\n{root_cause}");
    }
    if !solution.is_empty() {
        let _ = write!(body, "\n## Proposed fix\n{solution}");
    }
    if !body.trim().is_empty() {
        out.push('\n');
        out.push_str(&u.block(&body));
    }
    match status.as_str() {
        "completed" if solution.is_empty() && root_cause.is_empty() => out.push_str(
            "\nThe run finished with no root cause and no solution. Investigate with get_issue_details.\n",
        ),
        "completed" if solution.is_empty() => out.push_str(
            "\nThe run finished with a root cause but no solution (no fix was proposed). Use the root cause to plan a fix yourself, or ask for a solution in Sentry.\n",
        ),
        "completed" => out.push_str("\nNext: check the proposed fix against the code before changing anything.\n"),
        "error" | "failed" | "cancelled" => out.push_str("\nThe run did not finish. Start a new one from the issue page in Sentry, or investigate with get_issue_details.\n"),
        "awaiting_user_input" | "need_more_information" => out.push_str("\nSeer is waiting for input in Sentry's UI; open the issue in Sentry to continue.\n"),
        _ => {
            let _ = write!(
                out,
                "\nSeer is still running after {}s (it usually needs a few minutes). Call analyze_issue_with_seer again for {} to check on run {run_id}; it will not start a new one.\n",
                run.waited, run.short_id
            );
        }
    }
    out
}

fn step<'a>(state: &'a Value, key: &str) -> Option<&'a Value> {
    state
        .get("steps")?
        .as_array()?
        .iter()
        .rev()
        .find(|s| str_at(s, "/key") == Some(key) || str_at(s, "/type") == Some(key))
}

fn older_root_cause(state: &Value) -> String {
    let mut text = String::new();
    let Some(step) = step(state, "root_cause_analysis") else { return text };
    let selected = step.pointer("/selection/cause_id").map(plain);
    let causes: Vec<&Value> = step
        .get("causes")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    for cause in &causes {
        if causes.len() > 1 && selected.is_some() && cause.get("id").map(plain) != selected {
            continue;
        }
        if let Some(d) = str_at(cause, "/description") {
            let _ = writeln!(text, "{}", truncate(d, 2_000));
        }
        for (i, item) in cause
            .get("root_cause_reproduction")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let _ = writeln!(text, "{}. {}", i + 1, timeline_item(item));
        }
    }
    text
}

fn older_solution(state: &Value) -> String {
    let mut text = String::new();
    let Some(step) = step(state, "solution") else { return text };
    if let Some(d) = str_at(step, "/description") {
        let _ = writeln!(text, "{}", truncate(d, 2_000));
    }
    for (i, item) in
        step.get("solution").and_then(Value::as_array).into_iter().flatten().enumerate()
    {
        let _ = writeln!(text, "{}. {}", i + 1, timeline_item(item));
    }
    text
}

/// A timeline item: title, its analysis, and the file it concerns.
fn timeline_item(item: &Value) -> String {
    let mut line = str_at(item, "/title").unwrap_or("(untitled step)").to_string();
    if let Some(a) = str_at(item, "/code_snippet_and_analysis") {
        let _ = write!(line, ": {}", truncate(a, 1_000));
    }
    if let Some(f) = str_at(item, "/relevant_code_file/file_path") {
        let _ = write!(line, " ({f})");
    }
    line.replace('\n', " ⏎ ")
}

fn artifact(state: &Value, key: &str) -> Option<Value> {
    state.get("blocks")?.as_array()?.iter().rev().find_map(|b| {
        b.get("artifacts")?
            .as_array()?
            .iter()
            .find(|a| str_at(a, "/key") == Some(key))
            .and_then(|a| a.get("data").cloned())
    })
}

fn explorer_root_cause(state: &Value) -> String {
    let mut text = String::new();
    let Some(rc) = artifact(state, "root_cause") else { return text };
    if let Some(d) = str_at(&rc, "/one_line_description") {
        let _ = writeln!(text, "{d}");
    }
    for (i, why) in rc.get("five_whys").and_then(Value::as_array).into_iter().flatten().enumerate()
    {
        let _ = writeln!(text, "{}. {}", i + 1, plain(why));
    }
    if let Some(steps) =
        rc.get("reproduction_steps").and_then(Value::as_array).filter(|s| !s.is_empty())
    {
        text.push_str("Reproduction:\n");
        for s in steps {
            let _ = writeln!(text, "- {}", plain(s));
        }
    }
    text
}

fn explorer_solution(state: &Value) -> String {
    let mut text = String::new();
    let Some(sol) = artifact(state, "solution") else { return text };
    if let Some(d) = str_at(&sol, "/one_line_summary") {
        let _ = writeln!(text, "{d}");
    }
    for (i, step) in sol.get("steps").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let title = str_at(step, "/title").unwrap_or("(untitled step)");
        match str_at(step, "/description") {
            Some(d) => {
                let _ = writeln!(text, "{}. {title}: {d}", i + 1);
            }
            None => {
                let _ = writeln!(text, "{}. {title}", i + 1);
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn md(state: Value, started_run_id: Option<&str>) -> String {
        let u = Untrusted::with_nonce("s".into());
        let run = SeerRun {
            org: "o",
            short_id: "P-1",
            state: &state,
            started: started_run_id.is_some(),
            started_run_id: started_run_id.map(String::from),
            waited: 0,
        };
        seer_markdown(&run, &u)
    }

    #[test]
    fn start_answer_run_id_is_used_until_the_state_has_one() {
        let out = md(json!({"autofix": {"status": "processing"}}), Some("77"));
        assert!(
            out.contains("**Run**: 77 · **Status**: processing · started by this call"),
            "{out}"
        );
        assert!(out.contains("check on run 77"));
    }

    #[test]
    fn completed_without_solution_says_so() {
        let out = md(
            json!({"autofix": {"run_id": 5, "status": "completed", "blocks": [{"artifacts": [{"key": "root_cause", "data": {"one_line_description": "Because."}}]}]}}),
            None,
        );
        assert!(out.contains("Because."), "{out}");
        assert!(out.contains("no solution"), "{out}");
    }

    #[test]
    fn older_state_shape_is_read() {
        let out = md(
            json!({"autofix": {"run_id": 9, "status": "COMPLETED", "steps": [
            {"key": "root_cause_analysis", "causes": [{"id": 0, "description": "Cause.", "root_cause_reproduction": [{"title": "Step one", "code_snippet_and_analysis": ""}]}], "selection": {"cause_id": 0}},
            {"key": "solution", "description": "Fix it.", "solution": [{"title": "Add the rate", "code_snippet_and_analysis": "Edit rates.py", "relevant_code_file": {"file_path": "tax/rates.py"}}]}]}}),
            None,
        );
        assert!(out.contains("**Status**: completed"), "{out}");
        assert!(out.contains("Cause.\n1. Step one"), "{out}");
        assert!(out.contains("Fix it.\n1. Add the rate: Edit rates.py (tax/rates.py)"), "{out}");
        assert!(!out.contains("null"));
    }
}
