//! `get_issue_details`: one issue with one event's exception, stack, request, tags and more.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::shared::issue_params;
use super::{
    Annotations, Args, HiddenWhen, Skill, Tool, ToolContext, ToolError, ToolOutput, ToolSpec,
};
use crate::render::event::EventOptions;
use crate::sentry::ids;

pub struct GetIssueDetails;

static SPEC: ToolSpec = ToolSpec {
    name: "get_issue_details",
    title: "Get issue details",
    description_file: include_str!("../../tool-descriptions/get_issue_details.md"),
    skills: &[Skill::Inspect, Skill::Triage, Skill::Seer],
    annotations: Annotations::READ,
    hidden_when: HiddenWhen::Never,
};

#[async_trait(?Send)]
impl Tool for GetIssueDetails {
    fn spec(&self) -> &'static ToolSpec {
        &SPEC
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": issue_params(json!({
                "eventId": {"type": "string", "description": "Event to show: a 32-hex id, 'latest' (default), 'oldest' or 'recommended'."},
                "includeBreadcrumbs": {"type": "boolean", "description": "Also show the event's breadcrumbs (default false)."},
                "maxFrames": {"type": "integer", "minimum": 1, "maximum": 200, "description": "Frames per stack trace (default 20; in-app frames first)."}
            })),
            "additionalProperties": false
        })
    }

    async fn call(&self, ctx: &ToolContext<'_>, args: &Args) -> Result<ToolOutput, ToolError> {
        let (org, issue_id, url_event) = ctx.issue_ref(args)?;
        let event_id = match args.opt_str("eventId")? {
            Some(e) => Some(ids::event_id(&e)?),
            None => url_event,
        };
        let opts = EventOptions {
            max_frames: args.opt_int("maxFrames", 1, 200)?.unwrap_or(20) as usize,
            breadcrumbs: args.opt_bool("includeBreadcrumbs")?.unwrap_or(false).then_some(50),
        };
        let md = ctx.issue_with_event(&org, &issue_id, event_id.as_deref(), &opts).await?;
        Ok(ToolOutput::markdown(ctx.untrusted.finish(md)))
    }
}
