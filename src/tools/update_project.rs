//! `update_project`: rename a project or change its slug or platform.

use async_trait::async_trait;
use serde_json::{json, Map, Value};

use super::project_admin::project_arg;
use super::shared::{org_param, path};
use super::{
    Annotations, Args, HiddenWhen, Skill, Tool, ToolContext, ToolError, ToolOutput, ToolSpec,
};
use crate::render::{cell, str_at};
use crate::sentry::{ids, Host};

pub struct UpdateProject;

static SPEC: ToolSpec = ToolSpec {
    name: "update_project",
    title: "Update a project",
    description_file: include_str!("../../tool-descriptions/update_project.md"),
    skills: &[Skill::ProjectManagement],
    annotations: Annotations {
        read_only: false,
        destructive: true,
        idempotent: true,
        open_world: true,
    },
    hidden_when: HiddenWhen::Never,
};

#[async_trait(?Send)]
impl Tool for UpdateProject {
    fn spec(&self) -> &'static ToolSpec {
        &SPEC
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "organizationSlug": org_param(),
                "projectSlug": {"type": "string", "description": "The project to change."},
                "name": {"type": "string", "maxLength": 64, "description": "New name."},
                "slug": {"type": "string", "description": "New slug (changes the project's URLs)."},
                "platform": {"type": "string", "description": "New platform, e.g. python-django."}
            },
            "required": ["organizationSlug", "projectSlug"],
            "additionalProperties": false
        })
    }

    async fn call(&self, ctx: &ToolContext<'_>, args: &Args) -> Result<ToolOutput, ToolError> {
        let org = ctx.org(args)?;
        let project = project_arg(ctx, args)?;
        let mut body = Map::new();
        if let Some(name) = args.opt_str("name")? {
            body.insert("name".into(), json!(name));
        }
        if let Some(slug) = args.opt_str("slug")? {
            if ctx.session.constraints.project.is_some() {
                return Err(ToolError::OutOfScope(
                    "this connection is limited to one project, so its slug cannot be changed here"
                        .into(),
                ));
            }
            body.insert("slug".into(), json!(ids::slug("project", &slug)?));
        }
        if let Some(platform) = args.opt_str("platform")? {
            body.insert("platform".into(), json!(ids::slug("platform", &platform)?));
        }
        if body.is_empty() {
            return Err(ToolError::invalid("pass at least one of 'name', 'slug' or 'platform'"));
        }
        let project_path = path(&["projects", &org, &project])?;
        let about = |e: crate::sentry::SentryError| {
            e.about(format!("project '{project}' in organization '{org}'"))
        };
        let before = ctx.sentry.get(Host::Org(&org), &project_path, &[]).await.map_err(about)?.body;
        let after = ctx
            .sentry
            .send("PUT", Host::Org(&org), &project_path, &[], Some(&Value::Object(body.clone())))
            .await
            .map_err(about)?
            .body;
        let mut out = format!("# Updated project {project} in **{org}**\n\n## Changes made\n");
        for field in body.keys() {
            let old = str_at(&before, &format!("/{field}")).unwrap_or("");
            let new = str_at(&after, &format!("/{field}")).unwrap_or("");
            out.push_str(&format!("- **{field}**: {} → **{}**\n", cell(old, 80), cell(new, 80)));
        }
        Ok(ToolOutput::markdown(out))
    }
}
