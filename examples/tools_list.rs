//! Print the `tools/list` result a client sees (all skills, no constraints) as JSON, for the
//! token and size measurements in `bench/measure.mjs`.
//!
//! `cargo run --quiet --example tools_list [protocol-version]`

#[allow(clippy::print_stdout)] // its output is the point
fn main() {
    let version = std::env::args().nth(1).unwrap_or_default();
    println!("{}", sentry_mcp::full_tools_list(&version));
}
