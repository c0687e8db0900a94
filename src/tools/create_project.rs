//! `create_project`: a new project owned by a team, answered with its DSN ready to paste.

use serde::Deserialize;
use serde_json::json;

use super::args::{self, require};
use super::project_admin::describe_key;
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
    /// Team that will own the project (find_teams).
    pub team_slug: args::Required,
    /// Project name.
    #[cfg_attr(test, schemars(length(max = 64)))]
    pub name: args::Required,
    /// Optional slug (derived from the name by default).
    #[serde(default, deserialize_with = "args::string")]
    pub slug: Option<String>,
    /// SDK platform, e.g. javascript-react, python-django, node, go.
    #[serde(default, deserialize_with = "args::string")]
    pub platform: Option<String>,
}

tool! {
    pub(super) struct CreateProject {
        name: "create_project",
        title: "Create a project",
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
    let team =
        ids::slug("team", &require!(args.team_slug, "Call find_teams to pick the owning team.")?)?;
    let name = require!(args.name, "Name the project.")?;
    let mut body = json!({"name": name});
    if let Some(slug) = args.slug {
        body["slug"] = json!(ids::slug("project", &slug)?);
    }
    if let Some(platform) = args.platform {
        body["platform"] = json!(ids::slug("platform", &platform)?);
    }
    let project = ctx
        .sentry
        .send(
            "POST",
            Host::Org(&org),
            &path(&["teams", &org, &team, "projects"])?,
            &[],
            Some(&body),
        )
        .await
        .map_err(|e| e.about(format!("team '{team}' in organization '{org}'")))?
        .body;
    let slug = str_at(&project, "/slug").unwrap_or("?").to_string();
    let mut out = format!(
        "# Project created in **{org}**\n\n**Slug**: {slug} · **ID**: {} · **Platform**: {} · **Team**: {team}\n",
        str_at(&project, "/id").unwrap_or("?"),
        str_at(&project, "/platform").unwrap_or("other")
    );
    let keys = ctx
        .sentry
        .get(Host::Org(&org), &path(&["projects", &org, &slug, "keys"])?, &[])
        .await?
        .body;
    match keys.as_array().and_then(|k| k.first()) {
        Some(key) => {
            let (line, _) = describe_key(key);
            let dsn = str_at(key, "/dsn/public").unwrap_or("");
            out.push_str(&format!("\n## DSN\n{line}\n\n```\nSENTRY_DSN={dsn}\n```\n"));
        }
        None => out.push_str("\nNo client key was created yet; call create_dsn to make one.\n"),
    }
    Ok(ToolOutput::markdown(out))
}
