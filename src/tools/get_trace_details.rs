//! `get_trace_details`: one trace as a bounded span tree with timings, errors and performance issues.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::shared::org_param;
use super::{
    Annotations, Args, HiddenWhen, Skill, Tool, ToolContext, ToolError, ToolOutput, ToolSpec,
};
use crate::render::trace::TraceOptions;
use crate::sentry::ids;

pub struct GetTraceDetails;

static SPEC: ToolSpec = ToolSpec {
    name: "get_trace_details",
    title: "Get trace details",
    description_file: include_str!("../../tool-descriptions/get_trace_details.md"),
    skills: &[Skill::Inspect],
    annotations: Annotations::READ,
    hidden_when: HiddenWhen::Never,
};

#[async_trait(?Send)]
impl Tool for GetTraceDetails {
    fn spec(&self) -> &'static ToolSpec {
        &SPEC
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "organizationSlug": org_param(),
                "traceId": {"type": "string", "description": "32-character hex trace id (from an event's trace context or a trace URL)."},
                "spanId": {"type": "string", "description": "A span to point out in the tree (16 hex)."},
                "maxSpans": {"type": "integer", "minimum": 5, "maximum": 500, "description": "Spans shown in the tree (default 50)."}
            },
            "required": ["organizationSlug", "traceId"],
            "additionalProperties": false
        })
    }

    async fn call(&self, ctx: &ToolContext<'_>, args: &Args) -> Result<ToolOutput, ToolError> {
        let org = ctx.org(args)?;
        let trace_id = ids::trace_id(
            &args.req_str("traceId", "Find it in an event's Trace line or a trace URL.")?,
        )?;
        let focus_span = args.opt_str("spanId")?.map(|s| s.to_ascii_lowercase());
        let max_spans = args.opt_int("maxSpans", 5, 500)?.unwrap_or(50) as usize;
        let md = ctx.trace(&org, &trace_id, &TraceOptions { max_spans, focus_span }).await?;
        Ok(ToolOutput::markdown(ctx.untrusted.finish(md)))
    }
}
