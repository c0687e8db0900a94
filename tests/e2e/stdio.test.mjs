// The native binary as a raw child process: stdout carries nothing but JSON-RPC lines (even with
// upstream faults and garbage input), logs go to stderr, answers match the worker's byte for byte,
// the command line fails clearly, and the process exits cleanly on end of input, SIGTERM, SIGINT
// and after a cancelled request. The SDK-client suites (tools, faults, injection) cover the tools.
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import { EMULATOR_URL, STDIO_BIN, STDIO_LOG, VALID_TOKEN, auth, nonceOf, post, rpc, stdioServer, upstreamRequests } from "./helpers.mjs";

const init = (version = "2025-11-25") => rpc("initialize", { protocolVersion: version, capabilities: {}, clientInfo: { name: "raw-stdio", version: "1" } });
const callTool = (id, name, args) => rpc("tools/call", { name, arguments: args }, id);
const MODERN_META = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} };

/** Start the binary with raw pipes, collecting stdout and stderr (stderr also goes to the audited log). */
function start({ args = [], env = {} } = {}) {
  const server = stdioServer({ args, env });
  const child = spawn(server.command, server.args, { env: { PATH: process.env.PATH, ...server.env }, stdio: ["pipe", "pipe", "pipe"] });
  const proc = { child, stdout: "", stderr: "" };
  proc.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  child.stdout.on("data", (d) => { proc.stdout += d; });
  child.stderr.on("data", (d) => { proc.stderr += d; fs.appendFileSync(STDIO_LOG, d); });
  return proc;
}

/** Write messages (objects are serialised, strings sent as they are), one per line. */
function send(proc, ...messages) {
  for (const m of messages) proc.child.stdin.write(`${typeof m === "string" ? m : JSON.stringify(m)}\n`);
}

/** The stdout lines parsed so far (complete lines only). */
function messages(proc) {
  return proc.stdout.split("\n").slice(0, -1).map((line) => JSON.parse(line));
}

