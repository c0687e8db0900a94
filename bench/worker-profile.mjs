// Where the worker's time goes inside workerd: V8's sampling CPU profiler, through workerd's
// inspector, while one kind of request repeats against the Sentry emulator. `make profile` counts
// instructions natively; this is the same question asked of the wasm the edge runs (V8's tiers,
// the JavaScript glue, the runtime's fetch). Prints the functions with the most self time and the
// share of wasm, JavaScript and the runtime. The release build strips wasm function names; build
// with names first (`make profile-worker` does: KEEP_NAMES=1), or wasm frames show as indices.
// Usage: make profile-worker [REQUEST=get_issue_details|search_issues|search_events|ping|tools/list]
// A profile, not a test. Everything talks to 127.0.0.1 and every loop is bounded.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmulator } from "../tests/emulator/server.mjs";
import { freePort, startWorkerDirect } from "../tests/e2e/worker.mjs";

const what = process.argv[2] ?? "get_issue_details";
const CALLS = Number(process.env.CALLS ?? 300);
const WARMUP = Number(process.env.WARMUP ?? 1500);
const TOKEN = "sntryu_e2e_valid_token_0123456789abcdef";
const ARGS = {
  get_issue_details: { organizationSlug: "acme", issueId: "API-SERVER-2A" },
  search_issues: { organizationSlug: "acme", query: "is:unresolved" },
  search_events: { organizationSlug: "acme", query: "level:error", fields: ["title", "count()"] },
};

const work = fs.mkdtempSync(path.join(os.tmpdir(), "sentry-mcp-profile-"));
const emulator = await startEmulator({ rateLimit: 1_000_000 });
const inspectorPort = await freePort();
const worker = await startWorkerDirect({
  name: "profile",
  work,
  vars: {
    SENTRY_URL: emulator.url,
    SENTRY_ALLOW_INSECURE_HTTP: "true",
    SENTRY_ALLOWED_REGION_DOMAINS: "127.0.0.2",
    MCP_ALLOWED_HOSTS: "localhost,127.0.0.1",
    SENTRY_TRACES_SAMPLE_RATE: "0",
    MCP_RATE_LIMITS: "off",
  },
  limits: { ip: 1_000_000, user: 1_000_000 },
  inspectorPort,
});
process.on("exit", () => { try { process.kill(-worker.child.pid, "SIGTERM"); } catch {} });

const request = () => {
  const [method, params] = ARGS[what] ? ["tools/call", { name: what, arguments: ARGS[what] }] : [what, {}];
  return fetch(`${worker.origin}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25", authorization: `Sentry-Bearer ${TOKEN}` },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  }).then(async (r) => {
    const body = await r.text();
    if (r.status !== 200 || body.includes('"isError":true')) throw new Error(`${what}: ${r.status} ${body.slice(0, 300)}`);
  });
};
for (let i = 0; i < WARMUP; i++) await request();

// The inspector lists one target per worker; ours is the one that is not Miniflare's own.
const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
const target = targets.find((t) => t.title?.includes("sentry-mcp-rs")) ?? targets[0];
const socket = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((resolve, reject) => { socket.onopen = resolve; socket.onerror = reject; });
let nextId = 1;
const pending = new Map();
socket.onmessage = (m) => {
  const msg = JSON.parse(m.data);
  if (msg.id && pending.has(msg.id)) { pending.get(msg.id)(msg); pending.delete(msg.id); }
};
const send = (method, params = {}) => new Promise((resolve, reject) => {
  const id = nextId++;
  const timer = setTimeout(() => reject(new Error(`${method}: no answer`)), 60_000);
  pending.set(id, (msg) => { clearTimeout(timer); resolve(msg.result); });
  socket.send(JSON.stringify({ id, method, params }));
});

await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 50 });
await send("Profiler.start");
const started = performance.now();
for (let i = 0; i < CALLS; i++) await request();
const elapsed = performance.now() - started;
const { profile } = await send("Profiler.stop");
socket.close();

// Self time per function from the samples; each node's callFrame says where it runs.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const kinds = { wasm: 0, javascript: 0, runtime: 0, idle: 0 };
for (let i = 0; i < profile.samples.length; i++) {
  const node = byId.get(profile.samples[i]);
  const us = profile.timeDeltas[i + 1] ?? 0;
  const { functionName, url } = node.callFrame;
  const name = functionName || "(anonymous)";
  const kind = name === "(idle)" ? "idle" : url.startsWith("wasm://") || /^\$?[a-z_].*::/.test(name) ? "wasm" : url ? "javascript" : "runtime";
  kinds[kind] += us;
  const key = `${name} [${kind}]`;
  self.set(key, (self.get(key) ?? 0) + us);
}
const busy = kinds.wasm + kinds.javascript + kinds.runtime;
console.log(`${what}: ${CALLS} calls in ${elapsed.toFixed(0)} ms after ${WARMUP} warm-up; sampled busy time ${(busy / 1000 / CALLS).toFixed(2)} ms per call`);
console.log(`wasm ${(100 * kinds.wasm / busy).toFixed(0)}%, JavaScript ${(100 * kinds.javascript / busy).toFixed(0)}%, runtime and garbage collection ${(100 * kinds.runtime / busy).toFixed(0)}%`);
console.log("\n| Self ms per call | Share | Function |\n| ---: | ---: | --- |");
for (const [name, us] of [...self].filter(([n]) => !n.startsWith("(idle)")).sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 30))) {
  console.log(`| ${(us / 1000 / CALLS).toFixed(3)} | ${(100 * us / busy).toFixed(1)}% | ${name.slice(0, 140)} |`);
}
await emulator.close();
process.exit(0);
