//! `create_dsn`: a new client key for a project.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::project_admin::{describe_key, project_arg};
use super::shared::{org_param, path};
use super::{
    Annotations, Args, HiddenWhen, Skill, Tool, ToolContext, ToolError, ToolOutput, ToolSpec,
};
use crate::sentry::Host;

pub struct CreateDsn;

static SPEC: ToolSpec = ToolSpec {
    name: "create_dsn",
    title: "Create a DSN",
    description_file: include_str!("../../tool-descriptions/create_dsn.md"),
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
impl Tool for CreateDsn {
    fn spec(&self) -> &'static ToolSpec {
        &SPEC
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "organizationSlug": org_param(),
                "projectSlug": {"type": "string", "description": "The project."},
                "name": {"type": "string", "maxLength": 64, "description": "Key name, e.g. 'production' or 'staging'."}
            },
            "required": ["organizationSlug", "projectSlug", "name"],
            "additionalProperties": false
        })
    }

    async fn call(&self, ctx: &ToolContext<'_>, args: &Args) -> Result<ToolOutput, ToolError> {
        let org = ctx.org(args)?;
        let project = project_arg(ctx, args)?;
        let name = args.req_str("name", "Name the key, e.g. 'production'.")?;
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
}
