//! `get_sentry_resource`: open any Sentry link in one call: issue, event, trace, span, replay,
//! profile, release or AI agent conversation. One tool with a `resourceType` keeps the
//! catalogue small; the official server's per-resource names (`get_replay_details`, ...) are
//! aliases. The fetching lives here; the Markdown in `render::resource`.

use serde::Deserialize;
use serde_json::Value;

use super::args::{self, choices, require};
use super::shared::path;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::event::{event_details, EventOptions};
use crate::render::resource;
use crate::render::trace::TraceOptions;
use crate::sentry::web_url::{self, SentryResource};
use crate::sentry::{ids, Host};

choices! {
    pub(super) enum ResourceType {
        Issue = "issue", Event = "event", Trace = "trace", Span = "span", Replay = "replay",
        Profile = "profile", Release = "release", Conversation = "conversation",
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    /// Any Sentry link.
    #[serde(default, deserialize_with = "args::string")]
    pub url: Option<String>,
    /// Without a URL: what resourceId is.
    #[serde(default, deserialize_with = "args::choice")]
    pub resource_type: Option<ResourceType>,
    /// Without a URL: the id (span: 16 hex; release: version; profile: id or transaction name).
    #[serde(default, deserialize_with = "args::string")]
    pub resource_id: Option<String>,
    #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
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
    if let (None, Some(ResourceType::Profile), Some(id)) =
        (&args.url, args.resource_type, args.resource_id.as_deref())
    {
        if !is_profile_id(id) {
            let org = ctx.org(args.organization_slug.as_deref())?;
            let md = transaction_profiles(ctx, &org, id).await?;
            return Ok(ToolOutput::markdown(ctx.untrusted.finish(md)));
        }
    }
    let resource = match &args.url {
        Some(url) => web_url::parse(url)?,
        None => by_type(ctx, &args)?,
    };
    if let (Some(kind), Some(_)) = (args.resource_type, &args.url) {
        let matches = match &resource {
            SentryResource::Issue { .. } => {
                matches!(kind, ResourceType::Issue | ResourceType::Event)
            }
            SentryResource::ProjectEvent { .. } => kind == ResourceType::Event,
            SentryResource::Trace { span_id, .. } => {
                kind == ResourceType::Trace || (kind == ResourceType::Span && span_id.is_some())
            }
            SentryResource::Span { .. } => kind == ResourceType::Span,
            SentryResource::Replay { .. } => kind == ResourceType::Replay,
            SentryResource::Profile { .. } => kind == ResourceType::Profile,
            SentryResource::Release { .. } => kind == ResourceType::Release,
            SentryResource::Conversation { .. } => kind == ResourceType::Conversation,
            SentryResource::Unsupported { .. } => true,
        };
        if !matches {
            return Err(ToolError::invalid(format!(
                "the URL is not a {} link; pass the right link, or drop resourceType",
                kind.as_str()
            )));
        }
    }
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
        SentryResource::Span { org, span_id } => {
            ctx.ensure_org_in_scope(&org)?;
            span(ctx, &org, &span_id).await?
        }
        SentryResource::Replay { org, replay_id } => {
            ctx.ensure_org_in_scope(&org)?;
            replay(ctx, &org, &replay_id).await?
        }
        SentryResource::Profile { org, project, profile_id } => {
            ctx.ensure_org_in_scope(&org)?;
            profile(ctx, &org, &project, &profile_id).await?
        }
        SentryResource::Release { org, version } => {
            ctx.ensure_org_in_scope(&org)?;
            release(ctx, &org, &version).await?
        }
        SentryResource::Conversation { org, conversation_id } => {
            ctx.ensure_org_in_scope(&org)?;
            conversation(ctx, &org, &conversation_id).await?
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
        ResourceType::Span => SentryResource::Span { org, span_id: ids::span_id(&id)? },
        ResourceType::Replay => SentryResource::Replay { org, replay_id: ids::replay_id(&id)? },
        ResourceType::Release => SentryResource::Release { org, version: ids::release(&id)? },
        ResourceType::Conversation => SentryResource::Conversation { org, conversation_id: ids::opaque("conversation", &id)? },
        ResourceType::Profile => match id.split_once('/') {
            Some((project, profile)) => SentryResource::Profile { org, project: ids::slug("project", project)?, profile_id: ids::event_id(profile)? },
            // The project is looked up from the profiles dataset (`profile`).
            None => SentryResource::Profile { org, project: String::new(), profile_id: ids::event_id(&id)? },
        },
    })
}

