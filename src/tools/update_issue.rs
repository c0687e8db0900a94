//! `update_issue`: resolve, ignore, reopen or assign an issue, showing the state before and after.

use async_trait::async_trait;
use serde_json::{json, Map, Value};

use super::shared::{issue_params, path};
use super::{
    Annotations, Args, HiddenWhen, Skill, Tool, ToolContext, ToolError, ToolOutput, ToolSpec,
};
use crate::render::{plain, str_at};
use crate::sentry::Host;

pub struct UpdateIssue;

static SPEC: ToolSpec = ToolSpec {
    name: "update_issue",
    title: "Update an issue",
    description_file: include_str!("../../tool-descriptions/update_issue.md"),
    skills: &[Skill::Triage],
    annotations: Annotations {
        read_only: false,
        destructive: true,
        idempotent: false,
        open_world: true,
    },
    hidden_when: HiddenWhen::Never,
};

const STATUSES: [&str; 4] = ["resolved", "resolvedInNextRelease", "unresolved", "ignored"];
const IGNORE_MODES: [&str; 5] =
    ["untilEscalating", "forever", "forDuration", "untilOccurrenceCount", "untilUserCount"];
const WEEK_MINUTES: i64 = 10_080;

#[async_trait(?Send)]
impl Tool for UpdateIssue {
    fn spec(&self) -> &'static ToolSpec {
        &SPEC
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": issue_params(json!({
                "status": {"type": "string", "enum": STATUSES, "description": "New status."},
                "ignoreMode": {"type": "string", "enum": IGNORE_MODES, "description": "With status=ignored: how long (default forever)."},
                "ignoreDurationMinutes": {"type": "integer", "minimum": 1, "description": "forDuration: minutes to ignore."},
                "ignoreCount": {"type": "integer", "minimum": 1, "description": "untilOccurrenceCount: events before it reappears."},
                "ignoreWindowMinutes": {"type": "integer", "minimum": 1, "maximum": WEEK_MINUTES, "description": "Optional window for ignoreCount."},
                "ignoreUserCount": {"type": "integer", "minimum": 1, "description": "untilUserCount: users before it reappears."},
                "ignoreUserWindowMinutes": {"type": "integer", "minimum": 1, "maximum": WEEK_MINUTES, "description": "Optional window for ignoreUserCount."},
                "assignedTo": {"type": "string", "description": "'user:<id>', 'team:<slug>', or 'none' to unassign."},
                "reason": {"type": "string", "maxLength": 4096, "description": "Why; posted as a note on the issue."}
            })),
            "additionalProperties": false
        })
    }

    async fn call(&self, ctx: &ToolContext<'_>, args: &Args) -> Result<ToolOutput, ToolError> {
        let (org, issue_id, _) = ctx.issue_ref(args)?;
        let status = args.opt_choice("status", &STATUSES)?;
        let assignee = args.opt_str("assignedTo")?.map(|a| parse_assignee(&a)).transpose()?;
        if status.is_none() && assignee.is_none() {
            return Err(ToolError::invalid(
                "pass 'status' and/or 'assignedTo' (nothing to change)",
            ));
        }
        let mut body = Map::new();
        if let Some(s) = status {
            body.extend(status_body(s, args)?);
        } else if args.opt_str("ignoreMode")?.is_some() {
            return Err(ToolError::invalid("'ignoreMode' goes with status=\"ignored\""));
        }
        if let Some(a) = &assignee {
            body.insert("assignedTo".into(), json!(a));
        }
        let reason = args.opt_str("reason")?;
        let before = ctx.fetch_issue(&org, &issue_id).await?;
        let numeric = before.get("id").map(plain).unwrap_or_else(|| issue_id.clone());
        let issue_path = path(&["organizations", &org, "issues", &numeric])?;
        ctx.sentry
            .send("PUT", Host::Org(&org), &issue_path, &[], Some(&Value::Object(body)))
            .await
            .map_err(|e| e.about(format!("issue '{issue_id}'")))?;
        if let Some(text) = &reason {
            let notes = path(&["organizations", &org, "issues", &numeric, "notes"])?;
            ctx.sentry
                .send("POST", Host::Org(&org), &notes, &[], Some(&json!({"text": text})))
                .await?;
        }
        // Sentry's PUT answer holds only the changed fields; read the issue back for the real state.
        let after = ctx.sentry.get(Host::Org(&org), &issue_path, &[]).await?.body;
        let short = str_at(&after, "/shortId").unwrap_or(&issue_id);
        let mut out = format!("# Updated {short} in **{org}**\n\n## Changes made\n");
        if status.is_some() {
            out.push_str(&format!(
                "- **Status**: {} → **{}**\n",
                describe_status(&before),
                describe_status(&after)
            ));
        }
        if assignee.is_some() {
            out.push_str(&format!(
                "- **Assigned to**: {} → **{}**\n",
                describe_assignee(&before),
                describe_assignee(&after)
            ));
        }
        if reason.is_some() {
            out.push_str("- **Note** added with the reason\n");
        }
        if let Some(link) = str_at(&after, "/permalink") {
            out.push_str(&format!("\n**View in Sentry**: {link}\n"));
        }
        Ok(ToolOutput::markdown(out))
    }
}

