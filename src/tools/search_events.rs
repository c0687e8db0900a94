//! `search_events`: rows or aggregates from the errors, spans and logs datasets (Sentry Explore).

use async_trait::async_trait;
use serde_json::{json, Value};

use super::listing;
use super::shared::{cursor_param, org_param, path};
use super::{
    Annotations, Args, HiddenWhen, Skill, Tool, ToolContext, ToolError, ToolOutput, ToolSpec,
};
use crate::render::{cell, plain};
use crate::sentry::Host;

pub struct SearchEvents;

static SPEC: ToolSpec = ToolSpec {
    name: "search_events",
    title: "Search events, spans and logs",
    description_file: include_str!("../../tool-descriptions/search_events.md"),
    skills: &[Skill::Inspect, Skill::Triage, Skill::Seer],
    annotations: Annotations::READ,
    hidden_when: HiddenWhen::Never,
};

const DATASETS: [&str; 3] = ["errors", "spans", "logs"];

fn default_fields(dataset: &str) -> Vec<String> {
    let fields: &[&str] = match dataset {
        "spans" => &[
            "span.op",
            "span.description",
            "span.duration",
            "transaction",
            "trace",
            "project",
            "timestamp",
        ],
        "logs" => &["timestamp", "severity", "message", "trace", "project"],
        _ => &["issue", "title", "project", "level", "timestamp"],
    };
    fields.iter().map(|s| s.to_string()).collect()
}

#[async_trait(?Send)]
impl Tool for SearchEvents {
    fn spec(&self) -> &'static ToolSpec {
        &SPEC
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "organizationSlug": org_param(),
                "dataset": {"type": "string", "enum": DATASETS, "description": "errors (default), spans (performance/tracing) or logs."},
                "query": {"type": "string", "description": "Sentry search, e.g. 'level:error', 'span.op:db span.duration:>500', 'severity:error'."},
                "fields": {"type": "array", "items": {"type": "string"}, "maxItems": 20, "description": "Columns, or aggregates such as count(), p95(span.duration), count_unique(user) with group-by fields."},
                "sort": {"type": "string", "description": "One of the fields; prefix '-' for descending (e.g. '-count()')."},
                "projectSlug": {"type": "string", "description": "Limit to one project (slug or numeric id)."},
                "environment": {"type": "string", "description": "Limit to one environment, e.g. production."},
                "period": {"type": "string", "description": "Time window such as 1h, 24h, 14d (default)."},
                "limit": {"type": "integer", "minimum": 1, "maximum": 100, "description": "Rows per page (default 10)."},
                "cursor": cursor_param(),
            },
            "required": ["organizationSlug"],
            "additionalProperties": false
        })
    }

    fn output_schema(&self) -> Option<Value> {
        Some(listing::page_schema(
            "rows",
            json!({}),
            json!({"organization": {"type": "string"}, "dataset": {"type": "string"}, "fields": {"type": "array", "items": {"type": "string"}}, "query": {"type": "string"}}),
        ))
    }

    async fn call(&self, ctx: &ToolContext<'_>, args: &Args) -> Result<ToolOutput, ToolError> {
        let org = ctx.org(args)?;
        let dataset = args.opt_choice("dataset", &DATASETS)?.unwrap_or("errors");
        let fields = args.opt_str_list("fields", 20)?.unwrap_or_else(|| default_fields(dataset));
        let aggregate = fields.iter().any(|f| f.contains('('));
        let sort = match args.opt_str("sort")? {
            Some(s) => {
                let bare = s.trim_start_matches('-');
                if !fields.iter().any(|f| f == bare) {
                    return Err(ToolError::invalid(format!("'sort' must name one of the requested fields ({}), optionally with '-' for descending", fields.join(", "))));
                }
                Some(s)
            }
            None if aggregate => fields.iter().find(|f| f.contains('(')).map(|f| format!("-{f}")),
            None => fields.iter().any(|f| f == "timestamp").then(|| "-timestamp".to_string()),
        };
        let period = args.opt_period("period")?.unwrap_or_else(|| "14d".into());
        let limit = args.opt_int("limit", 1, 100)?.unwrap_or(10);
        let mut search = args.opt_str("query")?.unwrap_or_default();
        let mut query: Vec<(&str, String)> = vec![("dataset", dataset.to_string())];
        query.extend(fields.iter().map(|f| ("field", f.clone())));
        if let Some(project) = ctx.project(args, "projectSlug")? {
            if project.chars().all(|c| c.is_ascii_digit()) {
                query.push(("project", project));
            } else {
                search = format!("project:{project} {search}").trim().to_string();
            }
        }
        if !search.is_empty() {
            query.push(("query", search.clone()));
        }
        if let Some(s) = &sort {
            query.push(("sort", s.clone()));
        }
        if let Some(env) = args.opt_str("environment")? {
            query.push(("environment", env));
        }
        query.push(("statsPeriod", period.clone()));
        query.push(("per_page", limit.to_string()));
        query.push(("referrer", "api.mcp.search-events".into()));
        if let Some(c) = args.opt_cursor()? {
            query.push(("cursor", c));
        }
        let resp = ctx
            .sentry
            .get(Host::Org(&org), &path(&["organizations", &org, "events"])?, &query)
            .await
            .map_err(|e| e.about(format!("organization '{org}'")))?;
        let rows = resp.body.get("data").and_then(Value::as_array).cloned().unwrap_or_default();
        let units = resp.body.pointer("/meta/units").cloned().unwrap_or(Value::Null);

        let mut out = format!(
            "# {} in **{org}**\n\n**Dataset**: {dataset} · **Query**: `{}` · **Sort**: {} · **Period**: {period}\n",
            if aggregate { "Aggregates" } else { "Events" },
            search.replace('`', "'"),
            sort.as_deref().unwrap_or("none")
        );
        if rows.is_empty() {
            out.push_str("\nNo rows match. Widen the period, loosen the query, or check field names for this dataset.\n");
        } else {
            let header: Vec<String> = fields
                .iter()
                .map(|f| match units.get(f).and_then(Value::as_str) {
                    Some("millisecond") => format!("{f} (ms)"),
                    Some(u) if !u.is_empty() => format!("{f} ({u})"),
                    _ => f.clone(),
                })
                .collect();
            let mut table =
                format!("| {} |\n|{}\n", header.join(" | "), "---|".repeat(fields.len()));
            for row in &rows {
                let cells: Vec<String> = fields
                    .iter()
                    .map(|f| row.get(f).map(|v| cell(&plain(v), 200)).unwrap_or_default())
                    .collect();
                table.push_str(&format!("| {} |\n", cells.join(" | ")));
            }
            out.push('\n');
            out.push_str(&ctx.untrusted.block(&table));
        }
        out.push_str(&listing::footer(resp.next_cursor.as_deref(), rows.len(), "rows"));
        let extra =
            json!({"organization": org, "dataset": dataset, "fields": fields, "query": search});
        let structured = listing::page("rows", rows, resp.next_cursor.as_deref(), extra);
        Ok(ToolOutput::markdown(ctx.untrusted.finish(out))
            .with_structured(structured, &["/rows/*"]))
    }
}
