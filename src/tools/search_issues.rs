//! `search_issues`: issues of an organization, with Sentry's own search syntax (plain words go to the
//! optional embedded agent, `super::natural_query`, when the operator turned it on).

use serde::Deserialize;
use serde_json::{json, Value};

use super::args::{self, choices};
use super::listing::{self, opt_string};
use super::natural_query::{self, SearchKind};
use super::shared::path;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{num_at, str_at};
use crate::sentry::Host;

choices! {
    pub(super) enum Sort { Date = "date", New = "new", Freq = "freq", User = "user", Recommended = "recommended" }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: args::Required,
    /// Sentry issue search. Default 'is:unresolved'; '' for all issues.
    #[serde(default, deserialize_with = "args::string_or_blank")]
    pub query: Option<String>,
    /// Limit to one project (slug or numeric id).
    #[serde(default, deserialize_with = "args::string")]
    #[cfg_attr(test, schemars(extend("x-scope" = "project")))]
    pub project_slug_or_id: Option<String>,
    /// date = last seen (default), new = first seen, freq = events, user = users affected.
    #[serde(default, deserialize_with = "args::choice")]
    pub sort: Option<Sort>,
    /// Time window such as 24h, 14d (default), 90d.
    #[serde(default, deserialize_with = "args::period")]
    pub period: Option<String>,
    /// Issues per page (default 10).
    #[serde(default, deserialize_with = "args::int::<_, 1, 100>")]
    #[cfg_attr(test, schemars(range(min = 1, max = 100)))]
    pub limit: Option<i64>,
    #[cfg_attr(test, schemars(description = crate::tools::args::CURSOR))]
    #[serde(default, deserialize_with = "args::cursor")]
    pub cursor: Option<String>,
}

tool! {
    pub(super) struct SearchIssues {
        name: "search_issues",
        title: "Search issues",
        skills: &[Skill::Inspect, Skill::Triage, Skill::Seer],
        annotations: Annotations::READ,
        hidden_when: HiddenWhen::Never,
        args: Args,
        output_schema: output_schema,
    }
}

fn output_schema() -> Value {
    let s = opt_string();
    let n = json!({"type": ["integer", "null"]});
    listing::page_schema(
        "issues",
        json!({"shortId": s, "id": s, "title": s, "culprit": s, "status": s, "level": s, "count": n, "userCount": n,
               "firstSeen": s, "lastSeen": s, "project": s, "assignedTo": s, "permalink": s}),
        json!({"organization": {"type": "string"}, "query": {"type": "string"}}),
    )
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let search = args.query.unwrap_or_else(|| "is:unresolved".into());
    let prepared = natural_query::prepare(ctx, SearchKind::Issues, &search).await?;
    let search = prepared.query;
    let sort = args.sort.unwrap_or(Sort::Date).as_str();
    let period = args.period.unwrap_or_else(|| "14d".into());
    let limit = args.limit.unwrap_or(10);
    let mut query = vec![
        ("query", search.clone()),
        ("sort", sort.to_string()),
        ("statsPeriod", period.clone()),
        // Each issue's volume series over the same period (Sentry's default is the last 24 h),
        // so the sparkline and the **Period** above it speak of the same window.
        ("groupStatsPeriod", "auto".into()),
        ("limit", limit.to_string()),
    ];
    if let Some(project) = ctx.project(args.project_slug_or_id.as_deref())? {
        query.push(("project", ctx.project_id(&org, &project).await?));
    }
    if let Some(c) = args.cursor {
        query.push(("cursor", c));
    }
    let page = ctx
        .list(Host::Org(&org), &path(&["organizations", &org, "issues"])?, &query)
        .await
        .map_err(|e| e.about(format!("organization '{org}'")))?;
    let issues = &page.items;
    let u = &ctx.untrusted;
    let mut out = format!(
        "# Issues in **{org}**\n\n**Query**: `{}` · **Sort**: {sort} · **Period**: {period}\n",
        search.replace('`', "'")
    );
    if let Some(note) = &prepared.note {
        out.push('\n');
        out.push_str(note);
    }
    if issues.is_empty() {
        out.push_str("\nNo issues match. Try a longer period, `query: \"\"` for every status, or check the syntax (e.g. `is:unresolved`, `level:error`, `release:1.2.3`).\n");
    }
    let mut items = Vec::new();
    for (i, issue) in issues.iter().enumerate() {
        items.push(json!({
            "shortId": str_at(issue, "/shortId"), "id": crate::render::id_at(issue, "/id"), "title": str_at(issue, "/title"),
            "culprit": str_at(issue, "/culprit"), "status": str_at(issue, "/status"), "level": str_at(issue, "/level"),
            "count": num_at(issue, "/count"), "userCount": num_at(issue, "/userCount"), "firstSeen": str_at(issue, "/firstSeen"),
            "lastSeen": str_at(issue, "/lastSeen"), "project": str_at(issue, "/project/slug"), "assignedTo": str_at(issue, "/assignedTo/name"),
            "permalink": str_at(issue, "/permalink"),
        }));
        out.push_str(&crate::render::event::issue_list_entry(issue, i + 1, u));
    }
    out.push_str(&listing::footer(page.next_cursor.as_deref(), issues.len(), "issues"));
    if !issues.is_empty() {
        out.push_str("\nNext: get_issue_details(organizationSlug, issueId) for the stack trace of one issue.\n");
    }
    let structured = listing::page(
        "issues",
        items,
        page.next_cursor.as_deref(),
        json!({"organization": org, "query": search}),
    );
    Ok(ToolOutput::markdown(u.finish(out))
        .with_structured(structured, &["/issues/*/title", "/issues/*/culprit"]))
}
