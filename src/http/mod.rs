//! The inbound HTTP layer: the route table, `/mcp` with its credential, origin and content
//! checks, and rate limits. The request and response values themselves live in
//! [`crate::platform::http`], so lower layers can use them without depending on this module.

mod credentials;
mod mcp_endpoint;
pub mod rate_limit;
mod router;

pub use credentials::{CredentialError, Credentials};
pub use router::{handle, App};
