//! `get_monitor_details`: one cron, uptime or metric monitor with its recent runs: a cron
//! monitor's check-ins per environment, an uptime monitor's recent checks, a metric monitor's
//! query, thresholds, connected alerts and latest issue.

use serde::Deserialize;
use serde_json::Value;

use super::monitoring::{self, MonitorKind};
use super::shared::path;
use super::{args, tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{cell, id_at, num_at, plain, str_at};
use crate::sentry::{ids, Host};

/// Recent check-ins or checks shown.
const RECENT: i64 = 10;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: args::Required,
    /// Default cron.
    #[serde(default, deserialize_with = "args::choice")]
    pub kind: Option<MonitorKind>,
    /// A cron monitor's slug.
    #[serde(default, deserialize_with = "args::string")]
    pub monitor_slug: Option<String>,
    /// An uptime or metric monitor id.
    #[serde(default, deserialize_with = "args::string")]
    pub monitor_id: Option<String>,
    /// Required for uptime.
    #[serde(default, deserialize_with = "args::string")]
    #[cfg_attr(test, schemars(extend("x-scope" = "project")))]
    pub project_slug: Option<String>,
}

tool! {
    pub(super) struct GetMonitorDetails {
        name: "get_monitor_details",
        title: "Get monitor details",
        skills: &[Skill::Inspect, Skill::Triage],
        annotations: Annotations::READ,
        hidden_when: HiddenWhen::Never,
        args: Args,
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let out = match args.kind.unwrap_or(MonitorKind::Cron) {
        MonitorKind::Cron => {
            let slug = args.monitor_slug.or(args.monitor_id).ok_or_else(|| {
                ToolError::invalid("'monitorSlug' is required for a cron monitor. Call find_monitors to list them.")
            })?;
            cron(ctx, &org, &ids::slug("monitor", &slug)?).await?
        }
        MonitorKind::Uptime => {
            let id = numeric_id(args.monitor_id.as_deref(), "an uptime monitor")?;
            let project = ctx.project(args.project_slug.as_deref())?.ok_or_else(|| {
                ToolError::invalid("'projectSlug' is required for an uptime monitor (find_monitors(kind=\"uptime\") shows each monitor's project).")
            })?;
            uptime(ctx, &org, &project, &id).await?
        }
        MonitorKind::Metric => {
            let id = numeric_id(args.monitor_id.as_deref(), "a metric monitor")?;
            metric(ctx, &org, &id).await?
        }
    };
    Ok(ToolOutput::markdown(ctx.untrusted.finish(out)))
}

/// A monitor id as Sentry issues them: digits only.
pub(super) fn numeric_id(id: Option<&str>, what: &str) -> Result<String, ToolError> {
    match id {
        Some(id) if !id.is_empty() && id.len() <= 20 && id.chars().all(|c| c.is_ascii_digit()) => {
            Ok(id.to_string())
        }
        Some(other) => Err(ToolError::invalid(format!(
            "'monitorId' of {what} is a number such as 7301, not '{}'",
            cell(other, 40)
        ))),
        None => Err(ToolError::invalid(format!(
            "'monitorId' is required for {what}. Call find_monitors to list them."
        ))),
    }
}

/// Refuse a monitor of another project when the connection is limited to one.
fn ensure_project(
    ctx: &ToolContext<'_>,
    slug: Option<&str>,
    id: Option<&str>,
) -> Result<(), ToolError> {
    let Some(fixed) = &ctx.session.constraints.project else { return Ok(()) };
    if slug.is_some_and(|s| s.eq_ignore_ascii_case(fixed)) || id == Some(fixed.as_str()) {
        return Ok(());
    }
    Err(ToolError::OutOfScope(format!(
        "this connection is limited to project '{fixed}', and this monitor belongs to another project."
    )))
}

async fn cron(ctx: &ToolContext<'_>, org: &str, slug: &str) -> Result<String, ToolError> {
    let about = |e: crate::sentry::SentryError| {
        e.about(format!("cron monitor '{slug}' in organization '{org}'"))
    };
    let m = ctx
        .sentry
        .get(Host::Org(org), &path(&["organizations", org, "monitors", slug])?, &[])
        .await
        .map_err(about)?
        .body;
    ensure_project(ctx, str_at(&m, "/project/slug"), id_at(&m, "/project/id").as_deref())?;
    let u = &ctx.untrusted;
    let (line, _) = monitoring::cron_line(&m, u);
    let mut out = format!(
        "# Cron monitor `{}` in **{org}**\n\n{}\n",
        cell(slug, 100),
        line.trim_start_matches("- ")
    );
    let c = m.get("config").unwrap_or(&Value::Null);
    let mut facts = Vec::new();
    for (label, key, unit) in [
        ("Check-in margin", "/checkin_margin", " min"),
        ("Max runtime", "/max_runtime", " min"),
        ("Failures before an issue", "/failure_issue_threshold", ""),
        ("Successes before recovery", "/recovery_threshold", ""),
    ] {
        if let Some(n) = num_at(c, key) {
            facts.push(format!("**{label}**: {n}{unit}"));
        }
    }
    if let Some(owner) = str_at(&m, "/owner/name") {
        facts.push(format!("**Owner**: {}", cell(owner, 60)));
    }
    if !facts.is_empty() {
        out.push_str(&format!("{}\n", facts.join(" · ")));
    }
    out.push_str("\n## Environments\n");
    for e in m.get("environments").and_then(Value::as_array).into_iter().flatten() {
        out.push_str(&format!(
            "- **{}**: {} · last check-in {} · next expected {}{}\n",
            cell(str_at(e, "/name").unwrap_or("?"), 40),
            str_at(e, "/status").unwrap_or("unknown"),
            str_at(e, "/lastCheckIn").unwrap_or("never"),
            str_at(e, "/nextCheckIn").unwrap_or("?"),
            match str_at(e, "/activeIncident/startingTimestamp") {
                Some(t) => format!(" · **failing since {t}**"),
                None => String::new(),
            }
        ));
    }
    let checkins = ctx
        .list(
            Host::Org(org),
            &path(&["organizations", org, "monitors", slug, "checkins"])?,
            &[("per_page", RECENT.to_string())],
        )
        .await
        .map_err(about)?;
    out.push_str("\n## Recent check-ins\n");
    if checkins.items.is_empty() {
        out.push_str("No check-ins yet.\n");
    } else {
        out.push_str("| Expected | Environment | Status | Duration | Issue |\n| --- | --- | --- | --- | --- |\n");
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        for ci in &checkins.items {
            let status = str_at(ci, "/status").unwrap_or("?");
            *counts.entry(status.to_string()).or_default() += 1;
            let issue = ci.pointer("/groups/0/shortId").map(plain).unwrap_or_default();
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                str_at(ci, "/expectedTime").or(str_at(ci, "/dateCreated")).unwrap_or("?"),
                cell(str_at(ci, "/environment").unwrap_or(""), 40),
                status,
                num_at(ci, "/duration")
                    .map(|ms| format!("{:.1} s", ms as f64 / 1000.0))
                    .unwrap_or_else(|| "—".into()),
                issue
            ));
        }
        let summary: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
        out.push_str(&format!("\n**Last {}**: {}\n", checkins.items.len(), summary.join(", ")));
    }
    out.push_str(&format!(
        "\nNext: search_issues(query=\"monitor.slug:{slug}\") for the issues this monitor opened.\n"
    ));
    Ok(out)
}

