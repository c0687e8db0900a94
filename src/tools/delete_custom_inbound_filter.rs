//! `delete_custom_inbound_filter`: remove a custom inbound filter; the project ingests what it
//! dropped again (`DELETE /projects/{org}/{project}/custom-inbound-filters/{id}/`).

use serde::Deserialize;

use super::args;
use super::inbound_filters::{describe, explain, fetch, filter_id, filters_path, subject};
use super::project_admin::project_arg;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::sentry::Host;

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
    /// From find_custom_inbound_filters.
    pub filter_id: args::Required,
}

tool! {
    pub(super) struct DeleteCustomInboundFilter {
        name: "delete_custom_inbound_filter",
        title: "Delete a custom inbound filter",
        skills: &[Skill::ProjectManagement],
        annotations: Annotations {
            read_only: false,
            destructive: true,
            idempotent: true,
            open_world: true,
        },
        hidden_when: HiddenWhen::Never,
        args: Args,
        scopes: &["project:write", "project:admin"],
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let project = project_arg(ctx, args.project_slug.as_deref())?;
    let id = filter_id(args.filter_id.as_deref())?;
    let before = fetch(ctx, &org, &project, &id).await?;
    ctx.sentry
        .send("DELETE", Host::Org(&org), &filters_path(&org, &project, Some(&id))?, &[], None)
        .await
        .map_err(|e| explain(e, subject(&org, &project, Some(&id))))?;
    let u = &ctx.untrusted;
    let (line, _) = describe(&before, u);
    let out = format!(
        "# Deleted custom inbound filter {id} from {project} in **{org}**\n\n{line}\n\nThe project ingests what it matched again. This cannot be undone; create_custom_inbound_filter makes a new one.\n"
    );
    Ok(ToolOutput::markdown(u.finish(out)))
}
