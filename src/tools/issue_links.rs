//! What `link_issue` and `unlink_issue` share: the arguments, the organization's issue-tracker
//! integrations as an issue sees them (Jira, GitHub, GitLab, Azure DevOps...), and the answer
//! listing the links an issue has afterwards. Titles of external tickets are written outside
//! Sentry, so they are fenced.

use serde::Deserialize;
use serde_json::Value;

use super::args;
use super::shared::{issue_args, path, ResolvedIssue};
use super::{ToolContext, ToolError};
use crate::render::{cell, id_at, str_at};
use crate::sentry::Host;

issue_args! {
    #[derive(Deserialize)]
    #[cfg_attr(test, derive(schemars::JsonSchema))]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Args {
        /// Only when several trackers match.
        #[serde(default, deserialize_with = "args::string")]
        pub integration_id: Option<String>,
        /// The ticket's or PR's URL, or key ('ENG-123', 'owner/repo#42').
        #[cfg_attr(test, schemars(length(max = 500)))]
        pub external_issue_url: args::Required,
        /// The key alone (the earlier name of this argument; not listed).
        #[serde(default, deserialize_with = "args::string")]
        #[cfg_attr(test, schemars(skip))]
        pub external_issue: Option<String>,
    }
}

/// The organization's integrations as the issue sees them, each with its linked external issues.
pub(super) async fn integrations(
    ctx: &ToolContext<'_>,
    issue: &ResolvedIssue,
) -> Result<Vec<Value>, ToolError> {
    let org = &issue.org;
    let page = ctx
        .list(
            Host::Org(org),
            &path(&["organizations", org, "issues", &issue.numeric_id, "integrations"])?,
            &[],
        )
        .await
        .map_err(|e| e.about(format!("issue '{}' in organization '{org}'", issue.issue_id)))?;
    Ok(page.items)
}

impl Args {
    /// The reference the call names (`externalIssueUrl`, or the older `externalIssue`).
    pub(super) fn reference(&self, hint: &str) -> Result<String, ToolError> {
        let value = self.external_issue_url.0.clone().or_else(|| self.external_issue.clone());
        let value = args::require_value(value, "externalIssueUrl", hint)?;
        if value.chars().count() > 500 {
            return Err(ToolError::invalid("'externalIssueUrl' is limited to 500 characters"));
        }
        Ok(value)
    }
}

/// A ticket or pull request named by its web URL: the tracker (provider key and host, with the
/// GitHub owner) and the key Sentry knows it by. Jira: `https://{site}/browse/ENG-123` (or
/// `?selectedIssue=ENG-123`); GitHub: `https://github.com/{owner}/{repo}/issues/42` or `/pull/42`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct TicketUrl {
    pub provider: &'static str,
    pub host: String,
    pub owner: Option<String>,
    pub key: String,
}

/// Read a ticket URL; `None` when `value` is not an http(s) URL, an error when it is one this
/// server cannot read a key from.
pub(super) fn ticket_url(value: &str) -> Result<Option<TicketUrl>, ToolError> {
    if !value.starts_with("https://") && !value.starts_with("http://") {
        return Ok(None);
    }
    let unreadable = || {
        ToolError::invalid(format!(
            "cannot read a ticket from '{}': pass a Jira (…/browse/ENG-123) or GitHub (…/owner/repo/issues/42 or /pull/42) URL, or the ticket's key with integrationId",
            cell(value, 200)
        ))
    };
    let url = url::Url::parse(value).map_err(|_| unreadable())?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(unreadable());
    }
    let host = url.host_str().ok_or_else(unreadable)?.to_ascii_lowercase();
    let segments: Vec<&str> =
        url.path_segments().map(|s| s.filter(|p| !p.is_empty()).collect()).unwrap_or_default();
    let jira_key = |k: &str| {
        let (project, number) = k.split_once('-')?;
        let ok = project.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && project.chars().all(|c| c.is_ascii_alphanumeric())
            && !number.is_empty()
            && number.chars().all(|c| c.is_ascii_digit());
        ok.then(|| k.to_ascii_uppercase())
    };
    if host == "github.com" {
        return match segments.as_slice() {
            [owner, repo, "issues" | "pull", n, ..] if n.chars().all(|c| c.is_ascii_digit()) => {
                Ok(Some(TicketUrl {
                    provider: "github",
                    host,
                    owner: Some(owner.to_string()),
                    key: format!("{owner}/{repo}#{n}"),
                }))
            }
            _ => Err(unreadable()),
        };
    }
    let selected =
        url.query_pairs().find(|(k, _)| k == "selectedIssue").and_then(|(_, v)| jira_key(&v));
    let browsed = match segments.as_slice() {
        [.., "browse" | "issues", k] => jira_key(k),
        _ => None,
    };
    match selected.or(browsed) {
        Some(key) => Ok(Some(TicketUrl { provider: "jira", host, owner: None, key })),
        None => Err(unreadable()),
    }
}

