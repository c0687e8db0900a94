//! What the metric monitor writes share: a metric monitor (a Sentry detector of type
//! `metric_issue`) is a query, a detection type and up to three thresholds. The caller's partial
//! changes are merged into the monitor as it is and the whole is checked against Sentry's limits
//! (time windows, percent comparison windows, dynamic detection's windows and single anomaly
//! condition) before anything is sent, so a mistake comes back naming the values Sentry accepts.

use serde_json::{json, Map, Value};

use super::ToolError;

/// Sentry's metric datasets: errors, transactions, custom metrics, release health (`metrics`)
/// and spans, logs and application metrics (`events_analytics_platform`).
const DATASETS: [&str; 5] =
    ["events", "transactions", "generic_metrics", "metrics", "events_analytics_platform"];
/// Sentry's time windows, in seconds (1, 5, 10, 15, 30 minutes; 1, 2, 4 hours; 1 day).
const WINDOWS: [i64; 9] = [60, 300, 600, 900, 1_800, 3_600, 7_200, 14_400, 86_400];
/// The windows dynamic (anomaly) detection supports: 15, 30 and 60 minutes.
const DYNAMIC_WINDOWS: [i64; 3] = [900, 1_800, 3_600];
/// What a percent change compares with: 5 or 15 minutes, 1 hour, 1 day, 1 week or 30 days ago.
const COMPARISON_DELTAS: [i64; 6] = [300, 900, 3_600, 86_400, 604_800, 2_592_000];
/// Condition results: high (75), medium (50) and resolved (0) priority.
const RESULTS: [i64; 3] = [75, 50, 0];

/// The metric settings of one call, borrowed from its arguments.
#[derive(Clone, Copy, Default)]
pub(crate) struct MetricInput<'a> {
    pub query: Option<&'a Map<String, Value>>,
    pub config: Option<&'a Map<String, Value>>,
    pub condition_group: Option<&'a Map<String, Value>>,
    pub workflow_ids: Option<&'a [String]>,
}

impl MetricInput<'_> {
    /// The names of the metric settings given (to refuse them for another kind).
    pub(crate) fn given(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        for (name, set) in [
            ("query", self.query.is_some()),
            ("config", self.config.is_some()),
            ("conditionGroup", self.condition_group.is_some()),
            ("workflowIds", self.workflow_ids.is_some()),
        ] {
            if set {
                names.push(name);
            }
        }
        names
    }
}

fn invalid(msg: impl Into<String>) -> ToolError {
    ToolError::invalid(msg)
}

