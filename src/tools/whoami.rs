//! `whoami`: who the token belongs to and what it may do, and what this server is: its version
//! and skills (granted and available, with their tools), so an agent skill written for a given
//! server can check what it talks to. The official `get_sentry_mcp_info` is an alias of it.

use serde::Deserialize;
use serde_json::Value;

use super::{catalogue, tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::sentry::{ApiPath, Host};
use crate::session::SkillSet;

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
    server(ctx.session.skills, &mut out);
    Ok(ToolOutput::markdown(out))
}

/// This server's version, and each skill: whether the connection has it, and the tools it
/// brings beyond those every skill has.
fn server(granted: SkillSet, out: &mut String) {
    out.push_str(&format!(
        "\n## Server: {} {}\n\nSkills on by default: {}.\n\n| Skill | In this connection | Tools |\n| --- | --- | --- |\n",
        crate::SERVER_NAME,
        crate::SERVER_VERSION,
        SkillSet::defaults().iter().map(Skill::id).collect::<Vec<_>>().join(", ")
    ));
    let specs = || catalogue().iter().map(|t| t.spec());
    for skill in Skill::ALL {
        let tools: Vec<&str> = specs()
            .filter(|s| s.skills.contains(&skill) && s.skills.len() < Skill::ALL.len())
            .map(|s| s.name)
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            skill.id(),
            if granted.contains(skill) { "yes" } else { "no" },
            tools.join(", ")
        ));
    }
    let everywhere: Vec<&str> =
        specs().filter(|s| s.skills.len() == Skill::ALL.len()).map(|s| s.name).collect();
    out.push_str(&format!("\nIn every skill: {}.\n", everywhere.join(", ")));
}
