//! What the alert writes share: an alert (Sentry's workflow) is a trigger group (when it runs),
//! action filters (if, then whom to notify), the monitors that feed it (`detectorIds`) and a
//! notification interval. The arguments (`alert_settings!`) take Sentry's own shapes, as
//! `find_alert_rules` shows them and `find_alert_rules(view=...)` lists the options; they are
//! checked here for what Sentry would refuse with a bare 400, and ids copied from an existing
//! alert are dropped when creating (Sentry allocates new components).

use serde_json::{json, Map, Value};

use super::args::choices;
use super::ToolError;

/// Sentry's notification intervals, in minutes.
const FREQUENCIES: [i64; 8] = [0, 5, 10, 30, 60, 180, 720, 1_440];
/// How the conditions of an action filter combine.
const FILTER_LOGIC: [&str; 4] = ["all", "any", "any-short", "none"];

choices! {
    pub(crate) enum AlertStatus { Active = "active", Disabled = "disabled" }
}

/// An argument struct with the tool's own fields, then the alert settings.
macro_rules! alert_settings {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($fields:tt)* }) => {
        $(#[$meta])*
        $vis struct $name {
            $($fields)*
            #[serde(default, deserialize_with = "crate::tools::args::choice")]
            pub status: Option<crate::tools::alert_rule::AlertStatus>,
            /// Minutes between notifications.
            #[serde(default, deserialize_with = "crate::tools::args::int::<_, 0, 1440>")]
            pub frequency_minutes: Option<i64>,
            #[serde(default, deserialize_with = "crate::tools::args::string")]
            pub environment: Option<String>,
            /// When it runs: {conditions: [{type, comparison}]}.
            #[serde(default)]
            pub triggers: Option<serde_json::Map<String, serde_json::Value>>,
            /// If, then: [{conditions, actions: [{type, integrationId, config, data}]}].
            #[serde(default)]
            pub action_filters: Option<Vec<serde_json::Map<String, serde_json::Value>>>,
            /// Monitor ids.
            #[serde(default, deserialize_with = "crate::tools::args::strings::<_, 50>")]
            pub detector_ids: Option<Vec<String>>,
            /// The official server's `projectSlugs`: all issues of these projects (their issue
            /// streams) feed the alert. Not in the schema (the budget); `detectorIds` says it.
            #[serde(default, deserialize_with = "crate::tools::args::strings::<_, 20>")]
            #[cfg_attr(test, schemars(skip))]
            pub project_slugs: Option<Vec<String>>,
        }

        impl $name {
            /// The alert fields given, checked, as Sentry's workflow body fields.
            fn changes(&self, new: bool) -> Result<serde_json::Map<String, serde_json::Value>, crate::tools::ToolError> {
                crate::tools::alert_rule::workflow_fields(crate::tools::alert_rule::AlertInput {
                    status: self.status,
                    frequency_minutes: self.frequency_minutes,
                    environment: self.environment.as_deref(),
                    triggers: self.triggers.as_ref(),
                    action_filters: self.action_filters.as_deref(),
                    detector_ids: self.detector_ids.as_deref(),
                }, new)
            }
        }
    };
}
pub(crate) use alert_settings;

/// The alert settings of one call, borrowed from its arguments.
pub(crate) struct AlertInput<'a> {
    pub status: Option<AlertStatus>,
    pub frequency_minutes: Option<i64>,
    pub environment: Option<&'a str>,
    pub triggers: Option<&'a Map<String, Value>>,
    pub action_filters: Option<&'a [Map<String, Value>]>,
    pub detector_ids: Option<&'a [String]>,
}

fn invalid(msg: impl Into<String>) -> ToolError {
    ToolError::invalid(msg)
}

/// A condition list: each `{type, comparison, conditionResult}` (result defaults to true).
fn conditions(list: Option<&Value>, at: &str, new: bool) -> Result<Vec<Value>, ToolError> {
    let items = match list {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(invalid(format!("'{at}.conditions' is a list"))),
    };
    items
        .iter()
        .map(|c| {
            let obj = c.as_object().ok_or_else(|| invalid(format!("each of '{at}.conditions' is an object")))?;
            let kind = obj.get("type").and_then(Value::as_str).filter(|t| !t.is_empty()).ok_or_else(|| {
                invalid(format!("each of '{at}.conditions' needs a type, e.g. first_seen_event (find_alert_rules view=conditions lists them)"))
            })?;
            let mut out = json!({"type": kind, "comparison": obj.get("comparison").cloned().unwrap_or(json!(true)),
                "conditionResult": obj.get("conditionResult").cloned().unwrap_or(json!(true))});
            if let (false, Some(id)) = (new, obj.get("id")) {
                out["id"] = id.clone();
            }
            Ok(out)
        })
        .collect()
}

