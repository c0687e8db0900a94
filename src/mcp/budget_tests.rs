//! The catalogue's budgets (issue #9), so that every client can take the whole tool list: with
//! all skills at most 40 tools and 12,000 tokens of `tools/list`, with the default skills
//! (`SkillSet::defaults`) at most 6,000. Tokens are counted as `bench/measure.mjs` counts them:
//! cl100k, on the compact JSON answer `{"tools": [...]}` at protocol 2025-11-25.

use serde_json::json;

use super::tool_list::entries;
use super::version::ProtocolVersion;
use crate::session::{AccessMethod, Constraints, Session, SkillSet};

const MAX_TOOLS: usize = 40;
const MAX_TOKENS_ALL: usize = 12_000;
const MAX_TOKENS_DEFAULT: usize = 6_000;

fn session(skills: SkillSet) -> Session {
    Session {
        upstream_token: String::new(),
        access: AccessMethod::SentryBearer,
        skills,
        constraints: Constraints::default(),
    }
}

/// Each tool's share, largest first, to say where a budget went: the whole entry, and in brackets
/// its description's part.
fn shares(skills: SkillSet) -> String {
    let bpe = tiktoken_rs::cl100k_base().expect("the cl100k table ships with the crate");
    let mut shares: Vec<(usize, String)> =
        entries(&session(skills), ProtocolVersion::V2025_11_25, false)
            .iter()
            .map(|t| {
                let description = t["description"].as_str().unwrap_or_default();
                (
                    bpe.encode_ordinary(&t.to_string()).len(),
                    format!(
                        "{} ({})",
                        t["name"].as_str().unwrap_or("?"),
                        bpe.encode_ordinary(description).len()
                    ),
                )
            })
            .collect();
    shares.sort_unstable_by(|a, b| b.cmp(a));
    shares.iter().map(|(n, name)| format!("{name} {n}")).collect::<Vec<_>>().join(", ")
}

/// The tool count and cl100k token count of the `tools/list` answer with `skills`.
fn measure(skills: SkillSet) -> (usize, usize) {
    let tools = entries(&session(skills), ProtocolVersion::V2025_11_25, false);
    let count = tools.len();
    let text = json!({ "tools": tools }).to_string();
    let bpe = tiktoken_rs::cl100k_base().expect("the cl100k table ships with the crate");
    (count, bpe.encode_ordinary(&text).len())
}

#[test]
fn all_skills_fit_forty_tools_and_twelve_thousand_tokens() {
    let (count, tokens) = measure(SkillSet::all());
    assert!(count <= MAX_TOOLS, "{count} tools with all skills; the budget is {MAX_TOOLS}");
    assert!(
        tokens <= MAX_TOKENS_ALL,
        "tools/list with all skills is {tokens} cl100k tokens; the budget is {MAX_TOKENS_ALL}. Trim descriptions or group reads: {}",
        shares(SkillSet::all())
    );
}

#[test]
fn default_skills_fit_six_thousand_tokens() {
    let (_, tokens) = measure(SkillSet::defaults());
    assert!(
        tokens <= MAX_TOKENS_DEFAULT,
        "tools/list with the default skills is {tokens} cl100k tokens; the budget is {MAX_TOKENS_DEFAULT}: {}",
        shares(SkillSet::defaults())
    );
}

/// `cargo test budget_figures -- --ignored --nocapture` prints the figures the README states.
#[test]
#[ignore = "prints figures; asserts nothing"]
#[allow(clippy::print_stderr)]
fn budget_figures() {
    for (label, skills) in
        [("all skills", SkillSet::all()), ("default skills", SkillSet::defaults())]
    {
        let (count, tokens) = measure(skills);
        eprintln!("{label}: {count} tools, {tokens} cl100k tokens; {}", shares(skills));
    }
}

#[test]
fn the_count_is_not_trivially_small() {
    // A broken measure (an empty list, a tokenizer that counts nothing) must not pass the budgets.
    let (count, tokens) = measure(SkillSet::all());
    assert!(count >= 20 && tokens > count * 100, "{count} tools, {tokens} tokens");
}

#[test]
fn views_cost_only_the_clients_that_render_them() {
    // A client that did not declare MCP Apps gets byte for byte the list it got before; one that
    // did pays a few tokens for the two `_meta.ui.resourceUri` pointers.
    let s = session(SkillSet::all());
    let plain = entries(&s, ProtocolVersion::V2025_11_25, false);
    assert!(plain.iter().all(|t| t.get("_meta").is_none()));
    let with = entries(&s, ProtocolVersion::V2025_11_25, true);
    let without_meta: Vec<_> = with
        .iter()
        .cloned()
        .map(|mut t| {
            t.as_object_mut().map(|o| o.remove("_meta"));
            t
        })
        .collect();
    assert_eq!(without_meta, plain);
    let bpe = tiktoken_rs::cl100k_base().expect("the cl100k table ships with the crate");
    let tokens = |tools: &Vec<serde_json::Value>| {
        bpe.encode_ordinary(&json!({ "tools": tools }).to_string()).len()
    };
    let growth = tokens(&with) - tokens(&plain);
    assert!(growth > 0 && growth <= 60, "the views cost {growth} tokens");
}
