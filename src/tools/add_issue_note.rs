//! `add_issue_note`: comment on an issue.

use serde::Deserialize;
use serde_json::json;

use super::args::{self, require};
use super::shared::{issue_args, path};
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::str_at;
use crate::sentry::Host;

issue_args! {
    #[derive(Deserialize)]
    #[cfg_attr(test, derive(schemars::JsonSchema))]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Args {
        /// The note, in Markdown.
        #[cfg_attr(test, schemars(length(min = 1, max = 4096)))]
        pub text: args::Required,
    }
}

tool! {
    pub(super) struct AddIssueNote {
        name: "add_issue_note",
        title: "Add a note to an issue",
        skills: &[Skill::Triage],
        annotations: Annotations {
            read_only: false,
            destructive: false,
            idempotent: false,
            open_world: true,
        },
        hidden_when: HiddenWhen::Never,
        args: Args,
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let issue_ref = ctx.issue_ref(&args)?;
    let text = require!(args.text, "Write the note's text.")?;
    if text.chars().count() > 4096 {
        return Err(ToolError::invalid("'text' is limited to 4096 characters"));
    }
    let issue = ctx.fetch_resolved(issue_ref).await?;
    let org = &issue.org;
    let note = ctx
        .sentry
        .send(
            "POST",
            Host::Org(org),
            &path(&["organizations", org, "issues", &issue.numeric_id, "notes"])?,
            &[],
            Some(&json!({"text": text})),
        )
        .await
        .map_err(|e| e.about(format!("issue '{}'", issue.issue_id)))?
        .body;
    let short = &issue.short_id;
    let mut out = format!("# Note added to {short} in **{org}**\n\n");
    if let Some(id) = str_at(&note, "/id") {
        out.push_str(&format!("**Note ID**: {id}"));
    }
    if let Some(date) = str_at(&note, "/dateCreated") {
        out.push_str(&format!(" · **Created**: {date}"));
    }
    out.push('\n');
    if let Some(link) = str_at(&issue.issue, "/permalink") {
        out.push_str(&format!("**View in Sentry**: {link}\n"));
    }
    Ok(ToolOutput::markdown(out))
}
