//! Print the `tools/list` result a client sees (all skills, no constraints) as JSON, for the
//! token and size measurements in `bench/measure.mjs`.
//!
//! `cargo run --quiet --example tools_list [protocol-version]`

use sentry_mcp::mcp::version::ProtocolVersion;
use sentry_mcp::session::{AccessMethod, Constraints, Session, SkillSet};

fn main() {
    let version = std::env::args()
        .nth(1)
        .and_then(|v| ProtocolVersion::parse(&v))
        .unwrap_or(ProtocolVersion::V2025_11_25);
    let session = Session {
        upstream_token: String::new(),
        access: AccessMethod::SentryBearer,
        skills: SkillSet::all(),
        constraints: Constraints::default(),
    };
    let list = sentry_mcp::mcp::tool_list::entries(&session, version);
    println!("{}", serde_json::json!({ "tools": list }));
}
