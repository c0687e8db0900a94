//! What `add_team_to_project` and `remove_team_from_project` share: the arguments, the call, and
//! the answer listing the teams that have access afterwards.

use serde::Deserialize;
use serde_json::Value;

use super::args::{self, require};
use super::project_admin::project_arg;
use super::shared::path;
use super::{ToolContext, ToolError, ToolOutput};
use crate::render::str_at;
use crate::sentry::{ids, Host};

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
    /// The team's slug (from find_teams).
    pub team_slug: args::Required,
}

/// Grant (`POST`) or withdraw (`DELETE`) a team's access to a project.
pub(super) async fn change(
    ctx: &ToolContext<'_>,
    args: Args,
    add: bool,
) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let project = project_arg(ctx, args.project_slug.as_deref())?;
    let team = require!(args.team_slug, "Call find_teams to list the organization's teams.")?;
    let team = ids::slug("team", &team)?;
    let about = |e: crate::sentry::SentryError| {
        e.about(format!("team '{team}' and project '{project}' in organization '{org}'"))
    };
    let method = if add { "POST" } else { "DELETE" };
    ctx.sentry
        .send(
            method,
            Host::Org(&org),
            &path(&["projects", &org, &project, "teams", &team])?,
            &[],
            None,
        )
        .await
        .map_err(about)?;
    let teams = ctx
        .list(Host::Org(&org), &path(&["projects", &org, &project, "teams"])?, &[])
        .await
        .map_err(about)?;
    let slugs: Vec<&str> = teams.items.iter().filter_map(|t: &Value| str_at(t, "/slug")).collect();
    let verb = if add { "now has access to" } else { "no longer has access to" };
    Ok(ToolOutput::markdown(format!(
        "# Team {team} {verb} {project} in **{org}**\n\n**Teams with access now**: {}\n",
        if slugs.is_empty() {
            "none (only organization owners and managers see it)".into()
        } else {
            slugs.join(", ")
        }
    )))
}
