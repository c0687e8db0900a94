//! `create_monitor`: a new uptime monitor (Sentry requests a URL on a schedule) or metric monitor
//! (a query with thresholds, Sentry's detector of type `metric_issue`).

use serde::Deserialize;
use serde_json::{json, Value};

use super::args::{self, require};
use super::metric_monitor::detector_body;
use super::monitoring;
use super::project_admin::project_arg;
use super::shared::path;
use super::uptime_monitor::{
    check_name, check_url, monitor_settings, refuse_other_kind, WritableKind,
};
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::sentry::Host;

monitor_settings! {
    #[derive(Deserialize)]
    #[cfg_attr(test, derive(schemars::JsonSchema))]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Args {
        #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
        #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
        pub organization_slug: args::Required,
        #[cfg_attr(test, schemars(extend("x-scope" = "project")))]
        pub project_slug: args::Required,
        pub kind: args::RequiredChoice<WritableKind>,
        #[cfg_attr(test, schemars(length(max = 128)))]
        pub name: args::Required,
        /// uptime: http(s) URL.
        #[serde(default, deserialize_with = "args::string")]
        #[cfg_attr(test, schemars(length(max = 255)))]
        pub url: Option<String>,
    }
}

tool! {
    pub(super) struct CreateMonitor {
        name: "create_monitor",
        title: "Create a monitor",
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
    let kind = args.kind.0.ok_or_else(|| ToolError::invalid("pass 'kind': uptime or metric"))?;
    let name = require!(args.name, "Name the monitor, e.g. 'Checkout API health'.")?;
    check_name(&name)?;
    let u = &ctx.untrusted;
    let about = |e: crate::sentry::SentryError| {
        e.about(format!("project '{project}' in organization '{org}'"))
    };
    let (line, id, next) = match kind {
        WritableKind::Uptime => {
            refuse_other_kind(&args.metric().given(), "uptime")?;
            let url = args.url.as_deref().ok_or_else(|| {
                ToolError::invalid("Give the URL to check, e.g. https://example.com/health.")
            })?;
            check_url(url)?;
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
                .map_err(about)?
                .body;
            (monitoring::uptime_line(&m, u).0, id_of(&m), "its first checks")
        }
        WritableKind::Metric => {
            refuse_other_kind(&args.uptime_given(), "metric")?;
            let mut body = detector_body(&args.metric(), None)?;
            body.insert("name".into(), json!(name));
            body.insert("type".into(), json!("metric_issue"));
            body.insert("projectId".into(), json!(ctx.project_id(&org, &project).await?));
            if let Some(status) = args.status {
                body.insert("enabled".into(), json!(status.as_str() == "active"));
            }
            let m = ctx
                .sentry
                .send(
                    "POST",
                    Host::Org(&org),
                    &path(&["organizations", &org, "detectors"])?,
                    &[],
                    Some(&Value::Object(body)),
                )
                .await
                .map_err(about)?
                .body;
            (monitoring::metric_line(&m, u).0, id_of(&m), "its state")
        }
    };
    let out = format!(
        "# New {} monitor in **{org}**\n\n{}\n\nNext: get_monitor_details(kind=\"{}\", monitorId=\"{id}\", projectSlug=\"{project}\") shows {next}.\n",
        kind.as_str(),
        line.trim_start_matches("- "),
        kind.as_str(),
    );
    Ok(ToolOutput::markdown(u.finish(out)))
}

fn id_of(m: &Value) -> String {
    crate::render::id_at(m, "/id").unwrap_or_else(|| "?".into())
}
