//! What `link_issue` and `unlink_issue` share: the arguments, the organization's issue-tracker
//! integrations as an issue sees them (Jira, GitHub, GitLab, Azure DevOps...), and the answer
//! listing the links an issue has afterwards. Titles of external tickets are written outside
//! Sentry, so they are fenced.

use serde::Deserialize;
use serde_json::Value;

use super::args;
use super::shared::{issue_args, path, ResolvedIssue};
use super::{ToolContext, ToolError};
use crate::render::{cell, id_at, str_at};
use crate::sentry::Host;

issue_args! {
    #[derive(Deserialize)]
    #[cfg_attr(test, derive(schemars::JsonSchema))]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Args {
        /// The integration's id; omit when the organization has one tracker.
        #[serde(default, deserialize_with = "args::string")]
        pub integration_id: Option<String>,
        /// The ticket or pull request: 'ENG-123' (Jira), 'owner/repo#42' (GitHub).
        #[cfg_attr(test, schemars(length(max = 200)))]
        pub external_issue: args::Required,
    }
}

/// The organization's integrations as the issue sees them, each with its linked external issues.
pub(super) async fn integrations(
    ctx: &ToolContext<'_>,
    issue: &ResolvedIssue,
) -> Result<Vec<Value>, ToolError> {
    let org = &issue.org;
    let page = ctx
        .list(
            Host::Org(org),
            &path(&["organizations", org, "issues", &issue.numeric_id, "integrations"])?,
            &[],
        )
        .await
        .map_err(|e| e.about(format!("issue '{}' in organization '{org}'", issue.issue_id)))?;
    Ok(page.items)
}

/// The integration a call names, or the only one there is.
pub(super) fn choose<'a>(list: &'a [Value], id: Option<&str>) -> Result<&'a Value, ToolError> {
    let available = || {
        list.iter()
            .map(|i| {
                format!(
                    "{} ({} {})",
                    id_at(i, "/id").unwrap_or_default(),
                    cell(str_at(i, "/provider/name").unwrap_or("?"), 40),
                    cell(str_at(i, "/name").unwrap_or(""), 60)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match id {
        Some(id) => list.iter().find(|i| id_at(i, "/id").as_deref() == Some(id)).ok_or_else(|| {
            ToolError::invalid(format!("no integration '{}' here; this organization has: {}", cell(id, 40), available()))
        }),
        None if list.len() == 1 => Ok(&list[0]),
        None if list.is_empty() => Err(ToolError::Unsupported(
            "this organization has no issue-tracker integration (Jira, GitHub...); install one in Sentry's settings first".into(),
        )),
        None => Err(ToolError::invalid(format!("pass 'integrationId', one of: {}", available()))),
    }
}

/// Markdown lines for every external issue linked to the issue.
pub(super) fn linked(ctx: &ToolContext<'_>, list: &[Value]) -> String {
    let mut out = String::new();
    for i in list {
        for x in i.get("externalIssues").and_then(Value::as_array).into_iter().flatten() {
            out.push_str(&format!(
                "- {} {} (link id {}): {} {}\n",
                cell(str_at(i, "/provider/name").unwrap_or("?"), 40),
                cell(str_at(x, "/displayName").or(str_at(x, "/key")).unwrap_or("?"), 80),
                id_at(x, "/id").unwrap_or_default(),
                ctx.untrusted.inline(str_at(x, "/title").unwrap_or(""), 150),
                str_at(x, "/url").map(|u| cell(u, 300)).unwrap_or_default()
            ));
        }
    }
    if out.is_empty() {
        out.push_str("No external issues are linked.\n");
    }
    out
}
