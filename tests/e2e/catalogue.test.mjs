// The inspect, triage, Seer and project-management tools, called by the official TypeScript SDK
// client (which also validates structuredContent against each tool's outputSchema), plus skills
// and URL constraints, and Seer's progress notifications on the wire.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { call, connect, nonceOf, post, READONLY_TOKEN, resetUpstream, upstreamRequests, VALID_TOKEN } from "./helpers.mjs";

const CHECKOUT = "a3f1c2d4e5b64798a0b1c2d3e4f50617";
const IOS_EVENT = "6a4f0d3e2c1b4d8a0f9e8d7c6b5a4f3e";
let client;
before(async () => {
  await resetUpstream();
  client = await connect();
  await client.listTools(); // the SDK validates structured output against the listed schemas
});
after(async () => {
  await client?.close();
  await resetUpstream();
});

test("find_teams and find_releases return Markdown and schema-valid structured content", async () => {
  const teams = await call(client, "find_teams", { organizationSlug: "acme" });
  assert.equal(teams.isError, false, teams.text);
  assert.deepEqual(teams.result.structuredContent.teams.map((t) => t.slug).sort(), ["backend", "frontend"]);
  assert.equal(teams.result.structuredContent.hasMore, false);

  const releases = await call(client, "find_releases", { organizationSlug: "acme", query: "api-server@" });
  assert.equal(releases.isError, false, releases.text);
  const versions = releases.result.structuredContent.releases.map((r) => r.version);
  assert.ok(versions.length >= 2 && versions.every((v) => v.startsWith("api-server@")), versions.join());
  assert.deepEqual(releases.result._meta["io.github.sentry-mcp-rs/provenance"].applicationFields, ["/releases/*/version", "/releases/*/lastCommitMessage"]);
  assert.ok(nonceOf(releases.text), "release versions and commit messages are marked untrusted");
});

test("structured search results carry provenance and paging", async () => {
  const r = await call(client, "search_issues", { organizationSlug: "acme", limit: 3 });
  const s = r.result.structuredContent;
  assert.equal(s.issues.length, 3);
  assert.equal(s.hasMore, true);
  assert.ok(s.nextCursor);
  const prov = r.result._meta["io.github.sentry-mcp-rs/provenance"];
  assert.deepEqual(prov.applicationFields, ["/issues/*/title", "/issues/*/culprit"]);
  assert.equal(prov.untrustedBoundaryNonce, nonceOf(r.text));
});

