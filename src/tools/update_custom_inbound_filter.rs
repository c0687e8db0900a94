//! `update_custom_inbound_filter`: rename, pause, resume or change what a custom inbound filter
//! drops (`PUT /projects/{org}/{project}/custom-inbound-filters/{id}/`, partial); shows the filter
//! before and after.

use serde::Deserialize;
use serde_json::{json, Map};

use super::args;
use super::inbound_filters::{
    check_conditions, conditions_json, describe, explain, fetch, filter_id, filters_path, stored,
    subject, Condition, DataType,
};
use super::project_admin::project_arg;
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
    /// From find_custom_inbound_filters.
    pub filter_id: args::Required,
    /// New name.
    #[serde(default, deserialize_with = "args::string")]
    #[cfg_attr(test, schemars(length(max = 256)))]
    pub name: Option<String>,
    /// false pauses it, true resumes it.
    #[serde(default, deserialize_with = "args::flag")]
    pub active: Option<bool>,
    /// New data type.
    #[serde(default, deserialize_with = "args::choice")]
    pub data_type: Option<DataType>,
    /// Replaces the list; as in create_custom_inbound_filter.
    #[serde(default, deserialize_with = "super::inbound_filters::conditions")]
    #[cfg_attr(test, schemars(schema_with = "super::inbound_filters::conditions_list_schema"))]
    pub conditions: Option<Vec<Condition>>,
}

tool! {
    pub(super) struct UpdateCustomInboundFilter {
        name: "update_custom_inbound_filter",
        title: "Update a custom inbound filter",
        skills: &[Skill::ProjectManagement],
        annotations: Annotations {
            read_only: false,
            destructive: true,
            idempotent: true,
            open_world: true,
        },
        hidden_when: HiddenWhen::Never,
        args: Args,
        scopes: &["project:write", "project:admin"],
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let project = project_arg(ctx, args.project_slug.as_deref())?;
    let id = filter_id(args.filter_id.as_deref())?;
    let mut body = Map::new();
    if let Some(name) = &args.name {
        if name.chars().count() > 256 {
            return Err(ToolError::invalid("'name' is limited to 256 characters"));
        }
        body.insert("name".into(), json!(name));
    }
    if let Some(active) = args.active {
        body.insert("active".into(), json!(active));
    }
    if let Some(t) = args.data_type {
        body.insert("dataType".into(), json!(t.as_str()));
    }
    if let Some(c) = &args.conditions {
        body.insert("conditions".into(), conditions_json(c));
    }
    if body.is_empty() {
        return Err(ToolError::invalid(
            "pass at least one of 'name', 'active', 'dataType' or 'conditions'",
        ));
    }
    let before = fetch(ctx, &org, &project, &id).await?;
    // A change of one side is checked against the stored other side, as Sentry does.
    let (stored_type, stored_conditions) = stored(&before);
    let conditions = args.conditions.or(stored_conditions);
    if let (Some(t), Some(c)) = (args.data_type.or(stored_type), &conditions) {
        check_conditions(t, c)?;
    }
    let after = ctx
        .sentry
        .send(
            "PUT",
            Host::Org(&org),
            &filters_path(&org, &project, Some(&id))?,
            &[],
            Some(&serde_json::Value::Object(body)),
        )
        .await
        .map_err(|e| explain(e, subject(&org, &project, Some(&id))))?
        .body;
    let u = &ctx.untrusted;
    let (was, _) = describe(&before, u);
    let (now, item) = describe(&after, u);
    let mut out = format!(
        "# Updated custom inbound filter {id} of {project} in **{org}**\n\n**Before**:\n{was}\n\n**After**:\n{now}\n"
    );
    match args.active {
        Some(false) => out.push_str("\nPaused: it drops nothing until active=true.\n"),
        Some(true) => out.push_str("\nActive: matching data is dropped at ingest again.\n"),
        None => {}
    }
    Ok(ToolOutput::markdown(u.finish(out))
        .with_structured(json!({"filter": item}), &["/filter/name", "/filter/conditions"]))
}
