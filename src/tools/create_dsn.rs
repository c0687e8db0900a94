//! `create_dsn`: a new client key for a project.

use serde::Deserialize;
use serde_json::json;

use super::args::{self, require};
use super::project_admin::{describe_key, project_arg};
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
    /// The project.
    #[cfg_attr(test, schemars(extend("x-scope" = "project")))]
    pub project_slug: args::Required,
    /// Key name, e.g. 'production' or 'staging'.
    #[cfg_attr(test, schemars(length(max = 64)))]
    pub name: args::Required,
}

tool! {
    pub(super) struct CreateDsn {
        name: "create_dsn",
        title: "Create a DSN",
        skills: &[Skill::ProjectManagement],
        annotations: Annotations {
            read_only: false,
            destructive: false,
            idempotent: false,
            open_world: true,
        },
        hidden_when: HiddenWhen::Never,
        args: Args,
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let project = project_arg(ctx, args.project_slug.as_deref())?;
    let name = require!(args.name, "Name the key, e.g. 'production'.")?;
    if name.chars().count() > 64 {
        return Err(ToolError::invalid("'name' is limited to 64 characters"));
    }
    let key = ctx
        .sentry
        .send(
            "POST",
            Host::Org(&org),
            &path(&["projects", &org, &project, "keys"])?,
            &[],
            Some(&json!({"name": name})),
        )
        .await
        .map_err(|e| e.about(format!("project '{project}' in organization '{org}'")))?
        .body;
    let (line, _) = describe_key(&key);
    Ok(ToolOutput::markdown(format!("# New DSN for {project} in **{org}**\n\n{line}\n\nSet it as SENTRY_DSN in the application's configuration.\n")))
}
