//! An issue's history as Markdown: its activity feed and comments, the user reports sent about
//! it, and the suspect commits Sentry matched to one of its events.
//!
//! What Sentry records (activity types, dates, commit ids, counts) is written as facts; what
//! people or the monitored application wrote (comments, report text, reporter names, commit
//! messages, activity data) is fenced, because end users and anyone with the DSN write some of it.

use std::fmt::Write;

use serde_json::Value;

use super::{plain, readable, str_at, truncate, Untrusted};

const TEXT_CHARS: usize = 600;

fn who(v: Option<&Value>) -> String {
    v.and_then(|u| str_at(u, "/name").or(str_at(u, "/email")).or(str_at(u, "/username")))
        .map(str::to_string)
        .unwrap_or_default()
}

fn day(v: &Value, pointer: &str) -> String {
    super::minute(super::at(v, pointer).unwrap_or(&Value::Null))
}

/// Activity items, newest first as Sentry sends them; notes (comments) shown with their text.
/// One block holds the list (the dates and types in it are Sentry's, the rest is people's).
pub(crate) fn activity(items: &[Value], max: usize, u: &Untrusted, out: &mut String) {
    if items.is_empty() {
        out.push_str("\nNo activity recorded.\n");
        return;
    }
    let notes = items.iter().filter(|i| str_at(i, "/type") == Some("note")).count();
    let _ = writeln!(out, "\n{} activity item(s), {notes} comment(s):\n", items.len());
    let mut body = String::new();
    for item in items.iter().take(max) {
        let kind = super::token_or_unknown(str_at(item, "/type").unwrap_or("unknown"));
        let by = who(item.get("user"));
        let by = if by.is_empty() {
            str_at(item, "/sentry_app/name").unwrap_or("Sentry").to_string()
        } else {
            by
        };
        let mut line = format!("- {} · {kind} by {}", day(item, "/dateCreated"), truncate(&by, 80));
        match (kind, item.get("data").filter(|d| !super::is_blank(d))) {
            ("note", Some(d)) => {
                let _ = write!(
                    line,
                    ": {}",
                    truncate(&d.get("text").map(plain).unwrap_or_default(), TEXT_CHARS)
                );
            }
            (_, Some(d)) => {
                let _ = write!(line, " ({})", readable(d, 200));
            }
            _ => {}
        }
        let _ = writeln!(body, "{}", line.replace('\n', " ⏎ "));
    }
    out.push_str(&u.block(&body));
    if items.len() > max {
        let _ = writeln!(out, "\n… {} older item(s) not shown.", items.len() - max);
    }
}

/// User reports (feedback attached to the events).
pub(crate) fn user_reports(reports: &[Value], u: &Untrusted, out: &mut String) {
    if reports.is_empty() {
        out.push_str("\nNo user reports for this issue.\n");
        return;
    }
    for r in reports {
        let event = str_at(r, "/eventID").or(str_at(r, "/event/eventID")).unwrap_or("");
        let _ = writeln!(
            out,
            "\n## Report {} · {} · event {}",
            super::token_or_unknown(&r.get("id").map(plain).unwrap_or_default()),
            day(r, "/dateCreated"),
            super::token_or_unknown(event)
        );
        let mut body = String::new();
        let _ = writeln!(body, "From: {} <{}>", plain(&r["name"]), plain(&r["email"]));
        let _ = writeln!(body, "{}", truncate(str_at(r, "/comments").unwrap_or(""), 2_000));
        out.push_str(&u.block(&body));
    }
}

/// Suspect commits (`…/events/{id}/committers/`): commit id, repository, date, author, message.
pub(crate) fn suspect_commits(committers: &[Value], u: &Untrusted, out: &mut String) {
    let mut body = String::new();
    for c in committers {
        let author = who(c.get("author"));
        for commit in c.get("commits").and_then(Value::as_array).into_iter().flatten().take(5) {
            let id: String = str_at(commit, "/id").unwrap_or("").chars().take(12).collect();
            let _ = writeln!(
                body,
                "- {} in {} · {} by {}: {}{}",
                super::token_or_unknown(&id),
                truncate(str_at(commit, "/repository/name").unwrap_or(""), 80),
                day(commit, "/dateCreated"),
                truncate(&author, 80),
                truncate(
                    str_at(commit, "/message").unwrap_or("").lines().next().unwrap_or(""),
                    300
                ),
                str_at(commit, "/suspectCommitType")
                    .map(|k| format!(" (matched {})", truncate(k, 40)))
                    .unwrap_or_default()
            );
        }
    }
    if body.is_empty() {
        out.push_str("No suspect commit: Sentry found none for this event (it needs a linked repository and release commits).\n");
    } else {
        out.push_str(&u.block(&body));
    }
}
