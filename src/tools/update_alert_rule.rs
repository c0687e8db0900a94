//! `update_alert_rule`: change an alert's triggers, filters, actions, monitors, interval or
//! status. Sentry's update takes the whole alert, so the alert is read first and the changes are
//! laid over it; the answer shows the alert before and after.

use serde::Deserialize;
use serde_json::{json, Value};

use super::alert_rule::{alert_path, alert_settings, check_name, connect_projects, editable};
use super::args;
use super::find_alert_rules::describe;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::sentry::{Host, SentryError};

alert_settings! {
    #[derive(Deserialize)]
    #[cfg_attr(test, derive(schemars::JsonSchema))]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Args {
        #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
        #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
        pub organization_slug: args::Required,
        pub alert_rule_id: args::Required,
        #[serde(default, deserialize_with = "args::string")]
        pub name: Option<String>,
    }
}

tool! {
    pub(super) struct UpdateAlertRule {
        name: "update_alert_rule",
        title: "Update an alert",
        skills: &[Skill::ProjectManagement],
        annotations: Annotations {
            read_only: false,
            destructive: true,
            idempotent: true,
            open_world: true,
        },
        hidden_when: HiddenWhen::ProjectConstrained,
        args: Args,
        scopes: &["alerts:write", "org:write"],
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let (id, alert_path) = alert_path(&org, args.alert_rule_id.as_deref())?;
    let mut changes = args.changes(false)?;
    if let Some(name) = &args.name {
        check_name(name)?;
        changes.insert("name".into(), json!(name));
    }
    if changes.is_empty() && args.project_slugs.is_none() {
        return Err(ToolError::invalid(
            "pass at least one setting to change, e.g. status, actionFilters or detectorIds",
        ));
    }
    let about = |e: SentryError| e.about(format!("alert {id} in organization '{org}'"));
    let before = ctx.sentry.get(Host::Org(&org), &alert_path, &[]).await.map_err(about)?.body;
    connect_projects(ctx, &org, args.project_slugs.as_deref(), &mut changes, Some(&before)).await?;
    let mut body = editable(&before);
    let changed: Vec<String> = changes.keys().cloned().collect();
    body.extend(changes);
    let after = ctx
        .sentry
        .send("PUT", Host::Org(&org), &alert_path, &[], Some(&Value::Object(body)))
        .await
        .map_err(about)?
        .body;
    let out = format!(
        "# Updated alert {id} in **{org}**\n\n**Changed**: {}\n\n## Before\n{}\n## After\n{}",
        changed.join(", "),
        describe(&before).trim_start_matches('\n'),
        describe(&after).trim_start_matches('\n'),
    );
    Ok(ToolOutput::markdown(out))
}
