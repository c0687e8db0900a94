//! `get_issue_details`: one issue with one event's exception, stack, request, tags and more; or,
//! with `view`, one part of it on its own: the activity feed and comments, the event's
//! breadcrumbs, one thread's whole stack, user reports, or suspect commits. One tool with a
//! `view` keeps the catalogue small; the official server's per-part names are aliases.

use serde::Deserialize;
use serde_json::Value;

use super::args::{self, choices};
use super::shared::{issue_args, path};
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::event::{breadcrumbs_only, thread_stack, EventOptions};
use crate::render::{feed, str_at};
use crate::sentry::{ids, Host};

choices! {
    pub(super) enum View {
        Details = "details", Activity = "activity", Breadcrumbs = "breadcrumbs",
        Stacktrace = "stacktrace", UserReports = "user_reports", SuspectCommits = "suspect_commits",
    }
}

issue_args! {
    #[derive(Deserialize)]
    #[cfg_attr(test, derive(schemars::JsonSchema))]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Args {
        /// Event to show: a 32-hex id, 'latest' (default), 'oldest' or 'recommended'.
        #[serde(default, deserialize_with = "args::string")]
        pub event_id: Option<String>,
        /// Default details; activity is history and comments, stacktrace one thread's full stack.
        #[serde(default, deserialize_with = "args::choice")]
        pub view: Option<View>,
        /// For stacktrace: thread id or exact name (default: the crashed thread).
        #[serde(default, deserialize_with = "args::string")]
        pub thread: Option<String>,
        /// Also show the event's breadcrumbs.
        #[serde(default, deserialize_with = "args::flag")]
        pub include_breadcrumbs: Option<bool>,
        /// Frames per stack trace (default 20; in-app frames first).
        #[serde(default, deserialize_with = "args::int::<_, 1, 200>")]
        #[cfg_attr(test, schemars(range(min = 1, max = 200)))]
        pub max_frames: Option<i64>,
        /// A question or focus ('why does checkout fail?'): keep only the parts of the details that bear on it.
        #[serde(default, deserialize_with = "args::string")]
        #[cfg_attr(test, schemars(extend("x-agent" = true), length(max = 500)))]
        pub focus: Option<String>,
    }
}

tool! {
    pub(super) struct GetIssueDetails {
        name: "get_issue_details",
        title: "Get issue details",
        skills: &[Skill::Inspect, Skill::Triage, Skill::Seer],
        annotations: Annotations::READ,
        hidden_when: HiddenWhen::Never,
        args: Args,
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let issue = ctx.issue_ref(&args)?;
    let event_id = match &args.event_id {
        Some(e) => Some(ids::event_id(e)?),
        None => issue.event_id.clone(),
    };
    let view = args.view.unwrap_or(View::Details);
    if args.thread.is_some() && view != View::Stacktrace {
        return Err(ToolError::invalid("'thread' goes with view='stacktrace'"));
    }
    let opts = EventOptions {
        max_frames: args.max_frames.unwrap_or(if view == View::Stacktrace { 100 } else { 20 })
            as usize,
        breadcrumbs: args.include_breadcrumbs.unwrap_or(false).then_some(50),
    };
    if args.focus.is_some() && view != View::Details {
        return Err(ToolError::invalid("'focus' goes with the default view='details'"));
    }
    if view == View::Details {
        let parts =
            ctx.issue_event_parts(&issue.org, &issue.issue_id, event_id.as_deref(), &opts).await?;
        let md = super::focus::issue_answer(ctx, &parts, args.focus.as_deref()).await;
        return Ok(ToolOutput::markdown(ctx.untrusted.finish(md)));
    }
    let resolved = ctx.fetch_resolved(issue).await?;
    let (org, id) = (&resolved.org, &resolved.numeric_id);
    let mut out = format!("# {} of {} in **{org}**\n", view_title(view), resolved.short_id);
    let u = &ctx.untrusted;
    let issue_path = |rest: &[&str]| {
        let mut segments = vec!["organizations", org.as_str(), "issues", id.as_str()];
        segments.extend_from_slice(rest);
        path(&segments)
    };
    match view {
        View::Details => {} // answered above
        View::Activity => {
            let body = ctx
                .sentry
                .get(Host::Org(org), &issue_path(&["activities"])?, &[])
                .await
                .map_err(|e| e.about(format!("activity of issue '{}'", resolved.short_id)))?
                .body;
            let items = body.get("activity").and_then(Value::as_array).cloned().unwrap_or_default();
            feed::activity(&items, 50, u, &mut out);
            out.push_str(
                "\nComment with add_issue_note; change status or assignee with update_issue.\n",
            );
        }
        View::UserReports => {
            let page = ctx
                .list(Host::Org(org), &issue_path(&["user-reports"])?, &[("per_page", "25".into())])
                .await
                .map_err(|e| e.about(format!("user reports of issue '{}'", resolved.short_id)))?;
            feed::user_reports(&page.items, u, &mut out);
        }
        View::Breadcrumbs | View::Stacktrace | View::SuspectCommits => {
            let which = event_id.as_deref().unwrap_or("latest");
            let event = ctx
                .sentry
                .get(Host::Org(org), &issue_path(&["events", which])?, &[])
                .await
                .map_err(|e| e.about(format!("event '{which}' of issue '{}'", resolved.short_id)))?
                .body;
            match view {
                View::Breadcrumbs => breadcrumbs_only(&event, 100, u, &mut out),
                View::Stacktrace => {
                    thread_stack(&event, args.thread.as_deref(), &opts, u, &mut out)
                        .map_err(ToolError::InvalidInput)?;
                }
                _ => suspect_commits(ctx, &resolved.issue, &event, org, &mut out).await?,
            }
        }
    }
    Ok(ToolOutput::markdown(ctx.untrusted.finish(out)))
}

fn view_title(view: View) -> &'static str {
    match view {
        View::Details => "Details",
        View::Activity => "Activity",
        View::Breadcrumbs => "Breadcrumbs",
        View::Stacktrace => "Thread stack",
        View::UserReports => "User reports",
        View::SuspectCommits => "Suspect commits",
    }
}

/// The committers Sentry matched to an event (`/projects/{org}/{project}/events/{id}/committers/`).
async fn suspect_commits(
    ctx: &ToolContext<'_>,
    issue: &Value,
    event: &Value,
    org: &str,
    out: &mut String,
) -> Result<(), ToolError> {
    let project = str_at(issue, "/project/slug").unwrap_or_default();
    let event_id = str_at(event, "/eventID").or(str_at(event, "/id")).unwrap_or_default();
    out.push_str(&format!("\nEvent {}\n\n", crate::render::token_or_unknown(event_id)));
    let resp = ctx
        .sentry
        .get(
            Host::Org(org),
            &path(&["projects", org, project, "events", event_id, "committers"])?,
            &[],
        )
        .await;
    let body = match resp {
        Ok(r) => r.body,
        // Sentry answers 404 when no commit matched (or no repository is linked).
        Err(crate::sentry::SentryError::NotFound { .. }) => Value::Null,
        Err(e) => return Err(e.about(format!("committers of event '{event_id}'")).into()),
    };
    let committers = body.get("committers").and_then(Value::as_array).cloned().unwrap_or_default();
    feed::suspect_commits(&committers, &ctx.untrusted, out);
    Ok(())
}
