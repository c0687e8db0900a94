// Protocol edge cases over raw HTTP against the worker in workerd (checklist ids from
// shared reference mcp-protocol.md section 9 in brackets).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ALL_TOOLS, ORIGIN, auth, modern, post, resetUpstream, rpc, upstreamRequests } from "./helpers.mjs";

const init = (version = "2025-11-25") => rpc("initialize", { protocolVersion: version, capabilities: {}, clientInfo: { name: "raw", version: "1" } });
const legacy = (v = "2025-11-25") => ({ ...auth(), "mcp-protocol-version": v });

test("initialize works statelessly and never issues a session id [5,14,26,27]", async () => {
  const r = await post("/mcp", init(), auth());
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("mcp-session-id"), null);
  assert.equal(r.body.result.protocolVersion, "2025-11-25");
  assert.equal(r.body.result.serverInfo.name, "sentry-mcp-rs");
  assert.ok(r.body.result.serverInfo.version);
  assert.deepEqual(r.body.result.capabilities.tools, { listChanged: false });
  for (const [asked, got] of [["2024-11-05", "2024-11-05"], ["2025-06-18", "2025-06-18"], ["2026-07-28", "2025-11-25"], ["1999-01-01", "2025-11-25"]]) {
    const r2 = await post("/mcp", init(asked), auth());
    assert.equal(r2.status, 200, asked);
    assert.equal(r2.body.result.protocolVersion, got, asked);
  }
});

test("notifications get 202 with an empty body [1,50]", async () => {
  for (const method of ["notifications/initialized", "notifications/cancelled"]) {
    const r = await post("/mcp", { jsonrpc: "2.0", method, params: { requestId: 7 } }, legacy());
    assert.equal(r.status, 202, method);
    assert.equal(r.text, "");
  }
});

test("GET and DELETE are 405 with Allow: POST [3,4]", async () => {
  for (const method of ["GET", "DELETE"]) {
    const r = await fetch(`${ORIGIN}/mcp`, { method, headers: { ...auth(), accept: "text/event-stream" } });
    assert.equal(r.status, 405, method);
    assert.match(r.headers.get("allow"), /POST/);
  }
});

test("tools/list needs no prior initialize and ignores Mcp-Session-Id [5,6,40]", async () => {
  const a = await post("/mcp", rpc("tools/list"), legacy());
  const b = await post("/mcp", rpc("tools/list"), { ...legacy(), "mcp-session-id": "made-up-session" });
  assert.equal(a.status, 200);
  assert.deepEqual(a.body, b.body);
  assert.equal(b.headers.get("mcp-session-id"), null);
  const names = a.body.result.tools.map((t) => t.name);
  assert.deepEqual(names, ALL_TOOLS);
});

test("unsupported MCP-Protocol-Version header is 400 [7]; absent means 2025-03-26 [8]", async () => {
  const r = await post("/mcp", rpc("tools/list"), legacy("1999-01-01"));
  assert.equal(r.status, 400);
  const absent = await post("/mcp", rpc("tools/list"), auth());
  assert.equal(absent.status, 200);
  const tool = absent.body.result.tools[0];
  assert.equal(tool.annotations.title, "Who am I", "2025-03-26 has annotations, with the title in them");
  assert.equal(tool.title, undefined, "title is 2025-06-18+");
});

test("version-gated tool fields [29]", async () => {
  const old = await post("/mcp", rpc("tools/list"), legacy("2024-11-05"));
  assert.equal(old.body.result.tools[0].annotations, undefined);
  const cur = await post("/mcp", rpc("tools/list"), legacy("2025-11-25"));
  const whoami = cur.body.result.tools[0];
  assert.equal(whoami.title, "Who am I");
  assert.deepEqual(whoami.annotations, { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true });
  assert.deepEqual(whoami.inputSchema, { type: "object", properties: {}, additionalProperties: false });
});

test("Origin and Host checks: foreign ones are 403, own origin is served [9]", async () => {
  assert.equal((await post("/mcp", init(), { ...auth(), origin: "http://evil.example.com" })).status, 403);
  assert.equal((await post("/mcp", init(), { ...auth(), origin: ORIGIN })).status, 200);
  assert.equal((await post("/mcp", init(), auth())).status, 200, "no Origin is fine");
});

