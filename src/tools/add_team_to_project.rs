//! `add_team_to_project`: give a team access to a project.

use super::team_access::{change, Args};
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};

tool! {
    pub(super) struct AddTeamToProject {
        name: "add_team_to_project",
        title: "Add a team to a project",
        skills: &[Skill::ProjectManagement],
        annotations: Annotations {
            read_only: false,
            destructive: false,
            idempotent: true,
            open_world: true,
        },
        hidden_when: HiddenWhen::Never,
        args: Args,
        scopes: &["project:write"],
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    change(ctx, args, true).await
}