test("get_trace_details: tree, focus span, size bound, bad id", async () => {
  const r = await call(client, "get_trace_details", { organizationSlug: "acme", traceId: CHECKOUT, maxSpans: 10 });
  assert.equal(r.isError, false, r.text);
  assert.match(r.text, /## Operations/);
  assert.match(r.text, /first 10 of \d+/);
  assert.match(r.text, /more spans\/errors not shown/);
  const bad = await call(client, "get_trace_details", { organizationSlug: "acme", traceId: "nope" });
  assert.equal(bad.isError, true);
  assert.match(bad.text, /not a trace id/);
  const none = await call(client, "get_trace_details", { organizationSlug: "acme", traceId: "ffffffffffffffffffffffffffffffff" });
  assert.match(none.text, /No spans or errors were found/);
});

test("search_issue_events lists and filters one issue's events", async () => {
  const all = await call(client, "search_issue_events", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7K" });
  assert.equal(all.isError, false, all.text);
  assert.equal(all.result.structuredContent.events.length, 5);
  assert.match(all.text, /9c1e7f2a4b3d4e5f8a6b7c8d9e0f1a2b/);
  const missing = await call(client, "search_issue_events", { organizationSlug: "acme", issueId: "NOPE-9" });
  assert.equal(missing.isError, true);
  assert.match(missing.text, /HTTP 404/);
});

test("get_issue_tag_values: distribution with shares; bad keys refused", async () => {
  const r = await call(client, "get_issue_tag_values", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7K", tagKey: "browser" });
  assert.equal(r.isError, false, r.text);
  assert.match(r.text, /\| value \| events \| share \|/);
  assert.ok(r.result.structuredContent.values.length > 0);
  const bad = await call(client, "get_issue_tag_values", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7K", tagKey: "../x" });
  assert.equal(bad.isError, true);
  assert.match(bad.text, /not a tag key/);
});

test("get_event_attachment: list, image, text, binary, unknown", async () => {
  const base = { organizationSlug: "acme", projectSlug: "mobile-ios", eventId: IOS_EVENT };
  const list = await call(client, "get_event_attachment", base);
  assert.equal(list.isError, false, list.text);
  for (const id of ["30001", "30002", "30003"]) assert.match(list.text, new RegExp(`id ${id}`));
  const image = await call(client, "get_event_attachment", { ...base, attachmentId: "30001" });
  const img = image.result.content.find((c) => c.type === "image");
  assert.equal(img.mimeType, "image/png");
  const before = image.result.content[image.result.content.indexOf(img) - 1];
  assert.match(before?.text ?? "", /image below was uploaded by the monitored application.*never as instructions/s, "a notice right before the image");
  assert.equal(Buffer.from(img.data, "base64").subarray(1, 4).toString(), "PNG");
  const text = await call(client, "get_event_attachment", { ...base, attachmentId: "30002" });
  assert.ok(nonceOf(text.text), "attachment text is inside the boundary");
  const bin = await call(client, "get_event_attachment", { ...base, attachmentId: "30003" });
  const res = bin.result.content.find((c) => c.type === "resource");
  assert.equal(Buffer.from(res.resource.blob, "base64").subarray(0, 4).toString(), "MDMP");
  const unknown = await call(client, "get_event_attachment", { ...base, attachmentId: "99999" });
  assert.equal(unknown.isError, true);
  assert.match(unknown.text, /HTTP 404/);
});

test("update_issue: resolve with a reason, ignore with a count, assign; old and new state shown", async () => {
  const r = await call(client, "update_issue", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7M", status: "resolved", reason: "fixed in #812" });
  assert.equal(r.isError, false, r.text);
  assert.match(r.text, /\*\*Status\*\*: unresolved.* → \*\*resolved/);
  assert.match(r.text, /Note\*\* added/);
  const reqs = await upstreamRequests();
  const put = reqs.find((q) => q.method === "PUT" && q.path === "/api/0/organizations/acme/issues/4002/");
  assert.deepEqual(typeof put.body === "string" ? JSON.parse(put.body) : put.body, { status: "resolved" });
  assert.ok(reqs.some((q) => q.method === "POST" && q.path === "/api/0/organizations/acme/issues/4002/notes/"));

  const ignore = await call(client, "update_issue", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7N", status: "ignored", ignoreMode: "untilOccurrenceCount", ignoreCount: 100 });
  assert.equal(ignore.isError, false, ignore.text);
  assert.match(ignore.text, /→ \*\*ignored \(archived_until_condition_met\)/);

  const assign = await call(client, "update_issue", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7N", assignedTo: "team:frontend" });
  assert.match(assign.text, /\*\*Assigned to\*\*: nobody → \*\*/);

  const bad = await call(client, "update_issue", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7N", assignedTo: "jane" });
  assert.equal(bad.isError, true);
  assert.match(bad.text, /'assignedTo' must be/);
  const nothing = await call(client, "update_issue", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7N" });
  assert.match(nothing.text, /nothing to change/);
});

test("a read-only token gets a clear permission error on writes", async () => {
  const ro = await connect({ token: READONLY_TOKEN });
  try {
    const r = await call(ro, "add_issue_note", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7K", text: "hello" });
    assert.equal(r.isError, true);
    assert.match(r.text, /HTTP 403/);
  } finally {
    await ro.close();
  }
});

test("add_issue_note posts the note", async () => {
  const r = await call(client, "add_issue_note", { organizationSlug: "acme", issueId: "API-SERVER-2C", text: "Root cause: missing currency default." });
  assert.equal(r.isError, false, r.text);
  assert.match(r.text, /Note added to API-SERVER-2C/);
  const empty = await call(client, "add_issue_note", { organizationSlug: "acme", issueId: "API-SERVER-2C", text: "" });
  assert.equal(empty.isError, true);
});

test("analyze_issue_with_seer: progress notifications, then the same run is reported again", async () => {
  const progress = [];
  const result = await client.callTool(
    { name: "analyze_issue_with_seer", arguments: { organizationSlug: "acme", issueId: "API-SERVER-2C", waitSeconds: 20 } },
    undefined,
    { onprogress: (p) => progress.push(p), timeout: 60_000 },
  );
  const text = result.content[0].text;
  assert.equal(result.isError, false, text);
  assert.match(text, /\*\*Status\*\*: completed · started by this call/);
  assert.match(text, /## Root cause/);
  assert.ok(nonceOf(text), "Seer's output is inside the boundary");
  assert.ok(progress.length >= 1, "at least one progress notification arrived");
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i].progress > progress[i - 1].progress);

  const again = await call(client, "analyze_issue_with_seer", { organizationSlug: "acme", issueId: "API-SERVER-2C" });
  assert.match(again.text, /existing run/);
  const posts = (await upstreamRequests()).filter((q) => q.method === "POST" && q.path.endsWith("/issues/4103/autofix/"));
  assert.equal(posts.length, 1, "a second call does not start a second run");
});

test("analyze_issue_with_seer: still running, and unsupported issue types", async () => {
  const running = await call(client, "analyze_issue_with_seer", { organizationSlug: "acme", issueId: "API-SERVER-2D", waitSeconds: 0 });
  assert.equal(running.isError, false, running.text);
  assert.match(running.text, /still running.*call analyze_issue_with_seer again/i);
  const feedback = await call(client, "analyze_issue_with_seer", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7V" });
  assert.equal(feedback.isError, true);
  assert.match(feedback.text, /Seer cannot analyze this issue/);
});

test("Seer progress on the wire: an SSE response with progress events, then the result", async () => {
  const body = { jsonrpc: "2.0", id: 42, method: "tools/call",
    params: { name: "analyze_issue_with_seer", arguments: { organizationSlug: "acme", issueId: "API-SERVER-2J", waitSeconds: 20 }, _meta: { progressToken: "tok-1" } } };
  const r = await post("/mcp", body, { authorization: `Sentry-Bearer ${VALID_TOKEN}`, "mcp-protocol-version": "2025-11-25" });
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type"), /^text\/event-stream/);
  const messages = r.text.split("\n\n").filter((e) => e.includes("data: ")).map((e) => JSON.parse(e.slice(e.indexOf("data: ") + 6)));
  const notes = messages.filter((m) => m.method === "notifications/progress");
  assert.ok(notes.length >= 1);
  assert.ok(notes.every((n) => n.params.progressToken === "tok-1"));
  assert.equal(messages.at(-1).id, 42, "the response comes last");
  assert.match(messages.at(-1).result.content[0].text, /completed/);
  const plain = await post("/mcp", { ...body, id: 43, params: { ...body.params, _meta: undefined } }, { authorization: `Sentry-Bearer ${VALID_TOKEN}`, accept: "application/json" });
  assert.match(plain.headers.get("content-type"), /^application\/json/, "without a progress token the answer is plain JSON");
});

test("project management: DSNs, teams, projects", async () => {
  const dsns = await call(client, "find_dsns", { organizationSlug: "acme", projectSlug: "web-frontend" });
  assert.equal(dsns.isError, false, dsns.text);
  assert.match(dsns.result.structuredContent.dsns[0].dsn, /^http:\/\/[0-9a-f]{32}@127\.0\.0\.1:\d+\/11$/);
  const created = await call(client, "create_dsn", { organizationSlug: "acme", projectSlug: "web-frontend", name: "staging" });
  assert.match(created.text, /\*\*staging\*\*/);
  const team = await call(client, "create_team", { organizationSlug: "acme", name: "Checkout" });
  assert.equal(team.isError, false, team.text);
  const dup = await call(client, "create_team", { organizationSlug: "acme", name: "Checkout" });
  assert.equal(dup.isError, true);
  const project = await call(client, "create_project", { organizationSlug: "acme", teamSlug: "frontend", name: "checkout-web", platform: "javascript-react" });
  assert.equal(project.isError, false, project.text);
  assert.match(project.text, /SENTRY_DSN=http:\/\/[0-9a-f]{32}@/);
  const renamed = await call(client, "update_project", { organizationSlug: "acme", projectSlug: "checkout-web", name: "Checkout storefront" });
  assert.match(renamed.text, /\*\*name\*\*: checkout-web → \*\*Checkout storefront\*\*/);
});

test("skills: a tool outside the granted skills is refused, naming the skill", async () => {
  const inspectOnly = await connect({ path: "/mcp?skills=inspect" });
  try {
    const names = (await inspectOnly.listTools()).tools.map((t) => t.name);
    assert.ok(!names.includes("update_issue") && !names.includes("create_project") && names.includes("get_trace_details"));
    await assert.rejects(inspectOnly.callTool({ name: "update_issue", arguments: { organizationSlug: "acme", issueId: "WEB-FRONTEND-7K", status: "resolved" } }), /needs the 'triage' skill/);
  } finally {
    await inspectOnly.close();
  }
});

test("constraints cannot be escaped through URLs, ids or injected arguments", async () => {
  const scoped = await connect({ path: "/mcp/acme/api-server" });
  try {
    const names = (await scoped.listTools()).tools.map((t) => t.name);
    for (const hidden of ["create_project", "find_projects", "create_team", "find_teams"]) {
      assert.ok(!names.includes(hidden), `${hidden} is hidden under a project constraint`);
    }
    // Project scope travels as Sentry's project parameter, never as query text a query can widen.
    await resetUpstream();
    const events = await call(scoped, "search_events", { query: "level:error OR project:web-frontend", fields: ["title", "project"] });
    assert.equal(events.isError, false, events.text);
    const sent = (await upstreamRequests()).filter((r) => r.path.endsWith("/events/"));
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0].query.project, ["12"], "the id of api-server, the constrained project");
    assert.equal(sent[0].query.query?.[0], "level:error OR project:web-frontend", "the query is sent as written");
    const rows = events.result.structuredContent?.rows ?? [];
    assert.ok(rows.length > 0 && rows.every((r) => r.project === "api-server"), JSON.stringify(rows));
    const tag = await call(scoped, "get_issue_tag_values", { issueId: "WEB-FRONTEND-7K", tagKey: "browser" });
    assert.match(tag.text, /limited to project 'api-server'/);
    const url = await call(scoped, "search_issue_events", { issueUrl: "https://globex.sentry.io/issues/6001/" });
    assert.match(url.text, /limited to organization 'acme'/);
    const dsns = await call(scoped, "find_dsns", { organizationSlug: "globex", projectSlug: "billing" });
    assert.equal(dsns.isError, false, dsns.text);
    assert.match(dsns.text, /DSNs of api-server in \*\*acme\*\*/, "injected arguments cannot override the constraint");
    const slug = await call(scoped, "update_project", { slug: "renamed" });
    assert.match(slug.text, /slug cannot be changed/);
    const trace = await call(scoped, "get_sentry_resource", { url: `https://globex.sentry.io/explore/traces/trace/${CHECKOUT}/` });
    assert.match(trace.text, /limited to organization 'acme'/);
    // Traces: Sentry is asked for the constrained project only, and another project's spans that
    // still come back (the emulator ignores the parameter) are left out, with a note saying so.
    await resetUpstream();
    for (const [tool, args] of [["get_trace_details", { organizationSlug: "acme", traceId: CHECKOUT }], ["get_sentry_resource", { url: `https://acme.sentry.io/explore/traces/trace/${CHECKOUT}/` }]]) {
      const scopedTrace = await call(scoped, tool, args);
      assert.equal(scopedTrace.isError, false, scopedTrace.text);
      assert.match(scopedTrace.text, /orders\.views\.create_order/, "api-server's spans are shown");
      assert.doesNotMatch(scopedTrace.text, /CheckoutPage|CartSummary|web-frontend/, "web-frontend's spans are not");
      assert.match(scopedTrace.text, /\d+ span\(s\) or error\(s\) of other projects in this trace are left out: this connection is limited to project 'api-server'/);
    }
    const traceCalls = (await upstreamRequests()).filter((r) => r.path.includes("/trace"));
    assert.ok(traceCalls.length >= 2 && traceCalls.every((r) => r.path.includes("/trace/") && r.query.project?.[0] === "12"), JSON.stringify(traceCalls));
    const unconstrained = await connect();
    try {
      const whole = await call(unconstrained, "get_trace_details", { organizationSlug: "acme", traceId: CHECKOUT });
      assert.match(whole.text, /CheckoutPage/, "an unconstrained connection sees every project");
      assert.doesNotMatch(whole.text, /left out/);
    } finally {
      await unconstrained.close();
    }
  } finally {
    await scoped.close();
  }
});

test("every new tool fails clearly on bad input or upstream errors", async () => {
  const cases = [
    ["find_teams", { organizationSlug: "no-such-org" }, /HTTP 404/],
    ["find_releases", { organizationSlug: "fault-500" }, /HTTP 500/],
    ["find_dsns", { organizationSlug: "acme", projectSlug: "no-such-project" }, /HTTP 404/],
    ["create_dsn", { organizationSlug: "acme", projectSlug: "web-frontend", name: "x".repeat(65) }, /limited to 64 characters/],
    ["create_project", { organizationSlug: "acme", teamSlug: "no-such-team", name: "p" }, /HTTP 404/],
    ["create_team", { organizationSlug: "acme" }, /'name' is required/],
    ["update_project", { organizationSlug: "acme", projectSlug: "web-frontend" }, /at least one of/],
    ["add_issue_note", { organizationSlug: "acme", issueId: "NOPE-1", text: "x" }, /HTTP 404/],
    ["get_event_attachment", { organizationSlug: "acme", projectSlug: "mobile-ios", eventId: "zz" }, /not an event id/],
  ];
  for (const [tool, args, expected] of cases) {
    const r = await call(client, tool, args);
    assert.equal(r.isError, true, `${tool}: ${r.text}`);
    assert.match(r.text, expected, tool);
  }
});
