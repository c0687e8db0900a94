//! Tidy tests: the house rules that no compiler checks, kept by `cargo test`.
//!
//! In the manner of rust-analyzer's tidy tests, these read the source tree as text and fail with
//! a message that says what to fix:
//!
//! - every Rust file starts with a `//!` module doc that says why it exists;
//! - ARCHITECTURE.md is true: every `src/` path and every `module::item` it names exists, and
//!   every folder of `src/` is named in it;
//! - the top-level modules depend on each other only as the "Layers" table of ARCHITECTURE.md
//!   allows, and that table has no cycle;
//! - only `src/edge/` names `worker::` types;
//! - Markdown tables have no blank line inside them (a blank line splits a table in two).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every file below `dir` whose name ends with `ext`, sorted.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                if !matches!(name, "target" | "node_modules" | ".git" | ".venv" | "build") {
                    stack.push(path);
                }
            } else if name.ends_with(ext) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).display().to_string()
}

#[test]
fn every_module_starts_with_a_doc_comment() {
    let mut missing = Vec::new();
    for file in
        files(&root().join("src"), ".rs").into_iter().chain(files(&root().join("tests"), ".rs"))
    {
        let text = read(&file);
        if !text.trim_start().starts_with("//!") {
            missing.push(relative(&file));
        }
    }
    assert!(
        missing.is_empty(),
        "start these files with a `//!` doc that says why they exist: {missing:?}"
    );
}

/// The top-level module a file of `src/` belongs to (`src/tools/x.rs` → `tools`).
fn top_module(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(root().join("src")).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_string())
}

/// The source of a file without its test-only items: an item under `#[cfg(test)]` is skipped up
/// to its closing brace (or `;`), and comments are dropped.
fn non_test_code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            let mut depth = 0i32;
            let mut opened = false;
            for item_line in lines.by_ref() {
                let code = item_line.split("//").next().unwrap_or("");
                depth += code.matches('{').count() as i32 - code.matches('}').count() as i32;
                opened |= code.contains('{');
                if (opened && depth <= 0) || (!opened && code.trim_end().ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// `crate::name` references in `code`.
fn crate_references(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        if i > 0 && code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue; // `sentry_mcp_crate::` or similar, not ours
        }
        let name: String =
            code[i + 7..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if name.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
            found.insert(name);
        }
    }
    found
}

/// The rows of the Markdown table that follows `heading` in `text`: first cell → other cells.
fn table_after(text: &str, heading: &str) -> Vec<Vec<String>> {
    let start = text.find(heading).unwrap_or_else(|| panic!("ARCHITECTURE.md lacks '{heading}'"));
    text[start..]
        .lines()
        .skip_while(|l| !l.trim_start().starts_with('|'))
        .take_while(|l| l.trim_start().starts_with('|'))
        .skip(2) // header and separator
        .map(|l| {
            l.trim().trim_matches('|').split('|').map(|c| c.trim().to_string()).collect::<Vec<_>>()
        })
        .collect()
}

/// Module names in backticks within a table cell.
fn names_in(cell: &str) -> BTreeSet<String> {
    cell.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

#[test]
fn modules_depend_only_as_the_layers_table_allows() {
    let architecture = read(&root().join("ARCHITECTURE.md"));
    let mut allowed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in table_after(&architecture, "## Layers") {
        let module = names_in(&row[0]).into_iter().next().expect("a module name in backticks");
        allowed.insert(module, names_in(row.get(1).map(String::as_str).unwrap_or("")));
    }
    let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files(&root().join("src"), ".rs") {
        let Some(module) = top_module(&file) else { continue };
        if matches!(module.as_str(), "lib" | "main") {
            continue;
        }
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "testing.rs" || name.ends_with("_tests.rs") {
            continue; // test-only files may drive the whole stack
        }
        let refs = crate_references(&non_test_code(&read(&file)));
        used.entry(module.clone()).or_default().extend(refs.into_iter().filter(|r| *r != module));
    }
    let mut problems = Vec::new();
    for (module, deps) in &used {
        let Some(ok) = allowed.get(module) else {
            problems.push(format!("`{module}` is not in the Layers table of ARCHITECTURE.md"));
            continue;
        };
        for dep in deps {
            if !ok.contains(dep) && allowed.contains_key(dep) {
                problems.push(format!(
                    "`{module}` uses `crate::{dep}`, which the Layers table does not allow"
                ));
            }
        }
    }
    for module in allowed.keys() {
        if !used.contains_key(module) {
            problems
                .push(format!("the Layers table names `{module}`, which is not a module of src/"));
        }
    }
    // The table itself must be layered: no module may reach itself through what it may use.
    let mut order: Vec<&String> = Vec::new();
    let mut left: BTreeSet<&String> = allowed.keys().collect();
    while !left.is_empty() {
        let ready: Vec<&String> = left
            .iter()
            .copied()
            .filter(|m| allowed[*m].iter().all(|d| !left.contains(d) || d == *m))
            .collect();
        if ready.is_empty() {
            problems.push(format!("the Layers table has a cycle among {left:?}"));
            break;
        }
        for m in ready {
            left.remove(m);
            order.push(m);
        }
    }
    assert!(problems.is_empty(), "layering problems:\n{}", problems.join("\n"));
}

#[test]
fn only_the_edge_names_worker_types() {
    let mut offenders = Vec::new();
    for file in files(&root().join("src"), ".rs") {
        if relative(&file).starts_with("src/edge/") {
            continue;
        }
        let code = non_test_code(&read(&file));
        if code.contains("worker::") || code.contains("use worker") {
            offenders.push(relative(&file));
        }
    }
    assert!(offenders.is_empty(), "only src/edge/ may name worker:: types: {offenders:?}");
}

/// Whether `item` is defined in `code` (as a fn, type, trait, module, constant or static).
fn defines(code: &str, item: &str) -> bool {
    ["fn ", "struct ", "enum ", "trait ", "mod ", "const ", "static ", "type "].iter().any(|kw| {
        code.match_indices(&format!("{kw}{item}")).any(|(i, m)| {
            let after = code[i + m.len()..].chars().next().unwrap_or(' ');
            !(after.is_ascii_alphanumeric() || after == '_')
        })
    }) || code.contains(&format!("{item}::")) && code.contains(&format!("impl {item}"))
}

/// Whether a `pub use` or `pub(crate) use` declaration of `code` (one or several lines)
/// re-exports `item`.
fn reexports(code: &str, item: &str) -> bool {
    let starts = code.match_indices("pub use ").chain(code.match_indices("pub(crate) use "));
    starts.into_iter().any(|(i, _)| {
        let declaration = code[i..].split(';').next().unwrap_or("");
        declaration.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|w| w == item)
    })
}