/** Poll until `ready()` holds, failing after `ms`. */
async function until(ready, what, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A condition for `until`: every id in `ids` has its answer. */
const answered = (proc, ids) => () => {
  const got = new Set(messages(proc).map((m) => m.id));
  return ids.every((id) => got.has(id));
};

/** Wait for the process to exit within `ms` (killing it otherwise); resolves to `{code, signal, ms}`. */
async function exit(proc, ms) {
  const started = Date.now();
  const timer = setTimeout(() => proc.child.kill("SIGKILL"), ms);
  const result = await proc.exited;
  clearTimeout(timer);
  return { ...result, ms: Date.now() - started };
}

/** Start call 7, which stays in flight (fault-slow answers after 5 s; the deadline here is 20 s). */
async function slowCallInFlight() {
  const proc = start({ env: { SENTRY_API_TIMEOUT_MS: "20000" } });
  send(proc, init(), callTool(7, "search_issues", { organizationSlug: "fault-slow" }));
  await until(answered(proc, [1]), "initialize");
  const reachedSentry = async () => (await upstreamRequests()).some((q) => q.path === "/api/0/organizations/fault-slow/issues/");
  for (let i = 0; !(await reachedSentry()); i++) {
    if (i > 200) throw new Error("the slow call never reached the emulator");
    await new Promise((r) => setTimeout(r, 25));
  }
  return proc;
}

describe("a session with faults and garbage input", () => {
  let proc;
  let exited;
  const ids = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  before(async () => {
    proc = start();
    send(proc, init(), { jsonrpc: "2.0", method: "notifications/initialized" }, rpc("tools/list", {}, 2));
    const faults = ["fault-500", "fault-502-html", "fault-html", "fault-badjson", "fault-429", "fault-slow", "fault-echo-token", "fault-refused"];
    faults.forEach((org, i) => send(proc, callTool(3 + i, "search_issues", { organizationSlug: org })));
    send(proc,
      callTool(11, "get_issue_details", { organizationSlug: "acme", issueId: "WEB-FRONTEND-INJ", includeBreadcrumbs: true }),
      "this is not JSON",
      '{"jsonrpc":"2.0","id":12}',
      JSON.stringify([rpc("ping", {}, 90), rpc("ping", {}, 91)]),
      "x".repeat((1 << 20) + 10),
      "",
      { jsonrpc: "2.0", id: 13, method: "server/discover", params: { _meta: MODERN_META } },
      callTool(14, "no_such_tool", {}));
    await until(answered(proc, ids), "an answer to every request");
    proc.child.stdin.end();
    exited = await exit(proc, 5_000);
  });

  test("every stdout line is one JSON-RPC response; every request is answered once", () => {
    assert.ok(proc.stdout.endsWith("\n"), "the last line is complete");
    const lines = proc.stdout.split("\n").slice(0, -1);
    const byId = new Map();
    let withoutId = 0;
    for (const line of lines) {
      let m;
      assert.doesNotThrow(() => { m = JSON.parse(line); }, `not JSON: ${line.slice(0, 200)}`);
      assert.equal(m.jsonrpc, "2.0", line.slice(0, 200));
      assert.ok(("result" in m) !== ("error" in m), `exactly one of result/error: ${line.slice(0, 200)}`);
      if ("id" in m) byId.set(m.id, (byId.get(m.id) ?? 0) + 1);
      else withoutId += 1;
    }
    assert.deepEqual([...byId.keys()].sort((a, b) => a - b), ids);
    assert.ok([...byId.values()].every((n) => n === 1), "one answer per request");
    assert.equal(withoutId, 3, "parse error, refused batch, oversized line");
    assert.equal(proc.stdout.includes(VALID_TOKEN), false);
  });

  test("upstream faults are tool errors; protocol mistakes are JSON-RPC errors", () => {
    const all = messages(proc);
    const get = (id) => all.find((m) => m.id === id);
    for (let id = 3; id <= 10; id++) assert.equal(get(id).result.isError, true, JSON.stringify(get(id)));
    assert.match(get(8).result.content[0].text, /did not answer within 2 seconds/);
    assert.match(get(9).result.content[0].text, /Bearer \[redacted\]/);
    assert.equal(get(11).result.isError, false);
    assert.ok(nonceOf(get(11).result.content[0].text), "event data is inside a boundary");
    assert.equal(get(12).error.code, -32600);
    assert.equal(get(13).result.resultType, "complete", "modern era over stdio needs no headers");
    assert.equal(get(14).error.code, -32602);
    const errors = all.filter((m) => !("id" in m)).map((m) => m.error);
    assert.deepEqual(errors.map((e) => e.code).sort(), [-32700, -32600, -32600].sort());
    assert.ok(errors.some((e) => /one message per line/.test(e.message)), "batches are refused after 2025-11-25 was negotiated");
    assert.ok(errors.some((e) => /longer than 1048576 bytes/.test(e.message)));
  });

  test("logs go to stderr: start, tool calls, the unreachable host, stop; never the token", () => {
    assert.equal(exited.code, 0);
    const lines = proc.stderr.trim().split("\n");
    assert.ok(lines.every((l) => /^(INFO|WARN|ERROR) \{/.test(l)), proc.stderr.slice(0, 500));
    assert.match(lines[0], /"event":"start".*"transport":"stdio"/);
    assert.match(proc.stderr, /"error.type":"upstream_server_error","event":"tool_call"/);
    assert.match(proc.stderr, /"event":"upstream_unreachable","host":"127\.0\.0\.2"/);
    assert.match(lines.at(-1), /"event":"stop".*"reason":"end of input"/);
    assert.equal(proc.stderr.includes(VALID_TOKEN), false);
  });
});

test("stdio answers exactly what the worker answers over HTTP", async () => {
  const proc = start();
  send(proc, init(), rpc("tools/list", {}, 2), callTool(3, "get_issue_details", { organizationSlug: "acme", issueId: "API-SERVER-2A" }));
  await until(answered(proc, [1, 2, 3]), "answers");
  proc.child.stdin.end();
  const viaStdio = messages(proc);
  const headers = { ...auth(), "mcp-protocol-version": "2025-11-25" };
  const list = await post("/mcp", rpc("tools/list", {}, 2), headers);
  assert.deepEqual(viaStdio.find((m) => m.id === 2), list.body);
  const details = await post("/mcp", callTool(3, "get_issue_details", { organizationSlug: "acme", issueId: "API-SERVER-2A" }), headers);
  const withoutNonce = (m) => JSON.stringify(m).replaceAll(nonceOf(m.result.content[0].text), "NONCE");
  assert.equal(withoutNonce(viaStdio.find((m) => m.id === 3)), withoutNonce(details.body));
  assert.equal((await exit(proc, 5_000)).code, 0);
});

test("a missing skill names the flag that grants it", async () => {
  const proc = start({ args: ["--skills=project-management"] });
  send(proc, init(), rpc("tools/list", {}, 2), callTool(3, "search_issues", { organizationSlug: "acme" }));
  await until(answered(proc, [1, 2, 3]), "answers");
  proc.child.stdin.end();
  const [list, refused] = [2, 3].map((id) => messages(proc).find((m) => m.id === id));
  assert.deepEqual(list.result.tools.map((t) => t.name), ["whoami", "find_organizations", "find_projects", "find_teams", "find_dsns", "create_dsn", "update_dsn", "create_team", "create_project", "update_project", "add_team_to_project", "remove_team_from_project", "create_monitor", "update_monitor", "delete_monitor", "create_alert_rule", "update_alert_rule", "delete_alert_rule", "find_custom_inbound_filters", "create_custom_inbound_filter", "update_custom_inbound_filter", "delete_custom_inbound_filter"]);
  assert.match(refused.error.message, /restart the server with --skills=inspect/);
  assert.equal((await exit(proc, 5_000)).code, 0);
});

describe("the command line", () => {
  const run = (args, env = {}) => spawnSync(STDIO_BIN, args, { env: { PATH: process.env.PATH, ...env }, encoding: "utf8", timeout: 10_000, input: "" });

  test("--version and --help print to stdout and exit 0", () => {
    const version = run(["--version"]);
    assert.equal(version.status, 0);
    assert.match(version.stdout, /^sentry-mcp \d+\.\d+\.\d+\n$/);
    const help = run(["--help"]);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Usage: sentry-mcp \[--access-token=<token>\]/);
    assert.match(help.stdout, /sentry-mcp auth login\|status\|logout/);
  });

  test("--help into a pipe whose reader has gone (`sentry-mcp --help | head`) exits 0, no panic", () => {
    // The reader (`true`) is gone before the binary writes: a deterministic broken pipe.
    const r = spawnSync("sh", ["-c", '{ sleep 0.3; "$BIN" --help; echo "status=$?" >&2; } | true'], { env: { PATH: process.env.PATH, BIN: STDIO_BIN }, encoding: "utf8", timeout: 10_000 });
    assert.match(r.stderr, /status=0/, r.stderr);
    assert.doesNotMatch(r.stderr, /panicked/);
  });

  test("a missing token is a clear error and a non-zero exit, with nothing on stdout", () => {
    const r = run([`--url=${EMULATOR_URL}`, "--insecure-http"]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /no Sentry access token: run `sentry-mcp auth login`.*or pass --access-token=<token> or set SENTRY_ACCESS_TOKEN/);
  });

  test("an unknown flag prints the usage and exits non-zero", () => {
    const r = run(["--access-token=x", "--acess-token=typo"]);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /--acess-token/);
    assert.match(r.stderr, /Usage: sentry-mcp/);
  });

  test("configuration mistakes name the fix", () => {
    const http = run([`--url=${EMULATOR_URL}`], { SENTRY_ACCESS_TOKEN: "x" });
    assert.equal(http.status, 1);
    assert.match(http.stderr, /uses http:\/\/.*--insecure-http/);
    const saas = run(["--insecure-http"], { SENTRY_ACCESS_TOKEN: "x" });
    assert.equal(saas.status, 1);
    assert.match(saas.stderr, /sentry\.io is always reached over https/);
    const skills = run(["--skills=docs"], { SENTRY_ACCESS_TOKEN: "x" });
    assert.equal(skills.status, 1);
    assert.match(skills.stderr, /unknown skill 'docs'/);
  });
});

