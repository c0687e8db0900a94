//! What several tools share: the org/project arguments and scope rules, naming and resolving an
//! issue (`issue_args!`, `ctx.resolve_issue`), one page of a list (`ctx.list`), an update read
//! before and after (`ctx.update`), and fetch-and-render helpers for issues and traces (used by
//! the dedicated tools and by `get_sentry_resource`).

use serde_json::{Map, Value};

use super::{ToolContext, ToolError};
use crate::render::event::{issue_and_event, EventOptions};
use crate::render::trace::{trace_markdown, TraceOptions};
use crate::render::{plain, str_at};
use crate::sentry::web_url::{self, SentryResource};
use crate::sentry::{ids, ApiPath, Host, SentryError};

/// The arguments of a tool that names one issue: `issueUrl`, or `organizationSlug` + `issueId`.
/// Implemented by [`issue_args!`].
pub(crate) trait IssueArgs {
    fn issue_url(&self) -> Option<&str>;
    fn organization_slug(&self) -> Option<&str>;
    fn issue_id(&self) -> Option<&str>;
}

/// An argument struct that starts with the parameters naming an issue (`issueUrl`,
/// `organizationSlug`, `issueId`), followed by the tool's own fields.
macro_rules! issue_args {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($fields:tt)* }) => {
        $(#[$meta])*
        $vis struct $name {
            /// Any Sentry issue or event URL, instead of organizationSlug + issueId.
            #[serde(default, deserialize_with = "crate::tools::args::string")]
            pub issue_url: Option<String>,
            #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
            #[serde(default, deserialize_with = "crate::tools::args::string")]
            #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
            pub organization_slug: Option<String>,
            /// Short id (WEB-FRONTEND-7K) or numeric id.
            #[serde(default, deserialize_with = "crate::tools::args::string")]
            pub issue_id: Option<String>,
            $($fields)*
        }

        impl $crate::tools::shared::IssueArgs for $name {
            fn issue_url(&self) -> Option<&str> {
                self.issue_url.as_deref()
            }
            fn organization_slug(&self) -> Option<&str> {
                self.organization_slug.as_deref()
            }
            fn issue_id(&self) -> Option<&str> {
                self.issue_id.as_deref()
            }
        }
    };
}
pub(crate) use issue_args;

/// The issue a call names, before it is fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IssueRef {
    pub org: String,
    /// As given: a short id (`WEB-FRONTEND-7K`) or a numeric id.
    pub issue_id: String,
    /// The event an issue URL pointed at, if any.
    pub event_id: Option<String>,
}

/// An issue a call names, fetched (and checked against the project constraint).
#[derive(Debug, Clone)]
pub(crate) struct ResolvedIssue {
    pub org: String,
    /// As given by the caller (what error messages name).
    pub issue_id: String,
    /// Sentry's numeric id, for API paths.
    pub numeric_id: String,
    /// The short id (`WEB-FRONTEND-7K`), or the id as given when Sentry has none.
    pub short_id: String,
    /// The issue as Sentry returned it.
    pub issue: Value,
}

/// One page of a list endpoint; another page exists exactly when `next_cursor` is set (which is
/// what `listing::page` reports as `hasMore`).
#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub items: Vec<Value>,
    pub next_cursor: Option<String>,
}

/// Turn a path-building failure into a tool error (ids are validated before, so this is rare).
pub(super) fn path(segments: &[&str]) -> Result<ApiPath, ToolError> {
    ApiPath::of(segments).map_err(|e| ToolError::invalid(e.to_string()))
}

