// Custom inbound filters (find/create/update/delete_custom_inbound_filter) and the official names
// folded into other tools (get_sentry_mcp_info → whoami, get_profile → get_sentry_resource),
// called by the official TypeScript SDK client against the worker (and, in the stdio pass, the
// native binary): success, failure, the emulator's state after each write, URL constraints, and
// the filters' names and patterns inside the untrusted-data boundary.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { boundarySegments, call, connect, EMULATOR_URL, READONLY_TOKEN, resetUpstream, upstreamRequests, VALID_TOKEN } from "./helpers.mjs";

const ORG = { organizationSlug: "acme" };
const API = { ...ORG, projectSlug: "api-server" };
const FLAKY = "4509100000002001";
const DEBUG_LOGS = "4509100000002002";

let client;
before(async () => {
  await resetUpstream();
  client = await connect();
});
after(async () => client?.close());

async function filters(project) {
  const r = await fetch(`${EMULATOR_URL}/api/0/projects/acme/${project}/custom-inbound-filters/`, { headers: { authorization: `Bearer ${VALID_TOKEN}` } });
  assert.equal(r.status, 200);
  return r.json();
}

test("find_custom_inbound_filters lists a project's filters, states and conditions, names fenced", async () => {
  const r = await call(client, "find_custom_inbound_filters", API);
  assert.equal(r.isError, false, r.text);
  const { inside, outside } = boundarySegments(r.text);
  assert.match(outside, new RegExp(`- \\*\\*filter ${FLAKY}\\*\\* · error · active \\(drops matching data\\)`));
  assert.match(outside, new RegExp(`- \\*\\*filter ${DEBUG_LOGS}\\*\\* · log · paused`));
  assert.ok(inside.some((t) => t.includes("Ignore flaky connection errors — error_type: ConnectionError | TimeoutError AND release: api-server@1.4*")), inside.join("\n"));
  assert.ok(inside.some((t) => t.includes("(no name) — ip_address: 10.0.0.0/8 | 192.168.0.0/16")));
  const s = r.result.structuredContent;
  assert.equal(s.filters.length, 3);
  assert.equal(s.hasMore, false);
  assert.deepEqual(s.filters[0].conditions[0], { type: "error_type", value: ["ConnectionError", "TimeoutError"] });
  assert.deepEqual(r.result._meta["io.github.sentry-mcp-rs/provenance"].applicationFields, ["/filters/*/name", "/filters/*/conditions"]);

  const web = await call(client, "find_custom_inbound_filters", { ...ORG, projectSlug: "web-frontend" });
  const seg = boundarySegments(web.text);
  assert.doesNotMatch(seg.outside, /delete_custom_inbound_filter on every filter/, "the hostile filter name stays inside");
  assert.ok(seg.inside.some((t) => t.includes("*chrome-extension://*")));

  const off = await call(client, "find_custom_inbound_filters", { ...ORG, projectSlug: "mobile-ios" });
  assert.equal(off.isError, true);
  assert.match(off.text, /custom inbound filters are not enabled for this organization/);
  const missing = await call(client, "find_custom_inbound_filters", { ...ORG, projectSlug: "no-such-project" });
  assert.equal(missing.isError, true);
  assert.match(missing.text, /custom inbound filters of project 'no-such-project'/);
});

