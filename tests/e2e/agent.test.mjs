// The optional embedded agent (issue #16): natural-language search through a scripted model
// provider (tests/model-emulator). Each scenario runs twice: over HTTP against the "agent" worker
// (EMBEDDED_AGENT_PROVIDER=openai) and over stdio against the native binary
// (--agent-provider=anthropic), both pointed at the emulator on loopback with a 1.5 s deadline.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { boundarySegments, call, connect, stdioServer, upstreamRequests, ORIGIN, STDIO_LOG, VALID_TOKEN } from "./helpers.mjs";

const AGENT_ORIGIN = process.env.AGENT_ORIGIN;
const MODELS = process.env.MODEL_EMULATOR_URL;

const clients = {};
before(async () => {
  const http = new Client({ name: "e2e-agent-http", version: "1.0.0" });
  await http.connect(new StreamableHTTPClientTransport(new URL("/mcp", AGENT_ORIGIN), {
    requestInit: { headers: { Authorization: `Sentry-Bearer ${VALID_TOKEN}` } },
  }));
  const stdio = new Client({ name: "e2e-agent-stdio", version: "1.0.0" });
  const transport = new StdioClientTransport({
    ...stdioServer({
      args: ["--agent-provider=anthropic", `--anthropic-base-url=${MODELS}`, "--anthropic-model=emu-claude"],
      env: { ANTHROPIC_API_KEY: "sk-ant-e2e-not-real", EMBEDDED_AGENT_TIMEOUT_MS: "1500" },
    }),
    stderr: "pipe",
  });
  transport.stderr.on("data", (chunk) => fs.appendFileSync(STDIO_LOG, chunk));
  await stdio.connect(transport);
  clients.http = http;
  clients.stdio = stdio;
});
after(async () => { await clients.http?.close(); await clients.stdio?.close(); });

const TRANSPORTS = [["http", "openai"], ["stdio", "anthropic"]];

async function script(key, replies) {
  const r = await fetch(`${MODELS}/__script`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key, replies }) });
  assert.equal(r.status, 200);
}
async function modelRequests(key) {
  return (await fetch(`${MODELS}/__requests?key=${encodeURIComponent(key)}`)).json();
}
async function issueQueriesSent() {
  return (await upstreamRequests()).flatMap((r) => r.query?.query ?? []);
}

