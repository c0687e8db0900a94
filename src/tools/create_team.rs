//! `create_team`: a new team in an organization.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::shared::{org_param, path};
use super::{
    Annotations, Args, HiddenWhen, Skill, Tool, ToolContext, ToolError, ToolOutput, ToolSpec,
};
use crate::render::str_at;
use crate::sentry::{ids, Host};

pub struct CreateTeam;

static SPEC: ToolSpec = ToolSpec {
    name: "create_team",
    title: "Create a team",
    description_file: include_str!("../../tool-descriptions/create_team.md"),
    skills: &[Skill::ProjectManagement],
    annotations: Annotations {
        read_only: false,
        destructive: false,
        idempotent: false,
        open_world: true,
    },
    hidden_when: HiddenWhen::Never,
};

#[async_trait(?Send)]
impl Tool for CreateTeam {
    fn spec(&self) -> &'static ToolSpec {
        &SPEC
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "organizationSlug": org_param(),
                "name": {"type": "string", "maxLength": 64, "description": "Team name."},
                "slug": {"type": "string", "description": "Optional slug (derived from the name by default)."}
            },
            "required": ["organizationSlug", "name"],
            "additionalProperties": false
        })
    }

    async fn call(&self, ctx: &ToolContext<'_>, args: &Args) -> Result<ToolOutput, ToolError> {
        let org = ctx.org(args)?;
        let name = args.req_str("name", "Name the team.")?;
        let mut body = json!({"name": name});
        if let Some(slug) = args.opt_str("slug")? {
            body["slug"] = json!(ids::slug("team", &slug)?);
        }
        let team = ctx
            .sentry
            .send(
                "POST",
                Host::Org(&org),
                &path(&["organizations", &org, "teams"])?,
                &[],
                Some(&body),
            )
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
}
