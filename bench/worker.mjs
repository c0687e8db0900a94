// Measures the worker itself: the built wasm in workerd (wrangler dev) on loopback, against the
// Sentry emulator, in one run, so every figure is a ratio on the same machine at the same moment.
// For each kind of request it reports p50/p95 over sequential requests after a warm-up: the
// /health floor, an unauthenticated 401, ping, tools/list (all skills, and a narrowed
// connection), and tool calls next to the same upstream calls made directly against the
// emulator (read from its request log, so the count of upstream calls per tool is reported too).
// Then throughput of get_issue_details at 2 and 8 concurrent clients against /health plus the
// direct calls, the wasm size and the time from `wrangler dev` start to the first answer.
// A benchmark, not a test: run with `make bench-worker`. Prints a Markdown table; raw figures go to
// bench/results/. Everything talks to 127.0.0.1 and every loop is bounded.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { startEmulator } from "../tests/emulator/server.mjs";
import { root, startWorker } from "../tests/e2e/worker.mjs";

const N = Number(process.env.N ?? 200);
const WARMUP = 20;
const TOKEN = "sntryu_e2e_valid_token_0123456789abcdef";
const VERSION = "2025-11-25";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "sentry-mcp-bench-"));
// Sentry allows a paying organization far more than the emulator's default 40 calls a second per
// endpoint; a benchmark must not measure the server backing off.
const emulator = await startEmulator({ rateLimit: 1_000_000 });
const started = performance.now();
const worker = await startWorker({
  name: "bench",
  work,
  vars: {
    SENTRY_URL: emulator.url,
    SENTRY_ALLOW_INSECURE_HTTP: "true",
    SENTRY_ALLOWED_REGION_DOMAINS: "127.0.0.2",
    MCP_ALLOWED_HOSTS: "localhost,127.0.0.1",
    SENTRY_TRACES_SAMPLE_RATE: "0",
  },
  limits: { ip: 1_000_000, user: 1_000_000 },
});
const startupMs = performance.now() - started;

function stop() {
  try { process.kill(-worker.child.pid, "SIGTERM"); } catch {}
}
process.on("exit", stop);

const headers = (extra = {}) => ({
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": VERSION,
  authorization: `Sentry-Bearer ${TOKEN}`,
  ...extra,
});

let nextId = 1;
async function mcp(pathname, method, params = {}, extraHeaders = {}) {
  const r = await fetch(`${worker.origin}${pathname}`, {
    method: "POST",
    headers: headers(extraHeaders),
    body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
  });
  const body = await r.text();
  if (r.status !== 200) throw new Error(`${method} → ${r.status}: ${body.slice(0, 300)}`);
  if (method === "tools/call" && JSON.parse(body).result?.isError) throw new Error(`${params.name} failed: ${body.slice(0, 300)}`);
  return body;
}

/** Median and 95th percentile of `n` sequential runs of `fn`, after a warm-up. */
async function timed(fn, n = N) {
  for (let i = 0; i < WARMUP; i++) await fn();
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(ms.length * 0.5)], p95: ms[Math.floor(ms.length * 0.95)] };
}

/** The upstream calls one tool call makes (from the emulator's log), and a function that makes
 *  the same calls directly, in order. */
async function upstreamOf(call) {
  await call(); // warm: the org's region is resolved once per isolate
  emulator.reset();
  await call();
  const calls = emulator.requests().map((r) => {
    const url = new URL(`http://${r.host}${r.path}`);
    for (const [k, vs] of Object.entries(r.query)) for (const v of vs) url.searchParams.append(k, v);
    return { method: r.method, url: url.toString() };
  });
  const direct = async () => {
    for (const c of calls) {
      const r = await fetch(c.url, { method: c.method, headers: { authorization: `Bearer ${TOKEN}`, accept: "application/json" } });
      await r.arrayBuffer();
    }
  };
  return { count: calls.length, direct };
}

const health = async () => (await fetch(`${worker.origin}/health`)).arrayBuffer();
const rows = [];
const row = (name, t, note = "") => rows.push({ name, ...t, note });

