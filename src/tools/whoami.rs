//! `whoami`: who the token belongs to and what it may do.

use serde::Deserialize;
use serde_json::Value;

use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::sentry::{ApiPath, Host};

/// No arguments.
#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub(super) struct Args {}

tool! {
    pub(super) struct Whoami {
        name: "whoami",
        title: "Who am I",
        skills: &Skill::ALL,
        annotations: Annotations::READ,
        hidden_when: HiddenWhen::Never,
        args: Args,
    }
}

async fn call(ctx: &ToolContext<'_>, _args: Args) -> Result<ToolOutput, ToolError> {
    let root = ctx.sentry.get(Host::Control, &ApiPath::root(), &[]).await?.body;
    let mut out = String::new();
    match root.get("user").filter(|u| u.is_object()) {
        Some(user) => {
            let name = user.get("name").and_then(Value::as_str).filter(|s| !s.is_empty()).unwrap_or("(no name)");
            out.push_str(&format!("# You are {name}\n\n"));
            let facts: Vec<String> = [("User ID", "id"), ("Email", "email"), ("Username", "username")]
                .iter()
                .filter_map(|(label, key)| user.get(*key).and_then(Value::as_str).map(|v| format!("**{label}**: {v}")))
                .collect();
            out.push_str(&facts.join(" · "));
            out.push('\n');
        }
        None => out.push_str("# Organization token\n\nThis token belongs to an organization integration, not a user: user-only endpoints (such as listing organizations) may be refused.\n"),
    }
    let scopes: Vec<&str> = root
        .pointer("/auth/scopes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !scopes.is_empty() {
        out.push_str(&format!("**Token scopes**: {}\n", scopes.join(", ")));
    }
    out.push_str(&format!(
        "**Sentry**: {}\n",
        ctx.sentry.config().base.as_str().trim_end_matches('/')
    ));
    let skills: Vec<&str> = ctx.session.skills.iter().map(Skill::id).collect();
    out.push_str(&format!("**Skills in this connection**: {}\n", skills.join(", ")));
    let c = &ctx.session.constraints;
    match (&c.organization, &c.project) {
        (Some(o), Some(p)) => {
            out.push_str(&format!("**Limited to**: project '{p}' in organization '{o}'\n"));
        }
        (Some(o), None) => out.push_str(&format!("**Limited to**: organization '{o}'\n")),
        _ => {}
    }
    Ok(ToolOutput::markdown(out))
}
