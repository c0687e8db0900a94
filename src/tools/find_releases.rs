//! `find_releases`: recent releases, with their deploys, commits and new issues.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::listing::{self, opt_string};
use super::shared::{cursor_param, org_param, path};
use super::{
    Annotations, Args, HiddenWhen, Skill, Tool, ToolContext, ToolError, ToolOutput, ToolSpec,
};
use crate::render::{num_at, str_at};
use crate::sentry::Host;

pub struct FindReleases;

static SPEC: ToolSpec = ToolSpec {
    name: "find_releases",
    title: "Find releases",
    description_file: include_str!("../../tool-descriptions/find_releases.md"),
    skills: &[Skill::Inspect],
    annotations: Annotations::READ,
    hidden_when: HiddenWhen::Never,
};

#[async_trait(?Send)]
impl Tool for FindReleases {
    fn spec(&self) -> &'static ToolSpec {
        &SPEC
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "organizationSlug": org_param(),
                "projectSlug": {"type": "string", "description": "Only releases of this project (slug or numeric id)."},
                "query": {"type": "string", "description": "Start of a version, e.g. 'web-frontend@2.14'."},
                "limit": {"type": "integer", "minimum": 1, "maximum": 100, "description": "Releases per page (default 10)."},
                "cursor": cursor_param(),
            },
            "required": ["organizationSlug"],
            "additionalProperties": false
        })
    }

    fn output_schema(&self) -> Option<Value> {
        let s = opt_string();
        Some(listing::page_schema(
            "releases",
            json!({"version": {"type": "string"}, "dateCreated": s, "dateReleased": s, "newGroups": {"type": ["integer", "null"]},
                   "projects": {"type": "array", "items": {"type": "string"}}, "lastCommitMessage": s, "lastDeployEnvironment": s, "lastDeployFinished": s}),
            json!({"organization": {"type": "string"}}),
        ))
    }

    async fn call(&self, ctx: &ToolContext<'_>, args: &Args) -> Result<ToolOutput, ToolError> {
        let org = ctx.org(args)?;
        let limit = args.opt_int("limit", 1, 100)?.unwrap_or(10);
        let query = listing::list_query(args, limit)?;
        let api_path = match ctx.project(args, "projectSlug")? {
            Some(p) => path(&["projects", &org, &p, "releases"])?,
            None => path(&["organizations", &org, "releases"])?,
        };
        let resp = ctx
            .sentry
            .get(Host::Org(&org), &api_path, &query)
            .await
            .map_err(|e| e.about(format!("releases of organization '{org}'")))?;
        let releases = resp.body.as_array().cloned().unwrap_or_default();
        let u = &ctx.untrusted;
        let mut out = format!("# Releases in **{org}**\n");
        let mut items = Vec::new();
        for r in &releases {
            let version = str_at(r, "/version").unwrap_or("?");
            out.push_str(&format!("\n## {}\n", u.inline(version, 120)));
            let mut facts = Vec::new();
            if let Some(d) = str_at(r, "/dateReleased").or(str_at(r, "/dateCreated")) {
                facts.push(format!("**Released**: {d}"));
            }
            if let Some(n) = num_at(r, "/newGroups") {
                facts.push(format!("**New issues**: {n}"));
            }
            let projects: Vec<&str> = r
                .get("projects")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|p| str_at(p, "/slug")).collect())
                .unwrap_or_default();
            if !projects.is_empty() {
                facts.push(format!("**Projects**: {}", projects.join(", ")));
            }
            if let Some(env) = str_at(r, "/lastDeploy/environment") {
                facts.push(format!(
                    "**Last deploy**: {env} {}",
                    str_at(r, "/lastDeploy/dateFinished").unwrap_or("")
                ));
            }
            out.push_str(&facts.join(" · "));
            out.push('\n');
            if let Some(msg) = str_at(r, "/lastCommit/message") {
                out.push_str(&format!("**Last commit**: {}\n", u.inline(msg, 200)));
            }
            items.push(json!({
                "version": version, "dateCreated": str_at(r, "/dateCreated"), "dateReleased": str_at(r, "/dateReleased"),
                "newGroups": num_at(r, "/newGroups"), "projects": projects, "lastCommitMessage": str_at(r, "/lastCommit/message"),
                "lastDeployEnvironment": str_at(r, "/lastDeploy/environment"), "lastDeployFinished": str_at(r, "/lastDeploy/dateFinished"),
            }));
        }
        if releases.is_empty() {
            out.push_str("\nNo releases found.\n");
        }
        out.push_str(&listing::footer(resp.next_cursor.as_deref(), releases.len(), "releases"));
        out.push_str(
            "\nNext: search_issues(query=\"release:<version>\") for a release's issues.\n",
        );
        let structured = listing::page(
            "releases",
            items,
            resp.next_cursor.as_deref(),
            json!({"organization": org}),
        );
        Ok(ToolOutput::markdown(u.finish(out))
            .with_structured(structured, &["/releases/*/version", "/releases/*/lastCommitMessage"]))
    }
}
