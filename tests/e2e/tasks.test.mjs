// Seer as an MCP task, driven the way each kind of client drives it, against the worker in
// workerd and the emulator's Seer (a run reports "processing" twice, then "completed"):
// - the official TypeScript SDK client with the experimental tasks of 2025-11-25
//   (`client.experimental.tasks.callToolStream`: task created, polled with tasks/get, result
//   fetched with tasks/result);
// - raw HTTP for the 2026-07-28 tasks extension (the SDK does not speak it), polling on requests
//   that share nothing: one of them goes to a second, separate workerd instance;
// - the native binary over stdio, the same extension flow.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import readline from "node:readline";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ORIGIN, READONLY_TOKEN, VALID_TOKEN, nonceOf, post, resetUpstream, stdioServer, upstreamRequests } from "./helpers.mjs";

const LIMITED_ORIGIN = process.env.LIMITED_ORIGIN;
const TASKS = "io.modelcontextprotocol/tasks";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(resetUpstream);

/** A modern request declaring (or not) the tasks extension. */
function modern(method, params, { id = 1, name, token = VALID_TOKEN, extension = true } = {}) {
  const capabilities = extension ? { extensions: { [TASKS]: {} } } : {};
  const body = { jsonrpc: "2.0", id, method, params: { ...params, _meta: {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": capabilities,
    "io.modelcontextprotocol/clientInfo": { name: "raw-modern", version: "1" } } } };
  const headers = { authorization: `Sentry-Bearer ${token}`, "mcp-protocol-version": "2026-07-28", "mcp-method": method };
  if (name) headers["mcp-name"] = name;
  return { body, headers };
}

const seer = (issueId) => ({ name: "analyze_issue_with_seer", arguments: { organizationSlug: "acme", issueId } });

test("TypeScript SDK, 2025-11-25 experimental tasks: created, polled, result", async () => {
  const client = new Client({ name: "e2e-ts-sdk-tasks", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", ORIGIN), {
    requestInit: { headers: { Authorization: `Sentry-Bearer ${VALID_TOKEN}` } },
  }));
  try {
    assert.deepEqual(client.getServerCapabilities().tasks, { requests: { tools: { call: {} } } });
    const { tools } = await client.listTools();
    assert.deepEqual(tools.find((t) => t.name === "analyze_issue_with_seer").execution, { taskSupport: "optional" });
    assert.equal(tools.filter((t) => t.execution).length, 1, "only Seer runs as a task");

    const seen = [];
    let result;
    const started = Date.now();
    for await (const message of client.experimental.tasks.callToolStream(seer("API-SERVER-2F"), undefined, { timeout: 90_000 })) {
      seen.push(message.type);
      if (message.type === "taskCreated") assert.equal(message.task.status, "working");
      if (message.type === "error") throw message.error;
      if (message.type === "result") result = message.result;
    }
    assert.equal(seen[0], "taskCreated", seen.join());
    assert.ok(seen.includes("taskStatus"), `the client polled tasks/get: ${seen.join()}`);
    const text = result.content[0].text;
    assert.equal(result.isError, false, text);
    assert.match(text, /\*\*Status\*\*: completed · existing run/);
    assert.match(text, /## Root cause/);
    assert.ok(nonceOf(text), "Seer's output is inside the boundary");
    const posts = (await upstreamRequests()).filter((q) => q.method === "POST" && q.path.endsWith("/issues/4106/autofix/"));
    assert.equal(posts.length, 1, "one run started");
    assert.ok(Date.now() - started < 60_000);
  } finally {
    await client.close();
  }
});

