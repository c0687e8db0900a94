// Upstream faults from the emulator become isError results with a clear message, and the worker
// keeps serving afterwards.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { call, connect, VALID_TOKEN } from "./helpers.mjs";

let client;
before(async () => { client = await connect(); });
after(async () => client?.close());

const cases = [
  ["fault-500", /server error \(HTTP 500\).*try again/i],
  ["fault-502-html", /HTTP 502/],
  ["fault-429", /rate limit.*Wait 3[78] seconds/],
  ["fault-html", /answered HTTP 200 with text\/html instead of API JSON/],
  ["fault-badjson", /malformed JSON instead of API JSON/],
  // Sentry's own words are quoted inside the untrusted-data boundary (they can echo the request).
  ["fault-403", /may not do this \(HTTP 403\): <untrusted-data-([0-9a-f]{16})>You do not have permission to perform this action\.<\/untrusted-data-\1>\. The user/],
  ["fault-sso", /refused access to this organization \(HTTP 401, sso-required\): <untrusted-data-([0-9a-f]{16})>Must login via SSO<\/untrusted-data-\1>\. The token itself is valid/],
  ["fault-slow", /did not answer within 2 seconds/],
  ["fault-refused", /Could not connect to Sentry at 127\.0\.0\.2:1/],
];

for (const [org, expected] of cases) {
  test(`${org} → isError with an actionable message`, async () => {
    const started = Date.now();
    const r = await call(client, "search_issues", { organizationSlug: org });
    assert.equal(r.isError, true, r.text);
    assert.match(r.text, expected);
    assert.ok(Date.now() - started < 15_000, "answered promptly");
  });
}

test("Sentry echoing the token in an error detail: scrubbed before it reaches the client", async () => {
  const r = await call(client, "search_issues", { organizationSlug: "fault-echo-token" });
  assert.equal(r.isError, true);
  assert.match(r.text, /Invalid query: Bearer \[redacted\]/);
  assert.equal(r.text.includes(VALID_TOKEN), false);
});

test("the worker keeps serving after every fault", async () => {
  const r = await call(client, "whoami");
  assert.equal(r.isError, false, r.text);
  assert.match(r.text, /Jane Doe/);
});