async fn uptime(
    ctx: &ToolContext<'_>,
    org: &str,
    project: &str,
    id: &str,
) -> Result<String, ToolError> {
    let about = |e: crate::sentry::SentryError| {
        e.about(format!("uptime monitor {id} of project '{project}' in organization '{org}'"))
    };
    let m = ctx
        .sentry
        .get(Host::Org(org), &path(&["projects", org, project, "uptime", id])?, &[])
        .await
        .map_err(about)?
        .body;
    let u = &ctx.untrusted;
    let (line, _) = monitoring::uptime_line(&m, u);
    let mut out =
        format!("# Uptime monitor {id} in **{org}**\n\n{}\n", line.trim_start_matches("- "));
    let mut facts = Vec::new();
    if let Some(env) = str_at(&m, "/environment") {
        facts.push(format!("**Environment**: {}", cell(env, 60)));
    }
    if let Some(n) = num_at(&m, "/downtimeThreshold") {
        facts.push(format!("**Failures before down**: {n}"));
    }
    if let Some(n) = num_at(&m, "/recoveryThreshold") {
        facts.push(format!("**Successes before up**: {n}"));
    }
    if let Some(owner) = str_at(&m, "/owner/name") {
        facts.push(format!("**Owner**: {}", cell(owner, 60)));
    }
    if !facts.is_empty() {
        out.push_str(&format!("{}\n", facts.join(" · ")));
    }
    let checks = ctx
        .list(
            Host::Org(org),
            &path(&["projects", org, project, "uptime", id, "checks"])?,
            &[("per_page", RECENT.to_string())],
        )
        .await
        .map_err(about)?;
    out.push_str("\n## Recent checks\n");
    if checks.items.is_empty() {
        out.push_str("No checks yet.\n");
    } else {
        out.push_str(
            "| Time | Region | Result | HTTP | Duration |\n| --- | --- | --- | --- | --- |\n",
        );
        let mut failures = 0;
        for c in &checks.items {
            let status = str_at(c, "/checkStatus").unwrap_or("?");
            if status != "success" {
                failures += 1;
            }
            let result = match str_at(c, "/checkStatusReason") {
                Some(reason) if reason != status => format!("{status} ({})", cell(reason, 40)),
                _ => status.to_string(),
            };
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                str_at(c, "/timestamp").unwrap_or("?"),
                cell(str_at(c, "/regionName").or(str_at(c, "/region")).unwrap_or(""), 40),
                result,
                num_at(c, "/httpStatusCode").map(|n| n.to_string()).unwrap_or_else(|| "—".into()),
                num_at(c, "/durationMs").map(|n| format!("{n} ms")).unwrap_or_else(|| "—".into()),
            ));
        }
        out.push_str(&format!("\n**Last {}**: {} failed\n", checks.items.len(), failures));
    }
    out.push_str("\nNext: update_monitor(kind=\"uptime\") to change it; search_issues(query=\"issue.category:uptime\") for downtime issues.\n");
    Ok(out)
}

