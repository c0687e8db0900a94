//! `get_sentry_mcp_info`: this server's version and skills, so an agent skill written for a given
//! server can check what it talks to before relying on a tool. No call to Sentry.

use serde::Deserialize;

use super::{catalogue, tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::session::SkillSet;

/// No arguments.
#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub(super) struct Args {}

tool! {
    pub(super) struct GetSentryMcpInfo {
        name: "get_sentry_mcp_info",
        title: "Server version and skills",
        skills: &Skill::ALL,
        annotations: Annotations {
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: false,
        },
        hidden_when: HiddenWhen::Never,
        args: Args,
    }
}

async fn call(ctx: &ToolContext<'_>, _args: Args) -> Result<ToolOutput, ToolError> {
    let granted = ctx.session.skills;
    let mut out = format!(
        "# {} {}\n\nAn MCP server for Sentry (direct tools, no gateway). Skills on by default: {}.\n\n| Skill | In this connection | Tools |\n| --- | --- | --- |\n",
        crate::SERVER_NAME,
        crate::SERVER_VERSION,
        SkillSet::defaults().iter().map(Skill::id).collect::<Vec<_>>().join(", ")
    );
    for skill in Skill::ALL {
        let tools: Vec<&str> = catalogue()
            .iter()
            .map(|t| t.spec())
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
    let everywhere: Vec<&str> = catalogue()
        .iter()
        .map(|t| t.spec())
        .filter(|s| s.skills.len() == Skill::ALL.len())
        .map(|s| s.name)
        .collect();
    out.push_str(&format!("\nIn every skill: {}.\n", everywhere.join(", ")));
    Ok(ToolOutput::markdown(out))
}
