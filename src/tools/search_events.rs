//! `search_events`: rows or aggregates from the errors, spans and logs datasets (Sentry Explore).

use serde::Deserialize;
use serde_json::{json, Value};

use super::args::{self, choices};
use super::listing;
use super::shared::path;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{cell, plain};
use crate::sentry::Host;

choices! {
    pub(super) enum Dataset { Errors = "errors", Spans = "spans", Logs = "logs" }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    /// Organization slug, e.g. 'acme'. Call find_organizations if unsure.
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: args::Required,
    /// errors (default), spans (performance/tracing) or logs.
    #[serde(default, deserialize_with = "args::choice")]
    pub dataset: Option<Dataset>,
    /// Sentry search, e.g. 'level:error', 'span.op:db span.duration:>500', 'severity:error'.
    #[serde(default, deserialize_with = "args::string")]
    pub query: Option<String>,
    /// Columns, or aggregates such as count(), p95(span.duration), count_unique(user) with group-by fields.
    #[serde(default, deserialize_with = "args::strings::<_, 20>")]
    #[cfg_attr(test, schemars(length(max = 20)))]
    pub fields: Option<Vec<String>>,
    /// One of the fields; prefix '-' for descending (e.g. '-count()').
    #[serde(default, deserialize_with = "args::string")]
    pub sort: Option<String>,
    /// Limit to one project (slug or numeric id).
    #[serde(default, deserialize_with = "args::string")]
    #[cfg_attr(test, schemars(extend("x-scope" = "project")))]
    pub project_slug: Option<String>,
    /// Limit to one environment, e.g. production.
    #[serde(default, deserialize_with = "args::string")]
    pub environment: Option<String>,
    /// Time window such as 1h, 24h, 14d (default).
    #[serde(default, deserialize_with = "args::period")]
    pub period: Option<String>,
    /// Rows per page (default 10).
    #[serde(default, deserialize_with = "args::int::<_, 1, 100>")]
    #[cfg_attr(test, schemars(range(min = 1, max = 100)))]
    pub limit: Option<i64>,
    /// Cursor from a previous result's 'Next page' line, to fetch the next page.
    #[serde(default, deserialize_with = "args::cursor")]
    pub cursor: Option<String>,
}

tool! {
    pub(super) struct SearchEvents {
        name: "search_events",
        title: "Search events, spans and logs",
        skills: &[Skill::Inspect, Skill::Triage, Skill::Seer],
        annotations: Annotations::READ,
        hidden_when: HiddenWhen::Never,
        args: Args,
        output_schema: output_schema,
    }
}

fn output_schema() -> Value {
    listing::page_schema(
        "rows",
        json!({}),
        json!({"organization": {"type": "string"}, "dataset": {"type": "string"}, "fields": {"type": "array", "items": {"type": "string"}}, "query": {"type": "string"}}),
    )
}

fn default_fields(dataset: Dataset) -> Vec<String> {
    let fields: &[&str] = match dataset {
        Dataset::Spans => &[
            "span.op",
            "span.description",
            "span.duration",
            "transaction",
            "trace",
            "project",
            "timestamp",
        ],
        Dataset::Logs => &["timestamp", "severity", "message", "trace", "project"],
        Dataset::Errors => &["issue", "title", "project", "level", "timestamp"],
    };
    fields.iter().map(|s| s.to_string()).collect()
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let dataset = args.dataset.unwrap_or(Dataset::Errors);
    let fields = args.fields.unwrap_or_else(|| default_fields(dataset));
    let dataset = dataset.as_str();
    let aggregate = fields.iter().any(|f| f.contains('('));
    let sort = match args.sort {
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
    let period = args.period.unwrap_or_else(|| "14d".into());
    let limit = args.limit.unwrap_or(10);
    let search = args.query.unwrap_or_default();
    let mut query: Vec<(&str, String)> = vec![("dataset", dataset.to_string())];
    query.extend(fields.iter().map(|f| ("field", f.clone())));
    if let Some(project) = ctx.project(args.project_slug.as_deref())? {
        query.push(("project", ctx.project_id(&org, &project).await?));
    }
    if !search.is_empty() {
        query.push(("query", search.clone()));
    }
    if let Some(s) = &sort {
        query.push(("sort", s.clone()));
    }
    if let Some(env) = args.environment {
        query.push(("environment", env));
    }
    query.push(("statsPeriod", period.clone()));
    query.push(("per_page", limit.to_string()));
    query.push(("referrer", "api.mcp.search-events".into()));
    if let Some(c) = args.cursor {
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
        let mut table = format!("| {} |\n|{}\n", header.join(" | "), "---|".repeat(fields.len()));
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
    let extra = json!({"organization": org, "dataset": dataset, "fields": fields, "query": search});
    let structured = listing::page("rows", rows, resp.next_cursor.as_deref(), extra);
    Ok(ToolOutput::markdown(ctx.untrusted.finish(out)).with_structured(structured, &["/rows/*"]))
}
