//! `find_organizations`: the organizations the user can access, with their regions.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::listing::{self, opt_string};
use super::shared::cursor_param;
use super::{
    Annotations, Args, HiddenWhen, Skill, Tool, ToolContext, ToolError, ToolOutput, ToolSpec,
};
use crate::render::str_at;
use crate::sentry::{ApiPath, Host};

pub struct FindOrganizations;

static SPEC: ToolSpec = ToolSpec {
    name: "find_organizations",
    title: "Find organizations",
    description_file: include_str!("../../tool-descriptions/find_organizations.md"),
    skills: &Skill::ALL,
    annotations: Annotations::READ,
    hidden_when: HiddenWhen::OrgConstrained,
};

#[async_trait(?Send)]
impl Tool for FindOrganizations {
    fn spec(&self) -> &'static ToolSpec {
        &SPEC
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "Part of an organization's slug or name to filter by."},
                "cursor": cursor_param(),
            },
            "additionalProperties": false
        })
    }

    fn output_schema(&self) -> Option<Value> {
        Some(listing::page_schema(
            "organizations",
            json!({"slug": {"type": "string"}, "name": {"type": "string"}, "webUrl": opt_string(), "regionAllowed": {"type": "boolean"}}),
            Value::Null,
        ))
    }

    async fn call(&self, ctx: &ToolContext<'_>, args: &Args) -> Result<ToolOutput, ToolError> {
        let query = listing::list_query(args, 25)?;
        let resp = ctx
            .sentry
            .get(
                Host::Control,
                &ApiPath::of(&["organizations"]).map_err(|e| ToolError::invalid(e.to_string()))?,
                &query,
            )
            .await?;
        let orgs = resp.body.as_array().cloned().unwrap_or_default();
        let mut out = String::from("# Organizations\n\n");
        let mut items = Vec::new();
        if orgs.is_empty() {
            out.push_str("No organizations found for this token");
            out.push_str(if args.opt_str("query")?.is_some() { " and query.\n" } else { ".\n" });
        }
        for org in &orgs {
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
        out.push_str(&listing::footer(resp.next_cursor.as_deref(), orgs.len(), "organizations"));
        out.push_str("\nNext: pass an organization slug as organizationSlug to find_projects or search_issues.\n");
        let structured =
            listing::page("organizations", items, resp.next_cursor.as_deref(), Value::Null);
        Ok(ToolOutput::markdown(out).with_structured(structured, &[]))
    }
}
