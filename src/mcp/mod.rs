//! The Model Context Protocol: both protocol eras, statelessly, over any transport.
//!
//! Every payload stands alone (no session state, no earlier `initialize` needed; the one session
//! id given out only marks a client that declared MCP Apps, see `apps`). [`server::dispatch`]
//! decides the era (`_meta` protocol version → modern; a legacy-shaped `initialize` → legacy
//! whatever its headers; otherwise legacy with the transport's version, unless a request's header
//! names a modern version), validates what that era requires and dispatches to
//! `initialize`, `ping`, `server/discover`, `tools/list`, `tools/call`, `subscriptions/listen`,
//! the task methods ([`tasks`]), and the prompts, resources and completions built on the tools
//! (`prompts`, `resources`, `completion`), and the MCP Apps views of two tools for the clients
//! that declare that extension (`apps`). [`server::handle`] frames it for one HTTP POST; the
//! stdio binary frames it as one line. Each message runs inside an `mcp.server` span (`span`), in
//! the conventions of Sentry's MCP monitoring.

pub(crate) mod apps;
#[cfg(test)]
mod budget_tests;
pub(crate) mod completion;
pub(crate) mod jsonrpc;
pub(crate) mod prompts;
pub(crate) mod resources;
pub(crate) mod server;
mod span;
pub(crate) mod tasks;
pub(crate) mod tool_list;
pub(crate) mod version;

// Each runtime uses part of this list: the Worker the HTTP framing, the stdio binary the rest.
#[allow(unused_imports)]
pub(crate) use server::{
    dispatch, handle, handle_parsed, http_error, http_status, parse_error, Answer, McpContext,
    Refusal, Stage, StdioConnection, Transport, MAX_BATCH_MESSAGES,
};
