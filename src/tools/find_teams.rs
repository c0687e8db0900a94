//! `find_teams`: the teams of an organization.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::listing::{self, opt_string};
use super::shared::path;
use super::{
    Annotations, Args, HiddenWhen, Skill, Tool, ToolContext, ToolError, ToolOutput, ToolSpec,
};
use crate::render::{cell, num_at, str_at};
use crate::sentry::Host;

pub struct FindTeams;

static SPEC: ToolSpec = ToolSpec {
    name: "find_teams",
    title: "Find teams",
    description_file: include_str!("../../tool-descriptions/find_teams.md"),
    skills: &[Skill::Inspect, Skill::Triage, Skill::ProjectManagement],
    annotations: Annotations::READ,
    hidden_when: HiddenWhen::Never,
};

#[async_trait(?Send)]
impl Tool for FindTeams {
    fn spec(&self) -> &'static ToolSpec {
        &SPEC
    }

    fn input_schema(&self) -> Value {
        listing::org_list_schema("team")
    }

    fn output_schema(&self) -> Option<Value> {
        Some(listing::page_schema(
            "teams",
            json!({"slug": {"type": "string"}, "id": opt_string(), "name": opt_string(), "memberCount": {"type": ["integer", "null"]}}),
            json!({"organization": {"type": "string"}}),
        ))
    }

    async fn call(&self, ctx: &ToolContext<'_>, args: &Args) -> Result<ToolOutput, ToolError> {
        let org = ctx.org(args)?;
        let query = listing::list_query(args, 100)?;
        let resp = ctx
            .sentry
            .get(Host::Org(&org), &path(&["organizations", &org, "teams"])?, &query)
            .await
            .map_err(|e| e.about(format!("organization '{org}'")))?;
        let teams = resp.body.as_array().cloned().unwrap_or_default();
        let mut out = format!("# Teams in **{org}**\n\n");
        let mut items = Vec::new();
        for t in &teams {
            let slug = str_at(t, "/slug").unwrap_or("?");
            let mut line = format!("- **{slug}**");
            if let Some(name) = str_at(t, "/name").filter(|n| *n != slug) {
                line.push_str(&format!(" ({})", cell(name, 80)));
            }
            if let Some(n) = num_at(t, "/memberCount") {
                line.push_str(&format!(" · {n} members"));
            }
            out.push_str(&line);
            out.push('\n');
            items.push(json!({"slug": slug, "id": str_at(t, "/id"), "name": str_at(t, "/name"), "memberCount": num_at(t, "/memberCount")}));
        }
        out.push_str(&listing::footer(resp.next_cursor.as_deref(), teams.len(), "teams"));
        out.push_str("\nNext: assign an issue with update_issue(assignedTo=\"team:<slug>\"), or create_project(teamSlug=...).\n");
        let structured = listing::page(
            "teams",
            items,
            resp.next_cursor.as_deref(),
            json!({"organization": org}),
        );
        Ok(ToolOutput::markdown(out).with_structured(structured, &[]))
    }
}
