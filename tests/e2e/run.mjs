// End-to-end test runner: starts the Sentry emulator, the built worker in workerd (wrangler dev)
// and an auth-injecting proxy for the conformance suite, then runs every end-to-end suite against
// them: node:test files (official MCP TypeScript SDK client, raw HTTP, raw stdio), the SDK-client
// suites once more against the native binary over stdio, the official Python SDK client (pytest,
// both transports), the MCP conformance suite for two requirement sets, and a final audit of the
// worker's and the binary's logs. Everything listens on 127.0.0.1; every wait is bounded; all
// children are stopped. Arguments pick suites: node, stdio, python, conformance, audit.
//
// Expects `npm run build` to have produced build/ and `cargo build --bin sentry-mcp` the binary
// (scripts/test.sh does both first); SENTRY_MCP_BIN picks another binary (e.g. a release build).
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { startEmulator } from "../emulator/server.mjs";
import { startModelEmulator } from "../model-emulator/server.mjs";
import { OAUTH_APP } from "../emulator/handlers/oauth.mjs";
import { VALID_TOKEN } from "./helpers.mjs";
import { root, startWorker as startWorkerIn } from "./worker.mjs";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "sentry-mcp-e2e-"));
const children = [];
const results = [];

/** Run a command to completion (bounded), streaming its output; resolves to its exit code. */
function run(label, cmd, args, { env = {}, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve) => {
    console.log(`\n=== ${label}: ${cmd} ${args.join(" ")}`);
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: "inherit", detached: true });
    const timer = setTimeout(() => {
      console.error(`${label} timed out after ${timeoutMs} ms`);
      try { process.kill(-child.pid, "SIGKILL"); } catch {}
    }, timeoutMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

/** A loopback proxy that adds the test Sentry token, for clients that cannot send headers
 *  (the conformance suite). Host and Origin pass through unchanged. */
function startAuthProxy(targetPort) {
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, authorization: `Sentry-Bearer ${VALID_TOKEN}` };
    const upstream = http.request({ host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers }, (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    upstream.on("error", () => { res.writeHead(502); res.end(); });
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function stopAll() {
  for (const c of children) {
    try { process.kill(-c.pid, "SIGTERM"); } catch {}
  }
}
process.on("exit", stopAll);
process.on("SIGINT", () => { stopAll(); process.exit(130); });
process.on("SIGTERM", () => { stopAll(); process.exit(143); });

const emulator = await startEmulator({ slowMs: 5000 });
// The embedded agent's model provider (OpenAI and Anthropic APIs), scripted by tests/e2e/agent.test.mjs.
const models = await startModelEmulator();

const COOKIE_SECRET = "e2e-cookie-secret-not-for-production-6f1d9a27c3b84e05";

/** Start the built worker in workerd with these vars; `limits` sets the rate limiters' limits. */
async function startWorker(name, extraVars, limits) {
  const vars = {
    SENTRY_URL: emulator.url,
    SENTRY_ALLOW_INSECURE_HTTP: "true",
    SENTRY_ALLOWED_REGION_DOMAINS: "127.0.0.2",
    SENTRY_API_TIMEOUT_MS: "2000",
    MCP_ALLOWED_HOSTS: "localhost,127.0.0.1",
    // Remote OAuth: the emulator plays Sentry's OAuth server. Test-only values, never real secrets.
    SENTRY_CLIENT_ID: OAUTH_APP.clientId,
    SENTRY_CLIENT_SECRET: OAUTH_APP.clientSecret,
    COOKIE_SECRET: COOKIE_SECRET,
    OAUTH_REGISTRATIONS_PER_HOUR: "10000",
    ...extraVars,
  };
  const worker = await startWorkerIn({ name, work, vars, limits });
  children.push(worker.child);
  return worker;
}

// The main instance reports its errors to the emulator's ingestion endpoint; its rate limits are
// switched off (MCP_RATE_LIMITS=off), so no test that is not about limits is ever throttled, and
// its limiters are tiny so that the switch is proven by every run. Only the main instance may
// fetch client ID metadata documents from the tests' document host on loopback
// (tests/e2e/clients.test.mjs). A second instance has tight limits (per address, per caller,
// registrations), samples every transaction, ends idle SSE sessions after 3 seconds and does not
// advertise the iss flag.
const dsn = `http://e2epublickey@127.0.0.1:${emulator.port}/4242`;
const main = await startWorker("worker", { SENTRY_DSN: dsn, SENTRY_TRACES_SAMPLE_RATE: "0", SENTRY_ENVIRONMENT: "e2e", OAUTH_CIMD_ALLOW_INSECURE_LOOPBACK: "true", MCP_RATE_LIMITS: "off" }, { ip: 2, user: 2 });
const limited = await startWorker("limited", { SENTRY_DSN: dsn, SENTRY_TRACES_SAMPLE_RATE: "1", OAUTH_ADVERTISE_ISS: "false", MCP_SSE_IDLE_SECS: "3", OAUTH_REGISTRATIONS_PER_HOUR: "2" }, { ip: 6, user: 5 });
// A third instance runs the embedded agent against the model emulator (tests/e2e/agent.test.mjs).
const agent = await startWorker("agent", { EMBEDDED_AGENT_PROVIDER: "openai", OPENAI_BASE_URL: `${models.url}/v1`, OPENAI_API_KEY: "sk-e2e-model-key-not-real",
  OPENAI_MODEL: "emu-small", EMBEDDED_AGENT_TIMEOUT_MS: "1500", MCP_RATE_LIMITS: "off" }, { ip: 100000, user: 100000 });
const { origin, port, logFile } = main;
const proxy = await startAuthProxy(port);
const proxyUrl = `http://127.0.0.1:${proxy.address().port}/mcp`;
console.log(`worker ${origin} · emulator ${emulator.url} · conformance proxy ${proxyUrl} · logs ${logFile}`);

const stdioBin = path.resolve(root, process.env.SENTRY_MCP_BIN ?? "target/debug/sentry-mcp");
if (!fs.existsSync(stdioBin)) throw new Error(`${stdioBin} is missing: run cargo build --bin sentry-mcp first`);
const stdioLog = path.join(work, "stdio.log");
fs.writeFileSync(stdioLog, "");
const tokenLog = path.join(work, "oauth-tokens.txt");
fs.writeFileSync(tokenLog, "");
const env = { MCP_ORIGIN: origin, LIMITED_ORIGIN: limited.origin, EMULATOR_URL: emulator.url, EMULATOR_PORT: String(emulator.port),
  AGENT_ORIGIN: agent.origin, MODEL_EMULATOR_URL: models.url,
  WORKER_LOG: logFile, WORKER_LOGS: [logFile, limited.logFile, agent.logFile].join(","), PROXY_URL: proxyUrl, SENTRY_MCP_BIN: stdioBin, STDIO_LOG: stdioLog,
  COOKIE_SECRET, OAUTH_TOKEN_LOG: tokenLog, KV_STATE_DIR: path.join(work, "worker-state") };
const only = process.argv.slice(2);
const want = (name) => only.length === 0 || only.includes(name);

// The suites that only use the SDK client (`connect`/`call`) run once more over stdio.
const SDK_CLIENT_SUITES = ["apps.test.mjs", "tools.test.mjs", "catalogue.test.mjs", "faults.test.mjs", "injection.test.mjs", "categories.test.mjs", "investigation.test.mjs", "prompts.test.mjs", "monitoring.test.mjs", "admin.test.mjs", "filters.test.mjs"];
const nodeTest = (label, files, extra = {}) => run(label, process.execPath,
  ["--test", "--test-force-exit", "--test-timeout=120000", "--test-concurrency=1", ...files], { env: { ...env, ...extra } });
if (want("node")) {
  // E2E_ONLY=oauth runs only the test files whose name contains it (for quick iterations).
  const files = fs.readdirSync(path.join(root, "tests/e2e")).filter((f) => f.endsWith(".test.mjs")).sort().map((f) => `tests/e2e/${f}`).concat("tests/emulator/selftest.mjs")
    .filter((f) => !process.env.E2E_ONLY || f.includes(process.env.E2E_ONLY));
  results.push(["node:test (TypeScript SDK client and raw HTTP/stdio)", await nodeTest("node:test", files)]);
}
if (want("stdio")) {
  const files = SDK_CLIENT_SUITES.map((f) => `tests/e2e/${f}`);
  results.push(["node:test over stdio (TypeScript SDK client, native binary)", await nodeTest("node:test over stdio", files, { MCP_TRANSPORT: "stdio" })]);
}
if (want("python")) {
  results.push(["pytest (Python SDK client, HTTP and stdio)", await run("pytest", path.join(root, ".venv/bin/python"), ["-m", "pytest", "-q", "tests/python"], { env })]);
}
if (want("conformance")) {
  for (const rev of ["2025-11-25", "2026-07-28"]) {
    results.push([`conformance ${rev}`, await run(`conformance ${rev}`, "npx", ["conformance", "server", "--url", proxyUrl, "--requirements", rev,
      "--expected-failures", `tests/conformance/baseline-${rev}.yml`, "-o", path.join(work, `conformance-${rev}`)], { timeoutMs: 300_000 })]);
  }
}
if (want("conformance-auth")) {
  results.push(["conformance authorization (AS scenarios, consent in Chromium)", await run("conformance authorization", process.execPath, ["tests/e2e/conformance-auth.mjs"], { env: { ...env, OUT_DIR: path.join(work, "conformance-auth") }, timeoutMs: 240_000 })]);
}
if (want("audit")) {
  results.push(["log audit", await run("log audit", process.execPath, ["--test", "--test-force-exit", "tests/e2e/audit/logs.audit.mjs"], { env })]);
}

proxy.close();
await emulator.close();
await models.close();
stopAll();
const failed = results.filter(([, code]) => code !== 0);
console.log("\n=== end-to-end summary");
for (const [name, code] of results) console.log(`${code === 0 ? "ok  " : "FAIL"} ${name}`);
console.log(`suites: ${results.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length ? 1 : 0);
