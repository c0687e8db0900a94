// Measures the worker itself: the built wasm in workerd on loopback, against the Sentry emulator,
// in one run, so every figure is a ratio on the same machine at the same moment. The worker runs
// in three set-ups, one after the other:
// - "direct": Miniflare serves it on a direct socket (one loopback connection into the worker, as
//   at the edge), rate limits off; beside it in the same workerd a few lines of JavaScript make the
//   same upstream calls as each tool call (the "relay"), so what workerd's own fetch costs is
//   measured, not guessed, and the rest is the worker's own work;
// - "direct + limiters": the same with the rate-limiting bindings on, whose local simulation is
//   itself a call per request (at the edge they are answered in the same location);
// - "wrangler dev": a newcomer's set-up, wrangler's proxy worker and Miniflare's entry worker in
//   front.
// V8 compiles wasm lazily and tiers hot functions up from its baseline compiler, so a fresh
// isolate runs slower code for its first few hundred requests: each set-up reports
// get_issue_details over the first calls after start, then warms up with a mix of every request
// before the rows are measured. Each row is p50/p95 over sequential requests and the workerd
// processes' CPU time per request (from /proc: user + system, all of workerd, so it includes the
// runtime's HTTP work). Then throughput of get_issue_details at 2 and 8 concurrent clients against
// /health plus the direct upstream calls, the count of upstream calls per tool, the wasm size, its
// compile time in V8 and each set-up's start to first answer.
// A benchmark, not a test: run with `make bench-worker` (`ONLY=direct` for one set-up). Prints Markdown tables; raw figures go to
// bench/results/. Everything talks to 127.0.0.1 and every loop is bounded.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { startEmulator } from "../tests/emulator/server.mjs";
import { root, startWorker, startWorkerDirect } from "../tests/e2e/worker.mjs";

const N = Number(process.env.N ?? 200);
const WARMUP_ROUNDS = Number(process.env.WARMUP_ROUNDS ?? 400);
const FRESH = 50;
const TOKEN = "sntryu_e2e_valid_token_0123456789abcdef";
const VERSION = "2025-11-25";
const TICK_MS = 10; // /proc/<pid>/stat counts CPU time in clock ticks of 1/100 s on Linux

const work = fs.mkdtempSync(path.join(os.tmpdir(), "sentry-mcp-bench-"));
// Sentry allows a paying organization far more than the emulator's default 40 calls a second per
// endpoint; a benchmark must not measure the server backing off.
const emulator = await startEmulator({ rateLimit: 1_000_000 });
const vars = {
  SENTRY_URL: emulator.url,
  SENTRY_ALLOW_INSECURE_HTTP: "true",
  SENTRY_ALLOWED_REGION_DOMAINS: "127.0.0.2",
  MCP_ALLOWED_HOSTS: "localhost,127.0.0.1",
  SENTRY_TRACES_SAMPLE_RATE: "0",
};
const limits = { ip: 1_000_000, user: 1_000_000 };
// `ONLY=direct` (a set-up's name, or the start of it) runs one set-up, for a quick comparison.
const SETUPS = [
  ["direct", () => startWorkerDirect({ name: "direct", work, vars: { ...vars, MCP_RATE_LIMITS: "off" }, limits, relay: true })],
  ["direct + limiters", () => startWorkerDirect({ name: "limiters", work, vars, limits })],
  ["wrangler dev", () => startWorker({ name: "bench", work, vars, limits })],
].filter(([name]) => !process.env.ONLY || name.startsWith(process.env.ONLY));

let worker;
function stop() {
  try { process.kill(-worker.child.pid, "SIGTERM"); } catch {}
}
process.on("exit", stop);

/** Stop the running worker and wait (at most 10 s) until its process has gone. */
async function stopped() {
  const exited = new Promise((resolve) => worker.child.once("exit", resolve));
  stop();
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
}

