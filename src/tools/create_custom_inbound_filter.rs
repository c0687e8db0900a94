//! `create_custom_inbound_filter`: add a rule that drops matching errors, logs, metrics or spans
//! at ingest (`POST /projects/{org}/{project}/custom-inbound-filters/`).

use serde::Deserialize;
use serde_json::{json, Map};

use super::args::{self, require};
use super::inbound_filters::{
    check_conditions, conditions_json, describe, explain, filters_path, subject, Condition,
    DataType,
};
use super::project_admin::project_arg;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::sentry::Host;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(transform = super::inbound_filters::require_type_and_conditions))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: args::Required,
    /// The project.
    #[cfg_attr(test, schemars(extend("x-scope" = "project")))]
    pub project_slug: args::Required,
    /// What it drops and why.
    #[cfg_attr(test, schemars(length(max = 256)))]
    pub name: args::Required,
    /// The data it drops.
    #[serde(default, deserialize_with = "args::choice")]
    pub data_type: Option<DataType>,
    #[serde(default, deserialize_with = "super::inbound_filters::conditions")]
    #[cfg_attr(
        test,
        schemars(required, schema_with = "super::inbound_filters::conditions_schema")
    )]
    pub conditions: Option<Vec<Condition>>,
    /// false: created paused.
    #[serde(default, deserialize_with = "args::flag")]
    pub active: Option<bool>,
}

tool! {
    pub(super) struct CreateCustomInboundFilter {
        name: "create_custom_inbound_filter",
        title: "Create a custom inbound filter",
        skills: &[Skill::ProjectManagement],
        annotations: Annotations {
            read_only: false,
            destructive: false,
            idempotent: false,
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
    let name =
        require!(args.name, "Say what the filter drops, e.g. 'Ignore flaky connection errors'.")?;
    if name.chars().count() > 256 {
        return Err(ToolError::invalid("'name' is limited to 256 characters"));
    }
    let data_type = args.data_type.ok_or_else(|| {
        ToolError::invalid("'dataType' is required: one of all, error, log, metric, span")
    })?;
    let conditions = args.conditions.ok_or_else(|| {
        ToolError::invalid("'conditions' is required, e.g. [{\"type\": \"error_type\", \"value\": [\"TimeoutError\"]}]")
    })?;
    check_conditions(data_type, &conditions)?;
    let active = args.active.unwrap_or(true);
    let mut body = Map::new();
    body.insert("name".into(), json!(name));
    body.insert("active".into(), json!(active));
    body.insert("dataType".into(), json!(data_type.as_str()));
    body.insert("conditions".into(), conditions_json(&conditions));
    let created = ctx
        .sentry
        .send(
            "POST",
            Host::Org(&org),
            &filters_path(&org, &project, None)?,
            &[],
            Some(&serde_json::Value::Object(body)),
        )
        .await
        .map_err(|e| explain(e, subject(&org, &project, None)))?
        .body;
    let u = &ctx.untrusted;
    let (line, item) = describe(&created, u);
    let mut out =
        format!("# Created a custom inbound filter in {project} (**{org}**)\n\n{line}\n\n");
    out.push_str(if active {
        "Matching data is now dropped at ingest, before it is stored or counts against quota. To pause: update_custom_inbound_filter(active=false).\n"
    } else {
        "It is paused: nothing is dropped until update_custom_inbound_filter(active=true).\n"
    });
    Ok(ToolOutput::markdown(u.finish(out))
        .with_structured(json!({"filter": item}), &["/filter/name", "/filter/conditions"]))
}
