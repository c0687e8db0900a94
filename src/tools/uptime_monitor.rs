//! What the monitor writes share: the settings of both kinds (`monitor_settings!`): an uptime
//! monitor's request, checked against Sentry's limits before anything is sent, so a wrong
//! interval or timeout comes back naming the values Sentry accepts instead of as a 400 from
//! Sentry; and a metric monitor's query, detection and thresholds (`super::metric_monitor`).

use serde_json::{json, Map, Value};

use super::args::choices;
use super::monitoring::{UPTIME_INTERVALS, UPTIME_TIMEOUT_MS};
use super::ToolError;

choices! {
    pub(crate) enum HttpMethod { Get = "GET", Post = "POST", Head = "HEAD", Put = "PUT", Delete = "DELETE", Patch = "PATCH", Options = "OPTIONS" }
}

choices! {
    pub(crate) enum MonitorStatus { Active = "active", Disabled = "disabled" }
}

choices! {
    /// The kinds of monitor the create and update tools write (cron monitors are made by SDKs).
    pub(crate) enum WritableKind { Uptime = "uptime", Metric = "metric" }
}

/// An argument struct with the tool's own fields, then the uptime request settings and the
/// metric monitor settings.
macro_rules! monitor_settings {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($fields:tt)* }) => {
        $(#[$meta])*
        $vis struct $name {
            $($fields)*
            /// 60, 300, 600, 1200, 1800 or 3600.
            #[serde(default, deserialize_with = "crate::tools::args::int::<_, 60, 3600>")]
            #[cfg_attr(test, schemars(range(min = 60, max = 3600)))]
            pub interval_seconds: Option<i64>,
            /// Timeout in ms.
            #[serde(default, deserialize_with = "crate::tools::args::int::<_, 1000, 60000>")]
            #[cfg_attr(test, schemars(range(min = 1000, max = 60000)))]
            pub timeout_ms: Option<i64>,
            #[serde(default, deserialize_with = "crate::tools::args::choice")]
            pub method: Option<crate::tools::uptime_monitor::HttpMethod>,
            /// [name, value] pairs.
            #[serde(default)]
            pub headers: Option<Vec<[String; 2]>>,
            #[serde(default, deserialize_with = "crate::tools::args::string")]
            pub body: Option<String>,
            /// uptime.
            #[serde(default, deserialize_with = "crate::tools::args::string")]
            pub environment: Option<String>,
            #[serde(default, deserialize_with = "crate::tools::args::choice")]
            pub status: Option<crate::tools::uptime_monitor::MonitorStatus>,
            /// metric: {dataset, aggregate, query, timeWindowSeconds, environment}.
            #[serde(default)]
            pub query: Option<serde_json::Map<String, serde_json::Value>>,
            /// metric: {detectionType, comparisonDeltaSeconds}.
            #[serde(default)]
            pub config: Option<serde_json::Map<String, serde_json::Value>>,
            /// metric: {conditions: [{type, comparison, conditionResult}]}.
            #[serde(default)]
            pub condition_group: Option<serde_json::Map<String, serde_json::Value>>,
            /// metric: alert ids.
            #[serde(default, deserialize_with = "crate::tools::args::strings::<_, 20>")]
            pub workflow_ids: Option<Vec<String>>,
        }

        impl $name {
            /// The settings given, as Sentry's request body fields.
            fn settings(&self) -> Result<serde_json::Map<String, serde_json::Value>, crate::tools::ToolError> {
                crate::tools::uptime_monitor::settings_body(crate::tools::uptime_monitor::Settings {
                    interval_seconds: self.interval_seconds,
                    timeout_ms: self.timeout_ms,
                    method: self.method,
                    headers: self.headers.as_deref(),
                    body: self.body.as_deref(),
                    environment: self.environment.as_deref(),
                    status: self.status,
                })
            }

            /// The metric monitor settings given.
            fn metric(&self) -> crate::tools::metric_monitor::MetricInput<'_> {
                crate::tools::metric_monitor::MetricInput {
                    query: self.query.as_ref(),
                    config: self.config.as_ref(),
                    condition_group: self.condition_group.as_ref(),
                    workflow_ids: self.workflow_ids.as_deref(),
                }
            }

            /// The names of the uptime settings given (to refuse them for a metric monitor).
            fn uptime_given(&self) -> Vec<&'static str> {
                let mut names = Vec::new();
                for (name, set) in [
                    ("intervalSeconds", self.interval_seconds.is_some()),
                    ("timeoutMs", self.timeout_ms.is_some()),
                    ("method", self.method.is_some()),
                    ("headers", self.headers.is_some()),
                    ("body", self.body.is_some()),
                    ("environment", self.environment.is_some()),
                    ("url", self.url.is_some()),
                ] {
                    if set {
                        names.push(name);
                    }
                }
                names
            }
        }
    };
}
pub(crate) use monitor_settings;

