//! `find_dsns`: a project's client keys (DSNs), for configuring an SDK.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::listing::{self, opt_string};
use super::project_admin::{describe_key, project_arg};
use super::shared::{org_param, path};
use super::{
    Annotations, Args, HiddenWhen, Skill, Tool, ToolContext, ToolError, ToolOutput, ToolSpec,
};
use crate::sentry::Host;

pub struct FindDsns;

static SPEC: ToolSpec = ToolSpec {
    name: "find_dsns",
    title: "Find DSNs",
    description_file: include_str!("../../tool-descriptions/find_dsns.md"),
    skills: &[Skill::ProjectManagement],
    annotations: Annotations::READ,
    hidden_when: HiddenWhen::Never,
};

#[async_trait(?Send)]
impl Tool for FindDsns {
    fn spec(&self) -> &'static ToolSpec {
        &SPEC
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {"organizationSlug": org_param(), "projectSlug": {"type": "string", "description": "The project."}},
            "required": ["organizationSlug", "projectSlug"],
            "additionalProperties": false
        })
    }

    fn output_schema(&self) -> Option<Value> {
        Some(listing::page_schema(
            "dsns",
            json!({"id": opt_string(), "name": {"type": "string"}, "dsn": {"type": "string"}, "isActive": {"type": "boolean"}}),
            json!({"project": {"type": "string"}}),
        ))
    }

    async fn call(&self, ctx: &ToolContext<'_>, args: &Args) -> Result<ToolOutput, ToolError> {
        let org = ctx.org(args)?;
        let project = project_arg(ctx, args)?;
        let resp = ctx
            .sentry
            .get(Host::Org(&org), &path(&["projects", &org, &project, "keys"])?, &[])
            .await
            .map_err(|e| e.about(format!("project '{project}' in organization '{org}'")))?;
        let keys = resp.body.as_array().cloned().unwrap_or_default();
        let mut out = format!("# DSNs of {project} in **{org}**\n\n");
        let mut items = Vec::new();
        for k in &keys {
            let (line, item) = describe_key(k);
            out.push_str(&line);
            out.push('\n');
            items.push(item);
        }
        if keys.is_empty() {
            out.push_str("This project has no client keys; create one with create_dsn.\n");
        }
        out.push_str(&listing::footer(resp.next_cursor.as_deref(), keys.len(), "keys"));
        let structured =
            listing::page("dsns", items, resp.next_cursor.as_deref(), json!({"project": project}));
        Ok(ToolOutput::markdown(out).with_structured(structured, &[]))
    }
}