impl ToolContext<'_> {
    /// The organization: the URL constraint when there is one (model input cannot override it),
    /// otherwise the `organizationSlug` argument.
    pub(crate) fn org(&self, slug: Option<&str>) -> Result<String, ToolError> {
        let org = match &self.session.constraints.organization {
            Some(org) => org.clone(),
            None => ids::slug(
                "organization",
                super::args::require_value(
                    slug,
                    "organizationSlug",
                    "Call find_organizations to list the organizations you can access.",
                )?,
            )?,
        };
        self.telemetry.set_organization(&org);
        Ok(org)
    }

    /// An optional project argument, or the URL's project constraint.
    pub(crate) fn project(&self, slug: Option<&str>) -> Result<Option<String>, ToolError> {
        if let Some(p) = &self.session.constraints.project {
            return Ok(Some(p.clone()));
        }
        Ok(slug.map(ids::project_slug_or_id).transpose()?)
    }

    /// Sentry's numeric id of `project` (a slug or an id; a slug costs one call). Project scope
    /// goes to Sentry as this `project` parameter, never as `project:` text in a search query,
    /// which the rest of the query could widen (`... OR project:other`).
    pub(crate) async fn project_id(&self, org: &str, project: &str) -> Result<String, ToolError> {
        if project.chars().all(|c| c.is_ascii_digit()) {
            return Ok(project.to_string());
        }
        let body = self
            .sentry
            .get(Host::Org(org), &path(&["projects", org, project])?, &[])
            .await
            .map_err(|e| e.about(format!("project '{project}' in organization '{org}'")))?
            .body;
        body.get("id").map(plain).ok_or_else(|| {
            ToolError::invalid(format!("Sentry returned no id for project '{project}'"))
        })
    }

    /// The org, issue id and (from a URL) event id a call refers to: `issueUrl`, or
    /// `organizationSlug` + `issueId`.
    pub(crate) fn issue_ref(&self, args: &impl IssueArgs) -> Result<IssueRef, ToolError> {
        self.issue_ref_of(args.issue_url(), args.organization_slug(), args.issue_id())
    }

    /// [`issue_ref`](Self::issue_ref), not generic (one copy in the worker).
    fn issue_ref_of(
        &self,
        issue_url: Option<&str>,
        organization_slug: Option<&str>,
        issue_id: Option<&str>,
    ) -> Result<IssueRef, ToolError> {
        if let Some(url) = issue_url {
            return match web_url::parse(url)? {
                SentryResource::Issue { org, issue_id, event_id } => {
                    self.ensure_org_in_scope(&org)?;
                    Ok(IssueRef { org, issue_id, event_id })
                }
                _ => Err(ToolError::invalid("'issueUrl' is not an issue link; for traces and other pages use get_sentry_resource")),
            };
        }
        let org = self.org(organization_slug)?;
        let issue = super::args::require_value(
            issue_id,
            "issueId",
            "Pass issueUrl, or organizationSlug and issueId (e.g. WEB-FRONTEND-7K).",
        )?;
        Ok(IssueRef { org, issue_id: ids::issue_id(issue)?, event_id: None })
    }

    /// The issue a call names ([`issue_ref`](Self::issue_ref)), fetched.
    pub(crate) async fn resolve_issue(
        &self,
        args: &impl IssueArgs,
    ) -> Result<ResolvedIssue, ToolError> {
        let r = self.issue_ref(args)?;
        self.fetch_resolved(r).await
    }

    /// Fetch the issue an [`IssueRef`] names.
    pub(crate) async fn fetch_resolved(&self, r: IssueRef) -> Result<ResolvedIssue, ToolError> {
        let issue = self.fetch_issue(&r.org, &r.issue_id).await?;
        let numeric_id = issue.get("id").map(plain).unwrap_or_else(|| r.issue_id.clone());
        let short_id = str_at(&issue, "/shortId").unwrap_or(&r.issue_id).to_string();
        Ok(ResolvedIssue { org: r.org, issue_id: r.issue_id, numeric_id, short_id, issue })
    }

    /// One page of a list endpoint whose body is a JSON array.
    pub(crate) async fn list(
        &self,
        host: Host<'_>,
        path: &ApiPath,
        query: &[(&str, String)],
    ) -> Result<Page, SentryError> {
        let resp = self.sentry.get(host, path, query).await?;
        let items = match resp.body {
            Value::Array(items) => items,
            _ => Vec::new(),
        };
        Ok(Page { items, next_cursor: resp.next_cursor })
    }

    /// Read a resource, `PUT` `changes` to it, and return it as it was and as Sentry now has it:
    /// the update tools show each changed field before and after. `subject` names the resource in
    /// errors ([`SentryError::about`]).
    pub(crate) async fn update(
        &self,
        org: &str,
        path: &ApiPath,
        changes: &Map<String, Value>,
        subject: &str,
    ) -> Result<(Value, Value), ToolError> {
        let about = |e: SentryError| e.about(subject);
        let before = self.sentry.get(Host::Org(org), path, &[]).await.map_err(about)?.body;
        let changes = Value::Object(changes.clone());
        let after = self
            .sentry
            .send("PUT", Host::Org(org), path, &[], Some(&changes))
            .await
            .map_err(about)?
            .body;
        Ok((before, after))
    }

    /// Fetch an issue, refusing one outside the project constraint.
    pub(crate) async fn fetch_issue(&self, org: &str, issue_id: &str) -> Result<Value, ToolError> {
        let issue = self
            .sentry
            .get(Host::Org(org), &path(&["organizations", org, "issues", issue_id])?, &[])
            .await
            .map_err(|e| e.about(format!("issue '{issue_id}' in organization '{org}'")))?
            .body;
        self.ensure_project_in_scope(&issue)?;
        Ok(issue)
    }

    /// Refuse an organization taken from a URL or id when the connection is limited to another.
    pub(crate) fn ensure_org_in_scope(&self, org: &str) -> Result<(), ToolError> {
        match &self.session.constraints.organization {
            Some(fixed) if !fixed.eq_ignore_ascii_case(org) => Err(ToolError::OutOfScope(format!(
                "this connection is limited to organization '{fixed}', but the request names '{org}'. {} to work with it.",
                self.session.access.org_hint(org)
            ))),
            _ => Ok(()),
        }
    }

    /// Refuse an issue whose project is not the connection's project constraint.
    pub(crate) fn ensure_project_in_scope(&self, issue: &Value) -> Result<(), ToolError> {
        let Some(fixed) = &self.session.constraints.project else { return Ok(()) };
        let slug = issue.pointer("/project/slug").and_then(Value::as_str).unwrap_or("");
        let id = issue.pointer("/project/id").and_then(Value::as_str).unwrap_or("");
        if slug.eq_ignore_ascii_case(fixed) || id == fixed {
            Ok(())
        } else {
            Err(ToolError::OutOfScope(format!("this connection is limited to project '{fixed}', and this issue belongs to project '{slug}'.")))
        }
    }

    /// Markdown for one issue and one of its events.
    pub(crate) async fn issue_with_event(
        &self,
        org: &str,
        issue_id: &str,
        event_id: Option<&str>,
        opts: &EventOptions,
    ) -> Result<String, ToolError> {
        let issue = self.fetch_issue(org, issue_id).await?;
        let numeric_id = issue.get("id").and_then(Value::as_str).unwrap_or(issue_id).to_string();
        let which = event_id.unwrap_or("latest");
        let event = self
            .sentry
            .get(
                Host::Org(org),
                &path(&["organizations", org, "issues", &numeric_id, "events", which])?,
                &[],
            )
            .await;
        let mut out = String::new();
        let u = &self.untrusted;
        match event {
            Ok(resp) => issue_and_event(&issue, org, Some((&resp.body, which)), opts, u, &mut out),
            Err(SentryError::NotFound { .. }) if event_id.is_some() => {
                return Err(SentryError::NotFound {
                    subject: Some(format!("event '{which}' of issue '{issue_id}'")),
                }
                .into())
            }
            Err(SentryError::NotFound { .. }) => {
                issue_and_event(&issue, org, None, opts, u, &mut out);
                out.push_str("\n_This issue has no stored events (they may have expired)._\n");
            }
            Err(e) => return Err(e.into()),
        }
        out.push_str(
            "\nMore events: search_issue_events, or eventId here ('oldest', 'recommended', an id).\n",
        );
        Ok(out)
    }

    /// Markdown for a trace. Under a project constraint Sentry is asked for that project only
    /// (`project=<id>`, not every project), and any node of another project that still comes back
    /// is left out (its in-scope descendants move up) and counted in a closing note; the
    /// trace-wide counts of `/trace-meta/` are not shown, as they include other projects.
    pub(crate) async fn trace(
        &self,
        org: &str,
        trace_id: &str,
        opts: &TraceOptions,
    ) -> Result<String, ToolError> {
        self.trace_tree(org, trace_id, opts).await.map(|(md, _)| md)
    }

    /// [`Self::trace`], and the span tree it shows (Sentry's `/trace/` nodes, scoped as above).
    pub(crate) async fn trace_tree(
        &self,
        org: &str,
        trace_id: &str,
        opts: &TraceOptions,
    ) -> Result<(String, Value), ToolError> {
        let period = ("statsPeriod", "14d".to_string());
        let scope = match &self.session.constraints.project {
            Some(fixed) => Some((fixed.clone(), self.project_id(org, fixed).await?)),
            None => None,
        };
        let meta = match &scope {
            Some(_) => Ok(Value::Null),
            None => self
                .sentry
                .get(
                    Host::Org(org),
                    &path(&["organizations", org, "trace-meta", trace_id])?,
                    std::slice::from_ref(&period),
                )
                .await
                .map(|r| r.body),
        };
        let meta = match meta {
            Ok(body) => body,
            Err(SentryError::NotFound { .. }) => Value::Null,
            Err(e) => return Err(e.into()),
        };
        let limit = ("limit", (opts.max_spans.max(100) * 2).to_string());
        let project = ("project", scope.as_ref().map_or_else(|| "-1".into(), |(_, id)| id.clone()));
        let tree = self
            .sentry
            .get(
                Host::Org(org),
                &path(&["organizations", org, "trace", trace_id])?,
                &[period, limit, project],
            )
            .await
            .map_err(|e| e.about(format!("trace '{trace_id}' in organization '{org}'")))?
            .body;
        let Some((fixed, id)) = scope else {
            let md = trace_markdown(trace_id, org, &meta, &tree, opts, &self.untrusted);
            return Ok((md, tree));
        };
        let mut left_out = 0;
        let roots = match tree {
            Value::Array(nodes) => nodes,
            _ => Vec::new(),
        };
        let in_scope = |node: &Value| {
            let slug = node.get("project_slug").and_then(Value::as_str);
            let node_id = node.get("project_id").map(plain);
            slug.is_some_and(|s| s.eq_ignore_ascii_case(&fixed))
                || node_id.is_some_and(|n| n == id || n == fixed)
        };
        let kept = Value::Array(keep_nodes(roots, &in_scope, &mut left_out));
        let mut out = trace_markdown(trace_id, org, &Value::Null, &kept, opts, &self.untrusted);
        if left_out > 0 {
            out.push_str(&format!(
                "\n_{left_out} span(s) or error(s) of other projects in this trace are left out: this connection is limited to project '{fixed}'._\n"
            ));
        }
        Ok((out, kept))
    }
}