/// Refuse settings of the other kind: `given` names them, `kind` is the monitor's.
pub(crate) fn refuse_other_kind(given: &[&str], kind: &str) -> Result<(), ToolError> {
    match given.first() {
        Some(name) => Err(ToolError::invalid(format!(
            "'{name}' is not a setting of a {kind} monitor{}",
            if kind == "metric" {
                " (url, intervalSeconds, timeoutMs, method, headers, body and environment are uptime settings; a metric monitor's environment goes in query.environment)"
            } else {
                " (query, config, conditionGroup and workflowIds are metric settings)"
            }
        ))),
        None => Ok(()),
    }
}

/// The settings of one call, borrowed from its arguments.
pub(crate) struct Settings<'a> {
    pub interval_seconds: Option<i64>,
    pub timeout_ms: Option<i64>,
    pub method: Option<HttpMethod>,
    pub headers: Option<&'a [[String; 2]]>,
    pub body: Option<&'a str>,
    pub environment: Option<&'a str>,
    pub status: Option<MonitorStatus>,
}

/// Check the settings against Sentry's limits and build the request body fields.
pub(crate) fn settings_body(s: Settings<'_>) -> Result<Map<String, Value>, ToolError> {
    let mut body = Map::new();
    if let Some(i) = s.interval_seconds {
        if !UPTIME_INTERVALS.contains(&i) {
            return Err(ToolError::invalid(format!(
                "'intervalSeconds' must be one of 60, 300, 600, 1200, 1800 or 3600 (Sentry's intervals), not {i}"
            )));
        }
        body.insert("intervalSeconds".into(), json!(i));
    }
    if let Some(t) = s.timeout_ms {
        let (min, max) = UPTIME_TIMEOUT_MS;
        if !(min..=max).contains(&t) {
            return Err(ToolError::invalid(format!("'timeoutMs' must be from {min} to {max}")));
        }
        body.insert("timeoutMs".into(), json!(t));
    }
    if let Some(m) = s.method {
        body.insert("method".into(), json!(m.as_str()));
    }
    if let Some(h) = s.headers {
        if h.len() > 20 {
            return Err(ToolError::invalid("'headers' takes at most 20 pairs"));
        }
        if h.iter().any(|[name, _]| name.trim().is_empty()) {
            return Err(ToolError::invalid("'headers': every pair needs a header name"));
        }
        body.insert("headers".into(), json!(h));
    }
    if let Some(b) = s.body {
        if matches!(s.method, None | Some(HttpMethod::Get | HttpMethod::Head | HttpMethod::Options))
        {
            return Err(ToolError::invalid(
                "'body' needs method POST, PUT or PATCH (GET, HEAD and OPTIONS send no body)",
            ));
        }
        body.insert("body".into(), json!(b));
    }
    if let Some(e) = s.environment {
        body.insert("environment".into(), json!(e));
    }
    if let Some(st) = s.status {
        body.insert("status".into(), json!(st.as_str()));
    }
    Ok(body)
}

/// A monitor's display name: at most 128 characters, as Sentry allows.
pub(crate) fn check_name(name: &str) -> Result<(), ToolError> {
    if name.chars().count() > 128 {
        return Err(ToolError::invalid("'name' is limited to 128 characters"));
    }
    Ok(())
}

/// The URL to check: absolute http(s), at most 255 characters, as Sentry allows.
pub(crate) fn check_url(url: &str) -> Result<(), ToolError> {
    if url.len() > 255 {
        return Err(ToolError::invalid("'url' is limited to 255 characters"));
    }
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(ToolError::invalid(
            "'url' must be an absolute http:// or https:// URL, e.g. https://example.com/health",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings<'static> {
        Settings {
            interval_seconds: None,
            timeout_ms: None,
            method: None,
            headers: None,
            body: None,
            environment: None,
            status: None,
        }
    }

    #[test]
    fn limits_are_sentrys() {
        let err =
            settings_body(Settings { interval_seconds: Some(120), ..settings() }).unwrap_err();
        assert!(err.to_string().contains("60, 300, 600, 1200, 1800 or 3600"), "{err}");
        let ok = settings_body(Settings {
            interval_seconds: Some(300),
            timeout_ms: Some(5_000),
            ..settings()
        });
        assert_eq!(Value::Object(ok.unwrap()), json!({"intervalSeconds": 300, "timeoutMs": 5000}));
        assert!(settings_body(Settings { body: Some("{}"), ..settings() }).is_err());
        let post = Settings { body: Some("{}"), method: Some(HttpMethod::Post), ..settings() };
        assert!(settings_body(post).is_ok());
        assert!(check_url("ftp://a.example/").is_err() && check_url("https://a.example/x").is_ok());
        assert!(check_url(&format!("https://a.example/{}", "x".repeat(250))).is_err());
    }
}
