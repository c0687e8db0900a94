//! `tools/list` entries. The catalogue (`crate::tools`) knows what a tool is; which fields an entry
//! carries depends on the negotiated protocol version, which is this layer's business.

use serde_json::{json, Value};

use std::rc::Rc;

use super::version::ProtocolVersion;
use crate::caches::{Caches, ToolListKey};
use crate::session::Session;
use crate::tools::{self, Tool};

/// The cache key of a complete `tools/list` result: everything the answer depends on (protocol
/// version, skills, constraints, whether the client renders MCP Apps views). The catalogue is static, so one answer per key is built and
/// serialised once per isolate or process, then spliced into every response as bytes
/// (`Answer::Raw`): no rebuilding, cloning or re-serialising on the hot path.
pub(crate) fn result_key(session: &Session, version: ProtocolVersion, views: bool) -> ToolListKey {
    let skills: Vec<&str> = session.skills.iter().map(|s| s.id()).collect();
    let c = &session.constraints;
    ToolListKey(format!(
        "{}|{}|{}|{}|{}",
        version.as_str(),
        skills.join(","),
        c.organization.as_deref().unwrap_or(""),
        c.project.as_deref().unwrap_or(""),
        if views { "ui" } else { "" }
    ))
}

/// The cached serialised result for `key`, or `build` it, serialise it and remember it.
pub(crate) fn cached_result(
    caches: &Caches,
    key: ToolListKey,
    build: impl FnOnce() -> Value,
) -> Rc<str> {
    if let Some(raw) = caches.tool_lists.get(&key) {
        return raw;
    }
    let raw: Rc<str> = build().to_string().into();
    caches.tool_lists.put(key, raw.clone());
    raw
}

/// The `tools/list` entries the session sees, in catalogue order; with `views` (the client
/// renders MCP Apps), the tools that have a view point at it in `_meta.ui.resourceUri`.
pub(crate) fn entries(session: &Session, version: ProtocolVersion, views: bool) -> Vec<Value> {
    tools::visible(session)
        .map(|t| {
            let mut e = entry(t, session, version);
            if let Some(view) = super::apps::for_tool(t.spec().name).filter(|_| views) {
                e["_meta"] = super::apps::tool_meta(view);
            }
            e
        })
        .collect()
}

/// A tool's `tools/list` entry, with only the fields `version` defines.
pub(crate) fn entry(tool: &dyn Tool, session: &Session, version: ProtocolVersion) -> Value {
    let spec = tool.spec();
    let mut entry = json!({
        "name": spec.name,
        "description": spec.description(),
        "inputSchema": tools::session_schema(tool, &session.constraints),
    });
    if version.has_structured_output() {
        entry["title"] = json!(spec.title);
        if let Some(schema) = tool.output_schema() {
            entry["outputSchema"] = schema;
        }
    }
    if version.has_annotations() {
        let a = spec.annotations;
        entry["annotations"] = json!({
            "readOnlyHint": a.read_only,
            "destructiveHint": a.destructive,
            "idempotentHint": a.idempotent,
            "openWorldHint": a.open_world,
        });
        if !version.has_structured_output() {
            // 2025-03-26 has no top-level title; its annotations carry it instead.
            entry["annotations"]["title"] = json!(spec.title);
        }
    }
    if version.has_experimental_tasks() && tool.runs_as_task() {
        entry["execution"] = json!({"taskSupport": "optional"});
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{AccessMethod, Constraints, SkillSet};

    #[test]
    fn version_gated_fields() {
        let s = Session {
            upstream_token: "t".into(),
            access: AccessMethod::SentryBearer,
            skills: SkillSet::all(),
            constraints: Constraints::default(),
        };
        let tool = tools::lookup("whoami", &s).unwrap();
        let old = entry(tool, &s, ProtocolVersion::V2024_11_05);
        assert!(old.get("annotations").is_none() && old.get("title").is_none());
        let mid = entry(tool, &s, ProtocolVersion::V2025_03_26);
        assert!(mid.get("annotations").is_some() && mid.get("title").is_none());
        let new = entry(tool, &s, ProtocolVersion::V2025_11_25);
        assert_eq!(new["annotations"]["readOnlyHint"], true);
        assert!(new.get("title").is_some());
    }

    #[test]
    fn role_markers_never_reach_clients() {
        let s = Session {
            upstream_token: "t".into(),
            access: AccessMethod::SentryBearer,
            skills: SkillSet::all(),
            constraints: Constraints::default(),
        };
        let list = json!(entries(&s, ProtocolVersion::V2025_11_25, false)).to_string();
        assert!(list.contains("organizationSlug") && !list.contains("x-scope"));
    }

    #[test]
    fn each_distinct_answer_is_built_once() {
        let caches = Caches::new();
        let all = Session {
            upstream_token: "t".into(),
            access: AccessMethod::SentryBearer,
            skills: SkillSet::all(),
            constraints: Constraints::default(),
        };
        let narrowed = Session {
            skills: SkillSet::none().with(crate::session::Skill::Inspect),
            constraints: Constraints::new(Some("acme"), Some("web")).unwrap(),
            upstream_token: "t".into(),
            access: AccessMethod::SentryBearer,
        };
        let v = ProtocolVersion::V2025_11_25;
        fn build(session: &Session, v: ProtocolVersion) -> impl FnOnce() -> Value + '_ {
            move || json!({ "tools": entries(session, v, false) })
        }
        let first = cached_result(&caches, result_key(&all, v, false), build(&all, v));
        let again = cached_result(&caches, result_key(&all, v, false), || unreachable!("cached"));
        assert!(Rc::ptr_eq(&first, &again), "served from the cache");
        assert_eq!(&*first, build(&all, v)().to_string(), "the same answer as building it");
        let other = cached_result(&caches, result_key(&narrowed, v, false), build(&narrowed, v));
        assert!(other.len() < first.len(), "constraints and skills have answers of their own");
        let old = ProtocolVersion::V2024_11_05;
        let older = cached_result(&caches, result_key(&all, old, false), build(&all, old));
        assert_ne!(older, first, "and so do protocol versions");
    }
}
