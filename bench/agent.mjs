// Benchmark of the embedded agent's query translation (issue #16): for a fixed set of requests in
// plain words, how many became a valid Sentry query on the first model call, how many needed
// corrections or failed, the latency the agent adds per tool call (against the same tool call with
// a query already in Sentry syntax), and the tokens each translation cost. The native stdio binary
// runs against the Sentry emulator (tests/emulator).
//
// The model: whatever EMBEDDED_AGENT_PROVIDER and its OPENAI_*/ANTHROPIC_* variables in the
// environment name (a real provider: this is the run whose figures mean something). Without them,
// the model emulator (tests/model-emulator) answers every request with a fixed query, which only
// checks that the script works. A benchmark, not a test: it never fails on a figure.
// Run: cargo build --bin sentry-mcp && node bench/agent.mjs
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
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
await client.close();
await emulator.close();
await models?.close();

const firstTry = rows.filter((r) => r.ok && r.calls === 1).length;
const corrected = rows.filter((r) => r.ok && r.calls > 1).length;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] ?? 0; };
console.log(`| tool | request | query that ran | model calls | added ms | tokens in/out |\n|---|---|---|---|---|---|`);
for (const r of rows) console.log(`| ${r.tool} | ${r.request} | ${r.ok ? `\`${r.query}\`` : `error: ${r.error}`} | ${r.calls} | ${r.addedMs.toFixed(0)} | ${r.tokensIn}/${r.tokensOut} |`);
console.log(`\nprovider ${env.EMBEDDED_AGENT_PROVIDER}${models ? " (model emulator)" : ""}: ${firstTry}/${rows.length} valid on the first try, ${corrected} after corrections, ${rows.length - firstTry - corrected} failed; median added latency ${median(rows.map((r) => r.addedMs)).toFixed(0)} ms; median tokens ${median(rows.map((r) => r.tokensIn + r.tokensOut))} per translation.`);
console.log("Focused answers (tokens saved against full get_issue_details answers) are not built yet, so not measured.");
fs.mkdirSync(path.join(root, "bench/results"), { recursive: true });
fs.writeFileSync(path.join(root, "bench/results/agent.json"), JSON.stringify(rows, null, 2));
