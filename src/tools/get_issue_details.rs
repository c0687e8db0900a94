//! `get_issue_details`: one issue with one event's exception, stack, request, tags and more.

use serde::Deserialize;

use super::args;
use super::shared::issue_args;
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::event::EventOptions;
use crate::sentry::ids;

issue_args! {
    #[derive(Deserialize)]
    #[cfg_attr(test, derive(schemars::JsonSchema))]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Args {
        /// Event to show: a 32-hex id, 'latest' (default), 'oldest' or 'recommended'.
        #[serde(default, deserialize_with = "args::string")]
        pub event_id: Option<String>,
        /// Also show the event's breadcrumbs (default false).
        #[serde(default, deserialize_with = "args::flag")]
        pub include_breadcrumbs: Option<bool>,
        /// Frames per stack trace (default 20; in-app frames first).
        #[serde(default, deserialize_with = "args::int::<_, 1, 200>")]
        #[cfg_attr(test, schemars(range(min = 1, max = 200)))]
        pub max_frames: Option<i64>,
    }
}

tool! {
    pub(super) struct GetIssueDetails {
        name: "get_issue_details",
        title: "Get issue details",
        skills: &[Skill::Inspect, Skill::Triage, Skill::Seer],
        annotations: Annotations::READ,
        hidden_when: HiddenWhen::Never,
        args: Args,
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let issue = ctx.issue_ref(&args)?;
    let event_id = match &args.event_id {
        Some(e) => Some(ids::event_id(e)?),
        None => issue.event_id,
    };
    let opts = EventOptions {
        max_frames: args.max_frames.unwrap_or(20) as usize,
        breadcrumbs: args.include_breadcrumbs.unwrap_or(false).then_some(50),
    };
    let md = ctx.issue_with_event(&issue.org, &issue.issue_id, event_id.as_deref(), &opts).await?;
    Ok(ToolOutput::markdown(ctx.untrusted.finish(md)))
}
