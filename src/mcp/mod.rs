//! The Model Context Protocol over one HTTP POST: both protocol eras, statelessly.
//!
//! Every POST stands alone (no session ids, no earlier `initialize` needed). [`server::handle`]
//! parses the body, decides the era (`initialize` → legacy; `_meta` protocol version → modern;
//! otherwise legacy with the `MCP-Protocol-Version` header), validates what that era requires and
//! dispatches to `initialize`, `ping`, `server/discover`, `tools/list` or `tools/call`.

pub mod jsonrpc;
pub mod server;
pub mod version;

pub use server::{handle, McpContext};
