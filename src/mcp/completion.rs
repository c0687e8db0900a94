//! `completion/complete`: argument suggestions for the prompts and resource templates.
//!
//! Organizations, projects and recent issues come from the same tools a model would call
//! (`find_organizations`, `find_projects`, `search_issues`), so suggestions follow the
//! connection's skills and URL constraints: a constrained organization or project is the only
//! suggestion, and nothing outside it is ever offered. Suggested values are Sentry's own
//! identifiers (slugs, short ids), never application-written text.

use serde_json::{json, Map, Value};

use super::jsonrpc::RpcError;
use super::prompts::{self, Role};
use super::resources;
use super::server::{run_tool, McpContext};
use crate::render::str_at;
use crate::sentry::ids;
use crate::tools;

/// The most values one answer holds (the spec's limit).
const MAX_VALUES: usize = 100;
/// Recent issues looked at for an issue argument.
const RECENT_ISSUES: u32 = 25;

/// The role of a resource template's variable.
fn template_role(variable: &str) -> Option<Role> {
    match variable {
        "organizationSlug" => Some(Role::Organization),
        "issueId" => Some(Role::Issue),
        "traceId" => Some(Role::Trace),
        _ => None,
    }
}

/// What is being completed: the argument's role, or none for an argument without suggestions.
fn role_of(
    ctx: &McpContext<'_>,
    params: &Map<String, Value>,
    name: &str,
) -> Result<Option<Role>, RpcError> {
    let reference = params.get("ref").and_then(Value::as_object).ok_or_else(|| {
        RpcError::invalid_params("Invalid params: completion/complete needs a 'ref' object")
    })?;
    match reference.get("type").and_then(Value::as_str) {
        Some("ref/prompt") => {
            let prompt_name = reference.get("name").and_then(Value::as_str).unwrap_or("");
            let prompt = prompts::find(prompt_name, ctx.session).ok_or_else(|| {
                RpcError::invalid_params(format!(
                    "Unknown prompt: '{}'",
                    crate::render::truncate(prompt_name, 64)
                ))
            })?;
            let arg = prompt.session_arguments(ctx.session).find(|a| a.name == name).ok_or_else(
                || {
                    RpcError::invalid_params(format!(
                        "Prompt '{}' has no argument '{}'",
                        prompt.name,
                        crate::render::truncate(name, 64)
                    ))
                },
            )?;
            Ok(Some(arg.role))
        }
        Some("ref/resource") => {
            let uri = reference.get("uri").and_then(Value::as_str).unwrap_or("");
            let template = resources::find_template(uri, ctx.session).ok_or_else(|| {
                RpcError::invalid_params(format!(
                    "Unknown resource template: '{}'",
                    crate::render::truncate(uri, 120)
                ))
            })?;
            if !template.uri_template.contains(&format!("{{{name}}}")) {
                return Err(RpcError::invalid_params(format!(
                    "Resource template '{}' has no variable '{}'",
                    template.uri_template,
                    crate::render::truncate(name, 64)
                )));
            }
            Ok(template_role(name))
        }
        _ => Err(RpcError::invalid_params(
            "Invalid params: 'ref.type' must be 'ref/prompt' or 'ref/resource'",
        )),
    }
}

/// `completion/complete`.
pub(crate) async fn complete(
    ctx: &McpContext<'_>,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    let argument = params.get("argument").and_then(Value::as_object);
    let (Some(name), Some(typed)) = (
        argument.and_then(|a| a.get("name")).and_then(Value::as_str),
        argument.and_then(|a| a.get("value")).and_then(Value::as_str),
    ) else {
        return Err(RpcError::invalid_params(
            "Invalid params: 'argument' must be an object with string 'name' and 'value'",
        ));
    };
    let known = params
        .get("context")
        .and_then(|c| c.get("arguments"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let candidates = match role_of(ctx, params, name)? {
        Some(Role::Organization) => organizations(ctx).await?,
        Some(Role::Project) => projects(ctx, &known).await?,
        Some(Role::Issue) if !typed.contains("://") => recent_issues(ctx, &known).await?,
        _ => Vec::new(),
    };
    let needle = typed.trim().to_ascii_lowercase();
    let matching: Vec<String> =
        candidates.into_iter().filter(|c| c.to_ascii_lowercase().contains(&needle)).collect();
    let total = matching.len();
    let values: Vec<String> = matching.into_iter().take(MAX_VALUES).collect();
    Ok(json!({"completion": {"values": values, "total": total, "hasMore": total > MAX_VALUES}}))
}

/// The organization a completion works in: the constraint, else the one already chosen.
fn chosen_org(ctx: &McpContext<'_>, known: &Map<String, Value>) -> Option<String> {
    if let Some(org) = &ctx.session.constraints.organization {
        return Some(org.clone());
    }
    let given = known.get("organizationSlug").and_then(Value::as_str)?;
    ids::slug("organization", given).ok()
}

/// Run a listing tool the session may call and read one field of its structured items.
async fn listed(
    ctx: &McpContext<'_>,
    tool: &str,
    args: Value,
    items: &str,
    field: &str,
) -> Result<Vec<String>, RpcError> {
    let Ok(tool) = tools::lookup(tool, ctx.session) else { return Ok(Vec::new()) };
    let (outcome, _) =
        run_tool(ctx, tool, args.as_object().cloned().unwrap_or_default(), None).await;
    let output = outcome.map_err(|e| RpcError::internal_error(e.to_string()))?;
    let structured = output.structured.unwrap_or(Value::Null);
    Ok(structured[items]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|item| str_at(item, field).map(str::to_string))
        .collect())
}

async fn organizations(ctx: &McpContext<'_>) -> Result<Vec<String>, RpcError> {
    match &ctx.session.constraints.organization {
        Some(org) => Ok(vec![org.clone()]),
        None => listed(ctx, "find_organizations", json!({}), "organizations", "/slug").await,
    }
}

async fn projects(
    ctx: &McpContext<'_>,
    known: &Map<String, Value>,
) -> Result<Vec<String>, RpcError> {
    if let Some(project) = &ctx.session.constraints.project {
        return Ok(vec![project.clone()]);
    }
    let Some(org) = chosen_org(ctx, known) else { return Ok(Vec::new()) };
    listed(ctx, "find_projects", json!({"organizationSlug": org}), "projects", "/slug").await
}

/// Short ids of the organization's most recently seen unresolved issues.
async fn recent_issues(
    ctx: &McpContext<'_>,
    known: &Map<String, Value>,
) -> Result<Vec<String>, RpcError> {
    let Some(org) = chosen_org(ctx, known) else { return Ok(Vec::new()) };
    let args = json!({"organizationSlug": org, "query": "is:unresolved", "sort": "date", "limit": RECENT_ISSUES});
    listed(ctx, "search_issues", args, "issues", "/shortId").await
}