/// Check the settings given and build the workflow body fields. `new` drops copied component ids
/// and fills what a new alert needs.
pub(crate) fn workflow_fields(
    s: AlertInput<'_>,
    new: bool,
) -> Result<Map<String, Value>, ToolError> {
    let mut body = Map::new();
    if let Some(status) = s.status {
        body.insert("enabled".into(), json!(status == AlertStatus::Active));
    }
    if let Some(f) = s.frequency_minutes {
        if !FREQUENCIES.contains(&f) {
            return Err(invalid(format!(
                "'frequencyMinutes' must be 0, 5, 10, 30, 60, 180, 720 or 1440 (Sentry's intervals), not {f}"
            )));
        }
        body.insert("config".into(), json!({"frequency": f}));
    }
    if let Some(e) = s.environment {
        body.insert("environment".into(), json!(e));
    }
    if let Some(t) = s.triggers {
        let logic = t.get("logicType").and_then(Value::as_str).unwrap_or("any-short");
        if logic != "any-short" {
            return Err(invalid(
                "'triggers.logicType' is any-short (Sentry runs an alert when any trigger fires)",
            ));
        }
        let mut group = json!({"logicType": "any-short", "conditions": conditions(t.get("conditions"), "triggers", new)?, "actions": []});
        if let (false, Some(id)) = (new, t.get("id")) {
            group["id"] = id.clone();
        }
        body.insert("triggers".into(), group);
    }
    if let Some(filters) = s.action_filters {
        if filters.len() > 20 {
            return Err(invalid("'actionFilters' takes at most 20 groups"));
        }
        let mut out = Vec::new();
        for obj in filters {
            let logic = obj.get("logicType").and_then(Value::as_str).unwrap_or("all");
            if !FILTER_LOGIC.contains(&logic) {
                return Err(invalid("an action filter's logicType is all, any, any-short or none"));
            }
            let actions = match obj.get("actions") {
                Some(Value::Array(a)) if !a.is_empty() => a,
                _ => return Err(invalid("each action filter needs actions, e.g. [{\"type\": \"email\", \"config\": {\"targetType\": \"team\", \"targetIdentifier\": \"101\"}}] (find_alert_rules view=actions lists them)")),
            };
            let mut checked = Vec::new();
            for a in actions {
                let kind =
                    a.get("type").and_then(Value::as_str).filter(|t| !t.is_empty()).ok_or_else(
                        || invalid("each action needs a type, e.g. email, slack or pagerduty"),
                    )?;
                let config = match a.get("config") {
                    Some(Value::Object(c)) => c.clone(),
                    _ => return Err(invalid(format!("action '{}' needs a config object, e.g. {{\"targetType\": \"specific\", \"targetDisplay\": \"#alerts\"}}", crate::render::cell(kind, 40)))),
                };
                let mut action = json!({"type": kind, "integrationId": a.get("integrationId").cloned().unwrap_or(Value::Null),
                    "config": config, "data": a.get("data").cloned().unwrap_or(json!({})), "status": "active"});
                if let (false, Some(id)) = (new, a.get("id")) {
                    action["id"] = id.clone();
                }
                checked.push(action);
            }
            let mut group = json!({"logicType": logic, "conditions": conditions(obj.get("conditions"), "actionFilters", new)?, "actions": checked});
            if let (false, Some(id)) = (new, obj.get("id")) {
                group["id"] = id.clone();
            }
            out.push(group);
        }
        body.insert("actionFilters".into(), Value::Array(out));
    }
    if let Some(ids) = s.detector_ids {
        if let Some(bad) = ids.iter().find(|i| !i.chars().all(|c| c.is_ascii_digit())) {
            return Err(invalid(format!(
                "'detectorIds' are monitor ids such as 8101, not '{}'",
                crate::render::cell(bad, 40)
            )));
        }
        body.insert("detectorIds".into(), json!(ids));
    }
    if new {
        body.entry("enabled").or_insert(json!(true));
        body.entry("config").or_insert(json!({"frequency": 30}));
        body.entry("environment").or_insert(Value::Null);
        body.entry("triggers")
            .or_insert(json!({"logicType": "any-short", "conditions": [], "actions": []}));
        body.entry("actionFilters").or_insert(json!([]));
        body.entry("detectorIds").or_insert(json!([]));
    }
    Ok(body)
}

