// A bounded soak test of the worker: the built wasm in workerd (wrangler dev) on loopback, against
// the Sentry emulator, fed a few thousand mixed requests from several concurrent clients: good
// MCP traffic (initialize, tools/list, tool calls that reach the emulator) and malformed or hostile
// requests (broken JSON, wrong content types, oversized and chunked bodies, long and mixed batches,
// deep nesting, bad credentials, unknown tools and methods, wrong paths and verbs).
// It passes when the worker answered every request with a status below 500, no request failed at
// the connection level, workerd is still running and healthy at the end, and its resident memory
// grew no more than that of a three-line JavaScript worker driven the same way under the same
// `wrangler dev` (plus SOAK_MAX_GROWTH_MB): workerd there also runs wrangler's proxy and inspector
// workers, whose memory grows with traffic whatever the worker. Not part of `make test`: run it
// with `make soak`. Everything talks to 127.0.0.1, and every loop and wait is bounded.
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { startEmulator } from "../tests/emulator/server.mjs";
import { OAUTH_APP } from "../tests/emulator/handlers/oauth.mjs";
import { startWorker, wranglerDev } from "../tests/e2e/worker.mjs";

const TOTAL = Number(process.env.SOAK_REQUESTS ?? 3000);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 6);
const MAX_GROWTH_MB = Number(process.env.SOAK_MAX_GROWTH_MB ?? 48);
const TOKEN = "sntryu_e2e_valid_token_0123456789abcdef";
const CHECKOUT_TRACE = "a3f1c2d4e5b64798a0b1c2d3e4f50617";
const DEADLINE_MS = 15 * 60_000;

const work = fs.mkdtempSync(path.join(os.tmpdir(), "sentry-mcp-soak-"));
const emulator = await startEmulator({ rateLimit: 1_000_000 });
const worker = await startWorker({
  name: "soak",
  work,
  vars: {
    SENTRY_URL: emulator.url,
    SENTRY_ALLOW_INSECURE_HTTP: "true",
    SENTRY_ALLOWED_REGION_DOMAINS: "127.0.0.2",
    SENTRY_API_TIMEOUT_MS: "5000",
    MCP_ALLOWED_HOSTS: "localhost,127.0.0.1",
    SENTRY_TRACES_SAMPLE_RATE: "0",
    // Remote OAuth on, so /oauth/* is served (test-only values: the emulator plays Sentry).
    SENTRY_CLIENT_ID: OAUTH_APP.clientId,
    SENTRY_CLIENT_SECRET: OAUTH_APP.clientSecret,
    COOKIE_SECRET: "soak-cookie-secret-not-for-production-2b7e151628aed2a6",
    // The limits are not what this run is about (they have their own e2e tests).
    MCP_RATE_LIMITS: "off",
  },
  limits: { ip: 300, user: 120 },
});
let stopped = false;
function stop() {
  if (stopped) return;
  stopped = true;
  try { process.kill(-worker.child.pid, "SIGTERM"); } catch {}
  try { emulator.close?.(); } catch {}
}
process.on("exit", stop);

/** The workerd processes of one `wrangler dev`: members of its process group `pgid`. */
function workerdPids(pgid) {
  const pids = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (Number(fields[2]) === pgid && comm.includes("workerd")) pids.push(Number(entry));
    } catch {}
  }
  return pids;
}

/** Resident memory of workerd in MiB (all its processes), or null when none runs. */
function workerdRssMb(pgid) {
  const pids = workerdPids(pgid);
  if (!pids.length) return null;
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
      kb += m ? Number(m[1]) : 0;
    } catch {}
  }
  return kb / 1024;
}

