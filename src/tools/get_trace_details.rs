//! `get_trace_details`: one trace as a bounded span tree with timings, errors and performance issues;
//! for a client that renders MCP Apps views, also the spans as the waterfall view draws them.

use serde::Deserialize;

use super::args::{self, require};
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::trace::{waterfall, TraceOptions};
use crate::sentry::ids;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub(super) struct Args {
    #[cfg_attr(test, schemars(description = crate::tools::args::ORGANIZATION_SLUG))]
    #[cfg_attr(test, schemars(extend("x-scope" = "organization")))]
    pub organization_slug: args::Required,
    /// 32-hex trace id, from an event's trace context or a trace URL.
    pub trace_id: args::Required,
    /// A span to point out in the tree (16 hex).
    #[serde(default, deserialize_with = "args::string")]
    pub span_id: Option<String>,
    /// Spans shown in the tree (default 50).
    #[serde(default, deserialize_with = "args::int::<_, 5, 500>")]
    #[cfg_attr(test, schemars(range(min = 5, max = 500)))]
    pub max_spans: Option<i64>,
}

tool! {
    pub(super) struct GetTraceDetails {
        name: "get_trace_details",
        title: "Get trace details",
        skills: &[Skill::Inspect],
        annotations: Annotations::READ,
        hidden_when: HiddenWhen::Never,
        args: Args,
    }
}

async fn call(ctx: &ToolContext<'_>, args: Args) -> Result<ToolOutput, ToolError> {
    let org = ctx.org(args.organization_slug.as_deref())?;
    let trace_id = ids::trace_id(&require!(
        args.trace_id,
        "Find it in an event's Trace line or a trace URL."
    )?)?;
    let focus_span = args.span_id.map(|s| s.to_ascii_lowercase());
    let max_spans = args.max_spans.unwrap_or(50) as usize;
    let (md, tree) =
        ctx.trace_tree(&org, &trace_id, &TraceOptions { max_spans, focus_span }).await?;
    let output = ToolOutput::markdown(ctx.untrusted.finish(md));
    if !ctx.views {
        return Ok(output);
    }
    // The MCP Apps waterfall draws the spans the text shows (see `mcp::apps`).
    let spans = waterfall(&trace_id, &org, &tree, max_spans);
    Ok(output.with_structured(spans, &["/spans/*/op", "/spans/*/name"]))
}