/// Add the issue streams of `projects` (every issue of those projects) to the monitors in
/// `body`, starting from `current`'s when the call names no `detectorIds`.
pub(crate) async fn connect_projects(
    ctx: &super::ToolContext<'_>,
    org: &str,
    projects: Option<&[String]>,
    body: &mut Map<String, Value>,
    current: Option<&Value>,
) -> Result<(), ToolError> {
    let Some(projects) = projects else { return Ok(()) };
    let mut ids: Vec<Value> = body
        .get("detectorIds")
        .or_else(|| current.and_then(|c| c.get("detectorIds")))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for slug in projects {
        let project = crate::sentry::ids::project_slug_or_id(slug)?;
        let query = [
            ("project", ctx.project_id(org, &project).await?),
            ("query", "type:issue_stream".to_string()),
        ];
        let page = ctx
            .list(
                crate::sentry::Host::Org(org),
                &super::shared::path(&["organizations", org, "detectors"])?,
                &query,
            )
            .await
            .map_err(|e| {
                e.about(format!("monitors of project '{project}' in organization '{org}'"))
            })?;
        let stream = page
            .items
            .iter()
            .find(|d| d.get("type").and_then(Value::as_str) == Some("issue_stream"))
            .and_then(|d| crate::render::id_at(d, "/id"))
            .ok_or_else(|| {
                invalid(format!("project '{project}' has no issue stream to connect"))
            })?;
        if !ids.contains(&json!(stream)) {
            ids.push(json!(stream));
        }
    }
    body.insert("detectorIds".into(), Value::Array(ids));
    Ok(())
}

/// The path of the alert `id` names (digits only), for the writes that name one.
pub(crate) fn alert_path(
    org: &str,
    id: Option<&str>,
) -> Result<(String, crate::sentry::ApiPath), ToolError> {
    let id = super::get_monitor_details::numeric_id(id, "an alert").map_err(|_| {
        invalid("'alertRuleId' is a number such as 9201 (find_alert_rules lists them)")
    })?;
    let path = super::shared::path(&["organizations", org, "workflows", &id])?;
    Ok((id, path))
}

/// An alert's name: at most 256 characters, as Sentry allows.
pub(crate) fn check_name(name: &str) -> Result<(), ToolError> {
    if name.chars().count() > 256 {
        return Err(invalid("'name' is limited to 256 characters"));
    }
    Ok(())
}

/// The fields of an alert its update sends back (Sentry's `PUT` takes the whole alert).
pub(crate) fn editable(w: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    for key in [
        "name",
        "enabled",
        "config",
        "environment",
        "triggers",
        "actionFilters",
        "detectorIds",
        "owner",
    ] {
        if let Some(v) = w.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(
        triggers: Option<&'a Map<String, Value>>,
        filters: Option<&'a [Map<String, Value>]>,
    ) -> AlertInput<'a> {
        AlertInput {
            status: None,
            frequency_minutes: None,
            environment: None,
            triggers,
            action_filters: filters,
            detector_ids: None,
        }
    }

    #[test]
    fn a_new_alert_drops_copied_ids_and_gets_sentrys_defaults() {
        let t = json!({"id": "1", "logicType": "any-short", "conditions": [{"id": "11", "type": "first_seen_event"}]});
        let f = vec![json!({"id": "2", "conditions": [], "actions": [{"id": "21", "type": "email", "config": {"targetType": "team", "targetIdentifier": "101"}}]}).as_object().cloned().unwrap()];
        let body = workflow_fields(input(t.as_object(), Some(&f)), true).unwrap();
        assert_eq!(
            body["triggers"],
            json!({"logicType": "any-short", "conditions": [{"type": "first_seen_event", "comparison": true, "conditionResult": true}], "actions": []})
        );
        assert_eq!(
            body["actionFilters"][0]["actions"][0],
            json!({"type": "email", "integrationId": null, "config": {"targetType": "team", "targetIdentifier": "101"}, "data": {}, "status": "active"})
        );
        assert_eq!(body["actionFilters"][0]["logicType"], "all");
        assert_eq!(
            (body["enabled"].clone(), body["config"].clone()),
            (json!(true), json!({"frequency": 30}))
        );
        let kept = workflow_fields(input(t.as_object(), Some(&f)), false).unwrap();
        assert_eq!(kept["triggers"]["conditions"][0]["id"], "11");
    }

    #[test]
    fn sentrys_limits_are_named() {
        let bad = AlertInput { frequency_minutes: Some(15), ..input(None, None) };
        assert!(workflow_fields(bad, true).unwrap_err().to_string().contains("0, 5, 10, 30"));
        let t = json!({"logicType": "all", "conditions": []});
        assert!(workflow_fields(input(t.as_object(), None), true)
            .unwrap_err()
            .to_string()
            .contains("any-short"));
        let no_actions =
            vec![json!({"conditions": [], "actions": []}).as_object().cloned().unwrap()];
        assert!(workflow_fields(input(None, Some(&no_actions)), true)
            .unwrap_err()
            .to_string()
            .contains("needs actions"));
    }
}
