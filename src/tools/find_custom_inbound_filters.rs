//! `find_custom_inbound_filters`: a project's custom inbound filters, the rules that drop errors,
//! logs, metrics or spans at ingest (`GET /projects/{org}/{project}/custom-inbound-filters/`).

use serde::Deserialize;
use serde_json::{json, Value};

use super::args;
use super::inbound_filters::{describe, explain, filters_path, item_schema, subject};
use super::listing;
use super::project_admin::project_arg;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::sentry::Host;

/// Filters asked for at once: Sentry keeps at most 50 a project, so one page holds them all.
const PAGE: i64 = 100;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: args::Required,
    /// The project.
    #[cfg_attr(test, schemars(extend("x-scope" = "project")))]
    pub project_slug: args::Required,
}

tool! {
    pub(super) struct FindCustomInboundFilters {
        name: "find_custom_inbound_filters",
        title: "Find custom inbound filters",
        skills: &[Skill::ProjectManagement],
        annotations: Annotations::READ,
        hidden_when: HiddenWhen::Never,
        args: Args,
        output_schema: output_schema,
    }
}

fn output_schema() -> Value {
    listing::page_schema("filters", item_schema(), Value::Null)
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let project = project_arg(ctx, args.project_slug.as_deref())?;
    let page = ctx
        .list(
            Host::Org(&org),
            &filters_path(&org, &project, None)?,
            &listing::list_query(PAGE, None, None),
        )
        .await
        .map_err(|e| explain(e, subject(&org, &project, None)))?;
    let u = &ctx.untrusted;
    let mut out = format!("# Custom inbound filters of {project} in **{org}**\n\n");
    let mut items = Vec::new();
    for f in &page.items {
        let (line, item) = describe(f, u);
        out.push_str(&line);
        out.push('\n');
        items.push(item);
    }
    if page.items.is_empty() {
        out.push_str("This project has no custom inbound filters (the built-in ones are project settings); create_custom_inbound_filter adds one.\n");
    } else {
        out.push_str("\nConditions are ANDed; the patterns of one condition are ORed.\n");
    }
    if page.next_cursor.is_some() {
        out.push_str(
            "\nMore filters exist than one page holds; Sentry's project settings list them all.\n",
        );
    }
    let structured =
        listing::page("filters", items, page.next_cursor.as_deref(), json!({"project": project}));
    Ok(ToolOutput::markdown(u.finish(out))
        .with_structured(structured, &["/filters/*/name", "/filters/*/conditions"]))
}