row("GET /health (floor)", await timed(health));
row("POST /mcp without credentials (401)", await timed(async () => {
  const r = await fetch(`${worker.origin}/mcp`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
  await r.arrayBuffer();
  if (r.status !== 401) throw new Error(`expected 401, got ${r.status}`);
}));
const ping = await timed(() => mcp("/mcp", "ping"));
row("ping (Sentry-Bearer)", ping);
const list = await timed(() => mcp("/mcp", "tools/list"));
row("tools/list, all skills", list, `${(list.p50 - ping.p50).toFixed(2)} ms over ping`);
const narrow = await timed(() => mcp("/mcp/acme/web?skills=inspect", "tools/list"));
row("tools/list, /mcp/acme/web?skills=inspect", narrow, `${(narrow.p50 - ping.p50).toFixed(2)} ms over ping`);

const floor = rows[0].p50;
const TOOLS = [
  ["get_issue_details", { organizationSlug: "acme", issueId: "API-SERVER-2A" }],
  ["search_issues", { organizationSlug: "acme", query: "is:unresolved" }],
  ["search_events", { organizationSlug: "acme", query: "level:error", fields: ["title", "count()"] }],
];
const upstream = {};
for (const [name, args] of TOOLS) {
  const call = () => mcp("/mcp", "tools/call", { name, arguments: args });
  const { count, direct } = await upstreamOf(call);
  upstream[name] = { count, direct };
  const viaWorker = await timed(call);
  const directly = await timed(direct);
  row(`${name} (${count} upstream call${count === 1 ? "" : "s"})`, viaWorker,
    `upstream direct ${directly.p50.toFixed(2)} ms; worker's own work ≈ ${(viaWorker.p50 - directly.p50 - floor).toFixed(2)} ms`);
}

/** Calls per second and latency with `clients` concurrent loops of `perClient` calls each. */
async function throughput(clients, perClient, fn) {
  const ms = [];
  const t = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    for (let i = 0; i < perClient; i++) {
      const s = performance.now();
      await fn();
      ms.push(performance.now() - s);
    }
  }));
  const seconds = (performance.now() - t) / 1000;
  ms.sort((a, b) => a - b);
  return { perSecond: ms.length / seconds, p50: ms[Math.floor(ms.length * 0.5)], p95: ms[Math.floor(ms.length * 0.95)] };
}
const details = () => mcp("/mcp", "tools/call", { name: "get_issue_details", arguments: TOOLS[0][1] });
const baseline = async () => { await health(); await upstream.get_issue_details.direct(); };
const concurrency = [];
for (const clients of [2, 8]) {
  const perClient = Math.max(10, Math.floor(N / clients));
  concurrency.push({ clients, worker: await throughput(clients, perClient, details), baseline: await throughput(clients, perClient, baseline) });
}

stop();
await emulator.close();

const wasm = fs.readFileSync(path.join(root, "build/index_bg.wasm"));
const gz = zlib.gzipSync(wasm, { level: 9 }).length;
const f = (n) => n.toFixed(2);
const out = [];
out.push(`Worker benchmark: ${os.cpus().length} × ${os.cpus()[0].model.trim()}, Node ${process.versions.node}, N = ${N} sequential requests per row after ${WARMUP} warm-up.\n`);
out.push("| Request | p50 ms | p95 ms | Note |\n| --- | --- | --- | --- |");
for (const r of rows) out.push(`| ${r.name} | ${f(r.p50)} | ${f(r.p95)} | ${r.note} |`);
out.push("\n| get_issue_details, concurrent clients | calls/s | p50 ms | p95 ms | /health + direct upstream calls/s | ratio |\n| --- | --- | --- | --- | --- | --- |");
for (const c of concurrency) {
  out.push(`| ${c.clients} | ${f(c.worker.perSecond)} | ${f(c.worker.p50)} | ${f(c.worker.p95)} | ${f(c.baseline.perSecond)} | ${(100 * c.worker.perSecond / c.baseline.perSecond).toFixed(0)}% |`);
}
out.push(`\nWasm: ${(wasm.length / 1024).toFixed(1)} KiB raw, ${(gz / 1024).toFixed(1)} KiB gzipped; wrangler dev start to first answer: ${(startupMs / 1000).toFixed(1)} s.`);
console.log(out.join("\n"));
fs.mkdirSync(path.join(root, "bench/results"), { recursive: true });
fs.writeFileSync(path.join(root, "bench/results/worker.json"), JSON.stringify({ rows, concurrency, upstreamCalls: Object.fromEntries(Object.entries(upstream).map(([k, v]) => [k, v.count])), wasm: wasm.length, wasmGzip: gz, startupMs }, null, 2));
process.exit(0);