/** CPU milliseconds so far of every workerd process in the running worker's process group. */
function workerdCpuMs() {
  let ticks = 0;
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let stat;
    try { stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8"); } catch { continue; }
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After the command: state, ppid, pgrp, ..., utime (12th), stime (13th).
    if (comm === "workerd" && Number(fields[2]) === worker.child.pid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * TICK_MS;
}

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

/** p50 and p95 of `n` sequential runs of `fn`, and the workerd CPU time per run. */
async function timed(fn, n = N) {
  for (let i = 0; i < 10; i++) await fn();
  const ms = [];
  const cpu = workerdCpuMs();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  const cpuPerRequest = (workerdCpuMs() - cpu) / n;
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(ms.length * 0.5)], p95: ms[Math.floor(ms.length * 0.95)], cpu: cpuPerRequest };
}

const TOOLS = [
  ["get_issue_details", { organizationSlug: "acme", issueId: "API-SERVER-2A" }],
  ["search_issues", { organizationSlug: "acme", query: "is:unresolved" }],
  ["search_events", { organizationSlug: "acme", query: "level:error", fields: ["title", "count()"] }],
];
const toolCall = ([name, args]) => () => mcp("/mcp", "tools/call", { name, arguments: args });
const upstreamHeaders = { authorization: `Bearer ${TOKEN}`, accept: "application/json" };

/** The upstream calls one tool call makes (from the emulator's log), and functions that make the
 *  same calls in order: from here, and through the relay worker in the same workerd. */
async function upstreamOf(call) {
  emulator.reset();
  await call();
  const calls = emulator.requests().map((r) => {
    const url = new URL(`http://${r.host}${r.path}`);
    for (const [k, vs] of Object.entries(r.query)) for (const v of vs) url.searchParams.append(k, v);
    return { method: r.method, url: url.toString() };
  });
  const direct = async () => {
    for (const c of calls) {
      const r = await fetch(c.url, { method: c.method, headers: upstreamHeaders });
      await r.arrayBuffer();
    }
  };
  const relayed = worker.relayOrigin && (async () => {
    const r = await fetch(worker.relayOrigin, { method: "POST", body: JSON.stringify({ calls, headers: upstreamHeaders }) });
    await r.arrayBuffer();
  });
  return { count: calls.length, direct, relayed };
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

/** Every figure for the worker now running. */
async function measure() {
  const details = toolCall(TOOLS[0]);
  // A fresh isolate: the first calls after start (the first one also resolves the region).
  const fresh = await timed(details, FRESH);
  for (let i = 0; i < WARMUP_ROUNDS; i++) {
    await mcp("/mcp", "ping");
    await mcp("/mcp", "tools/list");
    for (const tool of TOOLS) await toolCall(tool)();
  }

  const rows = [];
  const row = (name, t, note = "") => rows.push({ name, ...t, note });
  const health = async () => (await fetch(`${worker.origin}/health`)).arrayBuffer();
  const floor = await timed(health);
  row("GET /health (floor)", floor);
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

  const upstream = {};
  for (const tool of TOOLS) {
    const name = tool[0];
    const { count, direct, relayed } = await upstreamOf(toolCall(tool));
    upstream[name] = { count, direct };
    const viaWorker = await timed(toolCall(tool));
    const directly = await timed(direct);
    let note = `upstream direct ${directly.p50.toFixed(2)} ms: own work ≤ ${(viaWorker.p50 - directly.p50 - floor.p50).toFixed(2)} ms`;
    if (relayed) {
      const relay = await timed(relayed);
      note += `; through the relay ${relay.p50.toFixed(2)} ms, ${relay.cpu.toFixed(2)} ms CPU: own work ≈ ${(viaWorker.p50 - relay.p50).toFixed(2)} ms, ${(viaWorker.cpu - relay.cpu).toFixed(2)} ms CPU`;
    }
    row(`${name} (${count} upstream call${count === 1 ? "" : "s"})`, viaWorker, note);
  }

  const baseline = async () => { await health(); await upstream.get_issue_details.direct(); };
  const concurrency = [];
  for (const clients of [2, 8]) {
    const perClient = Math.max(10, Math.floor(N / clients));
    concurrency.push({ clients, worker: await throughput(clients, perClient, details), baseline: await throughput(clients, perClient, baseline) });
  }
  return { fresh, rows, concurrency, upstream: Object.fromEntries(Object.entries(upstream).map(([k, v]) => [k, v.count])) };
}

const runs = [];
for (const [setup, start] of SETUPS) {
  const started = performance.now();
  worker = await start();
  const startupMs = performance.now() - started;
  runs.push({ setup, startupMs, ...await measure() });
  await stopped();
}
await emulator.close();

const f = (n) => n.toFixed(2);
const wasm = fs.readFileSync(path.join(root, "build/index_bg.wasm"));
const gz = zlib.gzipSync(wasm, { level: 9 }).length;
// Compile time in V8, the engine workerd embeds: median of 5 compilations of the module. The
// module uses wasm features (exception handling, reference types) that Node 22's V8 has and Node
// 20's lacks; `make bench-worker` runs the project's Node 22.
const compileMs = [];
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  try {
    await WebAssembly.compile(wasm);
  } catch (e) {
    console.error(`V8 ${process.versions.v8} cannot compile the module (${e.message}); run with Node 22 (make bench-worker)`);
    break;
  }
  compileMs.push(performance.now() - t);
}
compileMs.sort((a, b) => a - b);
const compiled = compileMs.length ? `compiled by V8 ${process.versions.v8} in ${f(compileMs[Math.floor(compileMs.length / 2)])} ms (median of ${compileMs.length})` : "not compiled here";

