//! `add_issue_note`: comment on an issue.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::shared::{issue_params, path};
use super::{
    Annotations, Args, HiddenWhen, Skill, Tool, ToolContext, ToolError, ToolOutput, ToolSpec,
};
use crate::render::{plain, str_at};
use crate::sentry::Host;

pub struct AddIssueNote;

static SPEC: ToolSpec = ToolSpec {
    name: "add_issue_note",
    title: "Add a note to an issue",
    description_file: include_str!("../../tool-descriptions/add_issue_note.md"),
    skills: &[Skill::Triage],
    annotations: Annotations {
        read_only: false,
        destructive: false,
        idempotent: false,
        open_world: true,
    },
    hidden_when: HiddenWhen::Never,
};

#[async_trait(?Send)]
impl Tool for AddIssueNote {
    fn spec(&self) -> &'static ToolSpec {
        &SPEC
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": issue_params(json!({
                "text": {"type": "string", "minLength": 1, "maxLength": 4096, "description": "The note, in Markdown."}
            })),
            "required": ["text"],
            "additionalProperties": false
        })
    }

    async fn call(&self, ctx: &ToolContext<'_>, args: &Args) -> Result<ToolOutput, ToolError> {
        let (org, issue_id, _) = ctx.issue_ref(args)?;
        let text = args.req_str("text", "Write the note's text.")?;
        if text.chars().count() > 4096 {
            return Err(ToolError::invalid("'text' is limited to 4096 characters"));
        }
        let issue = ctx.fetch_issue(&org, &issue_id).await?;
        let numeric = issue.get("id").map(plain).unwrap_or_else(|| issue_id.clone());
        let note = ctx
            .sentry
            .send(
                "POST",
                Host::Org(&org),
                &path(&["organizations", &org, "issues", &numeric, "notes"])?,
                &[],
                Some(&json!({"text": text})),
            )
            .await
            .map_err(|e| e.about(format!("issue '{issue_id}'")))?
            .body;
        let short = str_at(&issue, "/shortId").unwrap_or(&issue_id);
        let mut out = format!("# Note added to {short} in **{org}**\n\n");
        if let Some(id) = str_at(&note, "/id") {
            out.push_str(&format!("**Note ID**: {id}"));
        }
        if let Some(date) = str_at(&note, "/dateCreated") {
            out.push_str(&format!(" · **Created**: {date}"));
        }
        out.push('\n');
        if let Some(link) = str_at(&issue, "/permalink") {
            out.push_str(&format!("**View in Sentry**: {link}\n"));
        }
        Ok(ToolOutput::markdown(out))
    }
}