/// The trace nodes `keep` accepts, with their `children` filtered the same way; a refused node
/// is counted in `left_out` and its accepted descendants take its place.
fn keep_nodes(
    nodes: Vec<Value>,
    keep: &dyn Fn(&Value) -> bool,
    left_out: &mut usize,
) -> Vec<Value> {
    let mut out = Vec::new();
    for mut node in nodes {
        let children = match node.get_mut("children").map(Value::take) {
            Some(Value::Array(c)) => keep_nodes(c, keep, left_out),
            _ => Vec::new(),
        };
        if keep(&node) {
            if let Some(obj) = node.as_object_mut() {
                obj.insert("children".into(), Value::Array(children));
            }
            out.push(node);
        } else {
            *left_out += 1;
            out.extend(children);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn other_projects_nodes_are_left_out_and_their_in_scope_descendants_move_up() {
        let tree = json!([
            {"span_id": "a", "project_slug": "web", "children": [
                {"span_id": "b", "project_slug": "api", "children": [
                    {"span_id": "c", "project_slug": "api", "children": []},
                    {"span_id": "d", "project_slug": "web", "children": []}
                ]}
            ]},
            {"event_id": "e", "project_slug": "web", "project_id": 11},
            {"event_id": "f", "project_id": 12}
        ]);
        let Value::Array(roots) = tree else { unreachable!() };
        let mut left_out = 0;
        let in_api = |n: &Value| {
            n.get("project_slug").and_then(Value::as_str) == Some("api")
                || n.get("project_id").map(plain).as_deref() == Some("12")
        };
        let kept = keep_nodes(roots, &in_api, &mut left_out);
        assert_eq!(left_out, 3, "a, d and e");
        let ids: Vec<&str> = kept
            .iter()
            .map(|n| n.get("span_id").or(n.get("event_id")).and_then(Value::as_str).unwrap())
            .collect();
        assert_eq!(ids, ["b", "f"]);
        assert_eq!(kept[0]["children"].as_array().unwrap().len(), 1);
        assert_eq!(kept[0]["children"][0]["span_id"], "c");
    }
}
