//! `search_events`: rows or aggregates from Sentry's datasets (errors, spans, logs, trace
//! metrics, profiles) through Explore's `/events/`, replays through `/replays/`, and ingest
//! outcomes (accepted versus dropped, by reason) through `/stats_v2/`. For a client that renders
//! MCP Apps views, an aggregate also brings its time series (`/events-stats/`) for the chart. One tool with a `dataset`
//! argument keeps the catalogue small; the official server's per-dataset names are aliases.

use serde::Deserialize;
use serde_json::{json, Value};

use super::args::{self, choices};
use super::listing;
use super::natural_query::{self, SearchKind};
use super::shared::path;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{cell, plain};
use crate::sentry::Host;

choices! {
    pub(super) enum Dataset {
        Errors = "errors", Spans = "spans", Logs = "logs", Metrics = "metrics", Profiles = "profiles",
        Replays = "replays", Conversations = "conversations", Outcomes = "outcomes",
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: args::Required,
    /// Default errors; metrics are trace metrics, outcomes accepted vs dropped events.
    #[serde(default, deserialize_with = "args::choice")]
    pub dataset: Option<Dataset>,
    /// Sentry search, e.g. 'span.op:db', 'count_rage_clicks:>0'; for outcomes a category (error, span, log_item...).
    #[serde(default, deserialize_with = "args::string")]
    pub query: Option<String>,
    /// Columns, or aggregates such as count(), p95(span.duration), count_unique(user).
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
    #[cfg_attr(test, schemars(description = crate::tools::args::CURSOR))]
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

fn default_fields(dataset: Dataset) -> &'static [&'static str] {
    match dataset {
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
        Dataset::Metrics => &["metric.name", "metric.type", "value", "trace", "timestamp"],
        Dataset::Profiles => {
            &["profile.id", "transaction", "project", "transaction.duration", "timestamp"]
        }
        Dataset::Replays => &[
            "id",
            "started_at",
            "duration",
            "count_errors",
            "count_rage_clicks",
            "count_dead_clicks",
            "user",
            "urls",
        ],
        Dataset::Conversations => {
            &["gen_ai.conversation.id", "count()", "sum(gen_ai.usage.total_tokens)", "project"]
        }
        Dataset::Outcomes => &["outcome", "reason", "category", "count"],
    }
}

/// The `dataset` parameter Sentry's `/events/` takes for ours.
fn upstream_dataset(dataset: Dataset) -> &'static str {
    match dataset {
        Dataset::Metrics => "tracemetrics",
        Dataset::Conversations => "spans",
        other => other.as_str(),
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let dataset = args.dataset.unwrap_or(Dataset::Errors);
    if dataset == Dataset::Outcomes {
        return outcomes(ctx, &org, args).await;
    }
    let fields = match args.fields {
        Some(f) => f,
        None => default_fields(dataset).iter().map(|s| s.to_string()).collect(),
    };
    let aggregate = fields.iter().any(|f| f.contains('('));
    if aggregate && dataset == Dataset::Replays {
        return Err(ToolError::invalid("replays take plain fields only (e.g. count_rage_clicks, duration); sort by one of them instead of aggregating"));
    }
    let sort = match args.sort {
        Some(s) => {
            let bare = s.trim_start_matches('-');
            if !fields.iter().any(|f| f == bare) {
                return Err(ToolError::invalid(format!("'sort' must name one of the requested fields ({}), optionally with '-' for descending", fields.join(", "))));
            }
            Some(s)
        }
        None if aggregate => fields.iter().find(|f| f.contains('(')).map(|f| format!("-{f}")),
        None if dataset == Dataset::Replays => Some("-started_at".to_string()),
        None => fields.iter().any(|f| f == "timestamp").then(|| "-timestamp".to_string()),
    };
    let period = args.period.unwrap_or_else(|| "14d".into());
    let limit = args.limit.unwrap_or(10);
    let search = args.query.unwrap_or_default();
    let prepared =
        natural_query::prepare(ctx, SearchKind::Events(dataset.as_str()), &search).await?;
    let search = prepared.query;
    let upstream_query = match dataset {
        Dataset::Conversations if search.is_empty() => "has:gen_ai.conversation.id".to_string(),
        Dataset::Conversations => format!("has:gen_ai.conversation.id ({search})"),
        _ => search.clone(),
    };
    let mut query: Vec<(&str, String)> = Vec::new();
    if dataset != Dataset::Replays {
        query.push(("dataset", upstream_dataset(dataset).to_string()));
    }
    query.extend(fields.iter().map(|f| ("field", f.clone())));
    if let Some(project) = ctx.project(args.project_slug.as_deref())? {
        query.push(("project", ctx.project_id(&org, &project).await?));
    }
    if !upstream_query.is_empty() {
        query.push(("query", upstream_query));
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
    let endpoint = if dataset == Dataset::Replays { "replays" } else { "events" };
    let resp = ctx
        .sentry
        .get(Host::Org(&org), &path(&["organizations", &org, endpoint])?, &query)
        .await
        .map_err(|e| e.about(format!("organization '{org}'")))?;
    let rows = resp.body.get("data").and_then(Value::as_array).cloned().unwrap_or_default();
    let units = resp.body.pointer("/meta/units").cloned().unwrap_or(Value::Null);
    let dataset = dataset.as_str();

    let mut out = format!(
        "# {} in **{org}**\n\n**Dataset**: {dataset} · **Query**: `{}` · **Sort**: {} · **Period**: {period}\n",
        if aggregate { "Aggregates" } else { "Events" },
        search.replace('`', "'"),
        sort.as_deref().unwrap_or("none")
    );
    if let Some(note) = &prepared.note {
        out.push('\n');
        out.push_str(note);
    }
    if rows.is_empty() {
        out.push_str("\nNo rows match. Widen the period, loosen the query, or check field names for this dataset.\n");
    } else {
        out.push('\n');
        out.push_str(&ctx.untrusted.block(&table(&fields, &rows, &units)));
    }
    out.push_str(&listing::footer(resp.next_cursor.as_deref(), rows.len(), "rows"));
    let extra = json!({"organization": org, "dataset": dataset, "fields": fields, "query": search});
    let mut structured = listing::page("rows", rows, resp.next_cursor.as_deref(), extra);
    if ctx.views && aggregate {
        // The MCP Apps chart (see `mcp::apps`) draws the first aggregate over the period; the
        // text answer is the same without it, so a failed series is simply left out.
        let y_axis = fields.iter().find(|f| f.contains('(')).cloned().unwrap_or_default();
        let stats_query: Vec<(&str, String)> = query
            .iter()
            .filter(|(k, _)| !matches!(*k, "field" | "sort" | "per_page" | "cursor"))
            .cloned()
            .chain([("yAxis", y_axis.clone()), ("interval", interval(&period).into())])
            .collect();
        if let Ok(stats) = ctx
            .sentry
            .get(Host::Org(&org), &path(&["organizations", &org, "events-stats"])?, &stats_query)
            .await
        {
            structured["series"] = series(&y_axis, interval(&period), &stats.body);
        }
    }
    Ok(ToolOutput::markdown(ctx.untrusted.finish(out)).with_structured(structured, &["/rows/*"]))
}

/// The bucket of a time series over `period`: the finest of Sentry's usual intervals that keeps
/// the series at most 100 points.
fn interval(period: &str) -> &'static str {
    let (n, unit) = period.split_at(period.len().saturating_sub(1));
    let unit_s = match unit {
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => 604_800,
    };
    let seconds = n.parse::<u64>().unwrap_or(14) * unit_s;
    [("1m", 60), ("5m", 300), ("15m", 900), ("1h", 3_600), ("4h", 14_400), ("12h", 43_200)]
        .into_iter()
        .find(|(_, step)| seconds / step <= 100)
        .map_or("1d", |(name, _)| name)
}

/// `/events-stats/` (`data: [[epochSeconds, [{"count": value}]], …]`) as `{yAxis, interval,
/// points: [[epochSeconds, value], …]}`; a bucket without a value counts 0.
fn series(y_axis: &str, interval: &str, body: &Value) -> Value {
    let points: Vec<Value> = body
        .get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let t = p.get(0)?.as_i64()?;
            let v = p.pointer("/1/0/count").and_then(Value::as_f64).unwrap_or(0.0);
            Some(json!([t, v]))
        })
        .collect();
    json!({"yAxis": y_axis, "interval": interval, "points": points})
}

