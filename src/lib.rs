//! An MCP server for Sentry, written once and run in two places.
//!
//! The same core serves the Cloudflare Worker (compiled to wasm32, see `edge`) and the native
//! stdio binary (see `native`). Everything else is plain Rust: it never touches `worker::`
//! types or a particular runtime, so `cargo test` exercises it natively and fast.
//!
//! A request flows top to bottom through these layers (ARCHITECTURE.md has the map and the
//! table of which module may use which, kept by `tests/tidy.rs`):
//!
//! - `edge` (wasm32) and `native`: the two runtimes, the only code that knows where it runs.
//! - `http`: the route table, `/mcp` with its credential, origin and content checks, rate limits.
//! - `oauth`: remote OAuth mode: this server as an OAuth authorization server for MCP clients
//!   and an OAuth client of Sentry (metadata, registration, consent, tokens, bearer checks).
//! - `mcp`: JSON-RPC and the Model Context Protocol itself: both protocol eras, version
//!   negotiation, `tools/list` and `tools/call`.
//! - `tools`: one file per tool, their typed arguments and what they share.
//! - `session`: who is calling: token, skills, URL constraints.
//! - `render`: Markdown output and the untrusted-data boundary around attacker-writable text.
//! - `sentry`: the Sentry REST API client: paths, regions, pagination and error mapping.
//! - `config`, `telemetry`, `caches`: settings, self-monitoring, what outlives a request.
//! - `platform`: the small traits through which the core reaches the outside world (fetch,
//!   clock, randomness, logs; the Worker's services) and the plain HTTP values;
//!   `digest` and `redact` at the bottom.
//!
//! Almost everything is `pub(crate)`: the public API is [`run_stdio`] for the binary and
//! [`full_tools_list`] for the benchmarks.

// Each runtime uses part of the core: the Worker all of HTTP and OAuth, the stdio binary the
// stdio transport. Dead code is therefore judged on the Worker's build (wasm32, the main
// artifact), where the few stdio-only items say so; natively, HTTP and OAuth are compiled for
// tests only and the binary uses a subset, so the native builds do not judge it.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

pub(crate) mod agent;
pub(crate) mod caches;
pub(crate) mod config;
pub(crate) mod crypto;
pub(crate) mod digest;
// The HTTP server and remote OAuth exist for the Worker; natively they are built for tests only.
#[cfg(any(target_arch = "wasm32", test))]
pub(crate) mod http;
pub(crate) mod mcp;
#[cfg(any(target_arch = "wasm32", test))]
pub(crate) mod oauth;
pub(crate) mod platform;
pub(crate) mod redact;
pub(crate) mod render;
pub(crate) mod sentry;
pub(crate) mod session;
pub(crate) mod telemetry;
pub(crate) mod tools;

#[cfg(target_arch = "wasm32")]
mod edge;

#[cfg(test)]
mod property_tests;

#[cfg(not(target_arch = "wasm32"))]
mod native;

/// Run the native stdio server (`src/main.rs`): arguments, environment, then serve until stdin
/// ends or a signal arrives.
#[cfg(not(target_arch = "wasm32"))]
pub fn run_stdio() -> std::process::ExitCode {
    native::main()
}

/// The `tools/list` result a client with every skill and no URL constraint sees, as JSON, for
/// `protocol_version` (the newest legacy version when it is not one we speak). What
/// `bench/measure.mjs` counts, through `examples/tools_list.rs`.
pub fn full_tools_list(protocol_version: &str) -> serde_json::Value {
    use session::{AccessMethod, Constraints, Session, SkillSet};
    let version = mcp::version::ProtocolVersion::parse(protocol_version)
        .unwrap_or(mcp::version::ProtocolVersion::V2025_11_25);
    let session = Session {
        upstream_token: String::new(),
        access: AccessMethod::SentryBearer,
        skills: SkillSet::all(),
        constraints: Constraints::default(),
    };
    serde_json::json!({ "tools": mcp::tool_list::entries(&session, version, false) })
}

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
