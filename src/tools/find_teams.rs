//! `find_teams`: the teams of an organization.

use serde::Deserialize;
use serde_json::{json, Value};

use super::listing::{self, opt_string};
use super::shared::path;
use super::{args, tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{cell, num_at, str_at};
use crate::sentry::Host;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: args::Required,
    /// Part of a team's slug or name to filter by.
    #[serde(default, deserialize_with = "args::string")]
    pub query: Option<String>,
    #[cfg_attr(test, schemars(description = crate::tools::args::CURSOR))]
    #[serde(default, deserialize_with = "args::cursor")]
    pub cursor: Option<String>,
}

tool! {
    pub(super) struct FindTeams {
        name: "find_teams",
        title: "Find teams",
        skills: &[Skill::Inspect, Skill::Triage, Skill::ProjectManagement],
        annotations: Annotations::READ,
        hidden_when: HiddenWhen::ProjectConstrained,
        args: Args,
        output_schema: output_schema,
    }
}

fn output_schema() -> Value {
    listing::page_schema(
        "teams",
        json!({"slug": {"type": "string"}, "id": opt_string(), "name": opt_string(), "memberCount": {"type": ["integer", "null"]}}),
        json!({"organization": {"type": "string"}}),
    )
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let query = listing::list_query(100, args.query.as_deref(), args.cursor.as_deref());
    let page = ctx
        .list(Host::Org(&org), &path(&["organizations", &org, "teams"])?, &query)
        .await
        .map_err(|e| e.about(format!("organization '{org}'")))?;
    let teams = &page.items;
    let mut out = format!("# Teams in **{org}**\n\n");
    let mut items = Vec::new();
    for t in teams {
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
    out.push_str(&listing::footer(page.next_cursor.as_deref(), teams.len(), "teams"));
    out.push_str("\nNext: assign an issue with update_issue(assignedTo=\"team:<slug>\"), or create_project(teamSlug=...).\n");
    let structured =
        listing::page("teams", items, page.next_cursor.as_deref(), json!({"organization": org}));
    Ok(ToolOutput::markdown(out).with_structured(structured, &[]))
}