test("2026-07-28 tasks extension over raw HTTP: a task at once, polled on requests that share nothing", async () => {
  const c = modern("tools/call", seer("API-SERVER-2H"), { name: "analyze_issue_with_seer" });
  const created = await post("/mcp", c.body, c.headers);
  assert.equal(created.status, 200, created.text);
  const task = created.body.result;
  assert.equal(task.resultType, "task", created.text);
  assert.equal(task.status, "working");
  assert.equal(task.ttlMs, 3_600_000);
  assert.equal(task.pollIntervalMs, 5_000);
  assert.ok(!task.taskId.includes("acme") && !task.taskId.includes("4108"), "the id reveals nothing");

  // The next poll goes to a separate workerd process: no isolate, cache or memory in common.
  const g = modern("tasks/get", { taskId: task.taskId }, { id: 2, name: task.taskId });
  const elsewhere = await fetch(new URL("/mcp", LIMITED_ORIGIN), { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...g.headers }, body: JSON.stringify(g.body) });
  const first = await elsewhere.json();
  assert.equal(elsewhere.status, 200, JSON.stringify(first));
  assert.equal(first.result.taskId, task.taskId);
  assert.equal(first.result.resultType, "complete");
  assert.ok(["working", "completed"].includes(first.result.status));

  let done;
  for (let i = 0; i < 6 && !done; i++) {
    const r = await post("/mcp", g.body, g.headers);
    assert.equal(r.status, 200, r.text);
    if (r.body.result.status === "completed") done = r.body.result;
    else {
      assert.equal(r.body.result.status, "working");
      assert.match(r.body.result.statusMessage, /Seer is processing/);
      await sleep(200);
    }
  }
  assert.ok(done, "the run completed within the emulator's three polls");
  assert.equal(done.result.isError, false);
  assert.match(done.result.content[0].text, /\*\*Status\*\*: completed/);
  assert.ok(nonceOf(done.result.content[0].text));

  // The header must name the task; an altered, foreign or unknown id is refused (-32602).
  const noName = await post("/mcp", g.body, { ...g.headers, "mcp-name": "other" });
  assert.equal(noName.status, 400);
  assert.equal(noName.body.error.code, -32020);
  const foreign = modern("tasks/get", { taskId: task.taskId }, { id: 3, name: task.taskId, token: READONLY_TOKEN });
  const refused = await post("/mcp", foreign.body, foreign.headers);
  assert.equal(refused.status, 200);
  assert.equal(refused.body.error.code, -32602);
  assert.match(refused.body.error.message, /Task not found/);
  const cancel = modern("tasks/cancel", { taskId: task.taskId }, { id: 4, name: task.taskId });
  const ack = await post("/mcp", cancel.body, cancel.headers);
  assert.deepEqual(Object.keys(ack.body.result).sort(), ["_meta", "resultType"]);
});

test("a modern client without the extension keeps the bounded wait", async () => {
  const c = modern("tools/call", { ...seer("API-SERVER-2Q"), arguments: { ...seer("API-SERVER-2Q").arguments, waitSeconds: 0 } }, { name: "analyze_issue_with_seer", extension: false });
  const r = await post("/mcp", c.body, c.headers);
  assert.equal(r.body.result.resultType, "complete", r.text);
  assert.match(r.body.result.content[0].text, /still running/);
});

test("stdio: the native binary answers the same task flow", async () => {
  const server = stdioServer();
  const child = spawn(server.command, server.args, { env: { ...process.env, ...server.env }, stdio: ["pipe", "pipe", "ignore"] });
  const lines = readline.createInterface({ input: child.stdout });
  const pending = new Map();
  lines.on("line", (line) => {
    const m = JSON.parse(line);
    pending.get(m.id)?.(m);
  });
  const ask = (body) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to ${body.method}`)), 20_000);
    pending.set(body.id, (m) => { clearTimeout(timer); resolve(m); });
    child.stdin.write(JSON.stringify(body) + "\n");
  });
  try {
    const created = await ask(modern("tools/call", seer("WEB-FRONTEND-7K"), { id: 1 }).body);
    assert.equal(created.result.resultType, "task", JSON.stringify(created));
    let status;
    for (let i = 2; i < 8 && status !== "completed"; i++) {
      const got = await ask(modern("tasks/get", { taskId: created.result.taskId }, { id: i }).body);
      status = got.result.status;
      if (status === "completed") assert.match(got.result.result.content[0].text, /## Root cause/);
    }
    assert.equal(status, "completed");
  } finally {
    child.kill("SIGTERM");
  }
});
