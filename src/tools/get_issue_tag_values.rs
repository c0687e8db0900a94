//! `get_issue_tag_values`: how an issue's events are distributed over one tag's values.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::listing::{self, opt_string};
use super::shared::{cursor_param, issue_params, path};
use super::{
    Annotations, Args, HiddenWhen, Skill, Tool, ToolContext, ToolError, ToolOutput, ToolSpec,
};
use crate::render::{cell, num_at, plain, str_at};
use crate::sentry::Host;

pub struct GetIssueTagValues;

static SPEC: ToolSpec = ToolSpec {
    name: "get_issue_tag_values",
    title: "Get an issue's tag values",
    description_file: include_str!("../../tool-descriptions/get_issue_tag_values.md"),
    skills: &[Skill::Inspect, Skill::Triage],
    annotations: Annotations::READ,
    hidden_when: HiddenWhen::Never,
};

#[async_trait(?Send)]
impl Tool for GetIssueTagValues {
    fn spec(&self) -> &'static ToolSpec {
        &SPEC
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": issue_params(json!({
                "tagKey": {"type": "string", "description": "Tag to break down, e.g. browser, release, environment, url, os, user."},
                "limit": {"type": "integer", "minimum": 1, "maximum": 100, "description": "Values per page, most frequent first (default 10)."},
                "cursor": cursor_param(),
            })),
            "required": ["tagKey"],
            "additionalProperties": false
        })
    }

    fn output_schema(&self) -> Option<Value> {
        let n = json!({"type": ["integer", "null"]});
        Some(listing::page_schema(
            "values",
            json!({"value": opt_string(), "count": n, "firstSeen": opt_string(), "lastSeen": opt_string()}),
            json!({"tagKey": {"type": "string"}, "totalValues": n, "uniqueValues": n}),
        ))
    }

    async fn call(&self, ctx: &ToolContext<'_>, args: &Args) -> Result<ToolOutput, ToolError> {
        let (org, issue_id, _) = ctx.issue_ref(args)?;
        let key = args.req_str("tagKey", "Name a tag such as browser, release or environment.")?;
        if key.len() > 64
            || !key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'))
        {
            return Err(ToolError::invalid(format!(
                "'{}' is not a tag key (letters, digits, '.', '_', '-', ':')",
                cell(&key, 64)
            )));
        }
        let issue = ctx.fetch_issue(&org, &issue_id).await?;
        let numeric = issue.get("id").map(plain).unwrap_or_else(|| issue_id.clone());
        let about =
            |e: crate::sentry::SentryError| e.about(format!("tag '{key}' on issue '{issue_id}'"));
        let details = ctx
            .sentry
            .get(
                Host::Org(&org),
                &path(&["organizations", &org, "issues", &numeric, "tags", &key])?,
                &[],
            )
            .await
            .map_err(about)?
            .body;
        let limit = args.opt_int("limit", 1, 100)?.unwrap_or(10);
        let mut query = vec![("sort", "-count".to_string()), ("per_page", limit.to_string())];
        if let Some(c) = args.opt_cursor()? {
            query.push(("cursor", c));
        }
        let resp = ctx
            .sentry
            .get(
                Host::Org(&org),
                &path(&["organizations", &org, "issues", &numeric, "tags", &key, "values"])?,
                &query,
            )
            .await
            .map_err(about)?;
        let values = resp.body.as_array().cloned().unwrap_or_default();
        let total = num_at(&details, "/totalValues");
        let short = str_at(&issue, "/shortId").unwrap_or(&issue_id);
        let mut out = format!("# Tag `{key}` of {short} in **{org}**\n\n");
        out.push_str(&format!(
            "**Events with this tag**: {} · **Distinct values**: {}\n\n",
            total.map_or("?".into(), |t| t.to_string()),
            num_at(&details, "/uniqueValues").map_or("?".into(), |t| t.to_string())
        ));
        let mut table = String::from("| value | events | share | last seen |\n|---|---|---|---|\n");
        let mut items = Vec::new();
        for v in &values {
            let count = num_at(v, "/count");
            let share = match (count, total) {
                (Some(c), Some(t)) if t > 0 => format!("{:.1}%", c as f64 * 100.0 / t as f64),
                _ => String::new(),
            };
            let value = v.get("value").map(plain).unwrap_or_default();
            table.push_str(&format!(
                "| {} | {} | {share} | {} |\n",
                cell(&value, 160),
                count.map_or(String::new(), |c| c.to_string()),
                str_at(v, "/lastSeen").unwrap_or("")
            ));
            items.push(json!({"value": v.get("value").cloned().unwrap_or(Value::Null), "count": count, "firstSeen": str_at(v, "/firstSeen"), "lastSeen": str_at(v, "/lastSeen")}));
        }
        if values.is_empty() {
            out.push_str("No values recorded for this tag.\n");
        } else {
            out.push_str(&ctx.untrusted.block(&table));
        }
        out.push_str(&listing::footer(resp.next_cursor.as_deref(), values.len(), "values"));
        let extra = json!({"tagKey": key, "totalValues": total, "uniqueValues": num_at(&details, "/uniqueValues")});
        let structured = listing::page("values", items, resp.next_cursor.as_deref(), extra);
        Ok(ToolOutput::markdown(ctx.untrusted.finish(out))
            .with_structured(structured, &["/values/*/value"]))
    }
}
