//! `remove_team_from_project`: withdraw a team's access to a project.

use super::team_access::{change, Args};
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};

tool! {
    pub(super) struct RemoveTeamFromProject {
        name: "remove_team_from_project",
        title: "Remove a team from a project",
        skills: &[Skill::ProjectManagement],
        annotations: Annotations {
            read_only: false,
            destructive: true,
            idempotent: true,
            open_world: true,
        },
        hidden_when: HiddenWhen::Never,
        args: Args,
        scopes: &["project:write"],
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    change(ctx, args, false).await
}
