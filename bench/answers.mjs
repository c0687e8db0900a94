// Measures the size of get_issue_details answers: this server's native stdio binary against the
// official `@sentry/mcp-server` npm package, both started as stdio children against the Sentry
// emulator (tests/emulator), for the latest event of every issue of the emulator's `initech`
// organization (one issue per category and event type, see tests/emulator/fixtures/categories.mjs).
// Counts cl100k tokens of the text content and checks that every fact of the case is present in
// our answer. Run with `make bench-answers`; prints a Markdown table; raw answers and figures go to
// bench/results/. A benchmark, not a test: it never fails on a figure.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { encode as cl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { startEmulator } from "../tests/emulator/server.mjs";
import { CASES } from "../tests/emulator/fixtures/categories.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OFFICIAL_PACKAGE = "@sentry/mcp-server";
const OFFICIAL_VERSION = "0.39.0";
const TOKEN = "sntryu_e2e_valid_token_0123456789abcdef";
const TIMEOUT_MS = 60_000;

/** The official package, installed once (default node_modules/.cache; OFFICIAL_MCP_DIR picks another folder). */
function officialEntry() {
  const dir = process.env.OFFICIAL_MCP_DIR ?? path.join(root, "node_modules/.cache/official-sentry-mcp");
  const pkg = path.join(dir, "node_modules", OFFICIAL_PACKAGE, "package.json");
  const installed = fs.existsSync(pkg) ? JSON.parse(fs.readFileSync(pkg, "utf8")).version : null;
  if (installed !== OFFICIAL_VERSION) {
    console.error(`bench: installing ${OFFICIAL_PACKAGE}@${OFFICIAL_VERSION} into ${dir}`);
    fs.mkdirSync(dir, { recursive: true });
    execFileSync("npm", ["install", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel=error", `${OFFICIAL_PACKAGE}@${OFFICIAL_VERSION}`], { stdio: "inherit" });
  }
  const bin = JSON.parse(fs.readFileSync(pkg, "utf8")).bin;
  return path.join(path.dirname(pkg), typeof bin === "string" ? bin : bin["sentry-mcp"]);
}

/** A Node that can run the official package (22.13+). */
function officialNode() {
  const version = process.versions.node.split(".").map(Number);
  if (version[0] > 22 || (version[0] === 22 && version[1] >= 13)) return process.execPath;
  const local = path.join(root, "node_modules/.bin/node");
  if (fs.existsSync(local)) return local;
  throw new Error(`Node ${process.versions.node} cannot run ${OFFICIAL_PACKAGE}`);
}

/** A stdio JSON-RPC session with one child process. */
async function open(command, args) {
  const child = spawn(command, args, { env: { PATH: process.env.PATH, HOME: os.homedir() }, stdio: ["pipe", "pipe", "pipe"] });
  const waiting = new Map();
  let buffered = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      let message;
      try { message = JSON.parse(line); } catch { continue; }
      waiting.get(message.id)?.(message);
    }
  });
  child.stderr.on("data", (d) => { stderr = (stderr + d).slice(-2000); });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  let nextId = 1;
  const request = (method, params) => new Promise((resolve, reject) => {
    const id = nextId++;
    const timer = setTimeout(() => reject(new Error(`${method} got no answer within ${TIMEOUT_MS} ms; stderr: ${stderr}`)), TIMEOUT_MS);
    waiting.set(id, (message) => { clearTimeout(timer); waiting.delete(id); resolve(message); });
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
  });
  await request("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } });
  child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
  const close = async () => {
    child.stdin.end();
    const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(kill);
  };
  return { request, close };
}

