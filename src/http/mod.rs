//! The inbound HTTP layer: the route table, `/mcp` with its credential, origin and content
//! checks, the legacy HTTP+SSE transport (`/sse`, `/message`), rate limits, and the public pages
//! (landing page, `llms.txt`, server card). The request and response values themselves live in
//! [`crate::platform::http`], so lower layers can use them without depending on this module.

#[cfg(test)]
mod cost_tests;
mod credentials;
mod landing;
mod mcp_endpoint;
pub(crate) mod rate_limit;
#[cfg(test)]
mod request_profile;
mod router;
mod sse;

#[cfg(test)]
pub(crate) use credentials::CredentialError;
pub(crate) use router::{handle, App};
