//! `get_issue_details`: one issue with one event's exception, stack, request, tags and more.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::shared::org_param;
use super::{Annotations, Args, HiddenWhen, Skill, Tool, ToolContext, ToolError, ToolOutput, ToolSpec};
use crate::render::event::EventOptions;
use crate::sentry::ids;
use crate::sentry::web_url::{self, SentryResource};

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
            "properties": {
                "issueUrl": {"type": "string", "description": "A Sentry issue or event URL, in any form. Use instead of organizationSlug + issueId."},
                "organizationSlug": org_param(),
                "issueId": {"type": "string", "description": "Short id (WEB-FRONTEND-7K) or numeric id."},
                "eventId": {"type": "string", "description": "Event to show: a 32-hex id, 'latest' (default), 'oldest' or 'recommended'."},
                "includeBreadcrumbs": {"type": "boolean", "description": "Also show the event's breadcrumbs (default false)."},
                "maxFrames": {"type": "integer", "minimum": 1, "maximum": 200, "description": "Frames per stack trace (default 20; in-app frames first)."}
            },
            "additionalProperties": false
        })
    }

    async fn call(&self, ctx: &ToolContext<'_>, args: &Args) -> Result<ToolOutput, ToolError> {
        let (org, issue_id, url_event) = issue_reference(ctx, args)?;
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

/// The org, issue id and (from a URL) event id a call refers to.
fn issue_reference(ctx: &ToolContext<'_>, args: &Args) -> Result<(String, String, Option<String>), ToolError> {
    if let Some(url) = args.opt_str("issueUrl")? {
        return match web_url::parse(&url)? {
            SentryResource::Issue { org, issue_id, event_id } => {
                ctx.ensure_org_in_scope(&org)?;
                Ok((org, issue_id, event_id))
            }
            _ => Err(ToolError::invalid("'issueUrl' is not an issue link; for traces and other pages use get_sentry_resource")),
        };
    }
    let org = ctx.org(args)?;
    let issue = args.req_str("issueId", "Pass issueUrl, or organizationSlug and issueId (e.g. WEB-FRONTEND-7K).")?;
    Ok((org, ids::issue_id(&issue)?, None))
}