/// A Markdown table of `rows` by `fields`, units in the header.
fn table(fields: &[String], rows: &[Value], units: &Value) -> String {
    let header: Vec<String> = fields
        .iter()
        .map(|f| match units.get(f).and_then(Value::as_str) {
            Some("millisecond") => format!("{f} (ms)"),
            Some(u) if !u.is_empty() => format!("{f} ({u})"),
            _ => f.clone(),
        })
        .collect();
    let mut table = format!("| {} |\n|{}\n", header.join(" | "), "---|".repeat(fields.len()));
    for row in rows {
        let cells: Vec<String> = fields
            .iter()
            .map(|f| row.get(f).map(|v| cell(&plain(v), 200)).unwrap_or_default())
            .collect();
        table.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    table
}

/// Sentry's plural data names, as the outcome categories `/stats_v2/` takes.
fn outcome_category(name: &str) -> &str {
    match name {
        "errors" => "error",
        "spans" => "span",
        "logs" | "log" => "log_item",
        "metrics" => "trace_metric",
        "transactions" => "transaction",
        "replays" => "replay",
        "profiles" => "profile",
        "attachments" => "attachment",
        other => other,
    }
}

/// Accepted versus dropped volume by outcome, reason and category (`/stats_v2/`). Counts are
/// Sentry's; a reason may come from an SDK's client report, so the table is fenced.
async fn outcomes(ctx: &ToolContext<'_>, org: &str, args: Args) -> Result<ToolOutput, ToolError> {
    if args.fields.is_some() || args.sort.is_some() || args.cursor.is_some() {
        return Err(ToolError::invalid("dataset 'outcomes' takes no fields, sort or cursor: it always groups by outcome, reason and category"));
    }
    let period = args.period.unwrap_or_else(|| "14d".into());
    let category =
        args.query.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(outcome_category);
    let mut query: Vec<(&str, String)> = vec![("field", "sum(quantity)".into())];
    for by in ["outcome", "reason", "category"] {
        query.push(("groupBy", by.into()));
    }
    if let Some(c) = category {
        if !c.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(ToolError::invalid("for dataset 'outcomes', query is one data category such as error, span, log_item, transaction, replay"));
        }
        query.push(("category", c.to_string()));
    }
    if let Some(project) = ctx.project(args.project_slug.as_deref())? {
        query.push(("project", ctx.project_id(org, &project).await?));
    }
    query.push(("statsPeriod", period.clone()));
    query.push(("interval", "1d".into()));
    let body = ctx
        .sentry
        .get(Host::Org(org), &path(&["organizations", org, "stats_v2"])?, &query)
        .await
        .map_err(|e| e.about(format!("outcomes of organization '{org}'")))?
        .body;
    let mut rows: Vec<Value> = body
        .get("groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|g| {
            let by = |k: &str| g.pointer(&format!("/by/{k}")).map(plain).unwrap_or_default();
            let count = g.pointer("/totals/sum(quantity)").and_then(Value::as_u64).unwrap_or(0);
            json!({"outcome": by("outcome"), "reason": by("reason"), "category": by("category"), "count": count})
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r["count"].as_u64().unwrap_or(0)));
    let total = |accepted: bool| -> u64 {
        rows.iter()
            .filter(|r| (r["outcome"] == "accepted") == accepted)
            .map(|r| r["count"].as_u64().unwrap_or(0))
            .sum()
    };
    let (accepted, dropped) = (total(true), total(false));
    let share = if accepted + dropped == 0 {
        0.0
    } else {
        dropped as f64 * 100.0 / (accepted + dropped) as f64
    };
    let mut out = format!(
        "# Outcomes in **{org}**\n\n**Category**: {} · **Period**: {period}\n\n**Accepted**: {accepted} · **Dropped**: {dropped} ({share:.1}% of received)\n",
        category.unwrap_or("all")
    );
    if rows.is_empty() {
        out.push_str("\nNo outcomes in this period.\n");
    } else {
        let fields: Vec<String> =
            default_fields(Dataset::Outcomes).iter().map(|s| s.to_string()).collect();
        out.push('\n');
        out.push_str(&ctx.untrusted.block(&table(&fields, &rows, &Value::Null)));
        out.push_str("\nDropped outcomes: filtered (inbound filters), rate_limited (quota, spike protection), invalid, abuse, client_discard (SDK sampling or before_send), cardinality_limited.\n");
    }
    let extra = json!({"organization": org, "dataset": "outcomes", "accepted": accepted, "dropped": dropped});
    let structured = listing::page("rows", rows, None, extra);
    Ok(ToolOutput::markdown(ctx.untrusted.finish(out))
        .with_structured(structured, &["/rows/*/reason"]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_keep_series_short() {
        for (period, expected) in
            [("1h", "1m"), ("24h", "15m"), ("7d", "4h"), ("14d", "4h"), ("2w", "4h"), ("90d", "1d")]
        {
            assert_eq!(interval(period), expected, "{period}");
        }
    }

    #[test]
    fn series_take_each_bucket() {
        let body = json!({"data": [[1000, [{"count": 3}]], [2000, [{"count": null}]], [3000, []], ["x", []]]});
        assert_eq!(
            series("count()", "1h", &body),
            json!({"yAxis": "count()", "interval": "1h", "points": [[1000, 3.0], [2000, 0.0], [3000, 0.0]]})
        );
        assert_eq!(series("count()", "1h", &json!({}))["points"], json!([]));
    }
}
