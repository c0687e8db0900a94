//! `get_sentry_resource`: open any Sentry link (issue, event, trace) in one call.

use serde::Deserialize;

use super::args::{self, choices, require};
use super::shared::path;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::event::{event_details, EventOptions};
use crate::render::trace::TraceOptions;
use crate::sentry::web_url::{self, SentryResource};
use crate::sentry::{ids, Host};

choices! {
    pub(super) enum ResourceType { Issue = "issue", Event = "event", Trace = "trace" }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    /// Any Sentry issue, event or trace URL.
    #[serde(default, deserialize_with = "args::string")]
    pub url: Option<String>,
    /// Without a URL: what resourceId is.
    #[serde(default, deserialize_with = "args::choice")]
    pub resource_type: Option<ResourceType>,
    /// Without a URL: issue id, event id (32 hex) or trace id (32 hex).
    #[serde(default, deserialize_with = "args::string")]
    pub resource_id: Option<String>,
    /// Organization slug, e.g. 'acme'. Call find_organizations if unsure.
    #[serde(default, deserialize_with = "args::string")]
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: Option<String>,
}

tool! {
    pub(super) struct GetSentryResource {
        name: "get_sentry_resource",
        title: "Open a Sentry link",
        skills: &[Skill::Inspect, Skill::Triage, Skill::Seer],
        annotations: Annotations::READ,
        hidden_when: HiddenWhen::Never,
        args: Args,
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let resource = match &args.url {
        Some(url) => web_url::parse(url)?,
        None => by_type(ctx, &args)?,
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

fn by_type(ctx: &ToolContext<'_>, args: &Args) -> Result<SentryResource, ToolError> {
    let hint = "Pass url, or resourceType and resourceId (with organizationSlug).";
    let kind = args.resource_type.ok_or_else(|| {
        ToolError::invalid(format!("'url' or 'resourceType' is required. {hint}"))
    })?;
    let id = require!(args.resource_id, hint)?;
    let org = ctx.org(args.organization_slug.as_deref())?;
    Ok(match kind {
        ResourceType::Issue => SentryResource::Issue { org, issue_id: ids::issue_id(&id)?, event_id: None },
        ResourceType::Trace => SentryResource::Trace { org, trace_id: ids::trace_id(&id)?, span_id: None },
        ResourceType::Event => return Err(ToolError::invalid("an event needs its issue or project: pass the event's URL, or use get_issue_details with issueId and eventId")),
    })
}
