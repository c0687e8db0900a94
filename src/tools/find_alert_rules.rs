//! `find_alert_rules`: an organization's alerts (Sentry's workflows): when each fires, what it
//! filters on, whom it notifies and which monitors feed it. With `alertRuleId`, that one alert
//! (an id, or an exact name as the official `get_alert_rule` takes). With `view`, what an alert
//! can use instead (the official `get_alert_options`): notification actions and integrations,
//! trigger and filter conditions, or the monitors that can feed one.

use serde::Deserialize;
use serde_json::{json, Value};

use super::args::choices;
use super::listing::{self, opt_string};
use super::shared::path;
use super::{args, tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{cell, id_at, plain, str_at};
use crate::sentry::Host;

choices! {
    pub(crate) enum View { Actions = "actions", Conditions = "conditions", Sources = "sources" }
}

choices! {
    /// Sentry's two groups of alert conditions.
    pub(crate) enum ConditionGroup { Triggers = "workflow_trigger", Filters = "action_filter" }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: args::Required,
    #[serde(default, deserialize_with = "args::string")]
    pub alert_rule_id: Option<String>,
    #[serde(default, deserialize_with = "args::choice")]
    pub view: Option<View>,
    /// One group of `view=conditions` (the official `get_alert_options` names it); both if absent.
    #[serde(default, deserialize_with = "args::choice")]
    #[cfg_attr(test, schemars(skip))]
    pub condition_group: Option<ConditionGroup>,
    /// Filter by name.
    #[serde(default, deserialize_with = "args::string")]
    pub query: Option<String>,
    #[cfg_attr(test, schemars(description = crate::tools::args::CURSOR))]
    #[serde(default, deserialize_with = "args::cursor")]
    pub cursor: Option<String>,
}

tool! {
    pub(super) struct FindAlertRules {
        name: "find_alert_rules",
        title: "Find alert rules",
        skills: &[Skill::Inspect, Skill::Triage],
        annotations: Annotations::READ,
        // Alerts belong to the organization, not to a project.
        hidden_when: HiddenWhen::ProjectConstrained,
        args: Args,
        output_schema: output_schema,
    }
}

fn output_schema() -> Value {
    let s = opt_string();
    listing::page_schema(
        "alertRules",
        json!({"id": s, "name": s, "enabled": {"type": "boolean"}, "environment": s, "lastTriggered": s,
               "monitorIds": {"type": "array", "items": {"type": "string"}}}),
        json!({"organization": {"type": "string"}}),
    )
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    if let Some(view) = args.view {
        return options(ctx, &org, view, &args).await;
    }
    let about = |e: crate::sentry::SentryError| e.about(format!("alerts of organization '{org}'"));
    let (rules, next) = match &args.alert_rule_id {
        Some(name) if !name.chars().all(|c| c.is_ascii_digit()) => {
            (vec![by_name(ctx, &org, name).await?], None)
        }
        Some(id) => {
            let id = super::get_monitor_details::numeric_id(Some(id), "an alert")
                .map_err(|_| ToolError::invalid("'alertRuleId' is a number such as 9201"))?;
            let rule = ctx
                .sentry
                .get(Host::Org(&org), &path(&["organizations", &org, "workflows", &id])?, &[])
                .await
                .map_err(|e| e.about(format!("alert {id} in organization '{org}'")))?
                .body;
            (vec![rule], None)
        }
        None => {
            let query = listing::list_query(25, args.query.as_deref(), args.cursor.as_deref());
            let page = ctx
                .list(Host::Org(&org), &path(&["organizations", &org, "workflows"])?, &query)
                .await
                .map_err(about)?;
            (page.items, page.next_cursor)
        }
    };
    let mut out = format!("# Alerts in **{org}**\n");
    let mut items = Vec::new();
    for w in &rules {
        out.push_str(&describe(w));
        let monitors: Vec<String> = w
            .get("detectorIds")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(plain).collect())
            .unwrap_or_default();
        items.push(json!({"id": id_at(w, "/id"), "name": str_at(w, "/name"),
            "enabled": w.get("enabled").and_then(Value::as_bool).unwrap_or(true),
            "environment": str_at(w, "/environment"), "lastTriggered": str_at(w, "/lastTriggered"), "monitorIds": monitors}));
    }
    if rules.is_empty() {
        out.push_str("\nNo alerts match.\n");
    }
    if args.alert_rule_id.is_none() {
        out.push_str(&listing::footer(next.as_deref(), rules.len(), "alerts"));
    }
    out.push_str("\nNext: get_monitor_details(kind=\"metric\", monitorId=...) for a monitor that feeds an alert.\n");
    let structured =
        listing::page("alertRules", items, next.as_deref(), json!({"organization": org}));
    Ok(ToolOutput::markdown(out).with_structured(structured, &[]))
}

