//! The inbound HTTP layer: the route table, `/mcp` with its credential, origin and content
//! checks, and rate limits. The request and response values themselves live in
//! [`crate::platform::http`], so lower layers can use them without depending on this module.

#[cfg(test)]
mod cost_tests;
mod credentials;
mod mcp_endpoint;
pub(crate) mod rate_limit;
mod router;

#[cfg(test)]
pub(crate) use credentials::CredentialError;
pub(crate) use router::{handle, App};