describe("shutdown", () => {
  for (const how of ["end of input", "SIGTERM", "SIGINT"]) {
    test(`idle: ${how} exits 0 at once`, async () => {
      const proc = start();
      send(proc, init());
      await until(answered(proc, [1]), "initialize");
      if (how === "end of input") proc.child.stdin.end();
      else proc.child.kill(how);
      const r = await exit(proc, 3_000);
      assert.deepEqual([r.code, r.signal], [0, null]);
      assert.ok(r.ms < 1_000, `${r.ms} ms`);
      assert.match(proc.stderr, new RegExp(`"reason":"${how}"`));
    });
  }

  test("SIGTERM does not wait for a slow Sentry call", async () => {
    const proc = await slowCallInFlight();
    proc.child.kill("SIGTERM");
    const r = await exit(proc, 3_000);
    assert.deepEqual([r.code, r.signal], [0, null]);
    assert.ok(r.ms < 1_000, `${r.ms} ms`);
  });

  test("end of input gives a slow call a short grace, then exits", async () => {
    const proc = await slowCallInFlight();
    proc.child.stdin.end();
    const r = await exit(proc, 4_500);
    assert.deepEqual([r.code, r.signal], [0, null]);
    assert.ok(r.ms < 3_000, `${r.ms} ms`);
    assert.match(proc.stderr, /"abandoned_requests":1/);
  });

  test("notifications/cancelled aborts the request: no answer, nothing left to wait for", async () => {
    const proc = await slowCallInFlight();
    send(proc, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 7, reason: "user" } }, rpc("ping", {}, 2));
    await until(answered(proc, [2]), "ping");
    proc.child.stdin.end();
    const r = await exit(proc, 3_000);
    assert.equal(r.code, 0);
    assert.ok(r.ms < 1_000, `${r.ms} ms`);
    assert.equal(messages(proc).some((m) => m.id === 7), false, "the cancelled request got no answer");
    assert.match(proc.stderr, /"event":"request_cancelled"/);
    assert.match(proc.stderr, /"abandoned_requests":0/);
  });
});
