//! `get_sentry_resource`: open any Sentry link (issue, event, trace) in one call.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::shared::{org_param, path};
use super::{
    Annotations, Args, HiddenWhen, Skill, Tool, ToolContext, ToolError, ToolOutput, ToolSpec,
};
use crate::render::event::{event_details, EventOptions};
use crate::render::trace::TraceOptions;
use crate::sentry::web_url::{self, SentryResource};
use crate::sentry::{ids, Host};

pub struct GetSentryResource;

static SPEC: ToolSpec = ToolSpec {
    name: "get_sentry_resource",
    title: "Open a Sentry link",
    description_file: include_str!("../../tool-descriptions/get_sentry_resource.md"),
    skills: &[Skill::Inspect, Skill::Triage, Skill::Seer],
    annotations: Annotations::READ,
    hidden_when: HiddenWhen::Never,
};

const TYPES: [&str; 3] = ["issue", "event", "trace"];

#[async_trait(?Send)]
impl Tool for GetSentryResource {
    fn spec(&self) -> &'static ToolSpec {
        &SPEC
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "url": {"type": "string", "description": "Any Sentry issue, event or trace URL."},
                "resourceType": {"type": "string", "enum": TYPES, "description": "Without a URL: what resourceId is."},
                "resourceId": {"type": "string", "description": "Without a URL: issue id, event id (32 hex) or trace id (32 hex)."},
                "organizationSlug": org_param(),
            },
            "additionalProperties": false
        })
    }

    async fn call(&self, ctx: &ToolContext<'_>, args: &Args) -> Result<ToolOutput, ToolError> {
        let resource = match args.opt_str("url")? {
            Some(url) => web_url::parse(&url)?,
            None => by_type(ctx, args)?,
        };
        let opts = EventOptions::default();
        let md = match resource {
            SentryResource::Issue { org, issue_id, event_id } => {
                ctx.ensure_org_in_scope(&org)?;
                ctx.issue_with_event(&org, &issue_id, event_id.as_deref(), &opts).await?
            }
            SentryResource::Trace { org, trace_id, span_id } => {
                ctx.ensure_org_in_scope(&org)?;
                ctx.trace(&org, &trace_id, &TraceOptions { max_spans: 50, focus_span: span_id }).await?
            }
            SentryResource::ProjectEvent { org, project, event_id } => {
                ctx.ensure_org_in_scope(&org)?;
                if let Some(fixed) = &ctx.session.constraints.project {
                    if !fixed.eq_ignore_ascii_case(&project) {
                        return Err(ToolError::OutOfScope(format!("this connection is limited to project '{fixed}', not '{project}'.")));
                    }
                }
                let event = ctx
                    .sentry
                    .get(Host::Org(&org), &path(&["projects", &org, &project, "events", &event_id])?, &[])
                    .await
                    .map_err(|e| e.about(format!("event '{event_id}' in project '{project}'")))?
                    .body;
                let mut out = format!("# Event in **{org}** / {project}\n");
                event_details(&event, "by id", &opts, &ctx.untrusted, &mut out);
                out
            }
            SentryResource::Unsupported { kind, .. } => {
                return Err(ToolError::Unsupported(format!(
                    "this server cannot open a {kind} page yet. Use get_issue_details for issues, search_events for events, spans and logs."
                )))
            }
        };
        Ok(ToolOutput::markdown(ctx.untrusted.finish(md)))
    }
}

fn by_type(ctx: &ToolContext<'_>, args: &Args) -> Result<SentryResource, ToolError> {
    let hint = "Pass url, or resourceType and resourceId (with organizationSlug).";
    let kind = args.opt_choice("resourceType", &TYPES)?.ok_or_else(|| {
        ToolError::invalid(format!("'url' or 'resourceType' is required. {hint}"))
    })?;
    let id = args.req_str("resourceId", hint)?;
    let org = ctx.org(args)?;
    Ok(match kind {
        "issue" => SentryResource::Issue { org, issue_id: ids::issue_id(&id)?, event_id: None },
        "trace" => SentryResource::Trace { org, trace_id: ids::trace_id(&id)?, span_id: None },
        _ => return Err(ToolError::invalid("an event needs its issue or project: pass the event's URL, or use get_issue_details with issueId and eventId")),
    })
}