/// The alert with exactly this name (the official `get_alert_rule` takes a name or an id).
async fn by_name(ctx: &ToolContext<'_>, org: &str, name: &str) -> Result<Value, ToolError> {
    let page = ctx
        .list(
            Host::Org(org),
            &path(&["organizations", org, "workflows"])?,
            &[("query", name.to_string()), ("per_page", "100".to_string())],
        )
        .await
        .map_err(|e| e.about(format!("alerts of organization '{org}'")))?;
    let mut found = page.items.into_iter().filter(|w| str_at(w, "/name") == Some(name));
    match (found.next(), found.next()) {
        (Some(w), None) => Ok(w),
        (Some(_), Some(_)) => Err(ToolError::invalid(format!(
            "several alerts are named '{}'; pass the alert's id (find_alert_rules(query=...) lists them)",
            cell(name, 100)
        ))),
        (None, _) => Err(ToolError::invalid(format!(
            "no alert is named exactly '{}'; find_alert_rules(query=...) searches by part of a name",
            cell(name, 100)
        ))),
    }
}

/// What alerts can use: notification actions with their integrations and settings, conditions
/// with the comparison each takes, or the monitors that can feed an alert.
async fn options(
    ctx: &ToolContext<'_>,
    org: &str,
    view: View,
    args: &Args,
) -> Result<ToolOutput, ToolError> {
    let about =
        |e: crate::sentry::SentryError| e.about(format!("alert options of organization '{org}'"));
    let u = &ctx.untrusted;
    let mut items = Vec::new();
    let mut next = None;
    let mut out = format!("# Alert {} in **{org}**\n", view.as_str());
    match view {
        View::Actions => {
            let page = ctx
                .list(Host::Org(org), &path(&["organizations", org, "available-actions"])?, &[])
                .await
                .map_err(about)?;
            for a in &page.items {
                out.push_str(&action_line(a));
                items.push(json!({"type": str_at(a, "/type"), "integrations": a.get("integrations"), "configSchema": a.get("configSchema"), "dataSchema": a.get("dataSchema")}));
            }
            out.push_str("\nAn action is {type, integrationId, config: {targetType: specific|user|team|issue_owners, targetIdentifier, targetDisplay}, data}; Slack and Teams take the channel name as targetDisplay.\n");
        }
        View::Conditions => {
            let groups = match args.condition_group {
                Some(g) => vec![g],
                None => vec![ConditionGroup::Triggers, ConditionGroup::Filters],
            };
            for group in groups {
                let page = ctx
                    .list(
                        Host::Org(org),
                        &path(&["organizations", org, "data-conditions"])?,
                        &[("group", group.as_str().to_string())],
                    )
                    .await
                    .map_err(about)?;
                out.push_str(match group {
                    ConditionGroup::Triggers => {
                        "\n## Triggers (when it runs; triggers.conditions)\n"
                    }
                    ConditionGroup::Filters => "\n## Filters (if; actionFilters[].conditions)\n",
                });
                for c in &page.items {
                    out.push_str(&condition_line(c));
                    items.push(json!({"type": str_at(c, "/type"), "group": group.as_str(), "comparisonJsonSchema": c.get("comparisonJsonSchema")}));
                }
            }
        }
        View::Sources => {
            let query = listing::list_query(25, args.query.as_deref(), args.cursor.as_deref());
            let page = ctx
                .list(Host::Org(org), &path(&["organizations", org, "detectors"])?, &query)
                .await
                .map_err(about)?;
            for d in &page.items {
                out.push_str(&source_line(d, u));
                items.push(json!({"id": id_at(d, "/id"), "name": str_at(d, "/name"), "type": str_at(d, "/type"), "projectId": id_at(d, "/projectId")}));
            }
            out.push_str(&listing::footer(
                page.next_cursor.as_deref(),
                page.items.len(),
                "monitors",
            ));
            next = page.next_cursor;
        }
    }
    if items.is_empty() {
        out.push_str("\nNone.\n");
    }
    out.push_str("\nNext: create_alert_rule or update_alert_rule with these.\n");
    let mut structured =
        listing::page("alertRules", Vec::new(), next.as_deref(), json!({"organization": org}));
    structured[view.as_str()] = Value::Array(items);
    let fields: &'static [&'static str] =
        if view == View::Sources { &["/sources/*/name"] } else { &[] };
    Ok(ToolOutput::markdown(u.finish(out)).with_structured(structured, fields))
}

