//! Names of the official Sentry MCP server that this catalogue serves under another name.
//!
//! The official server has one tool per operation (`search_logs`, `find_uptime_monitors`, ...)
//! behind a gateway; we keep the direct `tools/list` within the tool-count budget of the
//! strictest clients by grouping reads with a `dataset` or `kind` argument. So that prompts and
//! scripts written for the official server keep working, `tools/call` also accepts its names:
//! an alias names the tool that serves it and the arguments it fixes. Aliases are never listed
//! (a host's approval prompt shows the tool that runs) and never hide a write behind a read: an
//! alias maps to a tool with the same annotations an official tool of that name would have.

use serde_json::{Map, Value};

/// An official-server tool name served by one of ours with some arguments fixed.
pub(crate) struct Alias {
    /// The official server's name.
    pub name: &'static str,
    /// The tool of ours that serves it.
    pub tool: &'static str,
    /// Arguments the alias fixes, as (name, string value).
    pub preset: &'static [(&'static str, &'static str)],
    /// Arguments the official tool names differently, as (official name, our name).
    pub rename: &'static [(&'static str, &'static str)],
}

/// Every alias, by official name.
pub(crate) static ALIASES: &[Alias] = &[
    Alias {
        name: "search_errors",
        tool: "search_events",
        preset: &[("dataset", "errors")],
        rename: &[],
    },
    Alias {
        name: "search_logs",
        tool: "search_events",
        preset: &[("dataset", "logs")],
        rename: &[],
    },
    Alias {
        name: "search_traces",
        tool: "search_events",
        preset: &[("dataset", "spans")],
        rename: &[],
    },
    Alias {
        name: "find_uptime_monitors",
        tool: "find_monitors",
        preset: &[("kind", "uptime")],
        rename: &[],
    },
    Alias {
        name: "find_metric_monitors",
        tool: "find_monitors",
        preset: &[("kind", "metric")],
        rename: &[],
    },
    Alias {
        name: "get_uptime_monitor_details",
        tool: "get_monitor_details",
        preset: &[("kind", "uptime")],
        rename: &[("uptimeMonitorId", "monitorId")],
    },
    Alias {
        name: "get_metric_monitor_details",
        tool: "get_monitor_details",
        preset: &[("kind", "metric")],
        rename: &[("metricMonitorId", "monitorId")],
    },
    Alias {
        name: "get_alert_rule",
        tool: "find_alert_rules",
        preset: &[],
        rename: &[("ruleIdOrName", "alertRuleId")],
    },
    Alias {
        name: "get_alert_options",
        tool: "find_alert_rules",
        preset: &[],
        rename: &[("section", "view")],
    },
    Alias {
        name: "create_uptime_monitor",
        tool: "create_monitor",
        preset: &[("kind", "uptime")],
        rename: &[],
    },
    Alias {
        name: "update_uptime_monitor",
        tool: "update_monitor",
        preset: &[("kind", "uptime")],
        rename: &[("uptimeMonitorId", "monitorId")],
    },
    Alias {
        name: "delete_uptime_monitor",
        tool: "delete_monitor",
        preset: &[("kind", "uptime")],
        rename: &[("uptimeMonitorId", "monitorId")],
    },
    Alias {
        name: "create_metric_monitor",
        tool: "create_monitor",
        preset: &[("kind", "metric")],
        rename: &[],
    },
    Alias {
        name: "update_metric_monitor",
        tool: "update_monitor",
        preset: &[("kind", "metric")],
        rename: &[("metricMonitorId", "monitorId")],
    },
    Alias {
        name: "delete_metric_monitor",
        tool: "delete_monitor",
        preset: &[("kind", "metric")],
        rename: &[("metricMonitorId", "monitorId")],
    },
    Alias {
        name: "delete_monitor_environment",
        tool: "delete_monitor",
        preset: &[("kind", "cron")],
        rename: &[],
    },
    Alias { name: "get_sentry_mcp_info", tool: "whoami", preset: &[], rename: &[] },
    Alias { name: "get_dashboard_details", tool: "find_dashboards", preset: &[], rename: &[] },
    Alias {
        name: "search_metrics",
        tool: "search_events",
        preset: &[("dataset", "metrics")],
        rename: &[],
    },
    Alias {
        name: "search_profiles",
        tool: "search_events",
        preset: &[("dataset", "profiles")],
        rename: &[],
    },
    Alias {
        name: "search_replays",
        tool: "search_events",
        preset: &[("dataset", "replays")],
        rename: &[],
    },
    Alias {
        name: "search_agent_conversations",
        tool: "search_events",
        preset: &[("dataset", "conversations")],
        rename: &[],
    },
    Alias {
        name: "search_ai_conversations",
        tool: "search_events",
        preset: &[("dataset", "conversations")],
        rename: &[],
    },
    Alias {
        name: "find_dropped_events",
        tool: "search_events",
        preset: &[("dataset", "outcomes")],
        rename: &[("dataset", "query"), ("statsPeriod", "period")],
    },
    Alias {
        name: "get_issue_activity",
        tool: "get_issue_details",
        preset: &[("view", "activity")],
        rename: &[],
    },
    Alias {
        name: "get_issue_breadcrumbs",
        tool: "get_issue_details",
        preset: &[("view", "breadcrumbs")],
        rename: &[],
    },
    Alias {
        name: "get_event_stacktrace",
        tool: "get_issue_details",
        preset: &[("view", "stacktrace")],
        rename: &[],
    },
    Alias {
        name: "get_issue_user_reports",
        tool: "get_issue_details",
        preset: &[("view", "user_reports")],
        rename: &[],
    },
    Alias {
        name: "get_span_details",
        tool: "get_sentry_resource",
        preset: &[("resourceType", "span")],
        rename: &[("spanId", "resourceId")],
    },
    Alias {
        name: "get_replay_details",
        tool: "get_sentry_resource",
        preset: &[("resourceType", "replay")],
        rename: &[("replayUrl", "url"), ("replayId", "resourceId")],
    },
    Alias {
        name: "get_profile_details",
        tool: "get_sentry_resource",
        preset: &[("resourceType", "profile")],
        rename: &[("profileUrl", "url"), ("profileId", "resourceId")],
    },
    Alias {
        name: "get_profile",
        tool: "get_sentry_resource",
        preset: &[("resourceType", "profile")],
        rename: &[("profileUrl", "url"), ("transactionName", "resourceId")],
    },
    Alias {
        name: "get_release_details",
        tool: "get_sentry_resource",
        preset: &[("resourceType", "release")],
        rename: &[("releaseVersion", "resourceId"), ("version", "resourceId")],
    },
    Alias {
        name: "get_agent_conversation_details",
        tool: "get_sentry_resource",
        preset: &[("resourceType", "conversation")],
        rename: &[("conversationId", "resourceId")],
    },
    Alias {
        name: "get_ai_conversation_details",
        tool: "get_sentry_resource",
        preset: &[("resourceType", "conversation")],
        rename: &[("conversationId", "resourceId")],
    },
];

