// Telemetry in workerd: structured log lines per request and tool call, reportable errors sent to
// Sentry's envelope endpoint (the emulator plays it) with the event id shown to the user, sampled
// transactions, per-caller rate limits, and /health.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { call, connect, EMULATOR_URL, ORIGIN, post, rpc, VALID_TOKEN } from "./helpers.mjs";

const LIMITED = process.env.LIMITED_ORIGIN;
let client;
before(async () => { client = await connect({ path: "/mcp/acme" }); });
after(async () => client?.close());

/** JSON log lines the worker printed (wrangler prefixes warnings; the JSON object is intact). */
function logLines(file = process.env.WORKER_LOG) {
  return fs.readFileSync(file, "utf8").split("\n").flatMap((l) => {
    const at = l.indexOf('{"');
    if (at < 0) return [];
    try { return [JSON.parse(l.slice(at).replace(/\u001b\[[0-9;]*m/g, ""))]; } catch { return []; }
  });
}

async function envelopes() {
  return (await fetch(`${EMULATOR_URL}/__emulator/envelopes`)).json();
}

async function waitForEnvelope(predicate, ms = 8000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const found = (await envelopes()).find(predicate);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}

test("one log line per tool call and per HTTP request, with OpenTelemetry-style attributes", async () => {
  await call(client, "search_issues", { limit: 1 });
  await new Promise((r) => setTimeout(r, 300));
  const lines = logLines();
  const tool = lines.filter((l) => l.event === "tool_call" && l["gen_ai.tool.name"] === "search_issues").at(-1);
  assert.ok(tool, "a tool_call line");
  assert.equal(tool["mcp.method.name"], "tools/call");
  assert.equal(tool["app.transport"], "http");
  assert.equal(tool["network.transport"], "tcp");
  assert.equal(tool["app.access.method"], "sentry-bearer");
  assert.equal(tool["organization.slug"], "acme");
  assert.equal(tool.outcome, "ok");
  assert.equal(tool["upstream.status_code"], 200);
  assert.ok(["node", "other"].includes(tool["app.client.family"]), tool["app.client.family"]);
  assert.equal(typeof tool.duration_ms, "number");
  const req = lines.filter((l) => l.event === "http_request" && l["http.route"] === "/mcp/:organizationSlug").at(-1);
  assert.ok(req, "an http_request line with the normalised route");
  assert.equal(req["http.response.status_code"], 200);
  assert.ok(lines.every((l) => !JSON.stringify(l).includes("acme/issues")), "routes carry no ids");
});

test("a reportable failure is sent to Sentry and its event id is shown; an expected one is not", async () => {
  const before = (await envelopes()).length;
  const r = await call(client, "search_events", { organizationSlug: "ignored" });
  assert.equal(r.isError, false, "constraint org acme is used");
  const fault = await connect({ path: "/mcp/fault-500" });
  try {
    const failed = await call(fault, "search_issues", {});
    assert.equal(failed.isError, true);
    const id = failed.text.match(/reported to the server's operators as Sentry event ([0-9a-f]{32})/)?.[1];
    assert.ok(id, failed.text);
    const env = await waitForEnvelope((e) => e.header?.event_id === id);
    assert.ok(env, "the report arrived");
    assert.equal(env.itemHeader.type, "event");
    assert.equal(env.payload.environment, "e2e");
    assert.equal(env.payload.exception.values[0].type, "upstream_server_error");
    assert.equal(env.payload.tags.tool, "search_issues");
    assert.equal(env.payload.tags["http.route"], "/mcp/:organizationSlug");
    assert.equal(env.payload.tags["app.transport"], "http");
    assert.match(env.headers["x-sentry-auth"], /sentry_key=e2epublickey/);
    assert.equal(env.headers.authorization, undefined);
    assert.equal(env.raw.includes(VALID_TOKEN), false);

    const expected = await call(client, "get_issue_details", { issueId: "NOPE-1" });
    assert.equal(expected.isError, true);
    assert.doesNotMatch(expected.text, /reported to the server's operators/);
  } finally {
    await fault.close();
  }
  assert.ok((await envelopes()).length > before);
});

test("sampled transactions carry a span per tool call and per upstream call", async () => {
  const sampled = await connect({ path: "/mcp", headers: {} });
  await sampled.close();
  const res = await fetch(`${LIMITED}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", authorization: `Sentry-Bearer ${VALID_TOKEN}`, "mcp-protocol-version": "2025-11-25" },
    body: JSON.stringify(rpc("tools/call", { name: "whoami", arguments: {} })),
  });
  assert.equal(res.status, 200);
  const tx = await waitForEnvelope((e) => e.itemHeader?.type === "transaction" && e.payload.spans?.some((s) => s.description === "tools/call whoami"));
  assert.ok(tx, "a transaction arrived");
  assert.equal(tx.payload.transaction, "POST /mcp");
  assert.ok(tx.payload.spans.some((s) => s.op === "http.client" && s.description.includes("/api/0/")));
  assert.equal(tx.raw.includes(VALID_TOKEN), false);
});

test("MCP spans in Sentry's conventions: op mcp.server, canonical and legacy attributes, the caller's trace continued", async () => {
  const headers = { "content-type": "application/json", accept: "application/json", authorization: `Sentry-Bearer ${VALID_TOKEN}`, "mcp-protocol-version": "2025-11-25" };
  const traceId = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const parent = "b7ad6b7169203331";
  const res = await fetch(`${LIMITED}/mcp`, {
    method: "POST",
    headers,
    body: JSON.stringify({ jsonrpc: "2.0", id: "call-1", method: "tools/call", params: { name: "whoami", arguments: {}, _meta: { traceparent: `00-${traceId}-${parent}-01` } } }),
  });
  assert.equal(res.status, 200);
  await res.arrayBuffer();
  const tx = await waitForEnvelope((e) => e.itemHeader?.type === "transaction" && e.payload.contexts?.trace?.trace_id === traceId);
  assert.ok(tx, "the transaction continues the caller's trace");
  assert.equal(tx.payload.contexts.trace.parent_span_id, parent);
  const span = tx.payload.spans.find((s) => s.op === "mcp.server");
  assert.ok(span, JSON.stringify(tx.payload.spans));
  assert.equal(span.description, "tools/call whoami");
  assert.equal(span.status, "ok");
  assert.deepEqual(
    Object.fromEntries(["mcp.method.name", "jsonrpc.request.id", "mcp.request.id", "gen_ai.tool.name", "mcp.tool.name", "gen_ai.operation.name", "mcp.protocol.version", "mcp.server.name", "mcp.transport", "network.transport", "mcp.tool.result.is_error", "mcp.tool.result.content_count"].map((k) => [k, span.data[k]])),
    { "mcp.method.name": "tools/call", "jsonrpc.request.id": "call-1", "mcp.request.id": "call-1", "gen_ai.tool.name": "whoami", "mcp.tool.name": "whoami", "gen_ai.operation.name": "execute_tool", "mcp.protocol.version": "2025-11-25", "mcp.server.name": "sentry-mcp-rs", "mcp.transport": "http", "network.transport": "tcp", "mcp.tool.result.is_error": false, "mcp.tool.result.content_count": 1 },
  );
  assert.ok(span.data["mcp.server.version"]);
  const upstream = tx.payload.spans.find((s) => s.op === "http.client");
  assert.equal(upstream.parent_span_id, span.span_id, "the call to Sentry is a child of the tool call");
  assert.equal(tx.raw.includes(VALID_TOKEN), false);
  assert.equal(JSON.stringify(span.data).includes("jane@example.com"), false, "no result content");

  // initialize names the client; a failed tool call is a failed span typed tool_error.
  const init = await fetch(`${LIMITED}/mcp`, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "span-check", version: "9.9" } } }) });
  await init.arrayBuffer();
  const initTx = await waitForEnvelope((e) => e.itemHeader?.type === "transaction" && e.payload.spans?.some((s) => s.data?.["mcp.client.name"] === "span-check"));
  const initSpan = initTx.payload.spans.find((s) => s.op === "mcp.server");
  assert.equal(initSpan.description, "initialize");
  assert.equal(initSpan.data["mcp.client.version"], "9.9");
  assert.equal(initSpan.data["mcp.protocol.version"], "2025-06-18");
  const failed = await fetch(`${LIMITED}/mcp`, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "get_issue_details", arguments: { issueId: "NOPE-1", organizationSlug: "acme" } } }) });
  assert.equal((await failed.json()).result.isError, true);
  const failedTx = await waitForEnvelope((e) => e.itemHeader?.type === "transaction" && e.payload.spans?.some((s) => s.description === "tools/call get_issue_details" && s.data?.["jsonrpc.request.id"] === "2" && s.data?.["error.type"] === "tool_error"));
  assert.ok(failedTx, "a failed tool call is typed tool_error");
  assert.equal(failedTx.payload.spans.find((s) => s.op === "mcp.server").status, "internal_error");
});

test("per-caller rate limit: 429 with Retry-After and a JSON-RPC error; other callers unaffected", async () => {
  const token = `sntryu_ratelimit_${Date.now()}`;
  const statuses = [];
  let refused;
  for (let i = 0; i < 12; i++) {
    const r = await fetch(`${LIMITED}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Sentry-Bearer ${token}`, "mcp-protocol-version": "2025-11-25" },
      body: JSON.stringify(rpc("tools/list")),
    });
    statuses.push(r.status);
    if (r.status === 429) {
      refused = { retryAfter: r.headers.get("retry-after"), body: await r.json() };
      break;
    }
    await r.arrayBuffer();
  }
  assert.ok(refused, `a request was refused (${statuses.join(",")})`);
  assert.equal(refused.retryAfter, "60");
  assert.equal(refused.body.error.code, -32000);
  assert.match(refused.body.error.message, /Rate limit exceeded.*Wait 60 seconds/);
  const other = await fetch(`${LIMITED}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Sentry-Bearer ${token}-other`, "mcp-protocol-version": "2025-11-25" },
    body: JSON.stringify(rpc("tools/list")),
  });
  assert.equal(other.status, 200);
});

test("/health: version and configured features, no secrets, no auth", async () => {
  const r = await fetch(`${ORIGIN}/health`);
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.equal(body.status, "ok");
  assert.ok(body.version);
  assert.deepEqual(Object.keys(body.features).sort(), ["errorReporting", "metrics", "oauth", "rateLimits", "sentryBearer"]);
  assert.equal(body.features.errorReporting, true);
  assert.equal(body.features.oauth, true);
  assert.equal(body.features.rateLimits, false, "the main instance runs with MCP_RATE_LIMITS=off");
  assert.equal((await (await fetch(`${LIMITED}/health`)).json()).features.rateLimits, true);
  assert.equal(JSON.stringify(body).includes("e2epublickey"), false);
  assert.equal(JSON.stringify(body).includes(process.env.COOKIE_SECRET), false);
});

test("a batch costs what its tool calls would cost one by one, and holds at most 20 messages", async () => {
  const batch = (n, method = "tools/call") => Array.from({ length: n }, (_, i) => ({ jsonrpc: "2.0", id: i + 1, method, params: method === "tools/call" ? { name: "whoami", arguments: {} } : {} }));
  const send = (origin, token, body) => fetch(`${origin}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Sentry-Bearer ${token}`, "mcp-protocol-version": "2025-03-26" },
    body: JSON.stringify(body),
  });
  // The limited instance allows 5 calls a minute per caller: one batch of 6 tool calls is refused.
  const refused = await send(LIMITED, `sntryu_batch_${Date.now()}`, batch(6));
  assert.equal(refused.status, 429, await refused.text());
  const small = await send(LIMITED, `sntryu_batch_small_${Date.now()}`, batch(2, "ping"));
  assert.equal(small.status, 200, "pings are not tool calls");
  await small.arrayBuffer();
  const tooLong = await send(process.env.MCP_ORIGIN, "sntryu_e2e_valid_token_0123456789abcdef", batch(21, "ping"));
  assert.equal(tooLong.status, 400);
  assert.match((await tooLong.json()).error.message, /at most 20 messages/);
});

const register = (origin) => fetch(`${origin}/oauth/register`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ redirect_uris: ["http://127.0.0.1:9/cb"], token_endpoint_auth_method: "none", client_name: "limits" }),
});

test("registration limit: an address may register OAUTH_REGISTRATIONS_PER_HOUR clients an hour", async () => {
  // The limited instance allows 2 registrations an hour per address (before the per-address
  // limit below spends this address's budget).
  const statuses = [];
  let refused;
  for (let i = 0; i < 4 && !refused; i++) {
    const r = await register(LIMITED);
    statuses.push(r.status);
    if (r.status === 429) refused = { retryAfter: r.headers.get("retry-after"), body: await r.json() };
    else await r.arrayBuffer();
  }
  assert.deepEqual(statuses, [201, 201, 429]);
  assert.equal(refused.body.error, "too_many_requests");
  assert.ok(Number(refused.retryAfter) > 0);
});

test("per-address limit: unauthenticated /mcp and /oauth/* share an address's budget; authenticated callers behind it are not counted", async () => {
  // The limited instance allows 6 requests a minute per address; the registrations above used 3.
  const statuses = [];
  let refused;
  for (let i = 0; i < 12 && !refused; i++) {
    const r = await fetch(`${LIMITED}/mcp`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(rpc("tools/list")) });
    statuses.push(r.status);
    if (r.status === 429) refused = { retryAfter: r.headers.get("retry-after"), body: await r.json() };
    else await r.arrayBuffer();
  }
  assert.ok(refused, `an unauthenticated request was refused (${statuses.join(",")})`);
  assert.ok(statuses.slice(0, -1).every((s) => s === 401), statuses.join(","));
  assert.equal(refused.retryAfter, "60");
  assert.match(refused.body.error.message, /too many requests from this address/);
  const oauth = await fetch(`${LIMITED}/oauth/authorize?client_id=x`, { redirect: "manual" });
  assert.equal(oauth.status, 429, "the OAuth routes share the address's budget");
  await oauth.arrayBuffer();
  const forged = await fetch(`${LIMITED}/mcp`, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer not-one-of-ours" }, body: JSON.stringify(rpc("tools/list")) });
  assert.equal(forged.status, 429, "a token that does not authenticate names no caller");
  await forged.arrayBuffer();
  // An office: more people behind this address than its budget, each with their own token.
  for (let i = 0; i < 8; i++) {
    const r = await fetch(`${LIMITED}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Sentry-Bearer sntryu_office_${i}_${Date.now()}`, "mcp-protocol-version": "2025-11-25" },
      body: JSON.stringify(rpc("tools/list")),
    });
    assert.equal(r.status, 200, `caller ${i} behind the exhausted address`);
    await r.arrayBuffer();
  }
});

test("MCP_RATE_LIMITS=off: the main instance, whose limiters allow 2 a minute, never throttles", async () => {
  for (let i = 0; i < 6; i++) {
    const anonymous = await fetch(`${ORIGIN}/mcp`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(rpc("tools/list")) });
    assert.equal(anonymous.status, 401);
    await anonymous.arrayBuffer();
    const r = await fetch(`${ORIGIN}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Sentry-Bearer sntryu_unthrottled", "mcp-protocol-version": "2025-11-25" },
      body: JSON.stringify(rpc("tools/list")),
    });
    assert.equal(r.status, 200);
    await r.arrayBuffer();
  }
  const registrations = await Promise.all([1, 2, 3].map(() => register(ORIGIN)));
  assert.deepEqual(registrations.map((r) => r.status), [201, 201, 201]);
});