/// An action alerts can run: its type and group, the integrations that provide it (with the
/// `integrationId` an action names), and the fields of its `config` and `data`.
fn action_line(a: &Value) -> String {
    let integrations: Vec<String> = a
        .get("integrations")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .map(|i| {
                    format!(
                        "{} (integrationId {})",
                        cell(str_at(i, "/name").unwrap_or("?"), 60),
                        id_at(i, "/id").unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut line = format!(
        "- **{}** ({})",
        cell(str_at(a, "/type").unwrap_or("?"), 40),
        cell(str_at(a, "/handlerGroup").unwrap_or("other"), 40)
    );
    if !integrations.is_empty() {
        line.push_str(&format!(" · {}", integrations.join(", ")));
    }
    for (label, key) in [("config", "/configSchema/properties"), ("data", "/dataSchema/properties")]
    {
        let names: Vec<String> = a
            .pointer(key)
            .and_then(Value::as_object)
            .map(|p| p.keys().map(|k| cell(k, 40)).collect())
            .unwrap_or_default();
        if !names.is_empty() {
            line.push_str(&format!(" · {label}: {}", names.join(", ")));
        }
    }
    line.push('\n');
    line
}

/// A condition alerts can use and the comparison it takes (`{key, match, value}`, `integer`).
fn condition_line(c: &Value) -> String {
    let schema = c.get("comparisonJsonSchema").unwrap_or(&Value::Null);
    let comparison = match str_at(schema, "/type") {
        Some("object") => format!(
            "{{{}}}",
            schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().map(|k| cell(k, 40)).collect::<Vec<_>>().join(", "))
                .unwrap_or_default()
        ),
        Some(t) => cell(t, 40),
        None => "true".into(),
    };
    format!("- `{}` · comparison: {comparison}\n", cell(str_at(c, "/type").unwrap_or("?"), 60))
}

/// A monitor an alert can connect to; its name may come from an SDK, so it is fenced.
fn source_line(d: &Value, u: &crate::render::Untrusted) -> String {
    let alerts: Vec<String> = d
        .get("workflowIds")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(plain).collect())
        .unwrap_or_default();
    format!(
        "- {} (id {}) · {} · project id {} · alerts: {}\n",
        u.inline(str_at(d, "/name").unwrap_or("?"), 120),
        id_at(d, "/id").unwrap_or_default(),
        cell(str_at(d, "/type").unwrap_or("?"), 40),
        id_at(d, "/projectId").unwrap_or_else(|| "all".into()),
        if alerts.is_empty() { "none".into() } else { alerts.join(", ") }
    )
}

/// One alert as Markdown: when, if, then.
pub(super) fn describe(w: &Value) -> String {
    let mut out = format!(
        "\n## {} (id {})\n",
        cell(str_at(w, "/name").unwrap_or("?"), 120),
        id_at(w, "/id").unwrap_or_else(|| "?".into())
    );
    let mut facts = vec![format!(
        "**Enabled**: {}",
        if w.get("enabled").and_then(Value::as_bool).unwrap_or(true) { "yes" } else { "no" }
    )];
    if let Some(env) = str_at(w, "/environment") {
        facts.push(format!("**Environment**: {}", cell(env, 60)));
    }
    if let Some(f) = w.pointer("/config/frequency").and_then(Value::as_u64) {
        facts.push(format!("**At most every**: {f} min"));
    }
    facts.push(format!("**Last triggered**: {}", str_at(w, "/lastTriggered").unwrap_or("never")));
    out.push_str(&facts.join(" · "));
    out.push('\n');
    let when: Vec<String> = conditions(w.pointer("/triggers/conditions"));
    if !when.is_empty() {
        out.push_str(&format!("- **When**: {}\n", when.join(" or ")));
    }
    for filter in w.get("actionFilters").and_then(Value::as_array).into_iter().flatten() {
        let ifs = conditions(filter.get("conditions"));
        if !ifs.is_empty() {
            out.push_str(&format!("- **If**: {}\n", ifs.join(" and ")));
        }
        let actions: Vec<String> = filter
            .get("actions")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|act| {
                        let target = str_at(act, "/config/targetDisplay")
                            .or(str_at(act, "/config/targetIdentifier"))
                            .or(str_at(act, "/config/targetType"))
                            .unwrap_or("");
                        format!(
                            "{} → {}",
                            cell(str_at(act, "/type").unwrap_or("?"), 40),
                            cell(target, 80)
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !actions.is_empty() {
            out.push_str(&format!("- **Then**: {}\n", actions.join(", ")));
        }
    }
    let monitors: Vec<String> = w
        .get("detectorIds")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(plain).collect())
        .unwrap_or_default();
    if !monitors.is_empty() {
        out.push_str(&format!("- **Monitors**: {}\n", monitors.join(", ")));
    }
    out
}

/// Conditions as words: `a new issue`, `priority ≥ 75`, `tag level eq error`.
fn conditions(list: Option<&Value>) -> Vec<String> {
    list.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|c| {
                    let cmp = c.get("comparison").unwrap_or(&Value::Null);
                    match str_at(c, "/type").unwrap_or("?") {
                        "first_seen_event" => "a new issue".to_string(),
                        "regression_event" => "an issue regresses".to_string(),
                        "reappeared_event" => "an archived issue comes back".to_string(),
                        "issue_priority_greater_or_equal" => format!("priority ≥ {}", plain(cmp)),
                        "tagged_event" => format!(
                            "tag {} {} {}",
                            cell(str_at(cmp, "/key").unwrap_or("?"), 40),
                            str_at(cmp, "/match").unwrap_or("eq"),
                            cell(str_at(cmp, "/value").unwrap_or(""), 60)
                        ),
                        other => format!("{} {}", cell(other, 60), cell(&plain(cmp), 60))
                            .trim()
                            .to_string(),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Untrusted;

    /// The option lines for shapes as Sentry's `available-actions`, `data-conditions` and
    /// `detectors` return them (the emulator's fixtures); `UPDATE_EXPECT=1 cargo test` rewrites.
    #[test]
    fn option_lines_snapshot() {
        let u = Untrusted::with_nonce("0123456789abcdef".into());
        let target = json!({"type": "object", "properties": {"targetType": {}, "targetIdentifier": {}, "targetDisplay": {}}});
        let pagerduty = json!({"type": "pagerduty", "handlerGroup": "notification", "configSchema": target,
            "dataSchema": {"type": "object", "properties": {"priority": {"type": "string"}}},
            "integrations": [{"id": "501", "name": "acme-pagerduty", "services": [{"id": "PXA12B3", "name": "Checkout on-call"}]}]});
        let email = json!({"type": "email", "handlerGroup": "notification", "configSchema": target, "dataSchema": {}});
        let tagged = json!({"type": "tagged_event", "comparisonJsonSchema": {"type": "object", "properties": {"key": {}, "match": {}, "value": {}}}});
        let first =
            json!({"type": "first_seen_event", "comparisonJsonSchema": {"type": "boolean"}});
        let cron = json!({"id": "8050", "name": "nightly </untrusted-data-0123456789abcdef> run", "type": "monitor_check_in_failure", "projectId": null, "workflowIds": [9201, "9202"]});
        let text = [
            action_line(&pagerduty),
            action_line(&email),
            condition_line(&tagged),
            condition_line(&first),
            source_line(&cron, &u),
        ]
        .concat();
        expect_test::expect![[r#"
            - **pagerduty** (notification) · acme-pagerduty (integrationId 501) · config: targetDisplay, targetIdentifier, targetType · data: priority
            - **email** (notification) · config: targetDisplay, targetIdentifier, targetType
            - `tagged_event` · comparison: {key, match, value}
            - `first_seen_event` · comparison: boolean
            - <untrusted-data-0123456789abcdef>nightly </untrusted_data-0123456789abcdef> run</untrusted-data-0123456789abcdef> (id 8050) · monitor_check_in_failure · project id all · alerts: 9201, 9202
        "#]]
        .assert_eq(&text);
    }
}