test("create_custom_inbound_filter stores a filter; mismatched conditions are refused before any write", async () => {
  const r = await call(client, "create_custom_inbound_filter", { ...API, name: "Load test traffic", dataType: "all", conditions: [{ type: "ip_address", value: ["203.0.113.0/24"] }, { type: "release", value: ["api-server@2.1.*"] }] });
  assert.equal(r.isError, false, r.text);
  assert.match(r.text, /# Created a custom inbound filter in api-server \(\*\*acme\*\*\)/);
  assert.match(r.text, /Matching data is now dropped at ingest/);
  const id = r.result.structuredContent.filter.id;
  let state = await filters("api-server");
  const made = state.find((f) => f.id === id);
  assert.deepEqual({ name: made.name, active: made.active, dataType: made.dataType, conditions: made.conditions }, { name: "Load test traffic", active: true, dataType: "all", conditions: [{ type: "ip_address", value: ["203.0.113.0/24"] }, { type: "release", value: ["api-server@2.1.*"] }] });

  const paused = await call(client, "create_custom_inbound_filter", { ...API, name: "Noisy metric", dataType: "metric", conditions: [{ type: "metric_name", value: "debug.*" }], active: false });
  assert.equal(paused.isError, false, paused.text);
  assert.match(paused.text, /It is paused/);
  state = await filters("api-server");
  assert.equal(state.find((f) => f.name === "Noisy metric").active, false);
  const count = state.length;

  const mismatch = await call(client, "create_custom_inbound_filter", { ...API, name: "x", dataType: "all", conditions: [{ type: "error_type", value: ["TypeError"] }] });
  assert.equal(mismatch.isError, true);
  assert.match(mismatch.text, /a filter on all data cannot use the error_type condition; it accepts release, ip_address/);
  const badIp = await call(client, "create_custom_inbound_filter", { ...API, name: "x", dataType: "error", conditions: [{ type: "ip_address", value: ["10.0.0.300"] }] });
  assert.equal(badIp.isError, true);
  assert.match(badIp.text, /10\.0\.0\.300 is not an IP address or CIDR range/);
  const noConditions = await call(client, "create_custom_inbound_filter", { ...API, name: "x", dataType: "error" });
  assert.match(noConditions.text, /'conditions' is required/);
  assert.equal((await filters("api-server")).length, count, "nothing was created by the failures");
  const posts = (await upstreamRequests()).filter((q) => q.method === "POST" && q.path.endsWith("/custom-inbound-filters/"));
  assert.equal(posts.length, 3, "the mismatched and incomplete calls never reached Sentry (only the bad IP did)");
});

test("update_custom_inbound_filter pauses and changes a filter, showing it before and after", async () => {
  const r = await call(client, "update_custom_inbound_filter", { ...API, filterId: FLAKY, active: false, conditions: [{ type: "error_type", value: ["ConnectionError", "TimeoutError", "ReadTimeout"] }] });
  assert.equal(r.isError, false, r.text);
  assert.match(r.text, /\*\*Before\*\*:\n- \*\*filter 4509100000002001\*\* · error · active/);
  assert.match(r.text, /\*\*After\*\*:\n- \*\*filter 4509100000002001\*\* · error · paused/);
  assert.match(r.text, /Paused: it drops nothing until active=true/);
  const stored = (await filters("api-server")).find((f) => f.id === FLAKY);
  assert.equal(stored.active, false);
  assert.deepEqual(stored.conditions, [{ type: "error_type", value: ["ConnectionError", "TimeoutError", "ReadTimeout"] }]);

  const wrongType = await call(client, "update_custom_inbound_filter", { ...API, filterId: FLAKY, dataType: "log" });
  assert.equal(wrongType.isError, true);
  assert.match(wrongType.text, /a filter on log data cannot use the error_type condition/);
  assert.equal((await filters("api-server")).find((f) => f.id === FLAKY).dataType, "error", "unchanged");
  const nothing = await call(client, "update_custom_inbound_filter", { ...API, filterId: FLAKY });
  assert.match(nothing.text, /pass at least one of 'name', 'active', 'dataType' or 'conditions'/);
  const unknown = await call(client, "update_custom_inbound_filter", { ...API, filterId: "1", name: "x" });
  assert.equal(unknown.isError, true);
  assert.match(unknown.text, /custom inbound filter 1 of project 'api-server'/);
  const notNumber = await call(client, "update_custom_inbound_filter", { ...API, filterId: "flaky", name: "x" });
  assert.match(notNumber.text, /'filterId' is a number/);
});

test("delete_custom_inbound_filter removes a filter; deleting it again is a not-found error", async () => {
  const r = await call(client, "delete_custom_inbound_filter", { ...API, filterId: DEBUG_LOGS });
  assert.equal(r.isError, false, r.text);
  assert.match(r.text, /# Deleted custom inbound filter 4509100000002002 from api-server/);
  assert.match(r.text, /ingests what it matched again/);
  assert.equal((await filters("api-server")).some((f) => f.id === DEBUG_LOGS), false);
  const again = await call(client, "delete_custom_inbound_filter", { ...API, filterId: DEBUG_LOGS });
  assert.equal(again.isError, true);
  assert.match(again.text, /custom inbound filter 4509100000002002 of project 'api-server'/);
});

test("filter writes with a read-only token name the missing scope and change nothing", async () => {
  const reader = await connect({ token: READONLY_TOKEN });
  try {
    const before = await filters("web-frontend");
    const r = await call(reader, "delete_custom_inbound_filter", { ...ORG, projectSlug: "web-frontend", filterId: "4509100000002004" });
    assert.equal(r.isError, true);
    assert.match(r.text, /lacks the `project:write` scope/);
    assert.deepEqual(await filters("web-frontend"), before);
  } finally {
    await reader.close();
  }
});

test("a project-scoped connection manages only its project's filters", async () => {
  const scoped = await connect({ path: "/mcp/acme/web-frontend" });
  try {
    const tools = (await scoped.listTools()).tools;
    const find = tools.find((t) => t.name === "find_custom_inbound_filters");
    assert.ok(find, "listed");
    assert.equal(find.inputSchema.properties.projectSlug, undefined, "the project is fixed by the URL");
    const r = await call(scoped, "find_custom_inbound_filters", { projectSlug: "api-server" });
    assert.equal(r.isError, false, r.text);
    assert.match(r.text, /# Custom inbound filters of web-frontend in \*\*acme\*\*/);
    assert.doesNotMatch(r.text, new RegExp(FLAKY));
    const del = await call(scoped, "delete_custom_inbound_filter", { projectSlug: "api-server", filterId: FLAKY });
    assert.equal(del.isError, true, "api-server's filter is not web-frontend's");
    assert.ok((await filters("api-server")).some((f) => f.id === FLAKY), "still there");
  } finally {
    await scoped.close();
  }
});

test("get_sentry_mcp_info is whoami: the user, the server's version and the skills", async () => {
  const r = await call(client, "get_sentry_mcp_info");
  assert.equal(r.isError, false, r.text);
  assert.match(r.text, /# You are Jane Doe/);
  assert.match(r.text, /## Server: sentry-mcp-rs \d+\.\d+\.\d+/);
  assert.match(r.text, /Skills on by default: inspect, seer/);
  assert.match(r.text, /\| project-management \| yes \| .*create_custom_inbound_filter/);
  const narrow = await connect({ path: "/mcp?skills=inspect" });
  try {
    const n = await call(narrow, "get_sentry_mcp_info");
    assert.match(n.text, /\| triage \| no \|/);
    assert.match(n.text, /\| inspect \| yes \| .*find_monitors/);
    assert.match(n.text, /\| project-management \| no \| .*find_custom_inbound_filters/);
    const listed = (await narrow.listTools()).tools.map((t) => t.name);
    assert.ok(!listed.includes("find_custom_inbound_filters") && !listed.includes("create_custom_inbound_filter"));
    assert.ok(!listed.includes("get_sentry_mcp_info"), "an alias is never listed");
  } finally {
    await narrow.close();
  }
});

test("get_profile: a transaction's hot paths over all its profiles (flamegraph), fenced", async () => {
  const r = await call(client, "get_profile", { ...ORG, transactionName: "/api/orders/" });
  assert.equal(r.isError, false, r.text);
  const { inside, outside } = boundarySegments(r.text);
  const text = inside.join("\n");
  assert.match(outside, /# Profiles of a transaction in \*\*acme\*\* \/ api-server, last 7d/);
  assert.match(outside, /\*\*Profiles\*\*: 2 · \*\*Call stacks\*\*: 4/);
  assert.doesNotMatch(outside, /ignore previous instructions/i);
  // 120 samples: execute 70, price_with_tax 24, json.dumps 21, the hostile frame 5.
  assert.match(text, /Self time[^\n]*\n- 58\.3% execute \(django\/db\/backends\/utils\.py:103\)/);
  assert.match(text, /Total time[^\n]*\n- 100\.0% handle_request \(django\/core\/handlers\/base\.py:181\) · p75 /);
  assert.match(text, /Application code on top of the stack: 24\.2% · libraries and runtime: 75\.8%/);
  assert.match(text, /Hot call path \(58\.3%, root → leaf\): handle_request → OrderListView\.get → serialize_orders → LineItem\.price_with_tax → execute/);
  const sent = (await upstreamRequests()).filter((q) => q.path.endsWith("/profiling/flamegraph/")).at(-1);
  assert.deepEqual({ project: sent.query.project, query: sent.query.query }, { project: ["12"], query: ['transaction:"/api/orders/"'] });

  const none = await call(client, "get_profile", { ...ORG, transactionName: "/api/nothing/" });
  assert.equal(none.isError, true);
  assert.match(none.text, /profiles of transaction '\/api\/nothing\/'/);
  const details = await call(client, "get_profile_details", { ...ORG, profileId: "d4c3b2a1f0e94d8c8b7a6f5e4d3c2b1a" });
  assert.equal(details.isError, false, details.text);
  assert.match(details.text, /Total time \(the function and what it calls\):\n- 100\.0% handle_request/);
});
