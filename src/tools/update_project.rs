//! `update_project`: rename a project or change its slug or platform.

use serde::Deserialize;
use serde_json::{json, Map};

use super::args;
use super::project_admin::project_arg;
use super::shared::path;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{cell, str_at};
use crate::sentry::ids;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: args::Required,
    /// The project to change.
    #[cfg_attr(test, schemars(extend("x-scope" = "project")))]
    pub project_slug: args::Required,
    /// New name.
    #[serde(default, deserialize_with = "args::string")]
    #[cfg_attr(test, schemars(length(max = 64)))]
    pub name: Option<String>,
    /// New slug (changes the project's URLs).
    #[serde(default, deserialize_with = "args::string")]
    pub slug: Option<String>,
    /// New platform, e.g. python-django.
    #[serde(default, deserialize_with = "args::string")]
    pub platform: Option<String>,
}

tool! {
    pub(super) struct UpdateProject {
        name: "update_project",
        title: "Update a project",
        skills: &[Skill::ProjectManagement],
        annotations: Annotations {
            read_only: false,
            destructive: true,
            idempotent: true,
            open_world: true,
        },
        hidden_when: HiddenWhen::Never,
        args: Args,
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let project = project_arg(ctx, args.project_slug.as_deref())?;
    let mut body = Map::new();
    if let Some(name) = args.name {
        body.insert("name".into(), json!(name));
    }
    if let Some(slug) = args.slug {
        if ctx.session.constraints.project.is_some() {
            return Err(ToolError::OutOfScope(
                "this connection is limited to one project, so its slug cannot be changed here"
                    .into(),
            ));
        }
        body.insert("slug".into(), json!(ids::slug("project", &slug)?));
    }
    if let Some(platform) = args.platform {
        body.insert("platform".into(), json!(ids::slug("platform", &platform)?));
    }
    if body.is_empty() {
        return Err(ToolError::invalid("pass at least one of 'name', 'slug' or 'platform'"));
    }
    let project_path = path(&["projects", &org, &project])?;
    let (before, after) = ctx
        .update(&org, &project_path, &body, &format!("project '{project}' in organization '{org}'"))
        .await?;
    let mut out = format!("# Updated project {project} in **{org}**\n\n## Changes made\n");
    for field in body.keys() {
        let old = str_at(&before, &format!("/{field}")).unwrap_or("");
        let new = str_at(&after, &format!("/{field}")).unwrap_or("");
        out.push_str(&format!("- **{field}**: {} → **{}**\n", cell(old, 80), cell(new, 80)));
    }
    Ok(ToolOutput::markdown(out))
}
