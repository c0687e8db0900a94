//! Profiles as a readable flame summary: the functions with the most self time and total time,
//! the heaviest call path, the in-app hot paths, and how much time application code takes
//! against libraries. Two inputs, one summary: a single sampled profile (Sentry's sample format:
//! `profile.frames`, `stacks` of frame indices leaf first, `samples`) and the aggregated
//! flamegraph of a transaction (`/profiling/flamegraph/`: speedscope-style `profiles[].samples`
//! root first with `weights`, `shared.frames` and their `frame_infos`). Frame names and files are
//! written by the application's code, so the whole summary is one untrusted block; Sentry's counts
//! and ids stay outside.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use serde_json::Value;

use super::{plain, str_at, token_or_unknown, truncate, Untrusted};

/// A frame as the summary needs it.
struct Frame {
    function: String,
    /// `file:line`, file, or nothing.
    location: Option<String>,
    in_app: bool,
    /// Percentiles of the frame's duration in nanoseconds (p75, p99), from a flamegraph.
    percentiles: Option<(f64, f64)>,
}

impl Frame {
    fn name(&self) -> String {
        match &self.location {
            Some(l) => format!("{} ({l})", self.function),
            None => self.function.clone(),
        }
    }
}

/// Call stacks (frame indices root → leaf) with their weights.
struct Stacks {
    frames: Vec<Frame>,
    stacks: Vec<(Vec<usize>, f64)>,
}

fn location(file: Option<&str>, line: Option<u64>) -> Option<String> {
    match (file.filter(|f| !f.is_empty()), line.filter(|l| *l > 0)) {
        (Some(f), Some(l)) => Some(format!("{f}:{l}")),
        (Some(f), None) => Some(f.to_string()),
        _ => None,
    }
}

fn pct(part: f64, total: f64) -> f64 {
    if total > 0.0 {
        part * 100.0 / total
    } else {
        0.0
    }
}

/// Milliseconds from nanoseconds, for percentiles.
fn ms(ns: f64) -> String {
    let ms = ns / 1_000_000.0;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

impl Stacks {
    /// The summary text (goes inside the untrusted block).
    fn summary(&self) -> String {
        let total: f64 = self.stacks.iter().map(|(_, w)| w).sum();
        let mut self_time: HashMap<usize, f64> = HashMap::new();
        let mut total_time: HashMap<usize, f64> = HashMap::new();
        let mut app_paths: HashMap<Vec<usize>, f64> = HashMap::new();
        let mut app_self = 0.0;
        for (stack, w) in &self.stacks {
            if let Some(leaf) = stack.last() {
                *self_time.entry(*leaf).or_default() += w;
                if self.frames[*leaf].in_app {
                    app_self += w;
                }
            }
            // A recursive function counts once per stack.
            let mut seen = HashSet::new();
            for f in stack.iter().filter(|f| seen.insert(**f)) {
                *total_time.entry(*f).or_default() += w;
            }
            let app: Vec<usize> =
                stack.iter().filter(|i| self.frames[**i].in_app).copied().collect();
            *app_paths.entry(if app.is_empty() { stack.clone() } else { app }).or_default() += w;
        }
        let mut out = format!(
            "Application code on top of the stack: {:.1}% · libraries and runtime: {:.1}%\n",
            pct(app_self, total),
            pct(total - app_self, total)
        );
        // The ten heaviest functions of `times`; percentiles only where Sentry gave them.
        let top = |title: &str, times: HashMap<usize, f64>, percentiles: bool, out: &mut String| {
            let mut v: Vec<(usize, f64)> = times.into_iter().collect();
            v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let _ = writeln!(out, "\n{title}:");
            for (f, w) in v.iter().take(10) {
                let frame = &self.frames[*f];
                let p = match frame.percentiles.filter(|_| percentiles) {
                    Some((p75, p99)) => format!(" · p75 {} · p99 {}", ms(p75), ms(p99)),
                    None => String::new(),
                };
                let marker = if frame.in_app { " [in-app]" } else { "" };
                let _ = writeln!(
                    out,
                    "- {:.1}% {}{marker}{p}",
                    pct(*w, total),
                    truncate(&frame.name(), 200)
                );
            }
        };
        top(
            "Self time (share of samples where the function was on top)",
            self_time,
            false,
            &mut out,
        );
        top("Total time (the function and what it calls)", total_time, true, &mut out);
        let mut whole: HashMap<&[usize], f64> = HashMap::new();
        for (stack, w) in &self.stacks {
            *whole.entry(stack.as_slice()).or_default() += w;
        }
        if let Some((stack, w)) = whole.iter().max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
        {
            let names: Vec<&str> =
                stack.iter().map(|i| self.frames[*i].function.as_str()).collect();
            let _ = writeln!(
                out,
                "\nHot call path ({:.1}%, root → leaf): {}",
                pct(*w, total),
                truncate(&names.join(" → "), 800)
            );
        }
        let mut heavy: Vec<(Vec<usize>, f64)> = app_paths.into_iter().collect();
        heavy.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.push_str("\nHot paths (in-app frames, root → leaf):\n");
        for (path, w) in heavy.iter().take(5) {
            let names: Vec<&str> = path.iter().map(|i| self.frames[*i].function.as_str()).collect();
            let _ = writeln!(out, "- {:.1}% {}", pct(*w, total), truncate(&names.join(" → "), 600));
        }
        out
    }
}

/// A single sampled profile (`GET /projects/{org}/{project}/profiling/profiles/{id}/`): the
/// samples of the active thread, one weight each.
pub(crate) fn sampled(
    org: &str,
    project: &str,
    profile_id: &str,
    body: &Value,
    u: &Untrusted,
) -> String {
    let mut out = format!("# Profile {profile_id} in **{org}** / {project}\n\n");
    let p = body.get("profile").unwrap_or(&Value::Null);
    let raw_frames = p.get("frames").and_then(Value::as_array).cloned().unwrap_or_default();
    let stacks = p.get("stacks").and_then(Value::as_array).cloned().unwrap_or_default();
    let samples = p.get("samples").and_then(Value::as_array).cloned().unwrap_or_default();
    let active = body.pointer("/transaction/active_thread_id").map(plain);
    let on_thread = |s: &&Value| match &active {
        Some(t) if !t.is_empty() => s.get("thread_id").map(plain).as_deref() == Some(t.as_str()),
        _ => true,
    };
    let chosen: Vec<&Value> = samples.iter().filter(on_thread).collect();
    let _ = writeln!(
        out,
        "- **Platform**: {} · **Samples**: {} (thread {}) · **Frames**: {}",
        token_or_unknown(&plain(&body["platform"])),
        chosen.len(),
        active.as_deref().map(token_or_unknown).unwrap_or("all"),
        raw_frames.len()
    );
    if chosen.is_empty() {
        out.push_str("\nThis profile has no samples to summarise.\n");
        return out;
    }
    let frames: Vec<Frame> = raw_frames
        .iter()
        .map(|f| Frame {
            function: str_at(f, "/function").unwrap_or("<unknown>").to_string(),
            location: location(
                str_at(f, "/filename").or(str_at(f, "/module")).or(str_at(f, "/package")),
                f.get("lineno").and_then(Value::as_u64),
            ),
            in_app: f.get("in_app").and_then(Value::as_bool) == Some(true),
            percentiles: None,
        })
        .collect();
    let stack_of = |s: &Value| -> Vec<usize> {
        let mut stack: Vec<usize> = s
            .get("stack_id")
            .and_then(Value::as_u64)
            .and_then(|i| stacks.get(i as usize))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_u64).map(|i| i as usize).collect())
            .unwrap_or_default();
        stack.retain(|i| *i < frames.len());
        stack.reverse(); // leaf first → root first
        stack
    };
    let stacks: Vec<(Vec<usize>, f64)> = chosen.iter().map(|s| (stack_of(s), 1.0)).collect();
    let mut app = Stacks { frames, stacks }.summary();
    if let Some(name) = str_at(body, "/transaction/name") {
        app = format!("Transaction: {}\n\n{app}", truncate(name, 200));
    }
    out.push('\n');
    out.push_str(&u.block(&app));
    out
}