/// The alias of that name, if any.
pub(crate) fn find(name: &str) -> Option<&'static Alias> {
    ALIASES.iter().find(|a| a.name == name)
}

impl Alias {
    /// The caller's arguments with official names renamed and the alias's presets applied. A caller that sets a preset
    /// argument to another value is told which tool to call instead.
    pub(crate) fn apply(&self, mut args: Map<String, Value>) -> Result<Map<String, Value>, String> {
        for (official, ours) in self.rename {
            if let Some(value) = args.remove(*official) {
                if args.contains_key(*ours) {
                    return Err(format!(
                        "'{}' takes '{official}' or '{ours}', not both",
                        self.name
                    ));
                }
                args.insert((*ours).to_string(), value);
            }
        }
        for (key, value) in self.preset {
            match args.get(*key) {
                Some(Value::String(given)) if given == value => {}
                None | Some(Value::Null) => {}
                Some(other) => {
                    return Err(format!(
                        "'{}' is an alias of '{}' with {key}='{value}', but {key} was {}; call '{}' directly for another {key}",
                        self.name,
                        self.tool,
                        crate::render::truncate(&other.to_string(), 40),
                        self.tool
                    ))
                }
            }
            args.insert((*key).to_string(), Value::String((*value).to_string()));
        }
        Ok(args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn aliases_name_real_tools_and_never_shadow_one() {
        let names: Vec<&str> = super::super::catalogue().iter().map(|t| t.spec().name).collect();
        for alias in ALIASES {
            assert!(
                names.contains(&alias.tool),
                "{} maps to unknown tool {}",
                alias.name,
                alias.tool
            );
            assert!(!names.contains(&alias.name), "{} shadows a listed tool", alias.name);
            let tool =
                super::super::catalogue().iter().find(|t| t.spec().name == alias.tool).unwrap();
            let props = tool.input_schema();
            for (key, value) in alias.preset {
                let allowed = props.pointer(&format!("/properties/{key}/enum"));
                assert!(
                    allowed.and_then(Value::as_array).is_some_and(|a| a.contains(&json!(value))),
                    "{}: {key}={value} is not a value {} accepts",
                    alias.name,
                    alias.tool
                );
            }
        }
        let mut sorted: Vec<&str> = ALIASES.iter().map(|a| a.name).collect();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ALIASES.len(), "duplicate alias");
    }

    #[test]
    fn presets_fill_in_and_conflicts_are_refused() {
        let logs = find("search_logs").unwrap();
        let args = logs.apply(Map::new()).unwrap();
        assert_eq!(args["dataset"], "logs");
        let same = json!({"dataset": "logs", "query": "x"}).as_object().cloned().unwrap();
        assert_eq!(logs.apply(same).unwrap()["query"], "x");
        let other = json!({"dataset": "spans"}).as_object().cloned().unwrap();
        let err = logs.apply(other).unwrap_err();
        assert!(err.contains("call 'search_events' directly"), "{err}");
        assert!(find("search_events").is_none());
    }

    #[test]
    fn official_argument_names_are_renamed() {
        let alias =
            Alias { name: "get_x", tool: "t", preset: &[], rename: &[("xId", "resourceId")] };
        let args = alias.apply(json!({"xId": "7"}).as_object().cloned().unwrap()).unwrap();
        assert_eq!(args.get("resourceId"), Some(&json!("7")));
        assert!(!args.contains_key("xId"));
        let both = json!({"xId": "7", "resourceId": "8"}).as_object().cloned().unwrap();
        assert!(alias.apply(both).unwrap_err().contains("not both"));
    }
}
