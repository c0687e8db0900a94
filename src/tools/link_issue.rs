//! `link_issue`: link a Sentry issue to an existing ticket or pull request in an issue tracker.

use serde_json::Value;

use super::issue_links::{choose, integrations, linked, serves, ticket_url, Args, TicketUrl};
use super::shared::path;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{cell, id_at, str_at};
use crate::sentry::Host;

tool! {
    pub(super) struct LinkIssue {
        name: "link_issue",
        title: "Link an issue to a ticket or PR",
        skills: &[Skill::Triage],
        annotations: Annotations {
            read_only: false,
            destructive: false,
            idempotent: true,
            open_world: true,
        },
        hidden_when: HiddenWhen::Never,
        args: Args,
        scopes: &["event:write"],
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let reference = args.reference(
        "Pass the ticket's or pull request's URL, e.g. https://acme.atlassian.net/browse/ENG-123, or its key ('ENG-123', 'owner/repo#42').",
    )?;
    let issue = ctx.resolve_issue(&args).await?;
    let list = integrations(ctx, &issue).await?;
    let (integration, key) = match ticket_url(&reference)? {
        Some(ticket) => (tracker_of(&list, &ticket, args.integration_id.as_deref())?, ticket.key),
        None => (choose(&list, args.integration_id.as_deref())?, reference.clone()),
    };
    let integration_id = id_at(integration, "/id").unwrap_or_default();
    // GitHub's link form takes the repository and the number; the other trackers take the key.
    let body = match (str_at(integration, "/provider/key"), key.split_once('#')) {
        (Some("github" | "github_enterprise"), Some((repo, number))) => {
            serde_json::json!({"repo": repo, "externalIssue": number})
        }
        _ => serde_json::json!({"externalIssue": key}),
    };
    let org = &issue.org;
    ctx.sentry
        .send(
            "PUT",
            Host::Org(org),
            &path(&[
                "organizations",
                org,
                "issues",
                &issue.numeric_id,
                "integrations",
                &integration_id,
            ])?,
            &[],
            Some(&body),
        )
        .await?;
    let after = integrations(ctx, &issue).await?;
    let out = format!(
        "# Linked {} to {}\n\n## Linked now\n{}\nNext: unlink_issue(externalIssueUrl=\"{}\") undoes it.\n",
        issue.short_id,
        cell(&key, 200),
        linked(ctx, &after),
        cell(&reference, 300)
    );
    Ok(ToolOutput::markdown(ctx.untrusted.finish(out)))
}

/// The integration that serves a ticket URL (`integrationId`, when given, must be it).
fn tracker_of<'a>(
    list: &'a [Value],
    ticket: &TicketUrl,
    integration_id: Option<&str>,
) -> Result<&'a Value, ToolError> {
    let matching: Vec<&Value> = list
        .iter()
        .filter(|i| serves(i, ticket))
        .filter(|i| integration_id.is_none_or(|id| id_at(i, "/id").as_deref() == Some(id)))
        .collect();
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(ToolError::invalid(format!(
            "no issue-tracker integration of this organization serves {}{}; install it in Sentry's settings, or pass the key with integrationId",
            cell(&ticket.host, 80),
            ticket.owner.as_deref().map(|o| format!("/{}", cell(o, 60))).unwrap_or_default()
        ))),
        many => Err(ToolError::invalid(format!(
            "several integrations serve this URL; pass integrationId, one of: {}",
            many.iter().map(|i| id_at(i, "/id").unwrap_or_default()).collect::<Vec<_>>().join(", ")
        ))),
    }
}
