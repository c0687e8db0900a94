//! `find_dashboards`: an organization's dashboards; with `dashboardId`, one dashboard's widgets
//! and the query behind each (dataset, aggregates, group-by, filter), ready for search_events.

use serde::Deserialize;
use serde_json::{json, Value};

use super::listing::{self, opt_string};
use super::shared::path;
use super::{args, tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{cell, id_at, plain, str_at};
use crate::sentry::Host;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: args::Required,
    /// One dashboard, with widgets.
    #[serde(default, deserialize_with = "args::string")]
    pub dashboard_id: Option<String>,
    /// Filter by title.
    #[serde(default, deserialize_with = "args::string")]
    pub query: Option<String>,
    #[cfg_attr(test, schemars(description = crate::tools::args::CURSOR))]
    #[serde(default, deserialize_with = "args::cursor")]
    pub cursor: Option<String>,
}

tool! {
    pub(super) struct FindDashboards {
        name: "find_dashboards",
        title: "Find dashboards",
        skills: &[Skill::Inspect],
        annotations: Annotations::READ,
        // Dashboards belong to the organization and may span projects.
        hidden_when: HiddenWhen::ProjectConstrained,
        args: Args,
        output_schema: output_schema,
    }
}

fn output_schema() -> Value {
    let s = opt_string();
    listing::page_schema(
        "dashboards",
        json!({"id": s, "title": s, "widgets": {"type": ["integer", "null"]}}),
        json!({"organization": {"type": "string"}}),
    )
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    if let Some(id) = &args.dashboard_id {
        return dashboard(ctx, &org, id).await;
    }
    let query = listing::list_query(25, args.query.as_deref(), args.cursor.as_deref());
    let page = ctx
        .list(Host::Org(&org), &path(&["organizations", &org, "dashboards"])?, &query)
        .await
        .map_err(|e| e.about(format!("dashboards of organization '{org}'")))?;
    let mut out = format!("# Dashboards in **{org}**\n\n");
    let mut items = Vec::new();
    for d in &page.items {
        let id = id_at(d, "/id").unwrap_or_else(|| "?".into());
        let widgets = d.get("widgetDisplay").and_then(Value::as_array).map(Vec::len);
        let mut line = format!("- **{}** (id {id})", cell(str_at(d, "/title").unwrap_or("?"), 120));
        if let Some(n) = widgets {
            line.push_str(&format!(" · {n} widgets"));
        }
        if let Some(by) = str_at(d, "/createdBy/name") {
            line.push_str(&format!(" · by {}", cell(by, 60)));
        }
        out.push_str(&line);
        out.push('\n');
        items.push(json!({"id": id, "title": str_at(d, "/title"), "widgets": widgets}));
    }
    if page.items.is_empty() {
        out.push_str("No dashboards match.\n");
    }
    out.push_str(&listing::footer(page.next_cursor.as_deref(), page.items.len(), "dashboards"));
    out.push_str(
        "\nNext: find_dashboards(dashboardId=...) for a dashboard's widgets and queries.\n",
    );
    let structured = listing::page(
        "dashboards",
        items,
        page.next_cursor.as_deref(),
        json!({"organization": org}),
    );
    Ok(ToolOutput::markdown(out).with_structured(structured, &[]))
}

async fn dashboard(ctx: &ToolContext<'_>, org: &str, id: &str) -> Result<ToolOutput, ToolError> {
    if id.is_empty() || id.len() > 20 || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(ToolError::invalid(
            "'dashboardId' is a number such as 31 (find_dashboards lists them)",
        ));
    }
    let d = ctx
        .sentry
        .get(Host::Org(org), &path(&["organizations", org, "dashboards", id])?, &[])
        .await
        .map_err(|e| e.about(format!("dashboard {id} in organization '{org}'")))?
        .body;
    let mut out = format!(
        "# Dashboard {} (id {id}) in **{org}**\n",
        cell(str_at(&d, "/title").unwrap_or("?"), 120)
    );
    let mut facts = Vec::new();
    if let Some(p) = str_at(&d, "/period") {
        facts.push(format!("**Period**: {p}"));
    }
    let envs: Vec<String> = d
        .get("environment")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(plain).collect())
        .unwrap_or_default();
    if !envs.is_empty() {
        facts.push(format!("**Environments**: {}", cell(&envs.join(", "), 120)));
    }
    let projects: Vec<String> = d
        .get("projects")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(plain).collect())
        .unwrap_or_default();
    if !projects.is_empty() {
        facts.push(format!("**Project ids**: {}", projects.join(", ")));
    }
    if !facts.is_empty() {
        out.push_str(&format!("\n{}\n", facts.join(" · ")));
    }
    for w in d.get("widgets").and_then(Value::as_array).into_iter().flatten() {
        out.push_str(&format!(
            "\n## {} ({}, {})\n",
            cell(str_at(w, "/title").unwrap_or("?"), 120),
            cell(str_at(w, "/displayType").unwrap_or("?"), 30),
            cell(str_at(w, "/widgetType").unwrap_or("?"), 30)
        ));
        for q in w.get("queries").and_then(Value::as_array).into_iter().flatten() {
            let list = |key: &str| -> String {
                q.get(key)
                    .and_then(Value::as_array)
                    .map(|a| a.iter().map(plain).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default()
            };
            let mut line = format!("- **Aggregates**: `{}`", cell(&list("aggregates"), 200));
            let columns = list("columns");
            if !columns.is_empty() {
                line.push_str(&format!(" · **Group by**: `{}`", cell(&columns, 200)));
            }
            if let Some(c) = str_at(q, "/conditions") {
                line.push_str(&format!(" · **Filter**: `{}`", cell(c, 300)));
            }
            if let Some(o) = str_at(q, "/orderby") {
                line.push_str(&format!(" · **Sort**: `{}`", cell(o, 60)));
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    out.push_str("\nNext: run a widget's query with search_events (dataset errors, spans or logs; fields = aggregates and group-by).\n");
    Ok(ToolOutput::markdown(out))
}
