//! `find_monitors`: an organization's cron, uptime or metric monitors, with their state.

use serde::Deserialize;
use serde_json::{json, Value};

use super::listing;
use super::monitoring::{self, MonitorKind};
use super::shared::path;
use super::{args, tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::sentry::Host;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: args::Required,
    /// Default cron.
    #[serde(default, deserialize_with = "args::choice")]
    pub kind: Option<MonitorKind>,
    /// Limit to one project.
    #[serde(default, deserialize_with = "args::string")]
    #[cfg_attr(test, schemars(extend("x-scope" = "project")))]
    pub project_slug: Option<String>,
    /// Filter by name.
    #[serde(default, deserialize_with = "args::string")]
    pub query: Option<String>,
    #[cfg_attr(test, schemars(description = crate::tools::args::CURSOR))]
    #[serde(default, deserialize_with = "args::cursor")]
    pub cursor: Option<String>,
}

tool! {
    pub(super) struct FindMonitors {
        name: "find_monitors",
        title: "Find monitors",
        skills: &[Skill::Inspect, Skill::Triage],
        annotations: Annotations::READ,
        hidden_when: HiddenWhen::Never,
        args: Args,
        output_schema: output_schema,
    }
}

fn output_schema() -> Value {
    listing::page_schema(
        "monitors",
        monitoring::item_schema(),
        json!({"organization": {"type": "string"}, "kind": {"type": "string"}}),
    )
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let kind = args.kind.unwrap_or(MonitorKind::Cron);
    let mut query = vec![("per_page", "25".to_string())];
    if let Some(project) = ctx.project(args.project_slug.as_deref())? {
        query.push(("project", ctx.project_id(&org, &project).await?));
    }
    let filter = args.query.as_deref().unwrap_or("");
    let (segment, search) = match kind {
        MonitorKind::Cron => ("monitors", filter.to_string()),
        MonitorKind::Uptime => ("uptime", filter.to_string()),
        MonitorKind::Metric => {
            ("detectors", format!("type:metric_issue {filter}").trim().to_string())
        }
    };
    if !search.is_empty() {
        query.push(("query", search));
    }
    if let Some(c) = &args.cursor {
        query.push(("cursor", c.clone()));
    }
    let page =
        ctx.list(Host::Org(&org), &path(&["organizations", &org, segment])?, &query)
            .await
            .map_err(|e| e.about(format!("{} monitors of organization '{org}'", kind.as_str())))?;
    let u = &ctx.untrusted;
    let mut out = format!("# {} monitors in **{org}**\n\n", capitalised(kind));
    let mut items = Vec::new();
    for m in &page.items {
        let (line, item) = match kind {
            MonitorKind::Cron => monitoring::cron_line(m, u),
            MonitorKind::Uptime => monitoring::uptime_line(m, u),
            MonitorKind::Metric => monitoring::metric_line(m, u),
        };
        out.push_str(&line);
        out.push('\n');
        items.push(item);
    }
    if page.items.is_empty() {
        out.push_str("No monitors of this kind match. Try another kind: cron, uptime or metric.\n");
    }
    out.push_str(&listing::footer(page.next_cursor.as_deref(), page.items.len(), "monitors"));
    out.push_str(&format!(
        "\nNext: get_monitor_details(kind=\"{}\", {}) for recent {} and thresholds.\n",
        kind.as_str(),
        match kind {
            MonitorKind::Cron => "monitorSlug=...",
            _ => "monitorId=..., projectSlug=...",
        },
        match kind {
            MonitorKind::Cron => "check-ins",
            MonitorKind::Uptime => "checks",
            MonitorKind::Metric => "state",
        }
    ));
    let structured = listing::page(
        "monitors",
        items,
        page.next_cursor.as_deref(),
        json!({"organization": org, "kind": kind.as_str()}),
    );
    Ok(ToolOutput::markdown(u.finish(out))
        .with_structured(structured, &["/monitors/*/name", "/monitors/*/summary"]))
}

fn capitalised(kind: MonitorKind) -> &'static str {
    match kind {
        MonitorKind::Cron => "Cron",
        MonitorKind::Uptime => "Uptime",
        MonitorKind::Metric => "Metric",
    }
}
