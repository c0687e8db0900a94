//! `get_issue_tag_values`: how an issue's events are distributed over one tag's values.

use serde::Deserialize;
use serde_json::{json, Value};

use super::args::{self, require};
use super::listing::{self, opt_string};
use super::shared::{issue_args, path};
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{cell, num_at, plain, str_at};
use crate::sentry::Host;

issue_args! {
    #[derive(Deserialize)]
    #[cfg_attr(test, derive(schemars::JsonSchema))]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Args {
        /// Tag to break down, e.g. browser, release, environment, url, os, user.
        pub tag_key: args::Required,
        /// Values per page, most frequent first (default 10).
        #[serde(default, deserialize_with = "args::int::<_, 1, 100>")]
        #[cfg_attr(test, schemars(range(min = 1, max = 100)))]
        pub limit: Option<i64>,
        #[cfg_attr(test, schemars(description = crate::tools::args::CURSOR))]
        #[serde(default, deserialize_with = "args::cursor")]
        pub cursor: Option<String>,
    }
}

tool! {
    pub(super) struct GetIssueTagValues {
        name: "get_issue_tag_values",
        title: "Get an issue's tag values",
        skills: &[Skill::Inspect, Skill::Triage],
        annotations: Annotations::READ,
        hidden_when: HiddenWhen::Never,
        args: Args,
        output_schema: output_schema,
    }
}

fn output_schema() -> Value {
    let n = json!({"type": ["integer", "null"]});
    listing::page_schema(
        "values",
        json!({"value": opt_string(), "count": n, "firstSeen": opt_string(), "lastSeen": opt_string()}),
        json!({"tagKey": {"type": "string"}, "totalValues": n, "uniqueValues": n}),
    )
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let issue_ref = ctx.issue_ref(&args)?;
    let key = require!(args.tag_key, "Name a tag such as browser, release or environment.")?;
    if key.len() > 64
        || !key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'))
    {
        return Err(ToolError::invalid(format!(
            "'{}' is not a tag key (letters, digits, '.', '_', '-', ':')",
            cell(&key, 64)
        )));
    }
    let issue = ctx.fetch_resolved(issue_ref).await?;
    let (org, issue_id, numeric) = (&issue.org, &issue.issue_id, &issue.numeric_id);
    let about =
        |e: crate::sentry::SentryError| e.about(format!("tag '{key}' on issue '{issue_id}'"));
    let details = ctx
        .sentry
        .get(Host::Org(org), &path(&["organizations", org, "issues", numeric, "tags", &key])?, &[])
        .await
        .map_err(about)?
        .body;
    let limit = args.limit.unwrap_or(10);
    let mut query = vec![("sort", "-count".to_string()), ("per_page", limit.to_string())];
    if let Some(c) = &args.cursor {
        query.push(("cursor", c.clone()));
    }
    let page = ctx
        .list(
            Host::Org(org),
            &path(&["organizations", org, "issues", numeric, "tags", &key, "values"])?,
            &query,
        )
        .await
        .map_err(about)?;
    let values = &page.items;
    let total = num_at(&details, "/totalValues");
    let short = &issue.short_id;
    let mut out = format!("# Tag `{key}` of {short} in **{org}**\n\n");
    out.push_str(&format!(
        "**Events with this tag**: {} · **Distinct values**: {}\n\n",
        total.map_or("?".into(), |t| t.to_string()),
        num_at(&details, "/uniqueValues").map_or("?".into(), |t| t.to_string())
    ));
    let mut table = String::from("| value | events | share | last seen |\n|---|---|---|---|\n");
    let mut items = Vec::new();
    for v in values {
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
    out.push_str(&listing::footer(page.next_cursor.as_deref(), values.len(), "values"));
    let extra = json!({"tagKey": key, "totalValues": total, "uniqueValues": num_at(&details, "/uniqueValues")});
    let structured = listing::page("values", items, page.next_cursor.as_deref(), extra);
    Ok(ToolOutput::markdown(ctx.untrusted.finish(out))
        .with_structured(structured, &["/values/*/value"]))
}
