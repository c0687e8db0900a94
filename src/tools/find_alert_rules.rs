//! `find_alert_rules`: an organization's alerts (Sentry's workflows): when each fires, what it
//! filters on, whom it notifies and which monitors feed it. With `alertRuleId`, that one alert.

use serde::Deserialize;
use serde_json::{json, Value};

use super::listing::{self, opt_string};
use super::shared::path;
use super::{args, tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::{cell, id_at, plain, str_at};
use crate::sentry::Host;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: args::Required,
    /// One alert.
    #[serde(default, deserialize_with = "args::string")]
    pub alert_rule_id: Option<String>,
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
    let about = |e: crate::sentry::SentryError| e.about(format!("alerts of organization '{org}'"));
    let (rules, next) = match &args.alert_rule_id {
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

/// One alert as Markdown: when, if, then.
fn describe(w: &Value) -> String {
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
