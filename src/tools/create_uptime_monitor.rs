//! `create_uptime_monitor`: a new uptime monitor, checking a URL on Sentry's schedule.

use serde::Deserialize;
use serde_json::{json, Value};

use super::args::{self, require};
use super::monitoring;
use super::project_admin::project_arg;
use super::shared::path;
use super::uptime_monitor::{check_name, check_url, uptime_settings};
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::sentry::Host;

uptime_settings! {
    #[derive(Deserialize)]
    #[cfg_attr(test, derive(schemars::JsonSchema))]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Args {
        #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
        #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
        pub organization_slug: args::Required,
        /// The project.
        #[cfg_attr(test, schemars(extend("x-scope" = "project")))]
        pub project_slug: args::Required,
        /// Display name.
        #[cfg_attr(test, schemars(length(max = 128)))]
        pub name: args::Required,
        /// http(s) URL to check.
        #[cfg_attr(test, schemars(length(max = 255)))]
        pub url: args::Required,
    }
}

tool! {
    pub(super) struct CreateUptimeMonitor {
        name: "create_uptime_monitor",
        title: "Create an uptime monitor",
        skills: &[Skill::ProjectManagement],
        annotations: Annotations {
            read_only: false,
            destructive: false,
            idempotent: false,
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
    let name = require!(args.name, "Name the monitor, e.g. 'Checkout API health'.")?;
    let url = require!(args.url, "Give the URL to check, e.g. https://example.com/health.")?;
    check_name(&name)?;
    check_url(&url)?;
    let mut body = args.settings()?;
    body.insert("name".into(), json!(name));
    body.insert("url".into(), json!(url));
    body.entry("intervalSeconds").or_insert(json!(60));
    body.entry("timeoutMs").or_insert(json!(10_000));
    let m = ctx
        .sentry
        .send(
            "POST",
            Host::Org(&org),
            &path(&["projects", &org, &project, "uptime"])?,
            &[],
            Some(&Value::Object(body)),
        )
        .await
        .map_err(|e| e.about(format!("project '{project}' in organization '{org}'")))?
        .body;
    let u = &ctx.untrusted;
    let (line, _) = monitoring::uptime_line(&m, u);
    let id = crate::render::id_at(&m, "/id").unwrap_or_else(|| "?".into());
    let out = format!(
        "# New uptime monitor in **{org}**\n\n{}\n\nNext: get_monitor_details(kind=\"uptime\", monitorId=\"{id}\", projectSlug=\"{project}\") shows its first checks.\n",
        line.trim_start_matches("- ")
    );
    Ok(ToolOutput::markdown(u.finish(out)))
}
