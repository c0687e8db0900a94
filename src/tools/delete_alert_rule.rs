//! `delete_alert_rule`: remove an alert; its monitors stay and keep opening issues, but nobody is
//! notified through it any more.

use serde::Deserialize;

use super::alert_rule::alert_path;
use super::args;
use super::find_alert_rules::describe;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::sentry::{Host, SentryError};

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: args::Required,
    pub alert_rule_id: args::Required,
}

tool! {
    pub(super) struct DeleteAlertRule {
        name: "delete_alert_rule",
        title: "Delete an alert",
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
    let about = |e: SentryError| e.about(format!("alert {id} in organization '{org}'"));
    let before = ctx.sentry.get(Host::Org(&org), &alert_path, &[]).await.map_err(about)?.body;
    ctx.sentry.send("DELETE", Host::Org(&org), &alert_path, &[], None).await.map_err(about)?;
    Ok(ToolOutput::markdown(format!(
        "# Deleted alert {id} from **{org}**\n{}\nIts monitors stay and keep opening issues; nobody is notified through this alert any more. This cannot be undone; create_alert_rule makes a new one.\n",
        describe(&before)
    )))
}
