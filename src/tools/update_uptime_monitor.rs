//! `update_uptime_monitor`: change an uptime monitor's URL, schedule, request or status; every
//! changed setting is shown before and after.

use serde::Deserialize;
use serde_json::{json, Value};

use super::args;
use super::get_monitor_details::numeric_id;
use super::project_admin::project_arg;
use super::shared::path;
use super::uptime_monitor::{check_name, check_url, uptime_settings};
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{cell, plain};

uptime_settings! {
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
        /// New display name.
        #[serde(default, deserialize_with = "args::string")]
        #[cfg_attr(test, schemars(length(max = 128)))]
        pub name: Option<String>,
        /// New URL to check.
        #[serde(default, deserialize_with = "args::string")]
        #[cfg_attr(test, schemars(length(max = 255)))]
        pub url: Option<String>,
    }
}

tool! {
    pub(super) struct UpdateUptimeMonitor {
        name: "update_uptime_monitor",
        title: "Update an uptime monitor",
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

/// Settings whose values are never shown (they may hold credentials).
const HIDDEN: [&str; 2] = ["headers", "body"];

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let project = project_arg(ctx, args.project_slug.as_deref())?;
    let id = numeric_id(args.uptime_monitor_id.as_deref(), "an uptime monitor")?;
    let mut body = args.settings()?;
    if let Some(name) = &args.name {
        check_name(name)?;
        body.insert("name".into(), json!(name));
    }
    if let Some(url) = &args.url {
        check_url(url)?;
        body.insert("url".into(), json!(url));
    }
    if body.is_empty() {
        return Err(ToolError::invalid(
            "pass at least one setting to change, e.g. intervalSeconds or url",
        ));
    }
    let monitor_path = path(&["projects", &org, &project, "uptime", &id])?;
    let (before, after) = ctx
        .update(
            &org,
            &monitor_path,
            &body,
            &format!("uptime monitor {id} of project '{project}' in organization '{org}'"),
        )
        .await?;
    let u = &ctx.untrusted;
    let mut out = format!("# Updated uptime monitor {id} in **{org}**\n\n## Changes made\n");
    for field in body.keys() {
        let show = |v: &Value| match (field.as_str(), v) {
            (f, _) if HIDDEN.contains(&f) => "(hidden)".to_string(),
            ("name" | "url", Value::String(s)) => u.inline(s, 255),
            (_, v) => cell(&plain(v), 80),
        };
        let old = before.get(field).unwrap_or(&Value::Null);
        let new = after.get(field).unwrap_or(&Value::Null);
        out.push_str(&format!("- **{field}**: {} → **{}**\n", show(old), show(new)));
    }
    Ok(ToolOutput::markdown(u.finish(out)))
}