/// The PUT fields for a status change.
fn status_body(status: &str, args: &Args) -> Result<Map<String, Value>, ToolError> {
    let mut body = Map::new();
    body.insert("status".into(), json!(status));
    match status {
        "unresolved" => {
            body.insert("substatus".into(), json!("ongoing"));
        }
        "ignored" => {
            let mode = args.opt_choice("ignoreMode", &IGNORE_MODES)?.unwrap_or("forever");
            let minutes = |name: &str| args.opt_int(name, 1, 1_000_000);
            let (substatus, details) = match mode {
                "untilEscalating" => ("archived_until_escalating", json!({})),
                "forever" => ("archived_forever", json!({})),
                "forDuration" => {
                    let d = minutes("ignoreDurationMinutes")?.ok_or_else(|| {
                        ToolError::invalid("ignoreMode forDuration needs 'ignoreDurationMinutes'")
                    })?;
                    ("archived_until_condition_met", json!({"ignoreDuration": d}))
                }
                "untilOccurrenceCount" => {
                    let c = minutes("ignoreCount")?.ok_or_else(|| {
                        ToolError::invalid("ignoreMode untilOccurrenceCount needs 'ignoreCount'")
                    })?;
                    let mut d = json!({"ignoreCount": c});
                    if let Some(w) = args.opt_int("ignoreWindowMinutes", 1, WEEK_MINUTES)? {
                        d["ignoreWindow"] = json!(w);
                    }
                    ("archived_until_condition_met", d)
                }
                _ => {
                    let c = minutes("ignoreUserCount")?.ok_or_else(|| {
                        ToolError::invalid("ignoreMode untilUserCount needs 'ignoreUserCount'")
                    })?;
                    let mut d = json!({"ignoreUserCount": c});
                    if let Some(w) = args.opt_int("ignoreUserWindowMinutes", 1, WEEK_MINUTES)? {
                        d["ignoreUserWindow"] = json!(w);
                    }
                    ("archived_until_condition_met", d)
                }
            };
            body.insert("substatus".into(), json!(substatus));
            body.insert("statusDetails".into(), details);
        }
        _ => {}
    }
    Ok(body)
}

/// `user:<id>`, `team:<slug>` or `none`; the value Sentry expects (`""` unassigns).
fn parse_assignee(raw: &str) -> Result<String, ToolError> {
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("none") || raw.eq_ignore_ascii_case("unassigned") {
        return Ok(String::new());
    }
    let valid = |v: &str| {
        !v.is_empty()
            && v.len() <= 100
            && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    match raw.split_once(':') {
        Some(("user", id)) if valid(id) => Ok(format!("user:{id}")),
        Some(("team", slug)) if valid(slug) => Ok(format!("team:{slug}")),
        _ => Err(ToolError::invalid("'assignedTo' must be 'user:<id>' (see whoami for your id), 'team:<slug>' (see find_teams) or 'none'")),
    }
}

fn describe_status(issue: &Value) -> String {
    match (str_at(issue, "/status"), str_at(issue, "/substatus")) {
        (Some(s), Some(sub)) => format!("{s} ({sub})"),
        (Some(s), None) => s.to_string(),
        _ => "unknown".into(),
    }
}

fn describe_assignee(issue: &Value) -> String {
    match issue.get("assignedTo").filter(|a| a.is_object()) {
        Some(a) => format!(
            "{} ({}:{})",
            str_at(a, "/name").unwrap_or("?"),
            str_at(a, "/type").unwrap_or("user"),
            str_at(a, "/id").unwrap_or("?")
        ),
        None => "nobody".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignees() {
        assert_eq!(parse_assignee("user:1001").unwrap(), "user:1001");
        assert_eq!(parse_assignee(" team:frontend ").unwrap(), "team:frontend");
        assert_eq!(parse_assignee("none").unwrap(), "");
        assert!(parse_assignee("jane").is_err());
        assert!(parse_assignee("team:../x").is_err());
    }

    #[test]
    fn ignore_modes_map_to_sentry_fields() {
        let args = Args(json!({"ignoreMode": "untilOccurrenceCount", "ignoreCount": 100, "ignoreWindowMinutes": 60}).as_object().unwrap().clone());
        let body = status_body("ignored", &args).unwrap();
        assert_eq!(
            Value::Object(body),
            json!({"status": "ignored", "substatus": "archived_until_condition_met", "statusDetails": {"ignoreCount": 100, "ignoreWindow": 60}})
        );
        let missing = Args(json!({"ignoreMode": "forDuration"}).as_object().unwrap().clone());
        assert!(status_body("ignored", &missing).is_err());
    }
}
