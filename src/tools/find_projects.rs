//! `find_projects`: the projects of an organization.

use serde::Deserialize;
use serde_json::{json, Value};

use super::listing::{self, opt_string};
use super::shared::path;
use super::{args, tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{cell, str_at};
use crate::sentry::Host;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: args::Required,
    /// Part of a project's slug or name to filter by.
    #[serde(default, deserialize_with = "args::string")]
    pub query: Option<String>,
    #[cfg_attr(test, schemars(description = crate::tools::args::CURSOR))]
    #[serde(default, deserialize_with = "args::cursor")]
    pub cursor: Option<String>,
}

tool! {
    pub(super) struct FindProjects {
        name: "find_projects",
        title: "Find projects",
        skills: &Skill::ALL,
        annotations: Annotations::READ,
        hidden_when: HiddenWhen::ProjectConstrained,
        args: Args,
        output_schema: output_schema,
    }
}

fn output_schema() -> Value {
    listing::page_schema(
        "projects",
        json!({"slug": {"type": "string"}, "id": opt_string(), "name": opt_string(), "platform": opt_string(), "teams": {"type": "array", "items": {"type": "string"}}}),
        json!({"organization": {"type": "string"}}),
    )
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let query = listing::list_query(100, args.query.as_deref(), args.cursor.as_deref());
    let page = ctx
        .list(Host::Org(&org), &path(&["organizations", &org, "projects"])?, &query)
        .await
        .map_err(|e| e.about(format!("organization '{org}'")))?;
    let projects = &page.items;
    let mut out = format!("# Projects in **{org}**\n\n");
    let mut items = Vec::new();
    if projects.is_empty() {
        out.push_str("No projects found.\n");
    }
    for p in projects {
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
    out.push_str(&listing::footer(page.next_cursor.as_deref(), projects.len(), "projects"));
    out.push_str("\nNext: search_issues with projectSlugOrId to see a project's issues.\n");
    let structured =
        listing::page("projects", items, page.next_cursor.as_deref(), json!({"organization": org}));
    Ok(ToolOutput::markdown(out).with_structured(structured, &[]))
}
