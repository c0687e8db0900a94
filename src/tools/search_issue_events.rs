//! `search_issue_events`: the individual events of one issue, filtered with Sentry's search syntax.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::listing::{self, opt_string};
use super::shared::{cursor_param, issue_params, path};
use super::{
    Annotations, Args, HiddenWhen, Skill, Tool, ToolContext, ToolError, ToolOutput, ToolSpec,
};
use crate::render::{cell, plain, str_at};
use crate::sentry::Host;

pub struct SearchIssueEvents;

static SPEC: ToolSpec = ToolSpec {
    name: "search_issue_events",
    title: "Search an issue's events",
    description_file: include_str!("../../tool-descriptions/search_issue_events.md"),
    skills: &[Skill::Inspect, Skill::Triage],
    annotations: Annotations::READ,
    hidden_when: HiddenWhen::Never,
};

/// A tag of an event summary, by key.
fn tag<'a>(event: &'a Value, key: &str) -> Option<&'a str> {
    event
        .get("tags")?
        .as_array()?
        .iter()
        .find(|t| str_at(t, "/key") == Some(key))
        .and_then(|t| str_at(t, "/value"))
}

#[async_trait(?Send)]
impl Tool for SearchIssueEvents {
    fn spec(&self) -> &'static ToolSpec {
        &SPEC
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": issue_params(json!({
                "query": {"type": "string", "description": "Filter events, e.g. 'environment:production release:2.14.1 browser.name:Safari'."},
                "period": {"type": "string", "description": "Time window such as 24h or 14d (default: all stored events)."},
                "limit": {"type": "integer", "minimum": 1, "maximum": 100, "description": "Events per page (default 20)."},
                "cursor": cursor_param(),
            })),
            "additionalProperties": false
        })
    }

    fn output_schema(&self) -> Option<Value> {
        let s = opt_string();
        Some(listing::page_schema(
            "events",
            json!({"eventId": s, "dateCreated": s, "title": s, "message": s, "environment": s, "release": s, "user": s}),
            json!({"organization": {"type": "string"}, "issueId": {"type": "string"}}),
        ))
    }

    async fn call(&self, ctx: &ToolContext<'_>, args: &Args) -> Result<ToolOutput, ToolError> {
        let (org, issue_id, _) = ctx.issue_ref(args)?;
        let issue = ctx.fetch_issue(&org, &issue_id).await?;
        let numeric = issue.get("id").map(plain).unwrap_or_else(|| issue_id.clone());
        let limit = args.opt_int("limit", 1, 100)?.unwrap_or(20);
        let mut query = vec![("per_page", limit.to_string())];
        if let Some(q) = args.opt_str("query")? {
            query.push(("query", q));
        }
        if let Some(p) = args.opt_period("period")? {
            query.push(("statsPeriod", p));
        }
        if let Some(c) = args.opt_cursor()? {
            query.push(("cursor", c));
        }
        let resp = ctx
            .sentry
            .get(
                Host::Org(&org),
                &path(&["organizations", &org, "issues", &numeric, "events"])?,
                &query,
            )
            .await
            .map_err(|e| e.about(format!("events of issue '{issue_id}'")))?;
        let events = resp.body.as_array().cloned().unwrap_or_default();
        let short = str_at(&issue, "/shortId").unwrap_or(&issue_id);
        let mut out = format!("# Events of {short} in **{org}**\n\n");
        let mut items = Vec::new();
        let mut table = String::from("| event id | time | environment | release | user | message |\n|---|---|---|---|---|---|\n");
        for e in &events {
            let id = str_at(e, "/eventID").or(str_at(e, "/id")).unwrap_or("?");
            let user =
                str_at(e, "/user/email").or(str_at(e, "/user/username")).or(str_at(e, "/user/id"));
            let message = str_at(e, "/message").or(str_at(e, "/title")).unwrap_or("");
            table.push_str(&format!(
                "| {id} | {} | {} | {} | {} | {} |\n",
                str_at(e, "/dateCreated").unwrap_or(""),
                cell(tag(e, "environment").unwrap_or(""), 40),
                cell(tag(e, "release").unwrap_or(""), 60),
                cell(user.unwrap_or(""), 60),
                cell(message, 160)
            ));
            items.push(json!({"eventId": id, "dateCreated": str_at(e, "/dateCreated"), "title": str_at(e, "/title"), "message": str_at(e, "/message"),
                              "environment": tag(e, "environment"), "release": tag(e, "release"), "user": user}));
        }
        if events.is_empty() {
            out.push_str("No events match. Loosen the query or widen the period.\n");
        } else {
            out.push_str(&ctx.untrusted.block(&table));
        }
        out.push_str(&listing::footer(resp.next_cursor.as_deref(), events.len(), "events"));
        out.push_str(&format!("\nNext: get_issue_details(organizationSlug=\"{org}\", issueId=\"{short}\", eventId=<event id>) for one event in full.\n"));
        let structured = listing::page(
            "events",
            items,
            resp.next_cursor.as_deref(),
            json!({"organization": org, "issueId": short}),
        );
        Ok(ToolOutput::markdown(ctx.untrusted.finish(out)).with_structured(
            structured,
            &[
                "/events/*/title",
                "/events/*/message",
                "/events/*/environment",
                "/events/*/release",
                "/events/*/user",
            ],
        ))
    }
}
