//! `create_project`: a new project owned by a team, answered with its DSN ready to paste.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::project_admin::describe_key;
use super::shared::{org_param, path};
use super::{
    Annotations, Args, HiddenWhen, Skill, Tool, ToolContext, ToolError, ToolOutput, ToolSpec,
};
use crate::render::str_at;
use crate::sentry::{ids, Host};

pub struct CreateProject;

static SPEC: ToolSpec = ToolSpec {
    name: "create_project",
    title: "Create a project",
    description_file: include_str!("../../tool-descriptions/create_project.md"),
    skills: &[Skill::ProjectManagement],
    annotations: Annotations {
        read_only: false,
        destructive: false,
        idempotent: false,
        open_world: true,
    },
    hidden_when: HiddenWhen::ProjectConstrained,
};

#[async_trait(?Send)]
impl Tool for CreateProject {
    fn spec(&self) -> &'static ToolSpec {
        &SPEC
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "organizationSlug": org_param(),
                "teamSlug": {"type": "string", "description": "Team that will own the project (find_teams)."},
                "name": {"type": "string", "maxLength": 64, "description": "Project name."},
                "slug": {"type": "string", "description": "Optional slug (derived from the name by default)."},
                "platform": {"type": "string", "description": "SDK platform, e.g. javascript-react, python-django, node, go."}
            },
            "required": ["organizationSlug", "teamSlug", "name"],
            "additionalProperties": false
        })
    }

    async fn call(&self, ctx: &ToolContext<'_>, args: &Args) -> Result<ToolOutput, ToolError> {
        let org = ctx.org(args)?;
        let team = ids::slug(
            "team",
            &args.req_str("teamSlug", "Call find_teams to pick the owning team.")?,
        )?;
        let name = args.req_str("name", "Name the project.")?;
        let mut body = json!({"name": name});
        if let Some(slug) = args.opt_str("slug")? {
            body["slug"] = json!(ids::slug("project", &slug)?);
        }
        if let Some(platform) = args.opt_str("platform")? {
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
}
