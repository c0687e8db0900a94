//! `unlink_issue`: remove the link between a Sentry issue and an external ticket or pull request
//! (the ticket itself stays).

use serde_json::Value;

use super::issue_links::{choose, integrations, linked, ticket_url, Args};
use super::shared::path;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{cell, id_at, str_at};
use crate::sentry::Host;

tool! {
    pub(super) struct UnlinkIssue {
        name: "unlink_issue",
        title: "Unlink a ticket or PR from an issue",
        skills: &[Skill::Triage],
        annotations: Annotations {
            read_only: false,
            destructive: true,
            idempotent: true,
            open_world: true,
        },
        hidden_when: HiddenWhen::Never,
        args: Args,
        scopes: &["event:write"],
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let reference = args.reference("Pass the linked ticket's URL or key, e.g. 'ENG-123'.")?;
    // A URL names the ticket by the key Sentry stored with the link.
    let key = match ticket_url(&reference)? {
        Some(ticket) => ticket.key,
        None => reference,
    };
    let issue = ctx.resolve_issue(&args).await?;
    let list = integrations(ctx, &issue).await?;
    let candidates: Vec<&Value> = match &args.integration_id {
        Some(_) => vec![choose(&list, args.integration_id.as_deref())?],
        None => list.iter().collect(),
    };
    let found = candidates.iter().find_map(|i| {
        i.get("externalIssues").and_then(Value::as_array).and_then(|xs| {
            xs.iter()
                .find(|x| {
                    str_at(x, "/key").is_some_and(|k| k.eq_ignore_ascii_case(&key))
                        || id_at(x, "/id").as_deref() == Some(key.as_str())
                })
                .map(|x| (id_at(i, "/id").unwrap_or_default(), id_at(x, "/id").unwrap_or_default()))
        })
    });
    let Some((integration_id, link_id)) = found else {
        return Err(ToolError::invalid(format!(
            "{} is not linked to '{}'. Linked now:\n{}",
            issue.short_id,
            cell(&key, 200),
            linked(ctx, &list)
        )));
    };
    let org = &issue.org;
    ctx.sentry
        .send(
            "DELETE",
            Host::Org(org),
            &path(&[
                "organizations",
                org,
                "issues",
                &issue.numeric_id,
                "integrations",
                &integration_id,
            ])?,
            &[("externalIssue", link_id)],
            None,
        )
        .await?;
    let after = integrations(ctx, &issue).await?;
    let out = format!(
        "# Unlinked {} from {}\n\nThe ticket itself is unchanged.\n\n## Linked now\n{}",
        cell(&key, 200),
        issue.short_id,
        linked(ctx, &after)
    );
    Ok(ToolOutput::markdown(ctx.untrusted.finish(out)))
}
