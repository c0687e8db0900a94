//! `search_issues`: issues of an organization, with Sentry's own search syntax (no second LLM).

use async_trait::async_trait;
use serde_json::{json, Value};

use super::listing::{self, opt_string};
use super::shared::{cursor_param, org_param, path};
use super::{
    Annotations, Args, HiddenWhen, Skill, Tool, ToolContext, ToolError, ToolOutput, ToolSpec,
};
use crate::render::{num_at, str_at};
use crate::sentry::Host;

pub struct SearchIssues;

static SPEC: ToolSpec = ToolSpec {
    name: "search_issues",
    title: "Search issues",
    description_file: include_str!("../../tool-descriptions/search_issues.md"),
    skills: &[Skill::Inspect, Skill::Triage, Skill::Seer],
    annotations: Annotations::READ,
    hidden_when: HiddenWhen::Never,
};

const SORTS: [&str; 5] = ["date", "new", "freq", "user", "recommended"];

#[async_trait(?Send)]
impl Tool for SearchIssues {
    fn spec(&self) -> &'static ToolSpec {
        &SPEC
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "organizationSlug": org_param(),
                "query": {"type": "string", "description": "Sentry issue search, e.g. 'is:unresolved level:error TypeError'. Default 'is:unresolved'; '' for all issues."},
                "projectSlugOrId": {"type": "string", "description": "Limit to one project (slug or numeric id)."},
                "sort": {"type": "string", "enum": SORTS, "description": "date = last seen (default), new = first seen, freq = events, user = users affected."},
                "period": {"type": "string", "description": "Time window such as 24h, 14d (default), 90d."},
                "limit": {"type": "integer", "minimum": 1, "maximum": 100, "description": "Issues per page (default 10)."},
                "cursor": cursor_param(),
            },
            "required": ["organizationSlug"],
            "additionalProperties": false
        })
    }

    fn output_schema(&self) -> Option<Value> {
        let s = opt_string();
        let n = json!({"type": ["integer", "null"]});
        Some(listing::page_schema(
            "issues",
            json!({"shortId": s, "id": s, "title": s, "culprit": s, "status": s, "level": s, "count": n, "userCount": n,
                   "firstSeen": s, "lastSeen": s, "project": s, "assignedTo": s, "permalink": s}),
            json!({"organization": {"type": "string"}, "query": {"type": "string"}}),
        ))
    }

    async fn call(&self, ctx: &ToolContext<'_>, args: &Args) -> Result<ToolOutput, ToolError> {
        let org = ctx.org(args)?;
        let search = match args.0.get("query") {
            Some(Value::String(s)) if s.trim().is_empty() => String::new(),
            _ => args.opt_str("query")?.unwrap_or_else(|| "is:unresolved".into()),
        };
        let sort = args.opt_choice("sort", &SORTS)?.unwrap_or("date");
        let period = args.opt_period("period")?.unwrap_or_else(|| "14d".into());
        let limit = args.opt_int("limit", 1, 100)?.unwrap_or(10);
        let mut query = vec![
            ("query", search.clone()),
            ("sort", sort.to_string()),
            ("statsPeriod", period.clone()),
            ("limit", limit.to_string()),
        ];
        if let Some(project) = ctx.project(args, "projectSlugOrId")? {
            query.push(("project", project_id(ctx, &org, &project).await?));
        }
        if let Some(c) = args.opt_cursor()? {
            query.push(("cursor", c));
        }
        let resp = ctx
            .sentry
            .get(Host::Org(&org), &path(&["organizations", &org, "issues"])?, &query)
            .await
            .map_err(|e| e.about(format!("organization '{org}'")))?;
        let issues = resp.body.as_array().cloned().unwrap_or_default();
        let u = &ctx.untrusted;
        let mut out = format!(
            "# Issues in **{org}**\n\n**Query**: `{}` · **Sort**: {sort} · **Period**: {period}\n",
            search.replace('`', "'")
        );
        if issues.is_empty() {
            out.push_str("\nNo issues match. Try a longer period, `query: \"\"` for every status, or check the syntax (e.g. `is:unresolved`, `level:error`, `release:1.2.3`).\n");
        }
        let mut items = Vec::new();
        for (i, issue) in issues.iter().enumerate() {
            items.push(json!({
                "shortId": str_at(issue, "/shortId"), "id": str_at(issue, "/id"), "title": str_at(issue, "/title"),
                "culprit": str_at(issue, "/culprit"), "status": str_at(issue, "/status"), "level": str_at(issue, "/level"),
                "count": num_at(issue, "/count"), "userCount": num_at(issue, "/userCount"), "firstSeen": str_at(issue, "/firstSeen"),
                "lastSeen": str_at(issue, "/lastSeen"), "project": str_at(issue, "/project/slug"), "assignedTo": str_at(issue, "/assignedTo/name"),
                "permalink": str_at(issue, "/permalink"),
            }));
            let short = str_at(issue, "/shortId").or(str_at(issue, "/id")).unwrap_or("?");
            let status = str_at(issue, "/status").unwrap_or("?");
            let level = str_at(issue, "/level").unwrap_or("?");
            out.push_str(&format!("\n## {}. {short} · {status} · {level}\n", i + 1));
            if let Some(title) = str_at(issue, "/title") {
                out.push_str(&format!("{}\n", u.inline(title, 200)));
            }
            if let Some(culprit) = str_at(issue, "/culprit") {
                out.push_str(&format!("**Culprit**: {}\n", u.inline(culprit, 150)));
            }
            let mut facts = Vec::new();
            if let Some(n) = num_at(issue, "/count") {
                facts.push(format!("**Events**: {n}"));
            }
            if let Some(n) = num_at(issue, "/userCount") {
                facts.push(format!("**Users**: {n}"));
            }
            if let Some(v) = str_at(issue, "/lastSeen") {
                facts.push(format!("**Last seen**: {v}"));
            }
            if let Some(v) = str_at(issue, "/firstSeen") {
                facts.push(format!("**First seen**: {v}"));
            }
            if let Some(p) = str_at(issue, "/project/slug") {
                facts.push(format!("**Project**: {p}"));
            }
            if let Some(a) = str_at(issue, "/assignedTo/name") {
                facts.push(format!("**Assigned**: {a}"));
            }
            out.push_str(&facts.join(" · "));
            out.push('\n');
            if let Some(link) = str_at(issue, "/permalink") {
                out.push_str(&format!("{link}\n"));
            }
        }
        out.push_str(&listing::footer(resp.next_cursor.as_deref(), issues.len(), "issues"));
        if !issues.is_empty() {
            out.push_str("\nNext: get_issue_details(organizationSlug, issueId) for the stack trace of one issue.\n");
        }
        let structured = listing::page(
            "issues",
            items,
            resp.next_cursor.as_deref(),
            json!({"organization": org, "query": search}),
        );
        Ok(ToolOutput::markdown(u.finish(out))
            .with_structured(structured, &["/issues/*/title", "/issues/*/culprit"]))
    }
}

/// Sentry filters issues by numeric project id; resolve a slug with one call.
async fn project_id(ctx: &ToolContext<'_>, org: &str, project: &str) -> Result<String, ToolError> {
    if project.chars().all(|c| c.is_ascii_digit()) {
        return Ok(project.to_string());
    }
    let body = ctx
        .sentry
        .get(Host::Org(org), &path(&["projects", org, project])?, &[])
        .await
        .map_err(|e| e.about(format!("project '{project}' in organization '{org}'")))?
        .body;
    body.get("id")
        .map(crate::render::plain)
        .ok_or_else(|| ToolError::invalid(format!("Sentry returned no id for project '{project}'")))
}
