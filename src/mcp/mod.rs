//! The Model Context Protocol: both protocol eras, statelessly, over any transport.
//!
//! Every payload stands alone (no session ids, no earlier `initialize` needed). [`server::dispatch`]
//! decides the era (`initialize` → legacy; `_meta` protocol version → modern; otherwise legacy
//! with the transport's version), validates what that era requires and dispatches to
//! `initialize`, `ping`, `server/discover`, `tools/list` or `tools/call`. [`server::handle`] frames
//! it for one HTTP POST; the stdio binary frames it as one line.

pub mod jsonrpc;
pub mod server;
pub mod tool_list;
pub mod version;

pub use server::{
    dispatch, handle, http_error, http_status, parse_error, Answer, McpContext, Refusal, Stage,
    StdioConnection, Transport,
};