test("malformed JSON, invalid JSON-RPC and batches [11,12,13]", async () => {
  const bad = await post("/mcp", "{not json", legacy());
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, -32700);
  assert.equal("id" in bad.body, false);
  const nullId = await post("/mcp", { jsonrpc: "2.0", id: null, method: "ping" }, legacy());
  assert.equal(nullId.status, 400);
  assert.equal(nullId.body.error.code, -32600);
  const noVersion = await post("/mcp", { id: 3, method: "ping" }, legacy());
  assert.equal(noVersion.status, 400);
  assert.equal(noVersion.body.id, 3);
  const batch = [rpc("ping", {}, 1), rpc("tools/list", {}, 2), { jsonrpc: "2.0", method: "notifications/initialized" }];
  const ok = await post("/mcp", batch, legacy("2025-03-26"));
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body.map((m) => m.id), [1, 2]);
  const refused = await post("/mcp", batch, legacy("2025-06-18"));
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error.code, -32600);
});

test("protocol errors ride HTTP 200 in the legacy era [15,42,49,51]", async () => {
  const ping = await post("/mcp", rpc("ping"), legacy());
  assert.deepEqual(ping.body.result, {});
  const unknown = await post("/mcp", rpc("resources/subscribe", { uri: "sentry://acme/issues/WEB-FRONTEND-7K" }), legacy());
  assert.equal(unknown.status, 200);
  assert.equal(unknown.body.error.code, -32601);
  const tool = await post("/mcp", rpc("tools/call", { name: "no_such_tool", arguments: {} }), legacy());
  assert.equal(tool.status, 200);
  assert.equal(tool.body.error.code, -32602);
  const cursor = await post("/mcp", rpc("tools/list", { cursor: "bogus" }), legacy());
  assert.equal(cursor.body.error.code, -32602);
});

