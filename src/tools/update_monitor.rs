//! `update_monitor`: change an uptime monitor's URL, schedule, request or status, or a metric
//! monitor's query, detection, thresholds, alerts or status; every changed setting is shown
//! before and after.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::args;
use super::get_monitor_details::{fetch_metric, numeric_id};
use super::metric_monitor::detector_body;
use super::monitoring;
use super::project_admin::project_arg;
use super::shared::path;
use super::uptime_monitor::{
    check_name, check_url, monitor_settings, refuse_other_kind, WritableKind,
};
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{cell, plain, Untrusted};
use crate::sentry::Host;

monitor_settings! {
    #[derive(Deserialize)]
    #[cfg_attr(test, derive(schemars::JsonSchema))]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Args {
        #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
        #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
        pub organization_slug: args::Required,
        /// Required for uptime.
        #[serde(default, deserialize_with = "args::string")]
        #[cfg_attr(test, schemars(extend("x-scope" = "project")))]
        pub project_slug: Option<String>,
        pub kind: args::RequiredChoice<WritableKind>,
        /// From find_monitors.
        pub monitor_id: args::Required,
        #[serde(default, deserialize_with = "args::string")]
        #[cfg_attr(test, schemars(length(max = 128)))]
        pub name: Option<String>,
        /// uptime.
        #[serde(default, deserialize_with = "args::string")]
        #[cfg_attr(test, schemars(length(max = 255)))]
        pub url: Option<String>,
    }
}

tool! {
    pub(super) struct UpdateMonitor {
        name: "update_monitor",
        title: "Update a monitor",
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
    let kind = args.kind.0.ok_or_else(|| ToolError::invalid("pass 'kind': uptime or metric"))?;
    if let Some(name) = &args.name {
        check_name(name)?;
    }
    match kind {
        WritableKind::Uptime => uptime(ctx, &org, &args).await,
        WritableKind::Metric => metric(ctx, &org, &args).await,
    }
}

async fn uptime(ctx: &ToolContext<'_>, org: &str, args: &Args) -> Result<ToolOutput, ToolError> {
    refuse_other_kind(&args.metric().given(), "uptime")?;
    let project = project_arg(ctx, args.project_slug.as_deref())?;
    let id = numeric_id(args.monitor_id.as_deref(), "an uptime monitor")?;
    let mut body = args.settings()?;
    if let Some(name) = &args.name {
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
    let monitor_path = path(&["projects", org, &project, "uptime", &id])?;
    let (before, after) = ctx
        .update(
            org,
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

async fn metric(ctx: &ToolContext<'_>, org: &str, args: &Args) -> Result<ToolOutput, ToolError> {
    refuse_other_kind(&args.uptime_given(), "metric")?;
    let id = numeric_id(args.monitor_id.as_deref(), "a metric monitor")?;
    let input = args.metric();
    let mut changed: Vec<&str> = Vec::new();
    if args.name.is_some() {
        changed.push("name");
    }
    if args.status.is_some() {
        changed.push("enabled");
    }
    changed.extend(input.given().iter().map(|g| match *g {
        "query" => "query",
        "workflowIds" => "workflowIds",
        _ => "thresholds",
    }));
    changed.dedup();
    if changed.is_empty() {
        return Err(ToolError::invalid(
            "pass at least one setting to change, e.g. conditionGroup, query, name or status",
        ));
    }
    let before = fetch_metric(ctx, org, &id).await?;
    let mut body = Map::new();
    body.insert("name".into(), before.get("name").cloned().unwrap_or(Value::Null));
    body.insert("type".into(), json!("metric_issue"));
    body.insert("enabled".into(), before.get("enabled").cloned().unwrap_or(json!(true)));
    body.extend(detector_body(&input, Some(&before))?);
    if let Some(name) = &args.name {
        body.insert("name".into(), json!(name));
    }
    if let Some(status) = args.status {
        body.insert("enabled".into(), json!(status.as_str() == "active"));
    }
    let after = ctx
        .sentry
        .send(
            "PUT",
            Host::Org(org),
            &path(&["organizations", org, "detectors", &id])?,
            &[],
            Some(&Value::Object(body)),
        )
        .await
        .map_err(|e| e.about(format!("metric monitor {id} in organization '{org}'")))?
        .body;
    let u = &ctx.untrusted;
    let mut out = format!("# Updated metric monitor {id} in **{org}**\n\n## Changes made\n");
    for field in changed {
        out.push_str(&format!(
            "- **{field}**: {} → **{}**\n",
            metric_field(&before, field, u),
            metric_field(&after, field, u)
        ));
    }
    Ok(ToolOutput::markdown(u.finish(out)))
}

/// One setting of a metric monitor as the change list shows it.
fn metric_field(m: &Value, field: &str, u: &Untrusted) -> String {
    match field {
        "name" => u.inline(crate::render::str_at(m, "/name").unwrap_or("?"), 120),
        "enabled" => plain(m.get("enabled").unwrap_or(&Value::Null)),
        "query" => monitoring::metric_query(m, u),
        "workflowIds" => cell(&plain(m.get("workflowIds").unwrap_or(&Value::Null)), 120),
        _ => monitoring::metric_thresholds(m),
    }
}
