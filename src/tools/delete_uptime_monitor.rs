//! `delete_uptime_monitor`: remove an uptime monitor (its checks stop at once).

use serde::Deserialize;

use super::args;
use super::get_monitor_details::numeric_id;
use super::monitoring;
use super::project_admin::project_arg;
use super::shared::path;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::sentry::Host;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: args::Required,
    /// The monitor's project.
    #[cfg_attr(test, schemars(extend("x-scope" = "project")))]
    pub project_slug: args::Required,
    /// The uptime monitor's id (from find_monitors).
    pub uptime_monitor_id: args::Required,
}

tool! {
    pub(super) struct DeleteUptimeMonitor {
        name: "delete_uptime_monitor",
        title: "Delete an uptime monitor",
        skills: &[Skill::ProjectManagement],
        annotations: Annotations {
            read_only: false,
            destructive: true,
            idempotent: true,
            open_world: true,
        },
        hidden_when: HiddenWhen::Never,
        args: Args,
        scopes: &["alerts:write", "project:write"],
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let project = project_arg(ctx, args.project_slug.as_deref())?;
    let id = numeric_id(args.uptime_monitor_id.as_deref(), "an uptime monitor")?;
    let monitor_path = path(&["projects", &org, &project, "uptime", &id])?;
    let about = |e: crate::sentry::SentryError| {
        e.about(format!("uptime monitor {id} of project '{project}' in organization '{org}'"))
    };
    let before = ctx.sentry.get(Host::Org(&org), &monitor_path, &[]).await.map_err(about)?.body;
    ctx.sentry.send("DELETE", Host::Org(&org), &monitor_path, &[], None).await.map_err(about)?;
    let u = &ctx.untrusted;
    let (line, _) = monitoring::uptime_line(&before, u);
    let out = format!(
        "# Deleted uptime monitor {id} from {project} in **{org}**\n\nIt no longer checks: {}\n\nThis cannot be undone; create_uptime_monitor makes a new one.\n",
        line.trim_start_matches("- ")
    );
    Ok(ToolOutput::markdown(u.finish(out)))
}
