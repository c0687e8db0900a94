//! `get_trace_details`: one trace as a bounded span tree with timings, errors and performance
//! issues; with `focus` and the embedded agent, only the spans and errors that bear on a question
//! (chosen by id from a fenced outline, rendered here) and their parents; for a client that
//! renders MCP Apps views, also the spans as the waterfall view draws them.

use serde::Deserialize;

use super::args::{self, require};
use super::focus::{self, Selection, Subject};
use super::{tool, Annotations, HiddenWhen, Skill, ToolContext, ToolError, ToolOutput};
use crate::render::trace::{outline_lines, trace_markdown, waterfall, TraceOptions};
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
    /// A question or focus ('what makes checkout slow?'): keep only the spans and errors that bear on it.
    #[serde(default, deserialize_with = "args::string")]
    #[cfg_attr(test, schemars(extend("x-agent" = true), length(max = 500)))]
    pub focus: Option<String>,
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
    let data = ctx.trace_data(&org, &trace_id, max_spans).await?;
    let selection = focus::select(ctx, Subject::TraceNodes, args.focus.as_deref(), || {
        outline_lines(&data.roots, OUTLINE_NODES)
    })
    .await;
    let keep = match &selection {
        Selection::Keep(keep) => Some(keep.clone()),
        _ => None,
    };
    let kept = keep.as_ref().map_or(0, Vec::len);
    let opts = TraceOptions { max_spans, focus_span, keep };
    let mut md = trace_markdown(&trace_id, &org, &data.meta, &data.roots, &opts, &ctx.untrusted);
    md.push_str(&data.note);
    match selection {
        Selection::Keep(_) => md.push_str(&format!(
            "\n_Focused answer: the tree shows the {kept} span(s) or error(s) the question needs and their parents; the counts and operations above cover the whole trace. Call get_trace_details again without `focus` for the full tree._\n"
        )),
        Selection::Full(line) => md.push_str(&line),
        Selection::None => {}
    }
    let output = ToolOutput::markdown(ctx.untrusted.finish(md));
    if !ctx.views {
        return Ok(output);
    }
    // The MCP Apps waterfall draws the trace's spans (see `mcp::apps`).
    let spans = waterfall(&trace_id, &org, &data.roots, max_spans);
    Ok(output.with_structured(spans, &["/spans/*/op", "/spans/*/name"]))
}

/// Nodes a focus chooses from (depth-first, the first ones).
const OUTLINE_NODES: usize = 200;