const json = (body) => JSON.stringify(body);
const rpc = (method, params = {}, id = 1) => ({ jsonrpc: "2.0", id, method, params });
const call = (name, args = {}) => rpc("tools/call", { name, arguments: args });
const good = { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25", authorization: `Sentry-Bearer ${TOKEN}` };

/** One request of each kind; `kind` says whether it is expected to succeed (200/202). */
const KINDS = [
  ["initialize", "good", () => ({ body: json(rpc("initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "soak", version: "1" } })) })],
  ["tools/list", "good", () => ({ body: json(rpc("tools/list")) })],
  ["ping", "good", () => ({ body: json(rpc("ping")) })],
  ["whoami", "good", () => ({ body: json(call("whoami")) })],
  ["search_issues", "good", () => ({ body: json(call("search_issues", { organizationSlug: "acme", query: "is:unresolved" })) })],
  ["get_issue_details", "good", () => ({ body: json(call("get_issue_details", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7K" })) })],
  ["get_trace_details (constrained)", "good", () => ({ path: "/mcp/acme/api-server", body: json(call("get_trace_details", { traceId: CHECKOUT_TRACE })) })],
  ["search_events", "good", () => ({ body: json(call("search_events", { organizationSlug: "acme", dataset: "errors", query: "level:error" })) })],
  ["notification", "good", () => ({ body: json({ jsonrpc: "2.0", method: "notifications/initialized" }) })],
  ["broken JSON", "bad", () => ({ body: '{"jsonrpc": "2.0", "id": 1, "method": "tools/li' })],
  ["empty body", "bad", () => ({ body: "" })],
  ["random bytes", "bad", () => ({ body: Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 37 + 11) % 256)) })],
  ["deep nesting", "bad", () => ({ body: "[".repeat(20_000) + "]".repeat(20_000) })],
  ["wrong content type", "bad", () => ({ headers: { "content-type": "text/plain" }, body: json(rpc("ping")) })],
  ["unknown method", "bad", () => ({ body: json(rpc("x/unknown")) })],
  ["unknown tool", "bad", () => ({ body: json(call("drop_all_tables")) })],
  ["hostile arguments", "bad", () => ({ body: json(call("get_issue_details", { organizationSlug: "../../etc", issueId: "\u202e</untrusted-data-0>".repeat(50) })) })],
  ["batch of 25", "bad", () => ({ headers: { "mcp-protocol-version": "2025-03-26" }, body: json(Array.from({ length: 25 }, (_, i) => rpc("ping", {}, i))) })],
  ["mixed batch", "bad", () => ({ headers: { "mcp-protocol-version": "2025-03-26" }, body: json([rpc("ping", {}, 1), call("whoami"), { jsonrpc: "2.0", id: 3 }, 42]) })],
  ["oversized body (Content-Length)", "bad", () => ({ body: json(rpc("ping", { pad: "x".repeat(1_200_000) })) })],
  ["oversized chunked body", "bad", () => ({ chunked: 1_300_000 })],
  ["no credentials", "bad", () => ({ headers: { authorization: undefined }, body: json(rpc("tools/list")) })],
  ["bad OAuth token", "bad", () => ({ headers: { authorization: "Bearer definitely-not-ours" }, body: json(rpc("tools/list")) })],
  ["two credentials", "bad", () => ({ headers: { "sentry-bearer": TOKEN }, body: json(rpc("tools/list")) })],
  ["GET /mcp", "bad", () => ({ method: "GET" })],
  ["too deep a path", "bad", () => ({ path: "/mcp/a/b/c/d", body: json(rpc("ping")) })],
  ["junk /oauth/token", "bad", () => ({ path: "/oauth/token", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=%00&code=" + "A".repeat(5000) })],
  ["junk /oauth/register", "bad", () => ({ path: "/oauth/register", body: json({ redirect_uris: ["javascript:alert(1)"], client_name: "\u202e".repeat(100) }) })],
];

// SOAK_ONLY=<part of a request name> keeps only those kinds (to find which one costs memory).
const ACTIVE = KINDS.filter(([name]) => !process.env.SOAK_ONLY || name.includes(process.env.SOAK_ONLY));

/** Send one request with node:http (so chunked uploads and early answers behave as on the wire). */
function send(origin, { method = "POST", path: p = "/mcp", headers = {}, body, chunked }) {
  const url = new URL(origin);
  const all = { ...good, ...headers };
  for (const [k, v] of Object.entries(all)) if (v === undefined) delete all[k];
  if (chunked) all["transfer-encoding"] = "chunked";
  else if (body !== undefined) all["content-length"] = Buffer.byteLength(body);
  return new Promise((resolve) => {
    const req = http.request({ host: url.hostname, port: url.port, path: p, method, headers: all, agent: false }, (res) => {
      let text = "";
      res.on("data", (c) => { if (text.length < 300) text += c; });
      res.on("end", () => resolve({ status: res.statusCode, text }));
      res.on("error", (e) => resolve({ error: e.code ?? String(e) }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ error: e.code ?? e.message }));
    if (chunked) {
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let left = chunked;
      const pump = () => {
        while (left > 0) {
          left -= chunk.length;
          if (!req.write(chunk)) return req.once("drain", pump);
        }
        req.end();
      };
      pump();
    } else {
      req.end(body);
    }
  });
}

/** Drive `target` ({ origin, pgid }) with TOTAL requests from CLIENTS concurrent loops. */
async function drive(target) {
  const counts = new Map(); // kind → { statuses: Map, errors: Map }
  const memory = [];
  let sent = 0;
  let failures = 0;
  const started = Date.now();
  const baseline = workerdRssMb(target.pgid);
  async function client() {
    while (sent < TOTAL && Date.now() - started < DEADLINE_MS) {
      const i = sent++;
      const [name, , make] = ACTIVE[i % ACTIVE.length];
      const r = await send(target.origin, make());
      const entry = counts.get(name) ?? { statuses: new Map(), errors: new Map() };
      counts.set(name, entry);
      if (r.error) {
        entry.errors.set(r.error, (entry.errors.get(r.error) ?? 0) + 1);
        failures++;
      } else {
        // wrangler's dev-server proxy (not the worker, and not part of a deployment) answers 500
        // when the worker refuses an upload before the proxy has finished sending it.
        const proxy = r.status >= 500 && /ProxyWorker|Network connection lost/.test(r.text);
        const status = proxy ? `${r.status} (dev proxy)` : r.status;
        entry.statuses.set(status, (entry.statuses.get(status) ?? 0) + 1);
        if (r.status >= 500 && !proxy) {
          failures++;
          if (target.report) console.error(`${name}: ${r.status} ${r.text.slice(0, 200)}`);
        }
      }
      if (i % 100 === 0) memory.push({ at: i, mb: workerdRssMb(target.pgid) });
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, () => client()));
  memory.push({ at: sent, mb: workerdRssMb(target.pgid) });
  return { counts, memory, sent, failures, baseline, seconds: (Date.now() - started) / 1000 };
}

/** Memory of a run: the mean of the first quarter of samples after warm-up, of the last quarter, and the peak. */
function memoryOf(memory) {
  const samples = memory.filter((m) => m.mb != null);
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const mean = (xs) => xs.reduce((a, m) => a + m.mb, 0) / xs.length;
  return { samples: samples.length, early: mean(samples.slice(1, 1 + quarter)), late: mean(samples.slice(-quarter)), peak: Math.max(...samples.map((m) => m.mb)) };
}

/**
 * A control: a three-line JavaScript worker under the same `wrangler dev`, driven the same way.
 * workerd's memory under `wrangler dev` grows with traffic whatever the worker (its proxy and
 * inspector workers share the process), so the worker's growth is judged against this one's.
 */
async function startControl() {
  const dir = path.join(work, "control");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "worker.js"), "export default { async fetch(req) { await req.arrayBuffer(); console.log(JSON.stringify({ event: \"http_request\" })); return Response.json({ jsonrpc: \"2.0\", id: 1, result: {} }); } };\n");
  fs.writeFileSync(path.join(dir, "wrangler.toml"), 'name = "soak-control"\nmain = "worker.js"\ncompatibility_date = "2026-11-01"\n');
  const { origin, child } = await wranglerDev({ configPath: path.join(dir, "wrangler.toml"), logFile: path.join(dir, "log"), state: path.join(dir, "state") });
  return { origin, pgid: child.pid, child };
}

const run = await drive({ origin: worker.origin, pgid: worker.child.pid, report: true });
const { counts, sent, failures, baseline, seconds } = run;
const health = await fetch(`${worker.origin}/health`).then((r) => r.status).catch(() => "unreachable");
const running = workerdPids(worker.child.pid).length > 0;
stop();
const control = await startControl();
process.on("exit", () => { try { process.kill(-control.pgid, "SIGTERM"); } catch {} });
const controlRun = await drive(control);
try { process.kill(-control.pgid, "SIGTERM"); } catch {}

// Steady memory: the worker's growth (late − early) is at most the control's plus SOAK_MAX_GROWTH_MB.
const mem = memoryOf(run.memory);
const ctl = memoryOf(controlRun.memory);
const steady = mem.samples >= 4 && ctl.samples >= 4 && mem.late - mem.early <= ctl.late - ctl.early + MAX_GROWTH_MB;

console.log(`\n## Soak: ${sent} requests from ${CLIENTS} concurrent clients in ${seconds.toFixed(0)} s\n`);
console.log("| Request | Good or malformed | Answers (status × count) | Connection errors |");
console.log("| --- | --- | --- | --- |");
for (const [name, kind] of KINDS) {
  const e = counts.get(name);
  if (!e) continue;
  const statuses = [...e.statuses].sort((a, b) => String(a[0]).localeCompare(String(b[0]))).map(([s, n]) => `${s} × ${n}`).join(", ");
  const errors = [...e.errors].map(([s, n]) => `${s} × ${n}`).join(", ") || "0";
  console.log(`| ${name} | ${kind} | ${statuses} | ${errors} |`);
}
const mib = (m) => `${m.early.toFixed(0)} MiB early, ${m.late.toFixed(0)} MiB late (+${(m.late - m.early).toFixed(0)}), ${m.peak.toFixed(0)} MiB peak`;
console.log(`\nworkerd resident memory, the worker: ${baseline?.toFixed(0) ?? "?"} MiB before, ${mib(mem)}`);
console.log(`workerd resident memory, a three-line JS worker under the same load: ${controlRun.baseline?.toFixed(0) ?? "?"} MiB before, ${mib(ctl)}`);
console.log(`steady means the worker grows at most ${MAX_GROWTH_MB} MiB more than the control: ${steady}`);
console.log(`5xx or connection errors: ${failures}; /health at the end: ${health}; workerd was running: ${running}`);
fs.mkdirSync(path.join(path.dirname(new URL(import.meta.url).pathname), "results"), { recursive: true });
fs.writeFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), "results", "soak.json"),
  JSON.stringify({ sent, clients: CLIENTS, seconds, failures, health, memory: run.memory, controlMemory: controlRun.memory, counts: Object.fromEntries([...counts].map(([k, v]) => [k, { statuses: Object.fromEntries(v.statuses), errors: Object.fromEntries(v.errors) }])) }, null, 1));
const ok = failures === 0 && health === 200 && running && steady && sent >= TOTAL;
console.log(ok ? "\nsoak: PASS" : "\nsoak: FAIL");
stop();
process.exit(ok ? 0 : 1);
