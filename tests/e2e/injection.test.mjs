// Prompt-injection fixtures (WEB-FRONTEND-INJ, trace `injection`): every attacker-writable value
// stays inside the response's nonce boundary, and no content can close it early.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { boundarySegments, call, connect, nonceOf } from "./helpers.mjs";

let client;
before(async () => { client = await connect(); });
after(async () => client?.close());

const HOSTILE = [/ignore all previous instructions/i, /New instructions/, /<script>/i, /curl http:\/\/127\.0\.0\.1:9/];

/** Inside and outside the boundaries; marker-like text inside must be defused. */
function segments(text) {
  const { nonce, inside, outside } = boundarySegments(text);
  assert.ok(nonce, "the response uses a boundary");
  for (const s of inside) assert.doesNotMatch(s.toLowerCase(), /untrusted-data/, "marker-like text inside is defused");
  return { nonce, outside, inside: inside.join("\n") };
}

function assertContained(text) {
  const { outside, inside } = segments(text);
  for (const re of HOSTILE) assert.doesNotMatch(outside, re, `hostile text ${re} outside the boundary`);
  return { outside, inside };
}

test("get_issue_details with breadcrumbs keeps every hostile field inside the boundary", async () => {
  const r = await call(client, "get_issue_details", { organizationSlug: "acme", issueId: "WEB-FRONTEND-INJ", includeBreadcrumbs: true });
  assert.equal(r.isError, false, r.text);
  const { inside } = assertContained(r.text);
  assert.match(inside, /ignore all previous instructions/i, "the payload is shown, as data");
  assert.doesNotMatch(r.text, /\u200b/, "zero-width characters are removed");
  assert.ok(r.text.length < 80_000, `the 20,000-character values are cut (${r.text.length})`);
});

test("each response gets its own nonce", async () => {
  const a = await call(client, "get_issue_details", { organizationSlug: "acme", issueId: "WEB-FRONTEND-INJ" });
  const b = await call(client, "get_issue_details", { organizationSlug: "acme", issueId: "WEB-FRONTEND-INJ" });
  assert.notEqual(nonceOf(a.text), nonceOf(b.text));
});

test("issue lists, traces and event rows are contained too", async () => {
  const list = await call(client, "search_issues", { organizationSlug: "acme", query: "is:unresolved", limit: 100 });
  assert.match(list.text, /WEB-FRONTEND-INJ/);
  assertContained(list.text);

  const trace = await call(client, "get_sentry_resource", { resourceType: "trace", resourceId: "0badc0de0badc0de0badc0de0badc0de", organizationSlug: "acme" });
  assert.equal(trace.isError, false, trace.text);
  assertContained(trace.text);

  for (const dataset of ["spans", "logs"]) {
    const rows = await call(client, "search_events", { organizationSlug: "acme", dataset, query: "trace:0badc0de0badc0de0badc0de0badc0de" });
    assert.equal(rows.isError, false, rows.text);
    assertContained(rows.text);
  }
});

test("attachment type and MIME type are uploader-written: shown only as plain tokens, never as text", async () => {
  const base = { organizationSlug: "acme", projectSlug: "web-frontend", eventId: "deadbeefdeadbeefdeadbeefdeadbeef" };
  const list = await call(client, "get_event_attachment", base);
  assert.equal(list.isError, false, list.text);
  assert.doesNotMatch(list.text, /OVERRIDE/, "the forged type and MIME type never appear");
  assert.match(list.text, /unknown/);
  const download = await call(client, "get_event_attachment", { ...base, attachmentId: "30005" });
  assert.equal(download.isError, false, download.text);
  assert.doesNotMatch(download.text, /OVERRIDE/);
  assert.match(download.text, /\*\*Type\*\*: text\/plain/);
});
