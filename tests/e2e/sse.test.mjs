// The legacy HTTP+SSE transport (2024-11-05) against the worker in workerd, with the official
// TypeScript SDK's SSEClientTransport and over raw HTTP: GET /sse opens a stream whose first event
// names the message URL; POSTs there answer 202 and the answers come on the stream. Same tools,
// output, constraints and credentials as /mcp; sessions are bound to the credential that opened
// them, end when idle (the `limited` instance runs with MCP_SSE_IDLE_SECS=3) and many run at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { ALL_TOOLS, ORIGIN, READONLY_TOKEN, VALID_TOKEN, call, nonceOf } from "./helpers.mjs";

const LIMITED = process.env.LIMITED_ORIGIN;

async function sseClient(path = "/sse", token = VALID_TOKEN, origin = ORIGIN) {
  const client = new Client({ name: "e2e-ts-sdk-sse", version: "1.0.0" });
  // requestInit's headers go on the GET that opens the stream and on every POST.
  const transport = new SSEClientTransport(new URL(path, origin), {
    requestInit: { headers: { Authorization: `Sentry-Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

/** Open a session over raw HTTP; returns { messageUrl, next(), close() } where next() reads one event. */
async function rawSession(path = "/sse", token = VALID_TOKEN, origin = ORIGIN) {
  const controller = new AbortController();
  const res = await fetch(new URL(path, origin), { headers: { authorization: `Sentry-Bearer ${token}`, accept: "text/event-stream" }, signal: controller.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /^text\/event-stream/);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  async function next(ms = 10_000) {
    const deadline = Date.now() + ms;
    while (!buffer.includes("\n\n")) {
      if (Date.now() > deadline) throw new Error("no event in time");
      const timer = new Promise((r) => setTimeout(() => r({ timeout: true }), Math.max(1, deadline - Date.now())));
      const chunk = await Promise.race([reader.read(), timer]);
      if (chunk.timeout) continue;
      if (chunk.done) return null;
      buffer += decoder.decode(chunk.value, { stream: true });
    }
    const end = buffer.indexOf("\n\n");
    const raw = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    return raw;
  }
  const first = await next();
  assert.match(first, /^event: endpoint\ndata: \/message\?sessionId=[0-9a-f]{64}$/);
  const messageUrl = new URL(first.split("data: ")[1], origin).toString();
  return { messageUrl, next, close: () => controller.abort() };
}

const postTo = (url, body, token = VALID_TOKEN) => fetch(url, {
  method: "POST", signal: AbortSignal.timeout(30_000),
  headers: { "content-type": "application/json", ...(token ? { authorization: `Sentry-Bearer ${token}` } : {}) },
  body: JSON.stringify(body),
});

test("TypeScript SDK over SSE: initialize, list and call tools with the same output as /mcp", async () => {
  const client = await sseClient();
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name), ALL_TOOLS);
  const who = await call(client, "whoami");
  assert.equal(who.isError, false, who.text);
  assert.match(who.text, /Jane Doe/);
  const issue = await call(client, "get_issue_details", { organizationSlug: "acme", issueId: "API-SERVER-2A" });
  assert.equal(issue.isError, false, issue.text);
  assert.ok(nonceOf(issue.text), "application data is inside the untrusted-data boundary");
  await client.close();
});

test("SSE sessions keep /mcp's constraints and skills: /sse/acme?skills=inspect", async () => {
  const client = await sseClient("/sse/acme?skills=inspect");
  const { tools } = await client.listTools();
  assert.ok(!tools.some((t) => t.name === "update_issue"), "skills narrow the catalogue");
  assert.ok(!tools.find((t) => t.name === "search_issues").inputSchema.properties.organizationSlug, "the org constraint hides the parameter");
  const other = await call(client, "get_issue_details", { issueUrl: "https://globex.sentry.io/issues/7001/" });
  assert.equal(other.isError, true, "another org's link is refused");
  await client.close();
});

test("Seer progress notifications flow on the SSE stream", async () => {
  const client = await sseClient();
  const progress = [];
  const result = await client.callTool(
    { name: "analyze_issue_with_seer", arguments: { organizationSlug: "acme", issueId: "API-SERVER-2Q", waitSeconds: 20 } },
    undefined,
    { onprogress: (p) => progress.push(p), timeout: 60_000 },
  );
  assert.equal(result.isError, false, result.content[0].text);
  assert.match(result.content[0].text, /completed/);
  assert.ok(progress.length >= 1, "at least one progress notification arrived over SSE");
  await client.close();
});

test("raw: POST answers 202 and the answer comes on the stream; another credential is refused", async () => {
  const s = await rawSession();
  const init = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2024-11-05", capabilities: {}, clientInfo: { name: "raw", version: "1" } } };
  const accepted = await postTo(s.messageUrl, init);
  assert.equal(accepted.status, 202);
  let event = await s.next();
  while (event.startsWith(":")) event = await s.next();
  assert.match(event, /^event: message\ndata: /);
  assert.equal(JSON.parse(event.slice(event.indexOf("data: ") + 6)).result.protocolVersion, "2024-11-05");
  const foreign = await postTo(s.messageUrl, { jsonrpc: "2.0", id: 2, method: "ping" }, READONLY_TOKEN);
  assert.equal(foreign.status, 403, "a session belongs to the credential that opened it");
  const none = await postTo(s.messageUrl, { jsonrpc: "2.0", id: 3, method: "ping" }, null);
  assert.equal(none.status, 401);
  const unknown = await postTo(`${ORIGIN}/message?sessionId=${"0".repeat(64)}`, { jsonrpc: "2.0", id: 4, method: "ping" });
  assert.equal(unknown.status, 404);
  const malformed = await postTo(`${ORIGIN}/message?sessionId=nope`, { jsonrpc: "2.0", id: 5, method: "ping" });
  assert.equal(malformed.status, 400);
  s.close();
});

test("an idle session sends keep-alives, then ends; its message URL is gone", { skip: !LIMITED }, async () => {
  // A token of its own: the limited instance allows each caller 5 requests a minute.
  const token = `sntryu_sse_idle_${Date.now()}`;
  const s = await rawSession("/sse", token, LIMITED);
  const events = [];
  for (let i = 0; i < 10; i++) {
    const e = await s.next(10_000);
    if (e === null) break;
    events.push(e);
  }
  assert.ok(events.some((e) => e.startsWith(": keep-alive")), "keep-alive comments while idle");
  assert.ok(events.length < 10, "the stream ended");
  const late = await postTo(s.messageUrl, { jsonrpc: "2.0", id: 1, method: "ping" }, token);
  assert.equal(late.status, 404);
  s.close();
});

test("a closed stream ends its session", async () => {
  const s = await rawSession();
  s.close();
  let status = 202;
  for (let i = 0; i < 20 && status !== 404; i++) {
    await new Promise((r) => setTimeout(r, 250));
    status = (await postTo(s.messageUrl, { jsonrpc: "2.0", id: 1, method: "ping" })).status;
  }
  assert.equal(status, 404);
});

test("many concurrent SSE sessions, each answered on its own stream", async () => {
  const clients = await Promise.all(Array.from({ length: 12 }, () => sseClient()));
  const answers = await Promise.all(clients.map((c) => call(c, "find_projects", { organizationSlug: "acme" })));
  for (const a of answers) {
    assert.equal(a.isError, false, a.text);
    assert.match(a.text, /web-frontend/);
  }
  await Promise.all(clients.map((c) => c.close()));
});
