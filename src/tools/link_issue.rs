//! `link_issue`: link a Sentry issue to an existing ticket or pull request in an issue tracker.

use super::args::require;
use super::issue_links::{choose, integrations, linked, Args};
use super::shared::path;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{cell, id_at};
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
    let key = require!(args.external_issue, "Name the ticket, e.g. 'ENG-123' or 'owner/repo#42'.")?;
    if key.chars().count() > 200 {
        return Err(ToolError::invalid("'externalIssue' is limited to 200 characters"));
    }
    let issue = ctx.resolve_issue(&args).await?;
    let list = integrations(ctx, &issue).await?;
    let integration = choose(&list, args.integration_id.as_deref())?;
    let integration_id = id_at(integration, "/id").unwrap_or_default();
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
            Some(&serde_json::json!({"externalIssue": key})),
        )
        .await?;
    let after = integrations(ctx, &issue).await?;
    let out = format!(
        "# Linked {} to {}\n\n## Linked now\n{}\nNext: unlink_issue(externalIssue=\"{}\") undoes it.\n",
        issue.short_id,
        cell(&key, 200),
        linked(ctx, &after),
        cell(&key, 200)
    );
    Ok(ToolOutput::markdown(ctx.untrusted.finish(out)))
}