/// The aggregated flamegraph of a transaction (`GET /organizations/{org}/profiling/flamegraph/`):
/// the main thread's stacks of every profile in the period, weighted by time.
pub(crate) fn flamegraph(
    org: &str,
    project: &str,
    transaction: &str,
    period: &str,
    body: &Value,
    u: &Untrusted,
) -> String {
    let mut out =
        format!("# Profiles of a transaction in **{org}** / {project}, last {period}\n\n");
    let shared = body.get("shared").unwrap_or(&Value::Null);
    let raw_frames = shared.get("frames").and_then(Value::as_array).cloned().unwrap_or_default();
    let infos = shared.get("frame_infos").and_then(Value::as_array).cloned().unwrap_or_default();
    let profiles = body.get("profiles").and_then(Value::as_array).cloned().unwrap_or_default();
    let index = body.get("activeProfileIndex").and_then(Value::as_u64).unwrap_or(0) as usize;
    let thread = profiles.get(index).or(profiles.first());
    let samples = thread.and_then(|t| t.get("samples")).and_then(Value::as_array);
    let weights = thread.and_then(|t| t.get("weights")).and_then(Value::as_array);
    let count = shared.get("profiles").and_then(Value::as_array).map_or(0, Vec::len);
    let _ = writeln!(
        out,
        "- **Platform**: {} · **Profiles**: {count} · **Call stacks**: {} · **Frames**: {}",
        token_or_unknown(&plain(body.get("platform").unwrap_or(&body["metadata"]["platform"]))),
        samples.map_or(0, Vec::len),
        raw_frames.len()
    );
    let (Some(samples), Some(weights)) = (samples, weights) else {
        out.push_str("\nNo profiling data for this transaction in the period: check the exact name (case-sensitive) with search_events(dataset=\"profiles\"), or that profiling is on for the project.\n");
        out.push_str(&u.block(&format!("Transaction: {}", truncate(transaction, 200))));
        return out;
    };
    let frames: Vec<Frame> = raw_frames
        .iter()
        .enumerate()
        .map(|(i, f)| Frame {
            function: str_at(f, "/name").unwrap_or("<unknown>").to_string(),
            location: location(
                str_at(f, "/file").or(str_at(f, "/path")).or(str_at(f, "/image")),
                f.get("line").and_then(Value::as_u64),
            ),
            in_app: f.get("is_application").and_then(Value::as_bool) == Some(true),
            percentiles: infos.get(i).and_then(|info| {
                Some((info.get("p75Duration")?.as_f64()?, info.get("p99Duration")?.as_f64()?))
            }),
        })
        .collect();
    let stacks: Vec<(Vec<usize>, f64)> = samples
        .iter()
        .zip(weights)
        .map(|(s, w)| {
            let stack: Vec<usize> = s
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_u64).map(|i| i as usize).collect())
                .unwrap_or_default();
            (stack.into_iter().filter(|i| *i < frames.len()).collect(), w.as_f64().unwrap_or(0.0))
        })
        .filter(|(s, w): &(Vec<usize>, f64)| !s.is_empty() && *w > 0.0)
        .collect();
    let summary = Stacks { frames, stacks }.summary();
    out.push('\n');
    out.push_str(&u.block(&format!("Transaction: {}\n\n{summary}", truncate(transaction, 200))));
    out
}
