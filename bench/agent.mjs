// Benchmark of the embedded agent (issue #16): for a fixed set of requests in plain words, how many
// became a valid Sentry query on the first model call, how many needed corrections or failed, the
// latency the agent adds per tool call (against the same tool call with a query already in Sentry
// syntax), and the tokens each translation cost; then, for fixed questions about featured issues,
// the cl100k tokens of a focused get_issue_details answer against the full one. The native stdio
// binary runs against the Sentry emulator (tests/emulator).
//
// The model: whatever EMBEDDED_AGENT_PROVIDER and its OPENAI_*/ANTHROPIC_* variables in the
// environment name (a real provider: this is the run whose figures mean something). Without them,
// the model emulator (tests/model-emulator) answers every request with a fixed query, which only
// checks that the script works. A benchmark, not a test: it never fails on a figure.
// Run: cargo build --bin sentry-mcp && node bench/agent.mjs
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { encode as cl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { startEmulator } from "../tests/emulator/server.mjs";
import { startModelEmulator } from "../tests/model-emulator/server.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TOKEN = "sntryu_e2e_valid_token_0123456789abcdef";
const BIN = path.resolve(root, process.env.SENTRY_MCP_BIN ?? "target/debug/sentry-mcp");

// [tool, arguments without the query, request in plain words, the same search in Sentry syntax]
const REQUESTS = [
  ["search_issues", {}, "unresolved errors that affect the most users", "is:unresolved level:error"],
  ["search_issues", {}, "issues first seen in the last day that nobody is assigned to", "is:unresolved is:unassigned firstSeen:-24h"],
  ["search_issues", {}, "fatal crashes in production from the latest release", "level:fatal environment:production"],
  ["search_issues", {}, "unhandled type errors in the checkout flow", "error.handled:false error.type:TypeError"],
  ["search_issues", {}, "warnings seen more than a hundred times", "level:warning times_seen:>100"],
  ["search_events", { dataset: "errors" }, "errors from chrome users on the checkout page", "browser.name:Chrome transaction:*checkout*"],
  ["search_events", { dataset: "spans" }, "database queries slower than half a second", "span.op:db span.duration:>500ms"],
  ["search_events", { dataset: "logs" }, "error logs mentioning a timeout", "severity:error message:*timeout*"],
  ["search_issue_events", { issueId: "WEB-FRONTEND-7K" }, "events from the production environment on firefox", "environment:production browser.name:Firefox"],
  ["search_issue_events", { issueId: "WEB-FRONTEND-7K" }, "events from users with an example.com email", "user.email:*@example.com"],
];

// [issue, question]: focused get_issue_details answers against full ones.
const QUESTIONS = [
  ["WEB-FRONTEND-7K", "which line of code threw, and with what value?"],
  ["API-SERVER-2A", "which database call failed, and on which request?"],
  ["API-SERVER-2B", "which query repeats, and how often?"],
  ["MOBILE-IOS-1F", "on which device and OS version did the app crash?"],
];

const emulator = await startEmulator({});
let models = null;
const env = { SENTRY_API_TIMEOUT_MS: "10000" };
for (const name of ["EMBEDDED_AGENT_PROVIDER", "EMBEDDED_AGENT_TIMEOUT_MS", "EMBEDDED_AGENT_MAX_TOKENS", "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL", "HTTPS_PROXY", "NO_PROXY"]) {
  if (process.env[name]) env[name] = process.env[name];
}
if (!env.EMBEDDED_AGENT_PROVIDER) {
  models = await startModelEmulator();
  for (const [, , request] of REQUESTS) {
    await fetch(`${models.url}/__script`, { method: "POST", body: JSON.stringify({ key: request, replies: [{ query: "is:unresolved" }] }) });
  }
  // The emulator keeps the second part (most often the exception) of every focused answer.
  for (const [, question] of QUESTIONS) {
    await fetch(`${models.url}/__script`, { method: "POST", body: JSON.stringify({ key: question, replies: [{ text: JSON.stringify({ keep: [2] }) }] }) });
  }
  Object.assign(env, { EMBEDDED_AGENT_PROVIDER: "openai", OPENAI_BASE_URL: `${models.url}/v1`, OPENAI_API_KEY: "sk-bench-not-real", OPENAI_MODEL: "emu-small" });
  console.error("bench: no EMBEDDED_AGENT_PROVIDER in the environment; using the model emulator (figures check the script only)");
}

let stderr = "";
const transport = new StdioClientTransport({ command: BIN, args: [`--access-token=${TOKEN}`, `--url=${emulator.url}`, "--insecure-http"], env, stderr: "pipe" });
transport.stderr.on("data", (chunk) => { stderr += chunk; });
const client = new Client({ name: "bench-agent", version: "1.0.0" });
await client.connect(transport);

async function timed(name, args) {
  const started = performance.now();
  const result = await client.callTool({ name, arguments: { organizationSlug: "acme", ...args } });
  const text = (result.content ?? []).map((c) => c.text ?? "").join("\n");
  return { ms: performance.now() - started, text, isError: result.isError === true };
}

const rows = [];
for (const [tool, args, request, syntax] of REQUESTS) {
  const direct = await timed(tool, { ...args, query: syntax });
  const before = stderr.length;
  const translated = await timed(tool, { ...args, query: request });
  const line = stderr.slice(before).split("\n").find((l) => l.includes('"gen_ai.system"'));
  const cost = line ? JSON.parse(line.slice(line.indexOf("{"))) : {};
  const calls = Number(/\((\d+) model calls?\)/.exec(translated.text)?.[1] ?? cost["gen_ai.agent.calls"] ?? 0);
  const query = /\*\*Query\*\*: `([^`]*)`/.exec(translated.text)?.[1] ?? "";
  rows.push({ tool, request, ok: !translated.isError, calls, query, addedMs: translated.ms - direct.ms,
    tokensIn: cost["gen_ai.usage.input_tokens"] ?? 0, tokensOut: cost["gen_ai.usage.output_tokens"] ?? 0,
    error: translated.isError ? translated.text.split("\n")[0].slice(0, 160) : null });
}
const focused = [];
for (const [issueId, focus] of QUESTIONS) {
  const full = await timed("get_issue_details", { issueId });
  const before = stderr.length;
  const answer = await timed("get_issue_details", { issueId, focus });
  const line = stderr.slice(before).split("\n").find((l) => l.includes('"gen_ai.system"'));
  const cost = line ? JSON.parse(line.slice(line.indexOf("{"))) : {};
  const applied = /Focused answer: kept/.test(answer.text);
  focused.push({ issueId, focus, applied, fullTokens: cl100k(full.text).length, focusedTokens: cl100k(answer.text).length,
    addedMs: answer.ms - full.ms, agentTokens: (cost["gen_ai.usage.input_tokens"] ?? 0) + (cost["gen_ai.usage.output_tokens"] ?? 0) });
}
await client.close();
await emulator.close();
await models?.close();

const firstTry = rows.filter((r) => r.ok && r.calls === 1).length;
const corrected = rows.filter((r) => r.ok && r.calls > 1).length;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] ?? 0; };
console.log(`| tool | request | query that ran | model calls | added ms | tokens in/out |\n|---|---|---|---|---|---|`);
for (const r of rows) console.log(`| ${r.tool} | ${r.request} | ${r.ok ? `\`${r.query}\`` : `error: ${r.error}`} | ${r.calls} | ${r.addedMs.toFixed(0)} | ${r.tokensIn}/${r.tokensOut} |`);
console.log(`\nprovider ${env.EMBEDDED_AGENT_PROVIDER}${models ? " (model emulator)" : ""}: ${firstTry}/${rows.length} valid on the first try, ${corrected} after corrections, ${rows.length - firstTry - corrected} failed; median added latency ${median(rows.map((r) => r.addedMs)).toFixed(0)} ms; median tokens ${median(rows.map((r) => r.tokensIn + r.tokensOut))} per translation.`);
console.log(`\n| issue | question | focus applied | full tokens | focused tokens | saved | agent tokens | added ms |\n|---|---|---|---|---|---|---|---|`);
for (const f of focused) console.log(`| ${f.issueId} | ${f.focus} | ${f.applied ? "yes" : "no"} | ${f.fullTokens} | ${f.focusedTokens} | ${(100 * (1 - f.focusedTokens / f.fullTokens)).toFixed(0)}% | ${f.agentTokens} | ${f.addedMs.toFixed(0)} |`);
const saved = focused.reduce((a, f) => a + f.fullTokens - f.focusedTokens, 0);
const fullTotal = focused.reduce((a, f) => a + f.fullTokens, 0);
console.log(`\nfocused answers: ${saved} of ${fullTotal} cl100k tokens saved (${(100 * saved / fullTotal).toFixed(0)}%) over ${focused.length} questions, for ${focused.reduce((a, f) => a + f.agentTokens, 0)} tokens of the agent's own; median added latency ${median(focused.map((f) => f.addedMs)).toFixed(0)} ms.`);
fs.mkdirSync(path.join(root, "bench/results"), { recursive: true });
fs.writeFileSync(path.join(root, "bench/results/agent.json"), JSON.stringify({ translations: rows, focused }, null, 2));