/// Refuse a resource of another project when the connection is limited to one. `project` is
/// the resource's project slug or numeric id, as Sentry reported it.
async fn ensure_project(
    ctx: &ToolContext<'_>,
    org: &str,
    slug: Option<&str>,
    id: Option<&str>,
) -> Result<(), ToolError> {
    let Some(fixed) = &ctx.session.constraints.project else { return Ok(()) };
    if slug.is_some_and(|s| s.eq_ignore_ascii_case(fixed)) {
        return Ok(());
    }
    if let Some(id) = id {
        if ctx.project_id(org, fixed).await? == id {
            return Ok(());
        }
    }
    Err(ToolError::OutOfScope(format!("this connection is limited to project '{fixed}', and this resource belongs to another project.")))
}

/// Rows of one Explore dataset (`/events/`) matching `search` in the last 30 days, within the
/// connection's project constraint (sent as the `project` parameter, never as query text); none
/// is a not-found error about `subject`.
async fn explore_rows(
    ctx: &ToolContext<'_>,
    org: &str,
    dataset: &str,
    fields: &[&str],
    search: String,
    extra: &[(&'static str, &str)],
    subject: String,
) -> Result<Vec<Value>, ToolError> {
    let mut query: Vec<(&str, String)> = vec![("dataset", dataset.into())];
    query.extend(fields.iter().map(|f| ("field", f.to_string())));
    query.push(("query", search));
    if let Some(project) = ctx.project(None)? {
        query.push(("project", ctx.project_id(org, &project).await?));
    }
    query.push(("statsPeriod", "30d".into()));
    query.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    let body = ctx
        .sentry
        .get(Host::Org(org), &path(&["organizations", org, "events"])?, &query)
        .await
        .map_err(|e| e.about(subject.clone()))?
        .body;
    match body.get("data").and_then(Value::as_array) {
        Some(rows) if !rows.is_empty() => Ok(rows.clone()),
        _ => Err(ToolError::Upstream(crate::sentry::SentryError::NotFound {
            subject: Some(format!("{subject} in the last 30 days")),
        })),
    }
}

/// One span, found by id in the spans dataset.
async fn span(ctx: &ToolContext<'_>, org: &str, span_id: &str) -> Result<String, ToolError> {
    let extra = [("per_page", "1"), ("referrer", "api.mcp.span-details")];
    let subject = format!("span '{span_id}' in organization '{org}'");
    let rows = explore_rows(
        ctx,
        org,
        "spans",
        resource::SPAN_FIELDS,
        format!("id:{span_id}"),
        &extra,
        subject,
    )
    .await?;
    Ok(resource::span(org, &rows[0], &ctx.untrusted))
}

/// A replay's summary and the first events of its recording (clicks, navigations, errors).
async fn replay(ctx: &ToolContext<'_>, org: &str, replay_id: &str) -> Result<String, ToolError> {
    let body = ctx
        .sentry
        .get(Host::Org(org), &path(&["organizations", org, "replays", replay_id])?, &[])
        .await
        .map_err(|e| e.about(format!("replay '{replay_id}' in organization '{org}'")))?
        .body;
    let data = body.get("data").cloned().unwrap_or(Value::Null);
    let project_id = data.get("project_id").map(crate::render::plain).filter(|p| !p.is_empty());
    ensure_project(ctx, org, None, project_id.as_deref()).await?;
    let mut segments = Value::Null;
    if let Some(project_id) =
        project_id.filter(|_| data.get("count_segments").and_then(Value::as_u64).unwrap_or(1) > 0)
    {
        let seg = ctx
            .sentry
            .get(
                Host::Org(org),
                &path(&["projects", org, &project_id, "replays", replay_id, "recording-segments"])?,
                &[("download", "true".into()), ("per_page", "10".into())],
            )
            .await;
        // The recording is optional: a replay past retention or archived still has its summary.
        if let Ok(resp) = seg {
            segments = resp.body;
        }
    }
    Ok(resource::replay(org, &data, &segments, &ctx.untrusted))
}

/// A profile's hot paths, from its samples.
async fn profile(
    ctx: &ToolContext<'_>,
    org: &str,
    project: &str,
    profile_id: &str,
) -> Result<String, ToolError> {
    let found;
    let project = if project.is_empty() {
        found = profile_project(ctx, org, profile_id).await?;
        found.as_str()
    } else {
        project
    };
    ensure_project(ctx, org, Some(project), None).await?;
    let body = ctx
        .sentry
        .get(
            Host::Org(org),
            &path(&["projects", org, project, "profiling", "profiles", profile_id])?,
            &[],
        )
        .await
        .map_err(|e| e.about(format!("profile '{profile_id}' in project '{project}'")))?
        .body;
    Ok(crate::render::profile::sampled(org, project, profile_id, &body, &ctx.untrusted))
}

/// A profile id (32 hex, dashes allowed), alone or as `project/id`; anything else given as a
/// profile's resourceId is a transaction name.
fn is_profile_id(id: &str) -> bool {
    let id = id.rsplit_once('/').map_or(id, |(_, p)| p);
    ids::event_id(id).is_ok()
}

/// The period a transaction's profiles are aggregated over (the official `get_profile`'s default).
const FLAMEGRAPH_PERIOD: &str = "7d";

/// The hot paths of a transaction over all its profiles of the period: the aggregated
/// flamegraph of the transaction's project (the URL's project, else the project that profiled it
/// most recently, from the profiles dataset).
async fn transaction_profiles(
    ctx: &ToolContext<'_>,
    org: &str,
    transaction: &str,
) -> Result<String, ToolError> {
    if transaction.chars().count() > 200 || transaction.contains(['\n', '\r']) {
        return Err(ToolError::invalid("a profile's resourceId is its id (32 hex) or a transaction name (one line, at most 200 characters)"));
    }
    let search =
        format!("transaction:\"{}\"", transaction.replace('\\', "\\\\").replace('"', "\\\""));
    let project = match ctx.project(None)? {
        Some(p) => p,
        None => {
            let extra =
                [("per_page", "1"), ("sort", "-timestamp"), ("referrer", "api.mcp.profile")];
            let subject = format!(
                "profiles of transaction '{}' in organization '{org}'",
                crate::render::cell(transaction, 80)
            );
            let rows = explore_rows(
                ctx,
                org,
                "profiles",
                &["project", "timestamp"],
                search.clone(),
                &extra,
                subject,
            )
            .await?;
            ids::slug(
                "project",
                rows[0].get("project").and_then(Value::as_str).unwrap_or_default(),
            )?
        }
    };
    let project_id = ctx.project_id(org, &project).await?;
    let body = ctx
        .sentry
        .get(
            Host::Org(org),
            &path(&["organizations", org, "profiling", "flamegraph"])?,
            &[
                ("project", project_id),
                ("query", search),
                ("statsPeriod", FLAMEGRAPH_PERIOD.into()),
            ],
        )
        .await
        .map_err(|e| {
            e.about(format!("the flamegraph of project '{project}' in organization '{org}'"))
        })?
        .body;
    Ok(crate::render::profile::flamegraph(
        org,
        &project,
        transaction,
        FLAMEGRAPH_PERIOD,
        &body,
        &ctx.untrusted,
    ))
}

/// The project of a profile, from the profiles dataset.
async fn profile_project(
    ctx: &ToolContext<'_>,
    org: &str,
    profile_id: &str,
) -> Result<String, ToolError> {
    let extra = [("per_page", "1"), ("referrer", "api.mcp.profile")];
    let subject = format!("profile '{profile_id}' in organization '{org}'");
    let search = format!("profile.id:{profile_id}");
    let rows =
        explore_rows(ctx, org, "profiles", &["profile.id", "project"], search, &extra, subject)
            .await?;
    let project = rows[0].get("project").and_then(Value::as_str).unwrap_or_default();
    Ok(ids::slug("project", project)?)
}

/// A release with its deploys, commits and per-project health.
async fn release(ctx: &ToolContext<'_>, org: &str, version: &str) -> Result<String, ToolError> {
    let base = ["organizations", org, "releases", version];
    let detail = ctx
        .sentry
        .get(Host::Org(org), &path(&base)?, &[("health", "1".into())])
        .await
        .map_err(|e| e.about(format!("release '{version}' in organization '{org}'")))?
        .body;
    if let Some(fixed) = &ctx.session.constraints.project {
        let projects =
            detail.get("projects").and_then(Value::as_array).cloned().unwrap_or_default();
        if !projects.iter().any(|p| {
            crate::render::str_at(p, "/slug").is_some_and(|s| s.eq_ignore_ascii_case(fixed))
        }) {
            return Err(ToolError::OutOfScope(format!("this connection is limited to project '{fixed}', and release '{version}' does not include it.")));
        }
    }
    let page = |what: &'static str| {
        let p = path(&[base[0], base[1], base[2], base[3], what]);
        async move {
            match p {
                Ok(p) => ctx
                    .list(Host::Org(org), &p, &[("per_page", "10".into())])
                    .await
                    .map(|p| p.items)
                    .unwrap_or_default(),
                Err(_) => Vec::new(),
            }
        }
    };
    let deploys = page("deploys").await;
    let commits = page("commits").await;
    Ok(resource::release(org, &detail, &deploys, &commits, &ctx.untrusted))
}

/// An AI agent conversation: its gen_ai spans in time order (model calls, tool calls, tokens).
async fn conversation(ctx: &ToolContext<'_>, org: &str, id: &str) -> Result<String, ToolError> {
    let extra =
        [("sort", "timestamp"), ("per_page", "50"), ("referrer", "api.mcp.agent-conversation")];
    let subject = format!("AI conversation '{id}' in organization '{org}'");
    let search = format!("gen_ai.conversation.id:\"{id}\"");
    let rows =
        explore_rows(ctx, org, "spans", resource::CONVERSATION_FIELDS, search, &extra, subject)
            .await?;
    Ok(resource::conversation(org, id, &rows, &ctx.untrusted))
}
