//! `find_organizations`: the organizations the user can access, with their regions.

use serde::Deserialize;
use serde_json::{json, Value};

use super::listing::{self, opt_string};
use super::{args, tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::str_at;
use crate::sentry::{ApiPath, Host};

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    /// Part of an organization's slug or name to filter by.
    #[serde(default, deserialize_with = "args::string")]
    pub query: Option<String>,
    #[cfg_attr(test, schemars(description = crate::tools::args::CURSOR))]
    #[serde(default, deserialize_with = "args::cursor")]
    pub cursor: Option<String>,
}

tool! {
    pub(super) struct FindOrganizations {
        name: "find_organizations",
        title: "Find organizations",
        skills: &Skill::ALL,
        annotations: Annotations::READ,
        hidden_when: HiddenWhen::OrgConstrained,
        args: Args,
        output_schema: output_schema,
    }
}

fn output_schema() -> Value {
    listing::page_schema(
        "organizations",
        json!({"slug": {"type": "string"}, "name": {"type": "string"}, "webUrl": opt_string(), "regionAllowed": {"type": "boolean"}}),
        Value::Null,
    )
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let query = listing::list_query(25, args.query.as_deref(), args.cursor.as_deref());
    let page = ctx
        .list(
            Host::Control,
            &ApiPath::of(&["organizations"]).map_err(|e| ToolError::invalid(e.to_string()))?,
            &query,
        )
        .await?;
    let orgs = &page.items;
    let mut out = String::from("# Organizations\n\n");
    let mut items = Vec::new();
    if orgs.is_empty() {
        out.push_str("No organizations found for this token");
        out.push_str(if args.query.is_some() { " and query.\n" } else { ".\n" });
    }
    for org in orgs {
        let slug = str_at(org, "/slug").unwrap_or("?");
        let name = str_at(org, "/name").unwrap_or("");
        let mut line = format!("- **{slug}**");
        if !name.is_empty() && name != slug {
            line.push_str(&format!(" ({})", crate::render::cell(name, 80)));
        }
        // Learn each org's region now, so later calls skip the lookup.
        let region = str_at(org, "/links/regionUrl").unwrap_or("");
        let allowed = match ctx.sentry.remember_region(slug, region) {
            Ok(url) if !region.is_empty() => {
                line.push_str(&format!(" · region {}", url.host_str().unwrap_or_default()));
                true
            }
            Ok(_) => true,
            Err(_) => {
                line.push_str(" · region not allowed by this server");
                false
            }
        };
        items.push(json!({"slug": slug, "name": name, "webUrl": str_at(org, "/links/organizationUrl"), "regionAllowed": allowed}));
        if let Some(web) = str_at(org, "/links/organizationUrl") {
            line.push_str(&format!(" · {web}"));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&listing::footer(page.next_cursor.as_deref(), orgs.len(), "organizations"));
    out.push_str("\nNext: pass an organization slug as organizationSlug to find_projects or search_issues.\n");
    let structured =
        listing::page("organizations", items, page.next_cursor.as_deref(), Value::Null);
    Ok(ToolOutput::markdown(out).with_structured(structured, &[]))
}
