//! `find_projects`: the projects of an organization.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::listing::{self, opt_string};
use super::shared::path;
use super::{
    Annotations, Args, HiddenWhen, Skill, Tool, ToolContext, ToolError, ToolOutput, ToolSpec,
};
use crate::render::{cell, str_at};
use crate::sentry::Host;

pub struct FindProjects;

static SPEC: ToolSpec = ToolSpec {
    name: "find_projects",
    title: "Find projects",
    description_file: include_str!("../../tool-descriptions/find_projects.md"),
    skills: &Skill::ALL,
    annotations: Annotations::READ,
    hidden_when: HiddenWhen::ProjectConstrained,
};

#[async_trait(?Send)]
impl Tool for FindProjects {
    fn spec(&self) -> &'static ToolSpec {
        &SPEC
    }

    fn input_schema(&self) -> Value {
        listing::org_list_schema("project")
    }

    fn output_schema(&self) -> Option<Value> {
        Some(listing::page_schema(
            "projects",
            json!({"slug": {"type": "string"}, "id": opt_string(), "name": opt_string(), "platform": opt_string(), "teams": {"type": "array", "items": {"type": "string"}}}),
            json!({"organization": {"type": "string"}}),
        ))
    }

    async fn call(&self, ctx: &ToolContext<'_>, args: &Args) -> Result<ToolOutput, ToolError> {
        let org = ctx.org(args)?;
        let query = listing::list_query(args, 100)?;
        let resp = ctx
            .sentry
            .get(Host::Org(&org), &path(&["organizations", &org, "projects"])?, &query)
            .await
            .map_err(|e| e.about(format!("organization '{org}'")))?;
        let projects = resp.body.as_array().cloned().unwrap_or_default();
        let mut out = format!("# Projects in **{org}**\n\n");
        let mut items = Vec::new();
        if projects.is_empty() {
            out.push_str("No projects found.\n");
        }
        for p in &projects {
            let slug = str_at(p, "/slug").unwrap_or("?");
            let mut line = format!("- **{slug}**");
            if let Some(id) = str_at(p, "/id") {
                line.push_str(&format!(" (id {id})"));
            }
            if let Some(name) = str_at(p, "/name").filter(|n| *n != slug) {
                line.push_str(&format!(" · {}", cell(name, 80)));
            }
            if let Some(platform) = str_at(p, "/platform") {
                line.push_str(&format!(" · {platform}"));
            }
            let teams: Vec<&str> = p
                .get("teams")
                .and_then(Value::as_array)
                .map(|t| t.iter().filter_map(|t| str_at(t, "/slug")).collect())
                .unwrap_or_default();
            if !teams.is_empty() {
                line.push_str(&format!(" · teams: {}", teams.join(", ")));
            }
            items.push(json!({"slug": slug, "id": str_at(p, "/id"), "name": str_at(p, "/name"), "platform": str_at(p, "/platform"), "teams": teams}));
            out.push_str(&line);
            out.push('\n');
        }
        out.push_str(&listing::footer(resp.next_cursor.as_deref(), projects.len(), "projects"));
        out.push_str("\nNext: search_issues with projectSlugOrId to see a project's issues.\n");
        let structured = listing::page(
            "projects",
            items,
            resp.next_cursor.as_deref(),
            json!({"organization": org}),
        );
        Ok(ToolOutput::markdown(out).with_structured(structured, &[]))
    }
}
