//! `create_team`: a new team in an organization.

use serde::Deserialize;
use serde_json::json;

use super::args::{self, require};
use super::shared::path;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::str_at;
use crate::sentry::{ids, Host};

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: args::Required,
    /// Team name.
    #[cfg_attr(test, schemars(length(max = 64)))]
    pub name: args::Required,
    /// Optional slug (derived from the name by default).
    #[serde(default, deserialize_with = "args::string")]
    pub slug: Option<String>,
}

tool! {
    pub(super) struct CreateTeam {
        name: "create_team",
        title: "Create a team",
        skills: &[Skill::ProjectManagement],
        annotations: Annotations {
            read_only: false,
            destructive: false,
            idempotent: false,
            open_world: true,
        },
        hidden_when: HiddenWhen::ProjectConstrained,
        args: Args,
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let name = require!(args.name, "Name the team.")?;
    let mut body = json!({"name": name});
    if let Some(slug) = args.slug {
        body["slug"] = json!(ids::slug("team", &slug)?);
    }
    let team = ctx
        .sentry
        .send("POST", Host::Org(&org), &path(&["organizations", &org, "teams"])?, &[], Some(&body))
        .await
        .map_err(|e| e.about(format!("organization '{org}'")))?
        .body;
    let slug = str_at(&team, "/slug").unwrap_or("?");
    Ok(ToolOutput::markdown(format!(
        "# Team created in **{org}**\n\n**Slug**: {slug} · **ID**: {} · **Name**: {}\n\nNext: create_project(teamSlug=\"{slug}\", ...) or update_issue(assignedTo=\"team:{slug}\").\n",
        str_at(&team, "/id").unwrap_or("?"),
        crate::render::cell(str_at(&team, "/name").unwrap_or(""), 80)
    )))
}
