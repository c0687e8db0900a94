//! `find_dsns`: a project's client keys (DSNs), for configuring an SDK.

use serde::Deserialize;
use serde_json::{json, Value};

use super::args;
use super::listing::{self, opt_string};
use super::project_admin::{describe_key, project_arg};
use super::shared::path;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::sentry::Host;

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
    pub(super) struct FindDsns {
        name: "find_dsns",
        title: "Find DSNs",
        skills: &[Skill::ProjectManagement],
        annotations: Annotations::READ,
        hidden_when: HiddenWhen::Never,
        args: Args,
        output_schema: output_schema,
    }
}

fn output_schema() -> Value {
    listing::page_schema(
        "dsns",
        json!({"id": opt_string(), "name": {"type": "string"}, "dsn": {"type": "string"}, "isActive": {"type": "boolean"}}),
        json!({"project": {"type": "string"}}),
    )
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let project = project_arg(ctx, args.project_slug.as_deref())?;
    let page = ctx
        .list(Host::Org(&org), &path(&["projects", &org, &project, "keys"])?, &[])
        .await
        .map_err(|e| e.about(format!("project '{project}' in organization '{org}'")))?;
    let keys = &page.items;
    let mut out = format!("# DSNs of {project} in **{org}**\n\n");
    let mut items = Vec::new();
    for k in keys {
        let (line, item) = describe_key(k);
        out.push_str(&line);
        out.push('\n');
        items.push(item);
    }
    if keys.is_empty() {
        out.push_str("This project has no client keys; create one with create_dsn.\n");
    }
    out.push_str(&listing::footer(page.next_cursor.as_deref(), keys.len(), "keys"));
    let structured =
        listing::page("dsns", items, page.next_cursor.as_deref(), json!({"project": project}));
    Ok(ToolOutput::markdown(out).with_structured(structured, &[]))
}