/// The file a module path names: `http::router` → `src/http/router.rs` (or `.../mod.rs`).
fn module_file(segments: &[&str]) -> Option<PathBuf> {
    let mut path = root().join("src");
    for s in segments {
        path.push(s);
    }
    let file = path.with_extension("rs");
    if file.is_file() {
        return Some(file);
    }
    let dir_file = path.join("mod.rs");
    dir_file.is_file().then_some(dir_file)
}

#[test]
fn architecture_md_names_only_what_exists() {
    let text = read(&root().join("ARCHITECTURE.md"));
    let mut problems = Vec::new();
    let spans: Vec<&str> = text.split('`').skip(1).step_by(2).collect();
    for span in &spans {
        for word in span.split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')')) {
            let word = word.trim_end_matches(['.', ':']);
            if let Some(rel) = word.strip_prefix("src/") {
                let rel = rel.trim_end_matches('/');
                if rel.contains('<') || rel.contains('*') {
                    continue; // a pattern such as src/tools/<name>.rs
                }
                if !root().join("src").join(rel).exists() {
                    problems.push(format!("`{word}` does not exist"));
                }
            } else if word.contains("::") && !word.contains(['<', '{', '"', '/', '[']) {
                let segments: Vec<&str> = word.split("::").collect();
                let top = segments[0];
                if !(top.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    && module_file(&[top]).is_some())
                {
                    continue; // not one of our modules (std::, worker::, serde_json::...)
                }
                // The longest prefix that is a module file; what remains must be defined there.
                let mut found = false;
                for cut in (1..=segments.len()).rev() {
                    if let Some(file) = module_file(&segments[..cut]) {
                        let rest = &segments[cut..];
                        found = match rest {
                            [] => true,
                            [item] | [item, _] => {
                                let code = read(&file);
                                defines(&code, item) || reexports(&code, item)
                            }
                            _ => false,
                        };
                        break;
                    }
                }
                if !found {
                    problems.push(format!("`{word}` does not name a module or item of src/"));
                }
            }
        }
    }
    for entry in fs::read_dir(root().join("src")).expect("src/").flatten() {
        if entry.path().is_dir() {
            let name = format!("src/{}/", entry.file_name().to_string_lossy());
            if !text.contains(&name) {
                problems.push(format!("the folder {name} is not named in ARCHITECTURE.md"));
            }
        }
    }
    assert!(problems.is_empty(), "ARCHITECTURE.md is out of date:\n{}", problems.join("\n"));
}

#[test]
fn markdown_tables_have_no_blank_line_inside() {
    let mut problems = Vec::new();
    for file in files(&root(), ".md") {
        let text = read(&file);
        let lines: Vec<&str> = text.lines().collect();
        for i in 1..lines.len().saturating_sub(1) {
            let is_row = |l: &str| l.trim_start().starts_with('|');
            // A second table may follow a blank line: then its second line is a separator row.
            let starts_table = lines.get(i + 2).is_some_and(|l| {
                l.trim_start().starts_with('|') && l.chars().all(|c| "|-: ".contains(c))
            });
            if lines[i].trim().is_empty()
                && is_row(lines[i - 1])
                && is_row(lines[i + 1])
                && !starts_table
            {
                problems.push(format!("{}:{}", relative(&file), i + 1));
            }
        }
    }
    assert!(problems.is_empty(), "blank lines split these Markdown tables: {problems:?}");
}