const out = [];
out.push(`Worker benchmark: ${os.cpus().length} × ${os.cpus()[0].model.trim()}, Node ${process.versions.node}, N = ${N} sequential requests per row after ${WARMUP_ROUNDS} warm-up rounds of every request.\n`);
for (const run of runs) {
  out.push(`### ${run.setup}\n`);
  out.push(`Fresh isolate, first ${FRESH} get_issue_details: p50 ${f(run.fresh.p50)} ms, p95 ${f(run.fresh.p95)} ms, ${f(run.fresh.cpu)} ms CPU each.\n`);
  out.push("| Request | p50 ms | p95 ms | workerd CPU ms | Note |\n| --- | ---: | ---: | ---: | --- |");
  for (const r of run.rows) out.push(`| ${r.name} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.cpu)} | ${r.note} |`);
  out.push("");
}
out.push("| get_issue_details, concurrent clients | set-up | calls/s | p50 ms | p95 ms | /health + direct upstream calls/s | ratio |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |");
for (const run of runs) {
  for (const c of run.concurrency) {
    out.push(`| ${c.clients} | ${run.setup} | ${f(c.worker.perSecond)} | ${f(c.worker.p50)} | ${f(c.worker.p95)} | ${f(c.baseline.perSecond)} | ${(100 * c.worker.perSecond / c.baseline.perSecond).toFixed(0)}% |`);
  }
}
out.push(`\nUpstream calls per tool call: ${Object.entries(runs[0].upstream).map(([k, v]) => `${k} ${v}`).join(", ")}.`);
out.push(`Wasm: ${(wasm.length / 1024).toFixed(1)} KiB raw, ${(gz / 1024).toFixed(1)} KiB gzipped; ${compiled}; start to first answer: ${runs.map((r) => `${r.setup} ${(r.startupMs / 1000).toFixed(1)} s`).join(", ")}.`);
console.log(out.join("\n"));
fs.mkdirSync(path.join(root, "bench/results"), { recursive: true });
fs.writeFileSync(path.join(root, "bench/results/worker.json"), JSON.stringify({ runs, wasm: wasm.length, wasmGzip: gz, compileMs: compileMs[Math.floor(compileMs.length / 2)] ?? null }, null, 2));
process.exit(0);
