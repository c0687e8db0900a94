//! `search_issue_events`: the individual events of one issue, filtered with Sentry's search syntax.

use serde::Deserialize;
use serde_json::{json, Value};

use super::args;
use super::listing::{self, opt_string};
use super::natural_query::{self, PreparedQuery, SearchKind};
use super::shared::{issue_args, path};
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{cell, str_at};
use crate::sentry::Host;

issue_args! {
    #[derive(Deserialize)]
    #[cfg_attr(test, derive(schemars::JsonSchema))]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Args {
        /// Filter events, e.g. 'environment:production release:2.14.1 browser.name:Safari'.
        #[serde(default, deserialize_with = "args::string")]
        pub query: Option<String>,
        /// Time window such as 24h or 14d (default: all stored events).
        #[serde(default, deserialize_with = "args::period")]
        pub period: Option<String>,
        /// Events per page (default 20).
        #[serde(default, deserialize_with = "args::int::<_, 1, 100>")]
        #[cfg_attr(test, schemars(range(min = 1, max = 100)))]
        pub limit: Option<i64>,
        #[cfg_attr(test, schemars(description = crate::tools::args::CURSOR))]
        #[serde(default, deserialize_with = "args::cursor")]
        pub cursor: Option<String>,
    }
}

tool! {
    pub(super) struct SearchIssueEvents {
        name: "search_issue_events",
        title: "Search an issue's events",
        skills: &[Skill::Inspect, Skill::Triage],
        annotations: Annotations::READ,
        hidden_when: HiddenWhen::Never,
        args: Args,
        output_schema: output_schema,
    }
}

fn output_schema() -> Value {
    let s = opt_string();
    listing::page_schema(
        "events",
        json!({"eventId": s, "dateCreated": s, "title": s, "message": s, "environment": s, "release": s, "user": s}),
        json!({"organization": {"type": "string"}, "issueId": {"type": "string"}}),
    )
}

/// A tag of an event summary, by key.
fn tag<'a>(event: &'a Value, key: &str) -> Option<&'a str> {
    event
        .get("tags")?
        .as_array()?
        .iter()
        .find(|t| str_at(t, "/key") == Some(key))
        .and_then(|t| str_at(t, "/value"))
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let issue = ctx.resolve_issue(&args).await?;
    let org = &issue.org;
    let limit = args.limit.unwrap_or(20);
    let mut query = vec![("per_page", limit.to_string())];
    let prepared = match args.query.as_deref() {
        Some(q) => Some(natural_query::prepare(ctx, org, SearchKind::IssueEvents, q).await?),
        None => None,
    };
    if let Some(p) = &prepared {
        query.push(("query", p.query.clone()));
    }
    if let Some(p) = args.period {
        query.push(("statsPeriod", p));
    }
    if let Some(c) = args.cursor {
        query.push(("cursor", c));
    }
    let page = ctx
        .list(
            Host::Org(org),
            &path(&["organizations", org, "issues", &issue.numeric_id, "events"])?,
            &query,
        )
        .await
        .map_err(|e| e.about(format!("events of issue '{}'", issue.issue_id)))?;
    let events = &page.items;
    let short = &issue.short_id;
    let mut out = format!("# Events of {short} in **{org}**\n\n");
    if let Some(PreparedQuery { query, note: Some(note) }) = &prepared {
        out.push_str(&format!("**Query**: `{}`\n\n{note}\n", query.replace('`', "'")));
    }
    let mut items = Vec::new();
    let mut table = String::from(
        "| event id | time | environment | release | user | message |\n|---|---|---|---|---|---|\n",
    );
    for e in events {
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
    out.push_str(&listing::footer(page.next_cursor.as_deref(), events.len(), "events"));
    out.push_str(&format!("\nNext: get_issue_details(organizationSlug=\"{org}\", issueId=\"{short}\", eventId=<event id>) for one event in full.\n"));
    let structured = listing::page(
        "events",
        items,
        page.next_cursor.as_deref(),
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