/// A metric monitor (detector of type `metric_issue`), refused when it is of another kind or
/// outside the connection's project (also for the writes, which read it first).
pub(super) async fn fetch_metric(
    ctx: &ToolContext<'_>,
    org: &str,
    id: &str,
) -> Result<Value, ToolError> {
    let m = ctx
        .sentry
        .get(Host::Org(org), &path(&["organizations", org, "detectors", id])?, &[])
        .await
        .map_err(|e| e.about(format!("metric monitor {id} in organization '{org}'")))?
        .body;
    if str_at(&m, "/type").is_some_and(|t| t != "metric_issue") {
        return Err(ToolError::invalid(format!(
            "monitor {id} is a {} monitor, not a metric monitor; pass its kind",
            cell(str_at(&m, "/type").unwrap_or("?"), 40)
        )));
    }
    if let Some(fixed) = &ctx.session.constraints.project {
        let fixed_id = ctx.project_id(org, fixed).await?;
        if id_at(&m, "/projectId").as_deref() != Some(fixed_id.as_str()) {
            return Err(ToolError::OutOfScope(format!("this connection is limited to project '{fixed}', and this monitor belongs to another project.")));
        }
    }
    Ok(m)
}

async fn metric(ctx: &ToolContext<'_>, org: &str, id: &str) -> Result<String, ToolError> {
    let m = fetch_metric(ctx, org, id).await?;
    let project_id = id_at(&m, "/projectId");
    let u = &ctx.untrusted;
    let mut out = format!(
        "# Metric monitor {id} in **{org}**\n\n**Name**: {}\n**Query**: {}\n**Thresholds**: {}\n",
        u.inline(str_at(&m, "/name").unwrap_or("?"), 120),
        monitoring::metric_query(&m, u),
        monitoring::metric_thresholds(&m)
    );
    let mut facts = vec![format!(
        "**Enabled**: {}",
        if m.get("enabled").and_then(Value::as_bool).unwrap_or(true) { "yes" } else { "no" }
    )];
    if let Some(p) = &project_id {
        facts.push(format!("**Project id**: {p}"));
    }
    if let Some(owner) = str_at(&m, "/owner/name") {
        facts.push(format!("**Owner**: {}", cell(owner, 60)));
    }
    if let Some(d) = str_at(&m, "/dateUpdated") {
        facts.push(format!("**Updated**: {d}"));
    }
    out.push_str(&format!("{}\n", facts.join(" · ")));
    let workflows: Vec<String> = m
        .get("workflowIds")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(plain).collect())
        .unwrap_or_default();
    out.push_str(&format!(
        "**Alerts connected**: {}\n",
        if workflows.is_empty() {
            "none (it opens issues but notifies nobody)".into()
        } else {
            workflows.join(", ")
        }
    ));
    if let Some(issue) = str_at(&m, "/latestGroup/shortId") {
        out.push_str(&format!(
            "**Latest issue**: {issue} ({})\n",
            str_at(&m, "/latestGroup/status").unwrap_or("?")
        ));
    }
    out.push_str("\nNext: find_alert_rules(alertRuleId=...) for a connected alert; get_issue_details for its latest issue.\n");
    Ok(out)
}
