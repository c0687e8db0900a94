//! What several tools share: schema fragments, the org/project scope rules, and fetch-and-render
//! helpers for issues and traces (used by the dedicated tools and by `get_sentry_resource`).

use serde_json::{json, Value};

use super::{Args, ToolContext, ToolError};
use crate::render::event::{event_details, issue_header, EventOptions};
use crate::render::trace::{trace_markdown, TraceOptions};
use crate::sentry::web_url::{self, SentryResource};
use crate::sentry::{ids, ApiPath, Host, SentryError};

/// Schema of `organizationSlug`.
pub fn org_param() -> Value {
    json!({"type": "string", "description": "Organization slug, e.g. 'acme'. Call find_organizations if unsure."})
}

/// Schema of `cursor`.
pub fn cursor_param() -> Value {
    json!({"type": "string", "description": "Cursor from a previous result's 'Next page' line, to fetch the next page."})
}

/// The properties that name an issue (`issueUrl`, or `organizationSlug` + `issueId`), merged with
/// a tool's own properties.
pub fn issue_params(own: Value) -> Value {
    let mut props = json!({
        "issueUrl": {"type": "string", "description": "A Sentry issue or event URL, in any form. Use instead of organizationSlug + issueId."},
        "organizationSlug": org_param(),
        "issueId": {"type": "string", "description": "Short id (WEB-FRONTEND-7K) or numeric id."},
    });
    if let (Some(p), Value::Object(own)) = (props.as_object_mut(), own) {
        p.extend(own);
    }
    props
}

/// Turn a path-building failure into a tool error (ids are validated before, so this is rare).
pub fn path(segments: &[&str]) -> Result<ApiPath, ToolError> {
    ApiPath::of(segments).map_err(|e| ToolError::invalid(e.to_string()))
}

impl ToolContext<'_> {
    /// The organization: the URL constraint when there is one (model input cannot override it),
    /// otherwise the `organizationSlug` argument.
    pub fn org(&self, args: &Args) -> Result<String, ToolError> {
        let org = match &self.session.constraints.organization {
            Some(org) => org.clone(),
            None => ids::slug(
                "organization",
                &args.req_str(
                    "organizationSlug",
                    "Call find_organizations to list the organizations you can access.",
                )?,
            )?,
        };
        self.telemetry.set_organization(&org);
        Ok(org)
    }

    /// An optional project argument, or the URL's project constraint.
    pub fn project(&self, args: &Args, name: &str) -> Result<Option<String>, ToolError> {
        if let Some(p) = &self.session.constraints.project {
            return Ok(Some(p.clone()));
        }
        Ok(args.opt_str(name)?.map(|p| ids::project_slug_or_id(&p)).transpose()?)
    }

    /// The org, issue id and (from a URL) event id a call refers to: `issueUrl`, or
    /// `organizationSlug` + `issueId`.
    pub fn issue_ref(&self, args: &Args) -> Result<(String, String, Option<String>), ToolError> {
        if let Some(url) = args.opt_str("issueUrl")? {
            return match web_url::parse(&url)? {
                SentryResource::Issue { org, issue_id, event_id } => {
                    self.ensure_org_in_scope(&org)?;
                    Ok((org, issue_id, event_id))
                }
                _ => Err(ToolError::invalid("'issueUrl' is not an issue link; for traces and other pages use get_sentry_resource")),
            };
        }
        let org = self.org(args)?;
        let issue = args.req_str(
            "issueId",
            "Pass issueUrl, or organizationSlug and issueId (e.g. WEB-FRONTEND-7K).",
        )?;
        Ok((org, ids::issue_id(&issue)?, None))
    }

    /// Fetch an issue, refusing one outside the project constraint.
    pub async fn fetch_issue(&self, org: &str, issue_id: &str) -> Result<Value, ToolError> {
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
    pub fn ensure_org_in_scope(&self, org: &str) -> Result<(), ToolError> {
        match &self.session.constraints.organization {
            Some(fixed) if !fixed.eq_ignore_ascii_case(org) => Err(ToolError::OutOfScope(format!(
                "this connection is limited to organization '{fixed}', but the request names '{org}'. {} to work with it.",
                self.session.access.org_hint(org)
            ))),
            _ => Ok(()),
        }
    }

    /// Refuse an issue whose project is not the connection's project constraint.
    pub fn ensure_project_in_scope(&self, issue: &Value) -> Result<(), ToolError> {
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
    pub async fn issue_with_event(
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
        issue_header(&issue, org, &self.untrusted, &mut out);
        match event {
            Ok(resp) => event_details(&resp.body, which, opts, &self.untrusted, &mut out),
            Err(SentryError::NotFound { .. }) if event_id.is_some() => {
                return Err(SentryError::NotFound {
                    subject: Some(format!("event '{which}' of issue '{issue_id}'")),
                }
                .into())
            }
            Err(SentryError::NotFound { .. }) => {
                out.push_str("\n_This issue has no stored events (they may have expired)._\n")
            }
            Err(e) => return Err(e.into()),
        }
        out.push_str(&format!(
            "\n## Next steps\n- Events of this issue: search_events with query `issue:{}`.\n- Another event: call again with eventId (an id, 'oldest' or 'recommended').\n",
            issue.get("shortId").and_then(Value::as_str).unwrap_or(issue_id)
        ));
        Ok(out)
    }

    /// Markdown for a trace.
    pub async fn trace(
        &self,
        org: &str,
        trace_id: &str,
        opts: &TraceOptions,
    ) -> Result<String, ToolError> {
        let period = ("statsPeriod", "14d".to_string());
        let meta = self
            .sentry
            .get(
                Host::Org(org),
                &path(&["organizations", org, "trace-meta", trace_id])?,
                std::slice::from_ref(&period),
            )
            .await;
        let meta = match meta {
            Ok(r) => r.body,
            Err(SentryError::NotFound { .. }) => Value::Null,
            Err(e) => return Err(e.into()),
        };
        let limit = ("limit", (opts.max_spans.max(100) * 2).to_string());
        let tree = self
            .sentry
            .get(
                Host::Org(org),
                &path(&["organizations", org, "trace", trace_id])?,
                &[period, limit, ("project", "-1".into())],
            )
            .await
            .map_err(|e| e.about(format!("trace '{trace_id}' in organization '{org}'")))?
            .body;
        Ok(trace_markdown(trace_id, org, &meta, &tree, opts, &self.untrusted))
    }
}
