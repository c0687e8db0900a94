//! `create_alert_rule`: a new alert (Sentry's workflow): when it runs, what it filters on, whom
//! it notifies and the monitors that feed it.

use serde::Deserialize;
use serde_json::{json, Value};

use super::alert_rule::{alert_settings, check_name, connect_projects};
use super::args::{self, require};
use super::find_alert_rules::describe;
use super::shared::path;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::id_at;
use crate::sentry::Host;

alert_settings! {
    #[derive(Deserialize)]
    #[cfg_attr(test, derive(schemars::JsonSchema))]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Args {
        #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
        #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
        pub organization_slug: args::Required,
        pub name: args::Required,
    }
}

tool! {
    pub(super) struct CreateAlertRule {
        name: "create_alert_rule",
        title: "Create an alert",
        skills: &[Skill::ProjectManagement],
        annotations: Annotations {
            read_only: false,
            destructive: false,
            idempotent: false,
            open_world: true,
        },
        // Alerts belong to the organization and may span projects.
        hidden_when: HiddenWhen::ProjectConstrained,
        args: Args,
        scopes: &["alerts:write", "org:write"],
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let name = require!(args.name, "Name the alert, e.g. 'Page on-call for checkout errors'.")?;
    check_name(&name)?;
    let mut body = args.changes(true)?;
    connect_projects(ctx, &org, args.project_slugs.as_deref(), &mut body, None).await?;
    body.insert("name".into(), json!(name));
    let w = ctx
        .sentry
        .send(
            "POST",
            Host::Org(&org),
            &path(&["organizations", &org, "workflows"])?,
            &[],
            Some(&Value::Object(body)),
        )
        .await
        .map_err(|e| e.about(format!("alerts of organization '{org}'")))?
        .body;
    let id = id_at(&w, "/id").unwrap_or_else(|| "?".into());
    let mut out = format!("# New alert in **{org}**\n{}", describe(&w));
    if w.get("detectorIds").and_then(Value::as_array).is_none_or(Vec::is_empty) {
        out.push_str("\nIt has no monitors yet, so it never runs: update_alert_rule(detectorIds=[...]) connects some (find_alert_rules(view=\"sources\") lists them).\n");
    } else {
        out.push_str(&format!("\nNext: find_alert_rules(alertRuleId=\"{id}\") to check it; update_alert_rule to change it.\n"));
    }
    Ok(ToolOutput::markdown(out))
}