const text = (answer) => answer.error
  ? { error: true, text: JSON.stringify(answer.error) }
  : { error: answer.result.isError === true, text: (answer.result.content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("\n") };

const emulator = await startEmulator();
const ours = path.join(root, process.env.SENTRY_MCP_BIN ?? "target/release/sentry-mcp");
if (!fs.existsSync(ours)) throw new Error(`${ours} is missing: cargo build --release`);
const rust = await open(ours, [`--access-token=${TOKEN}`, `--url=${emulator.url}`, "--insecure-http"]);
let official = null;
if (process.env.SKIP_OFFICIAL !== "1") {
  official = await open(officialNode(), [officialEntry(), `--access-token=${TOKEN}`, `--host=127.0.0.1:${emulator.port}`, "--insecure-http"]);
}

// EXTRA_ISSUES="acme:API-SERVER-2A,acme:WEB-FRONTEND-7K" adds other emulator issues (no facts checked).
const extra = (process.env.EXTRA_ISSUES ?? "").split(",").filter(Boolean).map((s) => {
  const [org, shortId] = s.split(":");
  return { kind: `extra/${org}`, org, shortId, issueId: `${org}:${shortId}`, facts: [] };
});
const seen = new Set();
const rows = [];
try {
  for (const c of [...CASES, ...extra]) {
    if (c.kind.startsWith("seer/") || c.kind.startsWith("discover/") || c.kind.startsWith("trace/") || seen.has(c.issueId)) continue;
    seen.add(c.issueId);
    const args = { organizationSlug: c.org, issueId: c.shortId };
    const r = text(await rust.request("tools/call", { name: "get_issue_details", arguments: args }));
    const o = official
      ? text(await official.request("tools/call", { name: "execute_sentry_tool", arguments: { name: "get_issue_details", arguments: args } }))
      : null;
    const missing = c.facts.filter((f) => !r.text.includes(f));
    const officialMissing = o ? c.facts.filter((f) => !o.text.includes(f)) : [];
    rows.push({ kind: c.kind, shortId: c.shortId, ours: cl100k(r.text).length, official: o && !o.error ? cl100k(o.text).length : null,
      officialError: o?.error ? o.text.slice(0, 200) : null, missing, officialMissing, answers: { ours: r.text, official: o?.text ?? null } });
  }
} finally {
  await rust.close();
  await official?.close();
  await emulator.close();
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);
console.log(`get_issue_details answers in cl100k tokens: sentry-mcp vs ${OFFICIAL_PACKAGE} ${OFFICIAL_VERSION}, latest event of each emulator issue.\n`);
console.log("| Case | Issue | sentry-mcp | official | ratio | facts missing (ours / official) |");
console.log("| --- | --- | ---: | ---: | ---: | --- |");
for (const r of rows) {
  const ratio = r.official ? (r.ours / r.official).toFixed(2) : "";
  console.log(`| ${r.kind} | ${r.shortId} | ${r.ours} | ${r.official ?? (r.officialError ? "error" : "")} | ${ratio} | ${r.missing.length} / ${r.official != null ? r.officialMissing.length : "–"} |`);
}
const both = rows.filter((r) => r.official != null);
console.log(`| **total** (${both.length} issues both answered) | | ${sum(both.map((r) => r.ours))} | ${sum(both.map((r) => r.official))} | ${(sum(both.map((r) => r.ours)) / sum(both.map((r) => r.official))).toFixed(2)} | ${sum(rows.map((r) => r.missing.length))} / ${sum(both.map((r) => r.officialMissing.length))} |`);
for (const r of rows.filter((r) => r.officialError)) console.log(`\nOfficial error on ${r.shortId}: ${r.officialError.split("\n").filter(Boolean).slice(0, 3).join(" ")}`);

// The same, by category (the README's table).
const groups = new Map();
for (const r of rows) {
  const g = r.kind.split("/")[0];
  groups.set(g, [...(groups.get(g) ?? []), r]);
}
console.log("\n| Category | Issues | Facts | sentry-mcp | official | ratio | facts missing (ours / official) |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
for (const [g, rs] of groups) {
  const b = rs.filter((r) => r.official != null);
  const facts = sum(rs.map((r) => CASES.find((c) => c.shortId === r.shortId && c.kind === r.kind)?.facts.length ?? 0));
  const note = b.length < rs.length ? ` (${rs.length - b.length} without an official answer, not summed)` : "";
  console.log(`| ${g} | ${rs.length} | ${facts} | ${sum(b.map((r) => r.ours))} | ${sum(b.map((r) => r.official))} | ${(sum(b.map((r) => r.ours)) / sum(b.map((r) => r.official))).toFixed(2)} | ${sum(rs.map((r) => r.missing.length))} / ${sum(b.map((r) => r.officialMissing.length))}${note} |`);
}

const out = path.join(root, "bench/results");
fs.mkdirSync(out, { recursive: true });
const file = path.join(out, `answers-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
fs.writeFileSync(file, JSON.stringify({ official: OFFICIAL_VERSION, rows }, null, 2));
console.error(`bench: raw answers in ${path.relative(root, file)}`);
