//! `update_issue`: resolve, ignore, reopen or assign an issue, showing the state before and after.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::args::{self, choices};
use super::shared::{issue_args, path};
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::str_at;
use crate::sentry::Host;

choices! {
    pub(super) enum Status {
        Resolved = "resolved",
        ResolvedInNextRelease = "resolvedInNextRelease",
        Unresolved = "unresolved",
        Ignored = "ignored",
    }
}

choices! {
    pub(super) enum IgnoreMode {
        UntilEscalating = "untilEscalating",
        Forever = "forever",
        ForDuration = "forDuration",
        UntilOccurrenceCount = "untilOccurrenceCount",
        UntilUserCount = "untilUserCount",
    }
}

const WEEK_MINUTES: i64 = 10_080;

issue_args! {
    #[derive(Deserialize)]
    #[cfg_attr(test, derive(schemars::JsonSchema))]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Args {
        /// New status.
        #[serde(default, deserialize_with = "args::choice")]
        pub status: Option<Status>,
        /// With status=ignored: how long (default forever).
        #[serde(default, deserialize_with = "args::choice")]
        pub ignore_mode: Option<IgnoreMode>,
        /// forDuration: minutes to ignore.
        #[serde(default, deserialize_with = "args::int::<_, 1, 1_000_000>")]
        #[cfg_attr(test, schemars(range(min = 1)))]
        pub ignore_duration_minutes: Option<i64>,
        /// untilOccurrenceCount: events before it reappears.
        #[serde(default, deserialize_with = "args::int::<_, 1, 1_000_000>")]
        #[cfg_attr(test, schemars(range(min = 1)))]
        pub ignore_count: Option<i64>,
        /// Optional window for ignoreCount.
        #[serde(default, deserialize_with = "args::int::<_, 1, WEEK_MINUTES>")]
        #[cfg_attr(test, schemars(range(min = 1, max = WEEK_MINUTES)))]
        pub ignore_window_minutes: Option<i64>,
        /// untilUserCount: users before it reappears.
        #[serde(default, deserialize_with = "args::int::<_, 1, 1_000_000>")]
        #[cfg_attr(test, schemars(range(min = 1)))]
        pub ignore_user_count: Option<i64>,
        /// Optional window for ignoreUserCount.
        #[serde(default, deserialize_with = "args::int::<_, 1, WEEK_MINUTES>")]
        #[cfg_attr(test, schemars(range(min = 1, max = WEEK_MINUTES)))]
        pub ignore_user_window_minutes: Option<i64>,
        /// 'user:<id>', 'team:<slug>', or 'none' to unassign.
        #[serde(default, deserialize_with = "args::string")]
        pub assigned_to: Option<String>,
        /// Why; posted as a note on the issue.
        #[serde(default, deserialize_with = "args::string")]
        #[cfg_attr(test, schemars(length(max = 4096)))]
        pub reason: Option<String>,
    }
}

tool! {
    pub(super) struct UpdateIssue {
        name: "update_issue",
        title: "Update an issue",
        skills: &[Skill::Triage],
        annotations: Annotations {
            read_only: false,
            destructive: true,
            idempotent: false,
            open_world: true,
        },
        hidden_when: HiddenWhen::Never,
        args: Args,
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let issue_ref = ctx.issue_ref(&args)?;
    let status = args.status;
    let assignee = args.assigned_to.as_deref().map(parse_assignee).transpose()?;
    if status.is_none() && assignee.is_none() {
        return Err(ToolError::invalid("pass 'status' and/or 'assignedTo' (nothing to change)"));
    }
    let mut body = Map::new();
    if let Some(s) = status {
        body.extend(status_body(s, &args)?);
    } else if args.ignore_mode.is_some() {
        return Err(ToolError::invalid("'ignoreMode' goes with status=\"ignored\""));
    }
    if let Some(a) = &assignee {
        body.insert("assignedTo".into(), json!(a));
    }
    let reason = args.reason;
    let before = ctx.fetch_resolved(issue_ref).await?;
    let (org, issue_id) = (&before.org, &before.issue_id);
    let issue_path = path(&["organizations", org, "issues", &before.numeric_id])?;
    ctx.sentry
        .send("PUT", Host::Org(org), &issue_path, &[], Some(&Value::Object(body)))
        .await
        .map_err(|e| e.about(format!("issue '{issue_id}'")))?;
    if let Some(text) = &reason {
        let notes = path(&["organizations", org, "issues", &before.numeric_id, "notes"])?;
        ctx.sentry.send("POST", Host::Org(org), &notes, &[], Some(&json!({"text": text}))).await?;
    }
    // Sentry's PUT answer holds only the changed fields; read the issue back for the real state.
    let after = ctx.sentry.get(Host::Org(org), &issue_path, &[]).await?.body;
    let short = str_at(&after, "/shortId").unwrap_or(issue_id);
    let mut out = format!("# Updated {short} in **{org}**\n\n## Changes made\n");
    if status.is_some() {
        out.push_str(&format!(
            "- **Status**: {} → **{}**\n",
            describe_status(&before.issue),
            describe_status(&after)
        ));
    }
    if assignee.is_some() {
        out.push_str(&format!(
            "- **Assigned to**: {} → **{}**\n",
            describe_assignee(&before.issue),
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

/// The PUT fields for a status change.
fn status_body(status: Status, args: &Args) -> Result<Map<String, Value>, ToolError> {
    let mut body = Map::new();
    body.insert("status".into(), json!(status.as_str()));
    match status {
        Status::Unresolved => {
            body.insert("substatus".into(), json!("ongoing"));
        }
        Status::Ignored => {
            let (substatus, details) = match args.ignore_mode.unwrap_or(IgnoreMode::Forever) {
                IgnoreMode::UntilEscalating => ("archived_until_escalating", json!({})),
                IgnoreMode::Forever => ("archived_forever", json!({})),
                IgnoreMode::ForDuration => {
                    let d = args.ignore_duration_minutes.ok_or_else(|| {
                        ToolError::invalid("ignoreMode forDuration needs 'ignoreDurationMinutes'")
                    })?;
                    ("archived_until_condition_met", json!({"ignoreDuration": d}))
                }
                IgnoreMode::UntilOccurrenceCount => {
                    let c = args.ignore_count.ok_or_else(|| {
                        ToolError::invalid("ignoreMode untilOccurrenceCount needs 'ignoreCount'")
                    })?;
                    let mut d = json!({"ignoreCount": c});
                    if let Some(w) = args.ignore_window_minutes {
                        d["ignoreWindow"] = json!(w);
                    }
                    ("archived_until_condition_met", d)
                }
                IgnoreMode::UntilUserCount => {
                    let c = args.ignore_user_count.ok_or_else(|| {
                        ToolError::invalid("ignoreMode untilUserCount needs 'ignoreUserCount'")
                    })?;
                    let mut d = json!({"ignoreUserCount": c});
                    if let Some(w) = args.ignore_user_window_minutes {
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
        let parse = |v: Value| -> Args { args::parse(v.as_object().unwrap().clone()).unwrap() };
        let args = parse(
            json!({"ignoreMode": "untilOccurrenceCount", "ignoreCount": 100, "ignoreWindowMinutes": 60}),
        );
        let body = status_body(Status::Ignored, &args).unwrap();
        assert_eq!(
            Value::Object(body),
            json!({"status": "ignored", "substatus": "archived_until_condition_met", "statusDetails": {"ignoreCount": 100, "ignoreWindow": 60}})
        );
        let missing = parse(json!({"ignoreMode": "forDuration"}));
        assert!(status_body(Status::Ignored, &missing).is_err());
    }
}
