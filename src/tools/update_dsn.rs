//! `update_dsn`: rename a client key, switch it on or off, or change its rate limit.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::args::{self, require};
use super::project_admin::{describe_key, project_arg};
use super::shared::path;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{cell, plain};
use crate::sentry::ids;

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
    /// The key's id (from find_dsns).
    pub key_id: args::Required,
    /// New name.
    #[serde(default, deserialize_with = "args::string")]
    #[cfg_attr(test, schemars(length(max = 64)))]
    pub name: Option<String>,
    /// false stops accepting events sent with this DSN.
    #[serde(default, deserialize_with = "args::flag")]
    pub is_active: Option<bool>,
    /// Events accepted per rateLimitWindow; 0 removes the limit.
    #[serde(default, deserialize_with = "args::int::<_, 0, 100000000>")]
    pub rate_limit_count: Option<i64>,
    /// The rate limit's window in seconds, e.g. 60 or 3600.
    #[serde(default, deserialize_with = "args::int::<_, 1, 86400>")]
    pub rate_limit_window: Option<i64>,
}

tool! {
    pub(super) struct UpdateDsn {
        name: "update_dsn",
        title: "Update a DSN",
        skills: &[Skill::ProjectManagement],
        annotations: Annotations {
            read_only: false,
            destructive: true,
            idempotent: true,
            open_world: true,
        },
        hidden_when: HiddenWhen::Never,
        args: Args,
        scopes: &["project:write"],
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let project = project_arg(ctx, args.project_slug.as_deref())?;
    let key_id = require!(args.key_id, "Call find_dsns to list the keys and their ids.")?;
    let key_id = ids::slug("key", &key_id)?;
    let mut body = Map::new();
    if let Some(name) = args.name {
        if name.chars().count() > 64 {
            return Err(ToolError::invalid("'name' is limited to 64 characters"));
        }
        body.insert("name".into(), json!(name));
    }
    if let Some(active) = args.is_active {
        body.insert("isActive".into(), json!(active));
    }
    match (args.rate_limit_count, args.rate_limit_window) {
        (Some(0), _) => {
            body.insert("rateLimit".into(), Value::Null);
        }
        (Some(count), Some(window)) => {
            body.insert("rateLimit".into(), json!({"count": count, "window": window}));
        }
        (None, None) => {}
        _ => {
            return Err(ToolError::invalid(
                "pass rateLimitCount and rateLimitWindow together (or rateLimitCount=0 to remove the limit)",
            ))
        }
    }
    if body.is_empty() {
        return Err(ToolError::invalid(
            "pass at least one of 'name', 'isActive' or 'rateLimitCount' with 'rateLimitWindow'",
        ));
    }
    let key_path = path(&["projects", &org, &project, "keys", &key_id])?;
    let (before, after) = ctx
        .update(
            &org,
            &key_path,
            &body,
            &format!("key '{key_id}' of project '{project}' in organization '{org}'"),
        )
        .await?;
    let shown = |v: Option<&Value>| match v {
        None | Some(Value::Null) => "none".to_string(),
        Some(Value::Object(o)) if o.contains_key("count") => format!(
            "{} per {} s",
            o.get("count").map(plain).unwrap_or_default(),
            o.get("window").map(plain).unwrap_or_default()
        ),
        Some(v) => cell(&plain(v), 80),
    };
    let mut out = format!("# Updated DSN of {project} in **{org}**\n\n## Changes made\n");
    for field in body.keys() {
        out.push_str(&format!(
            "- **{field}**: {} → **{}**\n",
            shown(before.get(field)),
            shown(after.get(field))
        ));
    }
    let (line, _) = describe_key(&after);
    out.push_str(&format!("\n{line}\n"));
    if args.is_active == Some(false) {
        out.push_str(
            "\nEvents sent with this DSN are now dropped; isActive=true turns it back on.\n",
        );
    }
    Ok(ToolOutput::markdown(out))
}
