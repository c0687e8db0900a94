// Runs after every other end-to-end suite: the worker's whole log output (everything workerd
// printed while the suites fed it tokens through every path) must not contain a token.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { READONLY_TOKEN, VALID_TOKEN } from "../helpers.mjs";

const log = fs.readFileSync(process.env.WORKER_LOG, "utf8");

test("the log was captured and has tool-call lines", () => {
  assert.match(log, /"event":"tool_call"/);
});

test("no token appears anywhere in the worker's logs", () => {
  for (const secret of [VALID_TOKEN, READONLY_TOKEN, "sntryu_e2e", "sntryu_leak"]) {
    assert.equal(log.includes(secret), false, `found ${secret.slice(0, 10)}… in the worker log`);
  }
  assert.doesNotMatch(log, /Sentry-Bearer [A-Za-z0-9_]{6,}/);
});