/// Whether an integration is the tracker a ticket URL belongs to (provider, host, GitHub owner).
pub(super) fn serves(integration: &Value, ticket: &TicketUrl) -> bool {
    let provider = str_at(integration, "/provider/key").unwrap_or("");
    let domain = str_at(integration, "/domainName").unwrap_or("").to_ascii_lowercase();
    let (domain_host, domain_owner) = match domain.split_once('/') {
        Some((h, o)) => (h.to_string(), Some(o.to_string())),
        None => (domain.clone(), None),
    };
    match ticket.provider {
        "github" => {
            provider == "github"
                && domain_host == ticket.host
                && domain_owner.as_deref()
                    == ticket.owner.as_deref().map(str::to_ascii_lowercase).as_deref()
        }
        _ => matches!(provider, "jira" | "jira_server") && domain_host == ticket.host,
    }
}

/// The integration a call names, or the only one there is.
pub(super) fn choose<'a>(list: &'a [Value], id: Option<&str>) -> Result<&'a Value, ToolError> {
    let available = || {
        list.iter()
            .map(|i| {
                format!(
                    "{} ({} {})",
                    id_at(i, "/id").unwrap_or_default(),
                    cell(str_at(i, "/provider/name").unwrap_or("?"), 40),
                    cell(str_at(i, "/name").unwrap_or(""), 60)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match id {
        Some(id) => list.iter().find(|i| id_at(i, "/id").as_deref() == Some(id)).ok_or_else(|| {
            ToolError::invalid(format!("no integration '{}' here; this organization has: {}", cell(id, 40), available()))
        }),
        None if list.len() == 1 => Ok(&list[0]),
        None if list.is_empty() => Err(ToolError::Unsupported(
            "this organization has no issue-tracker integration (Jira, GitHub...); install one in Sentry's settings first".into(),
        )),
        None => Err(ToolError::invalid(format!("pass 'integrationId', one of: {}", available()))),
    }
}

/// Markdown lines for every external issue linked to the issue.
pub(super) fn linked(ctx: &ToolContext<'_>, list: &[Value]) -> String {
    let mut out = String::new();
    for i in list {
        for x in i.get("externalIssues").and_then(Value::as_array).into_iter().flatten() {
            out.push_str(&format!(
                "- {} {} (link id {}): {} {}\n",
                cell(str_at(i, "/provider/name").unwrap_or("?"), 40),
                cell(str_at(x, "/displayName").or(str_at(x, "/key")).unwrap_or("?"), 80),
                id_at(x, "/id").unwrap_or_default(),
                ctx.untrusted.inline(str_at(x, "/title").unwrap_or(""), 150),
                str_at(x, "/url").map(|u| cell(u, 300)).unwrap_or_default()
            ));
        }
    }
    if out.is_empty() {
        out.push_str("No external issues are linked.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ticket_urls_give_the_tracker_and_the_key() {
        let jira = ticket_url("https://acme.atlassian.net/browse/shop-118").unwrap().unwrap();
        assert_eq!(
            (jira.provider, jira.host.as_str(), jira.key.as_str()),
            ("jira", "acme.atlassian.net", "SHOP-118")
        );
        let board = ticket_url(
            "https://acme.atlassian.net/jira/software/projects/SHOP/boards/1?selectedIssue=SHOP-7",
        )
        .unwrap()
        .unwrap();
        assert_eq!(board.key, "SHOP-7");
        let pr = ticket_url("https://github.com/acme/web/pull/42/files").unwrap().unwrap();
        assert_eq!(
            (pr.provider, pr.owner.as_deref(), pr.key.as_str()),
            ("github", Some("acme"), "acme/web#42")
        );
        assert_eq!(ticket_url("SHOP-118").unwrap(), None, "a key is not a URL");
        for bad in [
            "https://github.com/acme/web",
            "https://acme.atlassian.net/wiki/x",
            "https://user:pw@acme.atlassian.net/browse/A-1",
        ] {
            assert!(ticket_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_integration_serves_its_own_host_and_owner() {
        let jira = json!({"provider": {"key": "jira"}, "domainName": "acme.atlassian.net"});
        let github = json!({"provider": {"key": "github"}, "domainName": "github.com/acme"});
        let t = ticket_url("https://acme.atlassian.net/browse/OPS-1").unwrap().unwrap();
        assert!(serves(&jira, &t) && !serves(&github, &t));
        let mine = ticket_url("https://github.com/Acme/web/issues/3").unwrap().unwrap();
        let theirs = ticket_url("https://github.com/other/web/issues/3").unwrap().unwrap();
        assert!(serves(&github, &mine) && !serves(&github, &theirs) && !serves(&jira, &mine));
    }
}
