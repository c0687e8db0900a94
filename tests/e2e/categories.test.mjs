// Every kind of Sentry data the emulator's `initech` org holds (performance issues, regressions,
// feedback, crons, uptime, metric alerts, replay clicks, errors of six platforms, csp/nel/expectct
// and unknown event types, both trace formats, Discover cells with arrays and objects, both Seer
// state shapes), through the official TypeScript SDK client. The facts come from the fixtures
// (tests/emulator/fixtures/categories.mjs), never from our output: each must be present, the
// application-written ones inside the untrusted-data boundary, and no answer may show `null`,
// `undefined`, `[object Object]`, `NaN`, a `?` placeholder or a JSON object where Markdown belongs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { CASES } from "../emulator/fixtures/categories.mjs";
import { boundarySegments, call, connect, resetUpstream } from "./helpers.mjs";

let client;
before(async () => { client = await connect(); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Every fact of every case: an answer may quote another case's facts (a list, a trace). */
const ALL_FACTS = CASES.flatMap((c) => c.facts);
after(async () => client?.close());

/** The text inside and outside the response's boundaries (markers must pair up). */
function split(text) {
  const { inside, outside } = boundarySegments(text);
  return { inside: inside.join("\n"), outside };
}

/** Words that betray a rendering bug, searched after the expected facts are taken out (a fact
 *  may itself say `null`, as in "Cannot read properties of null"). */
function assertClean(text, facts, label) {
  // Source lines around a frame are the application's code, where `null` is just code.
  let rest = text.split("\n").filter((l) => !/^\s*>?\s*\d+ \| /.test(l)).join("\n");
  for (const f of [...facts, ...ALL_FACTS].sort((a, b) => b.length - a.length)) rest = rest.split(f).join(" ");
  for (const re of [/\bnull\b/, /\bundefined\b/, /\[object Object\]/, /\bNaN\b/, /(^|[\s(:=|])\?(?=$|[\s)|·,;])/m, /\{"[\w.-]+":/]) {
    assert.doesNotMatch(rest, re, `${label}: ${re} in\n${text}`);
  }
}

function assertFacts(c, text, label, facts = c.facts) {
  for (const f of facts) assert.ok(text.includes(f), `${label}: fact ${JSON.stringify(f)} missing from\n${text}`);
  const { inside, outside } = split(text);
  for (const f of c.attackerWritten.filter((a) => facts.includes(a))) {
    assert.ok(inside.includes(f), `${label}: application-written ${JSON.stringify(f)} is not inside the boundary\n${text}`);
    // Short values ("main", "/") also occur in our own words; long ones must never be outside.
    if (f.length >= 12) assert.ok(!outside.includes(f), `${label}: application-written ${JSON.stringify(f)} appears outside the boundary\n${text}`);
  }
  assertClean(text, facts, label);
}

const issueCases = CASES.filter((c) => !/^(seer|discover|trace)\//.test(c.kind));

for (const c of issueCases) {
  test(`get_issue_details: ${c.kind} (${c.shortId})`, async () => {
    const r = await call(client, "get_issue_details", { organizationSlug: c.org, issueId: c.shortId });
    assert.equal(r.isError, false, r.text);
    assertFacts(c, r.text, c.kind);
    if (!c.eventId) assert.match(r.text, /no stored events/);
  });
}

test("get_sentry_resource renders an issue link like get_issue_details, for every category", async () => {
  for (const c of issueCases) {
    await sleep(60); // stay under the emulator's 40 requests per second and endpoint
    const r = await call(client, "get_sentry_resource", { url: `https://${c.org}.sentry.io/issues/${c.issueId}/` });
    assert.equal(r.isError, false, r.text);
    assertFacts(c, r.text, `get_sentry_resource ${c.kind}`);
  }
});

test("search_issues shows each category's kind and evidence summary, without placeholders", async () => {
  const r = await call(client, "search_issues", { organizationSlug: "initech", query: "", limit: 100, period: "30d" });
  assert.equal(r.isError, false, r.text);
  for (const c of issueCases) {
    assert.ok(r.text.includes(c.shortId), `${c.shortId} listed`);
  }
  for (const type of ["performance_n_plus_one_db_queries", "monitor_check_in_failure", "uptime_domain_failure", "replay_click_rage", "feedback"]) {
    assert.ok(r.text.includes(type), `issue type ${type} shown`);
  }
  assert.ok(r.text.includes("Increased from 909.77ms to 1711.36ms (P95)"), "the regression's summary is shown");
  assertClean(r.text, issueCases.flatMap((c) => c.facts), "search_issues");
});

test("search_issue_events lists the events of every category without placeholders", async () => {
  for (const c of issueCases) {
    await sleep(60);
    const r = await call(client, "search_issue_events", { organizationSlug: c.org, issueId: c.shortId, period: "30d" });
    assert.equal(r.isError, false, r.text);
    if (c.eventId) assert.ok(r.text.includes(c.eventId), `${c.kind}: latest event listed\n${r.text}`);
    assertClean(r.text, c.facts, `search_issue_events ${c.kind}`);
  }
});

for (const c of CASES.filter((c) => c.kind.startsWith("trace/"))) {
  test(`get_trace_details: ${c.kind}`, async () => {
    const r = await call(client, "get_trace_details", { organizationSlug: c.org, traceId: c.traceId });
    assert.equal(r.isError, false, r.text);
    assertFacts(c, r.text, c.kind);
    assert.doesNotMatch(r.text, /^\s*- \[[^\]]*\]\s*$/m, "no span line has an empty label");
  });
}

test("search_events: array and object cells read as text", async () => {
  const c = CASES.find((x) => x.kind === "discover/array-and-object-cells");
  const r = await call(client, "search_events", { organizationSlug: c.org, dataset: c.query.dataset, fields: c.query.field, query: c.query.query, period: "30d", limit: 100 });
  assert.equal(r.isError, false, r.text);
  assertFacts(c, r.text, c.kind);
  assert.doesNotMatch(r.text, /\[\s*"|\{\s*"/, "no JSON array or object in a cell");
});

for (const c of CASES.filter((c) => c.kind.startsWith("seer/"))) {
  test(`analyze_issue_with_seer: ${c.kind}`, async () => {
    await resetUpstream();
    await sleep(1100);
    const r = await call(client, "analyze_issue_with_seer", { organizationSlug: c.org, issueId: c.shortId, waitSeconds: 0 });
    assert.equal(r.isError, false, r.text);
    for (const f of c.llmWritten) assert.ok(r.text.includes(f), `${c.kind}: ${JSON.stringify(f)} missing\n${r.text}`);
    assert.ok(r.text.includes(String(c.runId)), `${c.kind}: run id ${c.runId} shown\n${r.text}`);
    if (c.kind.endsWith("without-solution")) assert.match(r.text, /no solution/i);
    assertClean(r.text, c.facts, c.kind);
  });
}

test("analyze_issue_with_seer: a run started by the call is named by the start answer's run id", async () => {
  await resetUpstream();
  await sleep(1100);
  const r = await call(client, "analyze_issue_with_seer", { organizationSlug: "initech", issueId: "GATEWAY-4", waitSeconds: 0 });
  assert.equal(r.isError, false, r.text);
  assert.match(r.text, /\*\*Run\*\*: \d+ · \*\*Status\*\*: \w+ · started by this call/);
  assert.match(r.text, /check on run \d+/);
  assertClean(r.text, [], "seer start");
});