test("invalid arguments are tool results with isError [43]", async () => {
  const r = await post("/mcp", rpc("tools/call", { name: "search_issues", arguments: { organizationSlug: "acme", limit: 1000 } }), legacy());
  assert.equal(r.status, 200);
  assert.equal(r.body.result.isError, true);
  assert.match(r.body.result.content[0].text, /'limit' must be a whole number from 1 to 100/);
  const missing = await post("/mcp", rpc("tools/call", { name: "search_issues" }), legacy());
  assert.equal(missing.body.result.isError, true, "missing arguments are treated as {}");
  assert.match(missing.body.result.content[0].text, /organizationSlug' is required/);
});

test("modern era: discover, _meta, headers and results [21-25,30-35]", async () => {
  const d = modern("server/discover");
  const disc = await post("/mcp", d.body, d.headers);
  assert.equal(disc.status, 200);
  assert.ok(disc.body.result.supportedVersions.includes("2026-07-28"));
  assert.equal(disc.body.result.resultType, "complete");
  assert.ok(disc.body.result._meta["io.modelcontextprotocol/serverInfo"].name);

  const l = modern("tools/list");
  const list = await post("/mcp", l.body, l.headers);
  assert.equal(list.body.result.cacheScope, "private");
  assert.ok(Number.isInteger(list.body.result.ttlMs) && list.body.result.ttlMs >= 0);
  assert.equal(list.body.result.resultType, "complete");

  const noMeta = await post("/mcp", { jsonrpc: "2.0", id: 9, method: "tools/list", params: {} }, l.headers);
  assert.equal(noMeta.status, 400);
  assert.equal(noMeta.body.error.code, -32602);
  assert.equal(noMeta.body.id, 9);

  const v = modern("server/discover", {}, { id: 10 });
  v.body.params._meta["io.modelcontextprotocol/protocolVersion"] = "v999";
  const unsupported = await post("/mcp", v.body, { ...v.headers, "mcp-protocol-version": "v999" });
  assert.equal(unsupported.status, 400);
  assert.equal(unsupported.body.error.code, -32022);
  assert.deepEqual(unsupported.body.error.data, { supported: ["2026-07-28"], requested: "v999" });
  assert.equal(unsupported.body.id, 10);

  const mismatch = await post("/mcp", v.body, v.headers);
  assert.equal(mismatch.body.error.code, -32020);

  const wrongMethod = await post("/mcp", l.body, { ...l.headers, "mcp-method": "tools/call" });
  assert.equal(wrongMethod.status, 400);
  assert.equal(wrongMethod.body.error.code, -32020);

  const c = modern("tools/call", { name: "whoami", arguments: {} }, { name: "whoami" });
  const noName = await post("/mcp", c.body, { ...c.headers, "mcp-name": "" });
  assert.equal(noName.body.error.code, -32020);
  const encoded = await post("/mcp", c.body, { ...c.headers, "mcp-name": `=?base64?${Buffer.from("whoami").toString("base64")}?=` });
  assert.equal(encoded.status, 200);
  assert.equal(encoded.body.result.resultType, "complete");

  for (const method of ["ping", "initialize", "logging/setLevel", "no/such"]) {
    const m = modern(method, {}, { id: 77 });
    const r = await post("/mcp", m.body, m.headers);
    assert.equal(r.status, 404, method);
    assert.equal(r.body.error.code, -32601, method);
    assert.equal(r.body.id, 77, method);
  }
});

test("no credentials: 401 pointing at the path's protected-resource metadata [57,64]", async () => {
  for (const path of ["/mcp", "/mcp/acme", "/mcp/acme/web-frontend"]) {
    const r = await post(path + "?skills=inspect", init());
    assert.equal(r.status, 401, path);
    assert.equal(r.headers.get("www-authenticate"), `Bearer resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource${path}", scope="inspect triage seer project-management"`);
  }
});

test("Sentry-Bearer: malformed is 401 without fallback, conflicts are 400 [96]", async () => {
  const malformed = await post("/mcp", init(), { authorization: "Sentry-Bearer" });
  assert.equal(malformed.status, 401);
  assert.match(malformed.headers.get("www-authenticate"), /^Sentry-Bearer realm="Sentry MCP", error="invalid_token"/);
  const spaced = await post("/mcp", init(), { authorization: "Sentry-Bearer two tokens" });
  assert.equal(spaced.status, 401);
  const both = await post("/mcp", init(), { authorization: "Bearer abc", "sentry-bearer": "sntryu_x" });
  assert.equal(both.status, 400);
  const oauth = await post("/mcp", init(), { authorization: "Bearer not-ours" });
  assert.equal(oauth.status, 401);
  assert.match(oauth.headers.get("www-authenticate"), /error="invalid_token".*resource_metadata=/);
  const dedicated = await post("/mcp", init(), { "sentry-bearer": "sntryu_e2e_valid_token_0123456789abcdef" });
  assert.equal(dedicated.status, 200);
});

test("one of our own tokens sent as a Sentry token is refused and never forwarded to Sentry [security]", async () => {
  await resetUpstream();
  const call = rpc("tools/call", { name: "whoami", arguments: {} });
  for (const headers of [{ authorization: "Sentry-Bearer smcp_at_0123456789abcdef_feed" }, { "sentry-bearer": "smcp_rt_0123456789abcdef_feed" }]) {
    const r = await post("/mcp", call, { ...headers, "mcp-protocol-version": "2025-11-25" });
    assert.equal(r.status, 401);
    assert.match(r.headers.get("www-authenticate"), /error="invalid_token"/);
    assert.match(r.text, /issued by this server, not a Sentry token/);
  }
  assert.deepEqual(await upstreamRequests(), [], "nothing reached Sentry");
});

test("skills narrow the tools; unknown skills are 400; a missing skill is named [skills]", async () => {
  const pm = await post("/mcp?skills=project-management", rpc("tools/list"), legacy());
  assert.deepEqual(pm.body.result.tools.map((t) => t.name), ["whoami", "find_organizations", "find_projects", "find_teams", "find_dsns", "create_dsn", "update_dsn", "create_team", "create_project", "update_project", "add_team_to_project", "remove_team_from_project", "create_monitor", "update_monitor", "delete_monitor", "create_alert_rule", "update_alert_rule", "delete_alert_rule", "find_custom_inbound_filters", "create_custom_inbound_filter", "update_custom_inbound_filter", "delete_custom_inbound_filter"]);
  const bad = await post("/mcp?skills=inspect,bogus", rpc("tools/list"), legacy());
  assert.equal(bad.status, 400);
  assert.match(bad.text, /bogus/);
  const none = await post("/mcp?disable-skills=inspect,triage,seer,project-management", rpc("tools/list"), legacy());
  assert.equal(none.status, 400);
  const call = await post("/mcp?skills=project-management", rpc("tools/call", { name: "search_issues", arguments: { organizationSlug: "acme" } }), legacy());
  assert.equal(call.body.error.code, -32602);
  assert.match(call.body.error.message, /'inspect' or 'triage' or 'seer' skill/);
});

test("URL constraints hide tools and parameters [constraints]", async () => {
  const org = await post("/mcp/acme", rpc("tools/list"), legacy());
  const names = org.body.result.tools.map((t) => t.name);
  assert.ok(!names.includes("find_organizations"));
  for (const t of org.body.result.tools) assert.equal(t.inputSchema.properties?.organizationSlug, undefined, t.name);
  const project = await post("/mcp/acme/web-frontend", rpc("tools/list"), legacy());
  assert.ok(!project.body.result.tools.map((t) => t.name).includes("find_projects"));
});

test("routes: the SSE transport asks for credentials like /mcp, unknown paths 404, bad slugs 400 [16]", async () => {
  const sse = await fetch(`${ORIGIN}/sse`);
  assert.equal(sse.status, 401);
  assert.match(sse.headers.get("www-authenticate"), /resource_metadata="[^"]*\/\.well-known\/oauth-protected-resource\/mcp"/);
  assert.equal((await fetch(`${ORIGIN}/sse/a/b/c`)).status, 404);
  assert.equal((await post("/mcp/a/b/c", init(), auth())).status, 404);
  assert.equal((await post("/mcp/..%2F..", init(), auth())).status, 400);
  assert.equal((await fetch(`${ORIGIN}/nope`)).status, 404);
});

test("content negotiation: 415 for non-JSON bodies, 406 when JSON is not accepted [10]", async () => {
  const r415 = await post("/mcp", init(), { ...auth(), "content-type": "text/plain" });
  assert.equal(r415.status, 415);
  const r406 = await post("/mcp", init(), { ...auth(), accept: "text/html" });
  assert.equal(r406.status, 406);
});

test("discover, then initialize (Claude Code, Copilot): a legacy session on the modern probe's header [#11]", async () => {
  const d = modern("server/discover");
  const disc = await post("/mcp", d.body, d.headers);
  assert.equal(disc.status, 200);
  // The probe's MCP-Protocol-Version header is still on the client's transport.
  const probeHeaders = { ...auth(), "mcp-protocol-version": "2026-07-28" };
  const r = await post("/mcp", init(), probeHeaders);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.result.protocolVersion, "2025-11-25");
  assert.equal(r.body.result.resultType, undefined, "a legacy InitializeResult");
  const initialized = await post("/mcp", { jsonrpc: "2.0", method: "notifications/initialized" }, probeHeaders);
  assert.equal(initialized.status, 202);
  // Then legacy and modern requests mixed from the same client: each gets its own era's answer.
  const list = await post("/mcp", rpc("tools/list", {}, 2), legacy());
  assert.equal(list.status, 200);
  assert.ok(list.body.result.tools.length > 0);
  const c = modern("tools/call", { name: "whoami", arguments: {} }, { id: 3, name: "whoami" });
  const who = await post("/mcp", c.body, c.headers);
  assert.equal(who.body.result.resultType, "complete");
  const ping = await post("/mcp", rpc("ping", {}, 4), legacy());
  assert.deepEqual(ping.body.result, {});
});

