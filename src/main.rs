//! `sentry-mcp`: the MCP server for Sentry as a native stdio binary (see `src/native`).

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    sentry_mcp::run_stdio()
}

/// The worker is the library (`src/edge`); on wasm32 this binary is an empty stub so that
/// `cargo build --target wasm32-unknown-unknown` builds every target.
#[cfg(target_arch = "wasm32")]
fn main() {}
