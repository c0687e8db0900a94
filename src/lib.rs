//! An MCP server for Sentry, written once and run in two places.
//!
//! The same core serves the Cloudflare Worker (compiled to wasm32, see `edge`) and the native
//! stdio binary (see `native`). Everything else is plain Rust: it never touches `worker::`
//! types or a particular runtime, so `cargo test` exercises it natively and fast.
//!
//! A request flows top to bottom through these layers (see ARCHITECTURE.md for the map):
//!
//! - [`http`]: plain HTTP request/response types and the route table: `/mcp`, the retired SSE
//!   endpoints, credentials, origin and content checks.
//! - [`oauth`]: remote OAuth mode: this server as an OAuth authorization server for MCP clients
//!   and an OAuth client of Sentry (metadata, registration, consent, tokens, bearer checks).
//! - [`mcp`]: JSON-RPC and the Model Context Protocol itself: both protocol eras, version
//!   negotiation, `tools/list` and `tools/call`.
//! - [`tools`]: one file per tool, the skills that group them and the argument helpers.
//! - [`render`]: Markdown output and the untrusted-data boundary around attacker-writable text.
//! - [`sentry`]: the Sentry REST API client: paths, regions, pagination and error mapping.
//! - [`platform`]: the small trait through which the core reaches the outside world (fetch, clock,
//!   randomness, logs); the edge, the native binary and the tests implement it.

pub mod caches;
pub mod config;
pub mod digest;
pub mod http;
pub mod mcp;
pub mod oauth;
pub mod platform;
pub mod redact;
pub mod render;
pub mod sentry;
pub mod session;
pub mod telemetry;
pub mod tools;

#[cfg(target_arch = "wasm32")]
pub mod edge;

#[cfg(not(target_arch = "wasm32"))]
pub mod native;

/// The product name, as it appears in `serverInfo` and the upstream `User-Agent`.
pub const SERVER_NAME: &str = "sentry-mcp-rs";
/// The crate version, reported to clients and to Sentry.
pub const SERVER_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod tests {
    /// Every error type of the crate is a `std::error::Error` (so it composes with `?`, `Box<dyn
    /// Error>` and `source()` chains). A new error type belongs in this list.
    #[test]
    fn error_types_implement_std_error() {
        fn is_error<T: std::error::Error>() {}
        is_error::<crate::config::ConfigError>();
        is_error::<crate::http::CredentialError>();
        is_error::<crate::mcp::jsonrpc::RpcError>();
        is_error::<crate::oauth::bearer::BearerError>();
        is_error::<crate::oauth::signed::SignedError>();
        is_error::<crate::oauth::upstream::UpstreamError>();
        is_error::<crate::oauth::OAuthError>();
        is_error::<crate::oauth::StoreError>();
        is_error::<crate::platform::FetchError>();
        is_error::<crate::sentry::SentryError>();
        is_error::<crate::session::EndpointPathError>();
        is_error::<crate::session::SkillChoiceError>();
        is_error::<crate::session::UnknownSkill>();
        is_error::<crate::tools::ToolError>();
        #[cfg(not(target_arch = "wasm32"))]
        {
            is_error::<crate::native::args::UsageError>();
            is_error::<crate::native::settings::SettingsError>();
        }
    }
}