/// A detector's query as the flat fields its write takes (a read nests it in
/// `dataSources[0].queryObj.snubaQuery`, with `timeWindow` in seconds).
fn current_query(detector: &Value) -> Map<String, Value> {
    let q = detector.pointer("/dataSources/0/queryObj/snubaQuery").unwrap_or(&Value::Null);
    let mut out = Map::new();
    for key in ["dataset", "aggregate", "query", "eventTypes", "timeWindow", "environment"] {
        if let Some(v) = q.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    out
}

/// The event types a dataset's query counts when none are given.
fn default_event_types(dataset: &str) -> Value {
    match dataset {
        "events" => json!(["error", "default"]),
        "transactions" => json!(["transaction"]),
        "events_analytics_platform" => json!(["trace_item_span"]),
        _ => json!([]),
    }
}

/// The query after the caller's changes, checked.
fn merged_query(
    given: Option<&Map<String, Value>>,
    current: Option<&Value>,
) -> Result<Map<String, Value>, ToolError> {
    let mut q = current.map(current_query).unwrap_or_default();
    for (key, value) in given.into_iter().flatten() {
        let key = match key.as_str() {
            "timeWindowSeconds" | "timeWindow" => "timeWindow",
            k @ ("dataset" | "aggregate" | "query" | "eventTypes" | "environment") => k,
            other => {
                return Err(invalid(format!(
                    "'query' has no field '{}'; it takes dataset, aggregate, query, eventTypes, timeWindowSeconds and environment",
                    crate::render::cell(other, 40)
                )))
            }
        };
        q.insert(key.into(), value.clone());
    }
    let dataset = match q.get("dataset") {
        Some(Value::String(d)) if DATASETS.contains(&d.as_str()) => d.clone(),
        _ => {
            return Err(invalid(format!("'query.dataset' must be one of {}", DATASETS.join(", "))))
        }
    };
    match q.get("aggregate") {
        Some(Value::String(a)) if !a.trim().is_empty() && a.len() <= 200 => {}
        _ => {
            return Err(invalid(
                "'query.aggregate' is required, e.g. count(), p95(span.duration) or failure_rate()",
            ))
        }
    }
    match q.get("timeWindow").and_then(Value::as_i64) {
        Some(w) if WINDOWS.contains(&w) => {}
        _ => {
            return Err(invalid(
                "'query.timeWindowSeconds' must be one of 60, 300, 600, 900, 1800, 3600, 7200, 14400 or 86400 (Sentry's windows)",
            ))
        }
    }
    match q.get("query") {
        None | Some(Value::Null) => {
            q.insert("query".into(), json!(""));
        }
        Some(Value::String(_)) => {}
        Some(_) => {
            return Err(invalid("'query.query' is a search filter string, e.g. level:error"))
        }
    }
    match q.get("eventTypes") {
        None | Some(Value::Null) => {
            q.insert("eventTypes".into(), default_event_types(&dataset));
        }
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => {}
        Some(_) => return Err(invalid("'query.eventTypes' is a list such as [\"error\"]")),
    }
    match q.get("environment") {
        None => {
            q.insert("environment".into(), Value::Null);
        }
        Some(Value::Null | Value::String(_)) => {}
        Some(_) => {
            return Err(invalid("'query.environment' is an environment name, or null for all"))
        }
    }
    Ok(q)
}

/// The detection config and conditions after the caller's changes, checked together with the
/// query's window.
fn merged_detection(
    input: &MetricInput<'_>,
    current: Option<&Value>,
    window: i64,
) -> Result<(Map<String, Value>, Vec<Value>), ToolError> {
    let mut config: Map<String, Value> = current
        .and_then(|c| c.get("config"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut delta_given = None;
    for (key, value) in input.config.into_iter().flatten() {
        match key.as_str() {
            "detectionType" => {
                config.insert(key.clone(), value.clone());
            }
            "comparisonDeltaSeconds" | "comparisonDelta" => delta_given = Some(value.clone()),
            other => {
                return Err(invalid(format!(
                    "'config' has no field '{}'; it takes detectionType and comparisonDeltaSeconds",
                    crate::render::cell(other, 40)
                )))
            }
        }
    }
    let detection = match config.get("detectionType") {
        None => "static".to_string(),
        Some(Value::String(d)) if ["static", "percent", "dynamic"].contains(&d.as_str()) => {
            d.clone()
        }
        Some(_) => {
            return Err(invalid("'config.detectionType' must be static, percent or dynamic"))
        }
    };
    config.insert("detectionType".into(), json!(detection));
    if detection == "percent" {
        let delta = delta_given.or_else(|| config.get("comparisonDelta").cloned());
        match delta.as_ref().and_then(Value::as_i64) {
            Some(d) if COMPARISON_DELTAS.contains(&d) => {
                config.insert("comparisonDelta".into(), json!(d));
            }
            _ => {
                return Err(invalid(
                    "percent detection compares with an earlier window: 'config.comparisonDeltaSeconds' must be 300, 900, 3600, 86400, 604800 or 2592000",
                ))
            }
        }
    } else {
        if delta_given.as_ref().is_some_and(|d| !d.is_null()) {
            return Err(invalid("'comparisonDeltaSeconds' is only for percent detection"));
        }
        config.insert("comparisonDelta".into(), Value::Null);
    }
    let conditions: Vec<Value> = match input.condition_group {
        Some(group) => {
            if let Some(other) = group.keys().find(|k| !["conditions", "logicType", "id"].contains(&k.as_str())) {
                return Err(invalid(format!(
                    "'conditionGroup' has no field '{}'; pass {{\"conditions\": [...]}}",
                    crate::render::cell(other, 40)
                )));
            }
            match group.get("conditions") {
                Some(Value::Array(c)) => c.clone(),
                _ => return Err(invalid("'conditionGroup.conditions' is a list of 1 to 3 conditions")),
            }
        }
        None => current
            .and_then(|c| c.pointer("/conditionGroup/conditions"))
            .and_then(Value::as_array)
            .cloned()
            .ok_or_else(|| {
                invalid("'conditionGroup' is required, e.g. {\"conditions\": [{\"type\": \"gt\", \"comparison\": 100, \"conditionResult\": 75}, {\"type\": \"lte\", \"comparison\": 100, \"conditionResult\": 0}]}")
            })?,
    };
    if conditions.is_empty() || conditions.len() > 3 {
        return Err(invalid("'conditionGroup.conditions' takes 1 to 3 conditions"));
    }
    let mut checked = Vec::new();
    for c in &conditions {
        let Some(obj) = c.as_object() else {
            return Err(invalid(
                "each condition is an object with type, comparison and conditionResult",
            ));
        };
        let kind = obj.get("type").and_then(Value::as_str).unwrap_or("");
        let result = obj.get("conditionResult").and_then(Value::as_i64);
        if detection == "dynamic" {
            if kind != "anomaly_detection" {
                return Err(invalid(
                    "dynamic detection takes one condition of type anomaly_detection",
                ));
            }
            let cmp = obj.get("comparison").and_then(Value::as_object).ok_or_else(|| {
                invalid("an anomaly_detection comparison is {sensitivity: low|medium|high, seasonality: auto, thresholdType: 0 above|1 below|2 both}")
            })?;
            let sensitivity = cmp.get("sensitivity").and_then(Value::as_str).unwrap_or("");
            let threshold = cmp.get("thresholdType").and_then(Value::as_i64);
            if !["low", "medium", "high"].contains(&sensitivity)
                || !matches!(threshold, Some(0..=2))
                || cmp.get("seasonality").is_some_and(|s| s != "auto")
            {
                return Err(invalid("an anomaly_detection comparison is {sensitivity: low|medium|high, seasonality: auto, thresholdType: 0 above|1 below|2 both}"));
            }
            if !matches!(result, Some(75 | 50)) {
                return Err(invalid(
                    "an anomaly_detection condition's conditionResult is 75 (high) or 50 (medium)",
                ));
            }
            let mut comparison = cmp.clone();
            comparison.insert("seasonality".into(), json!("auto"));
            checked
                .push(json!({"type": kind, "comparison": comparison, "conditionResult": result}));
        } else {
            if !["gt", "gte", "lt", "lte"].contains(&kind) {
                return Err(invalid(format!(
                    "{detection} detection takes conditions of type gt, gte, lt or lte (anomaly_detection is for dynamic detection), not '{}'",
                    crate::render::cell(kind, 40)
                )));
            }
            let Some(number) = obj.get("comparison").filter(|v| v.is_number()) else {
                return Err(invalid("a threshold's comparison is a number (for percent detection, 110 means 10% higher)"));
            };
            if !result.is_some_and(|r| RESULTS.contains(&r)) {
                return Err(invalid(
                    "a threshold's conditionResult is 75 (high), 50 (medium) or 0 (resolved)",
                ));
            }
            let mut out = json!({"type": kind, "comparison": number, "conditionResult": result});
            if let Some(id) = obj.get("id").filter(|_| current.is_some()) {
                out["id"] = id.clone();
            }
            checked.push(out);
        }
    }
    if detection == "dynamic" {
        if checked.len() != 1 {
            return Err(invalid("dynamic detection takes exactly one anomaly_detection condition"));
        }
        if !DYNAMIC_WINDOWS.contains(&window) {
            return Err(invalid(
                "dynamic detection needs a time window of 900, 1800 or 3600 seconds",
            ));
        }
    } else if !checked.iter().any(|c| c["conditionResult"] != 0) {
        return Err(invalid("add a threshold with conditionResult 75 (high) or 50 (medium): a monitor with only a resolution condition never opens an issue"));
    }
    Ok((config, checked))
}

/// The detector body fields for these settings merged into `current` (the monitor being
/// updated; `None` when creating): `dataSources`, `config`, `conditionGroup`, `workflowIds`.
pub(crate) fn detector_body(
    input: &MetricInput<'_>,
    current: Option<&Value>,
) -> Result<Map<String, Value>, ToolError> {
    if current.is_none() && input.query.is_none() {
        return Err(invalid(
            "'query' is required for a metric monitor, e.g. {\"dataset\": \"events\", \"aggregate\": \"count()\", \"query\": \"level:error\", \"timeWindowSeconds\": 300}",
        ));
    }
    let query = merged_query(input.query, current)?;
    let window = query.get("timeWindow").and_then(Value::as_i64).unwrap_or(0);
    let (config, conditions) = merged_detection(input, current, window)?;
    let workflow_ids: Vec<Value> = match input.workflow_ids {
        Some(ids) => {
            if let Some(bad) = ids.iter().find(|i| !i.chars().all(|c| c.is_ascii_digit())) {
                return Err(invalid(format!(
                    "'workflowIds' are alert ids such as 9201, not '{}'",
                    crate::render::cell(bad, 40)
                )));
            }
            ids.iter().map(|i| json!(i)).collect()
        }
        None => current
            .and_then(|c| c.get("workflowIds"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    };
    let mut body = Map::new();
    body.insert("dataSources".into(), json!([query]));
    body.insert("config".into(), Value::Object(config));
    body.insert("conditionGroup".into(), json!({"logicType": "any", "conditions": conditions}));
    body.insert("workflowIds".into(), Value::Array(workflow_ids));
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn a_new_static_monitor_gets_defaults_and_loses_copied_ids() {
        let q = obj(
            json!({"dataset": "events", "aggregate": "count()", "query": "level:error", "timeWindowSeconds": 300}),
        );
        let g = obj(
            json!({"conditions": [{"id": "7", "type": "gt", "comparison": 100, "conditionResult": 75}, {"type": "lte", "comparison": 100, "conditionResult": 0}]}),
        );
        let body = detector_body(
            &MetricInput { query: Some(&q), condition_group: Some(&g), ..Default::default() },
            None,
        )
        .unwrap();
        assert_eq!(
            Value::Object(body),
            json!({"dataSources": [{"dataset": "events", "aggregate": "count()", "query": "level:error", "timeWindow": 300, "eventTypes": ["error", "default"], "environment": null}],
                   "config": {"detectionType": "static", "comparisonDelta": null},
                   "conditionGroup": {"logicType": "any", "conditions": [{"type": "gt", "comparison": 100, "conditionResult": 75}, {"type": "lte", "comparison": 100, "conditionResult": 0}]},
                   "workflowIds": []})
        );
    }

    #[test]
    fn sentrys_limits_are_named() {
        let q = obj(json!({"dataset": "events", "aggregate": "count()", "timeWindowSeconds": 120}));
        let g =
            obj(json!({"conditions": [{"type": "gt", "comparison": 1, "conditionResult": 75}]}));
        let input =
            MetricInput { query: Some(&q), condition_group: Some(&g), ..Default::default() };
        assert!(detector_body(&input, None).unwrap_err().to_string().contains("60, 300, 600, 900"));
        let q = obj(json!({"dataset": "events", "aggregate": "count()", "timeWindowSeconds": 300}));
        let percent = obj(json!({"detectionType": "percent"}));
        let input = MetricInput {
            query: Some(&q),
            config: Some(&percent),
            condition_group: Some(&g),
            ..Default::default()
        };
        assert!(detector_body(&input, None)
            .unwrap_err()
            .to_string()
            .contains("comparisonDeltaSeconds"));
        let dynamic = obj(json!({"detectionType": "dynamic"}));
        let anomaly = obj(
            json!({"conditions": [{"type": "anomaly_detection", "comparison": {"sensitivity": "high", "thresholdType": 2}, "conditionResult": 75}]}),
        );
        let input = MetricInput {
            query: Some(&q),
            config: Some(&dynamic),
            condition_group: Some(&anomaly),
            ..Default::default()
        };
        assert!(detector_body(&input, None).unwrap_err().to_string().contains("900, 1800 or 3600"));
        let q15 =
            obj(json!({"dataset": "events", "aggregate": "count()", "timeWindowSeconds": 900}));
        let input = MetricInput {
            query: Some(&q15),
            config: Some(&dynamic),
            condition_group: Some(&anomaly),
            ..Default::default()
        };
        let body = detector_body(&input, None).unwrap();
        assert_eq!(body["conditionGroup"]["conditions"][0]["comparison"]["seasonality"], "auto");
        let input = MetricInput {
            query: Some(&q15),
            config: Some(&dynamic),
            condition_group: Some(&g),
            ..Default::default()
        };
        assert!(detector_body(&input, None).unwrap_err().to_string().contains("anomaly_detection"));
    }

    #[test]
    fn an_update_keeps_what_it_does_not_name() {
        let current = json!({"config": {"detectionType": "percent", "comparisonDelta": 3600}, "workflowIds": ["9202"],
            "dataSources": [{"queryObj": {"snubaQuery": {"dataset": "events", "aggregate": "count()", "query": "level:error", "timeWindow": 300, "environment": null, "eventTypes": ["error"]}}}],
            "conditionGroup": {"conditions": [{"id": "81020", "type": "gt", "comparison": 50, "conditionResult": 75}]}});
        let q = obj(json!({"timeWindowSeconds": 900}));
        let body =
            detector_body(&MetricInput { query: Some(&q), ..Default::default() }, Some(&current))
                .unwrap();
        assert_eq!(body["dataSources"][0]["timeWindow"], 900);
        assert_eq!(body["dataSources"][0]["query"], "level:error");
        assert_eq!(body["config"], json!({"detectionType": "percent", "comparisonDelta": 3600}));
        assert_eq!(body["workflowIds"], json!(["9202"]));
        let to_static = obj(json!({"detectionType": "static"}));
        let body = detector_body(
            &MetricInput { config: Some(&to_static), ..Default::default() },
            Some(&current),
        )
        .unwrap();
        assert_eq!(body["config"]["comparisonDelta"], Value::Null);
    }
}