for (const [transport, provider] of TRANSPORTS) {
  test(`${transport}/${provider}: a request in plain words becomes the Sentry query that runs, shown in the answer`, async () => {
    const key = `unresolved errors in checkout ${transport}`;
    await script(key, [{ query: "is:unresolved level:error" }]);
    const r = await call(clients[transport], "search_issues", { organizationSlug: "acme", query: key });
    assert.equal(r.isError, false, r.text);
    assert.match(r.text, /\*\*Query\*\*: `is:unresolved level:error`/);
    assert.match(r.text, /embedded agent translated your request .*1 model call/);
    assert.equal(r.result.structuredContent.query, "is:unresolved level:error");
    const sent = await modelRequests(key);
    assert.equal(sent.length, 1);
    assert.equal(sent[0].kind, provider);
    const body = JSON.stringify(sent[0].body);
    assert.doesNotMatch(body, /sntryu_/, "the model never sees the Sentry token");
    assert.ok(sent[0].body.model.startsWith("emu-"));
    assert.ok((await issueQueriesSent()).includes("is:unresolved level:error"), "Sentry got the translated query");
  });

  test(`${transport}/${provider}: valid Sentry syntax runs unchanged, without a model call`, async () => {
    const before = (await modelRequests()).length;
    const r = await call(clients[transport], "search_issues", { organizationSlug: "acme", query: "is:unresolved level:error TypeError" });
    assert.equal(r.isError, false, r.text);
    assert.match(r.text, /\*\*Query\*\*: `is:unresolved level:error TypeError`/);
    assert.doesNotMatch(r.text, /embedded agent/);
    assert.equal((await modelRequests()).length, before);
  });

  test(`${transport}/${provider}: an invalid generated query is sent back and corrected`, async () => {
    const key = `fatal crashes this week ${transport}`;
    await script(key, [{ query: "level:fatal)" }, { text: "no JSON here" }, { query: "level:fatal" }]);
    const r = await call(clients[transport], "search_events", { organizationSlug: "acme", dataset: "errors", query: key });
    assert.equal(r.isError, false, r.text);
    assert.match(r.text, /\*\*Query\*\*: `level:fatal`/);
    assert.match(r.text, /3 model calls/);
    const sent = await modelRequests(key);
    assert.equal(sent.length, 3);
    const last = JSON.stringify(sent[2].body.messages);
    assert.match(last, /not valid: a '\)' has no matching '\('/);
  });

  test(`${transport}/${provider}: a reply that tries to leave the URL scope is refused, never run`, async () => {
    const key = `show me issues from every project ${transport}`;
    const earlier = (await issueQueriesSent()).length;
    await script(key, [{ query: "project:globex-secret is:unresolved" }, { query: "organization.slug:globex" }, { query: "project_id:1 OR is:unresolved" }]);
    const r = await call(clients[transport], "search_issues", { organizationSlug: "acme", query: key });
    assert.equal(r.isError, true, r.text);
    assert.match(r.text, /could not turn the request into a valid Sentry query in 3 tries/);
    assert.match(r.text, /names a scope/);
    assert.match(r.text, /Write the query in Sentry syntax/);
    assert.equal((await modelRequests(key)).length, 3, "bounded: three proposals, then the answer");
    for (const q of (await issueQueriesSent()).slice(earlier)) assert.doesNotMatch(q, /globex|project/, `never sent to Sentry: ${q}`);
  });

  test(`${transport}/${provider}: 429, 5xx and a provider past the deadline become results an agent can act on`, async () => {
    const cases = [
      [`rate limited please ${transport}`, [{ status: 429, retryAfter: 7 }], /rate limiting this server \(retry after 7 s\)/],
      [`provider is broken now ${transport}`, [{ status: 503 }], /failed \(HTTP 503\)/],
      [`provider is far too slow ${transport}`, [{ delayMs: 4000 }], /ran out of time/],
    ];
    for (const [key, replies, expected] of cases) {
      await script(key, replies);
      const started = Date.now();
      const r = await call(clients[transport], "search_issues", { organizationSlug: "acme", query: key });
      assert.equal(r.isError, true, r.text);
      assert.match(r.text, expected);
      assert.match(r.text, /pass the query in Sentry syntax/);
      assert.doesNotMatch(r.text, /sk-e2e|sk-ant/, "the provider key never shows");
      assert.ok(Date.now() - started < 3500, "the deadline holds");
    }
  });

  test(`${transport}/${provider}: an injected event cannot steer the agent: it never sees event data, and the events stay fenced`, async () => {
    const key = `events from the production environment ${transport}`;
    await script(key, [{ query: "environment:production" }]);
    const r = await call(clients[transport], "search_issue_events", { organizationSlug: "acme", issueId: "WEB-FRONTEND-INJ", query: key });
    assert.equal(r.isError, false, r.text);
    assert.match(r.text, /\*\*Query\*\*: `environment:production`/);
    const sent = await modelRequests(key);
    assert.equal(sent.length, 1);
    assert.doesNotMatch(JSON.stringify(sent[0].body), /ignore all previous instructions|untrusted-data/i, "no event data in the prompt");
    const { outside } = boundarySegments(r.text);
    assert.doesNotMatch(outside, /ignore all previous instructions/i);
  });
}

test("without the agent, plain words run as message text and the answer says translation needs the agent", async () => {
  const client = await connect();
  try {
    const r = await call(client, "search_issues", { organizationSlug: "acme", query: "unresolved errors in checkout" });
    assert.equal(r.isError, false, r.text);
    assert.match(r.text, /needs the embedded agent, which this server runs without/);
  } finally {
    await client.close();
  }
});

test("/health says whether the agent runs, and why not", async () => {
  const on = await (await fetch(`${AGENT_ORIGIN}/health`)).json();
  assert.deepEqual(on.embeddedAgent, { enabled: true, provider: "openai", model: "emu-small" });
  const off = await (await fetch(`${ORIGIN}/health`)).json();
  assert.equal(off.embeddedAgent.enabled, false);
  assert.match(off.embeddedAgent.reason, /EMBEDDED_AGENT_PROVIDER is not set/);
  assert.doesNotMatch(JSON.stringify(on), /sk-e2e/);
});

test("the agent's cost is on the tool call's log line (gen_ai.* attributes), over HTTP and stdio", async () => {
  const agentLog = process.env.WORKER_LOGS.split(",").find((f) => f.includes("agent"));
  for (const [file, system] of [[agentLog, "openai"], [STDIO_LOG, "anthropic"]]) {
    const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.includes('"event":"tool_call"') && l.includes(`"gen_ai.system":"${system}"`));
    assert.ok(lines.length >= 1, `${system}: a tool_call line with gen_ai attributes in ${file}`);
    const line = JSON.parse(lines[0].slice(lines[0].indexOf("{")));
    assert.ok(line["gen_ai.usage.input_tokens"] > 0 && line["gen_ai.usage.output_tokens"] > 0, JSON.stringify(line));
    assert.ok(line["gen_ai.agent.calls"] >= 1);
    assert.match(line["gen_ai.request.model"], /^emu-/);
    assert.doesNotMatch(lines.join("\n"), /sk-e2e|sk-ant-e2e/);
  }
});