test("a legacy request never gets a modern-only error [#11]", async () => {
  const r = await post("/mcp", rpc("tools/list"), legacy("2099-01-01"));
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, -32600, r.text);
  assert.match(r.body.error.message, /unsupported MCP-Protocol-Version/);
  assert.ok(r.body.error.data.supported.includes("2025-11-25"));
});

test("subscriptions/listen: acknowledged with nothing subscribed, then ended [55]", async () => {
  const s = modern("subscriptions/listen", { notifications: { toolsListChanged: true } }, { id: "sub-1" });
  const r = await post("/mcp", s.body, s.headers);
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type"), /^text\/event-stream/);
  const messages = r.text.split("\n\n").filter((e) => e.includes("data: ")).map((e) => JSON.parse(e.slice(e.indexOf("data: ") + 6)));
  assert.equal(messages.length, 2, r.text);
  assert.equal(messages[0].method, "notifications/subscriptions/acknowledged");
  assert.equal(messages[0].params._meta["io.modelcontextprotocol/subscriptionId"], "sub-1");
  assert.deepEqual(messages[0].params.notifications, {});
  assert.equal(messages[1].id, "sub-1");
  assert.equal(messages[1].result.resultType, "complete");
  const jsonOnly = await post("/mcp", s.body, { ...s.headers, accept: "application/json" });
  assert.equal(jsonOnly.body.result.resultType, "complete", "a client without SSE gets the end at once");
});

test("a chunked body is capped while it is read: an endless upload gets 413 without waiting for its end", async () => {
  const http = await import("node:http");
  const url = new URL(`${ORIGIN}/mcp`);
  // 1.5 MiB of whitespace, then the request is left open: only a reader that stops at the cap
  // answers. The answer can race the upload (the connection is closed while the client still
  // writes, and the client sees a reset before it reads the 413), so a reset is tried again, at
  // most three times; a server that never answers 413 still fails.
  const upload = () => new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: "/mcp", method: "POST", headers: { ...auth(), "content-type": "application/json", "transfer-encoding": "chunked" } }, (res) => {
      let body = "";
      res.on("data", (c) => { body += c; });
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("error", (e) => (e.code === "EPIPE" || e.code === "ECONNRESET" ? resolve({ status: "reset" }) : reject(e)));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < 24) {
        sent++;
        if (!req.write(chunk)) return req.once("drain", pump);
      }
    };
    pump();
    setTimeout(() => { req.destroy(); resolve({ status: "timeout" }); }, 20_000).unref();
  });
  let answer = await upload();
  for (let retry = 0; retry < 3 && answer.status === "reset"; retry++) answer = await upload();
  assert.equal(answer.status, 413, JSON.stringify(answer));
  assert.match(answer.body, /too large/);
});
