//! `find_releases`: recent releases, with their deploys, commits and new issues.

use serde::Deserialize;
use serde_json::{json, Value};

use super::args;
use super::listing::{self, opt_string};
use super::shared::path;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{num_at, str_at};
use crate::sentry::Host;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: args::Required,
    /// Only releases of this project (slug or numeric id).
    #[serde(default, deserialize_with = "args::string")]
    #[cfg_attr(test, schemars(extend("x-scope" = "project")))]
    pub project_slug: Option<String>,
    /// Start of a version, e.g. 'web-frontend@2.14'.
    #[serde(default, deserialize_with = "args::string")]
    pub query: Option<String>,
    /// Releases per page (default 10).
    #[serde(default, deserialize_with = "args::int::<_, 1, 100>")]
    #[cfg_attr(test, schemars(range(min = 1, max = 100)))]
    pub limit: Option<i64>,
    #[cfg_attr(test, schemars(description = crate::tools::args::CURSOR))]
    #[serde(default, deserialize_with = "args::cursor")]
    pub cursor: Option<String>,
}

tool! {
    pub(super) struct FindReleases {
        name: "find_releases",
        title: "Find releases",
        skills: &[Skill::Inspect],
        annotations: Annotations::READ,
        hidden_when: HiddenWhen::Never,
        args: Args,
        output_schema: output_schema,
    }
}

fn output_schema() -> Value {
    let s = opt_string();
    listing::page_schema(
        "releases",
        json!({"version": {"type": "string"}, "dateCreated": s, "dateReleased": s, "newGroups": {"type": ["integer", "null"]},
               "projects": {"type": "array", "items": {"type": "string"}}, "lastCommitMessage": s, "lastDeployEnvironment": s, "lastDeployFinished": s}),
        json!({"organization": {"type": "string"}}),
    )
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let limit = args.limit.unwrap_or(10);
    let query = listing::list_query(limit, args.query.as_deref(), args.cursor.as_deref());
    let api_path = match ctx.project(args.project_slug.as_deref())? {
        Some(p) => path(&["projects", &org, &p, "releases"])?,
        None => path(&["organizations", &org, "releases"])?,
    };
    let page = ctx
        .list(Host::Org(&org), &api_path, &query)
        .await
        .map_err(|e| e.about(format!("releases of organization '{org}'")))?;
    let releases = &page.items;
    let u = &ctx.untrusted;
    let mut out = format!("# Releases in **{org}**\n");
    let mut items = Vec::new();
    for r in releases {
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
    out.push_str(&listing::footer(page.next_cursor.as_deref(), releases.len(), "releases"));
    out.push_str("\nNext: search_issues(query=\"release:<version>\") for a release's issues.\n");
    let structured =
        listing::page("releases", items, page.next_cursor.as_deref(), json!({"organization": org}));
    Ok(ToolOutput::markdown(u.finish(out))
        .with_structured(structured, &["/releases/*/version", "/releases/*/lastCommitMessage"]))
}
