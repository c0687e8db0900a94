//! What the project-management tools share: the project argument and how a client key (DSN) is shown.

use serde_json::{json, Value};

use super::{ToolContext, ToolError};
use crate::render::str_at;

/// The project a management tool acts on (URL constraint first, then `projectSlug`).
pub(super) fn project_arg(
    ctx: &ToolContext<'_>,
    project_slug: Option<&str>,
) -> Result<String, ToolError> {
    ctx.project(project_slug)?.ok_or_else(|| {
        ToolError::invalid("'projectSlug' is required. Call find_projects to list projects.")
    })
}

/// A client key as Markdown and as structured data. Only the public DSN is shown: the secret form
/// carries the key's secret.
pub(super) fn describe_key(key: &Value) -> (String, Value) {
    let dsn = str_at(key, "/dsn/public").unwrap_or("");
    let name = str_at(key, "/name").unwrap_or("");
    let active = key.get("isActive").and_then(Value::as_bool).unwrap_or(true);
    let line = format!(
        "- **{name}** (key {}): `{dsn}`{}",
        str_at(key, "/id").unwrap_or("?"),
        if active { "" } else { " · inactive" }
    );
    (line, json!({"id": str_at(key, "/id"), "name": name, "dsn": dsn, "isActive": active}))
}
