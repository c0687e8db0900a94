//! `delete_monitor`: remove an uptime or metric monitor, or one environment of a cron monitor
//! (the monitor and its other environments stay).

use serde::Deserialize;
use serde_json::Value;

use super::args;
use super::get_monitor_details::{fetch_metric, numeric_id};
use super::monitoring::{self, MonitorKind};
use super::project_admin::project_arg;
use super::shared::path;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{cell, str_at};
use crate::sentry::{ids, Host, SentryError};

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: args::Required,
    /// Required for uptime and cron.
    #[serde(default, deserialize_with = "args::string")]
    #[cfg_attr(test, schemars(extend("x-scope" = "project")))]
    pub project_slug: Option<String>,
    pub kind: args::RequiredChoice<MonitorKind>,
    /// uptime or metric.
    #[serde(default, deserialize_with = "args::string")]
    pub monitor_id: Option<String>,
    /// cron.
    #[serde(default, deserialize_with = "args::string")]
    pub monitor_slug: Option<String>,
    /// cron.
    #[serde(default, deserialize_with = "args::string")]
    pub environment: Option<String>,
}

tool! {
    pub(super) struct DeleteMonitor {
        name: "delete_monitor",
        title: "Delete a monitor",
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
    let kind =
        args.kind.0.ok_or_else(|| ToolError::invalid("pass 'kind': uptime, metric or cron"))?;
    let u = &ctx.untrusted;
    let out = match kind {
        MonitorKind::Uptime => {
            let project = project_arg(ctx, args.project_slug.as_deref())?;
            let id = numeric_id(args.monitor_id.as_deref(), "an uptime monitor")?;
            let monitor_path = path(&["projects", &org, &project, "uptime", &id])?;
            let about = |e: SentryError| {
                e.about(format!(
                    "uptime monitor {id} of project '{project}' in organization '{org}'"
                ))
            };
            let before =
                ctx.sentry.get(Host::Org(&org), &monitor_path, &[]).await.map_err(about)?.body;
            ctx.sentry
                .send("DELETE", Host::Org(&org), &monitor_path, &[], None)
                .await
                .map_err(about)?;
            let (line, _) = monitoring::uptime_line(&before, u);
            format!(
                "# Deleted uptime monitor {id} from {project} in **{org}**\n\nIt no longer checks: {}\n\nThis cannot be undone; create_monitor(kind=\"uptime\") makes a new one.\n",
                line.trim_start_matches("- ")
            )
        }
        MonitorKind::Metric => {
            let id = numeric_id(args.monitor_id.as_deref(), "a metric monitor")?;
            let before = fetch_metric(ctx, &org, &id).await?;
            ctx.sentry
                .send(
                    "DELETE",
                    Host::Org(&org),
                    &path(&["organizations", &org, "detectors", &id])?,
                    &[],
                    None,
                )
                .await
                .map_err(|e| e.about(format!("metric monitor {id} in organization '{org}'")))?;
            let (line, _) = monitoring::metric_line(&before, u);
            format!(
                "# Deleted metric monitor {id} from **{org}**\n\nIt no longer evaluates: {}\n\nIts alerts stay; this cannot be undone.\n",
                line.trim_start_matches("- ")
            )
        }
        MonitorKind::Cron => cron_environment(ctx, &org, &args).await?,
    };
    Ok(ToolOutput::markdown(u.finish(out)))
}

/// Delete one environment of a cron monitor (Sentry deletes it in the background). An
/// environment the monitor no longer has counts as deleted.
async fn cron_environment(
    ctx: &ToolContext<'_>,
    org: &str,
    args: &Args,
) -> Result<String, ToolError> {
    let project = project_arg(ctx, args.project_slug.as_deref())?;
    let slug = args.monitor_slug.as_deref().or(args.monitor_id.as_deref()).ok_or_else(|| {
        ToolError::invalid(
            "'monitorSlug' is required for a cron monitor. Call find_monitors to list them.",
        )
    })?;
    let slug = ids::slug("monitor", slug)?;
    // Exact, as Sentry stores it: environment names may differ only in case or spacing.
    let environment = match &args.environment {
        Some(e) if !e.is_empty() => e.clone(),
        _ => {
            return Err(ToolError::invalid(
                "'environment' is required for a cron monitor: this deletes one environment (find_monitors lists them); deleting a whole cron monitor is not offered",
            ))
        }
    };
    let about = |e: SentryError| e.about(format!("cron monitor '{slug}' in organization '{org}'"));
    let monitor = ctx
        .sentry
        .get(Host::Org(org), &path(&["organizations", org, "monitors", &slug])?, &[])
        .await
        .map_err(about)?
        .body;
    if str_at(&monitor, "/project/slug").is_some_and(|p| !p.eq_ignore_ascii_case(&project)) {
        return Err(ToolError::invalid(format!(
            "cron monitor '{slug}' belongs to project '{}', not '{project}'",
            cell(str_at(&monitor, "/project/slug").unwrap_or("?"), 100)
        )));
    }
    let names: Vec<&str> = monitor
        .get("environments")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|e| str_at(e, "/name")).collect())
        .unwrap_or_default();
    let shown = cell(&environment, 64);
    if !names.contains(&environment.as_str()) {
        return Ok(format!(
            "# Cron monitor `{slug}` has no environment {shown}\n\nNothing to delete (its environments: {}).\n",
            if names.is_empty() { "none".to_string() } else { names.iter().map(|n| cell(n, 64)).collect::<Vec<_>>().join(", ") }
        ));
    }
    let env_path =
        path(&["projects", org, &project, "monitors", &slug, "environments", &environment])?;
    match ctx.sentry.send("DELETE", Host::Org(org), &env_path, &[], None).await {
        Ok(_) | Err(SentryError::NotFound { .. }) => {}
        Err(e) => return Err(about(e).into()),
    }
    let rest: Vec<String> =
        names.iter().filter(|n| **n != environment).map(|n| cell(n, 64)).collect();
    Ok(format!(
        "# Deleted environment {shown} of cron monitor `{slug}` in **{org}**\n\nIts check-ins and state there are gone (Sentry finishes in the background). The monitor stays{}.\n",
        if rest.is_empty() { " with no environment until the next check-in".to_string() } else { format!(" in {}", rest.join(", ")) }
    ))
}
