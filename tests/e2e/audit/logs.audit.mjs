// Runs after every other end-to-end suite: the worker's whole log output (everything workerd
// printed while the suites fed it tokens through every path) must not contain a token.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { READONLY_TOKEN, VALID_TOKEN } from "../helpers.mjs";

const log = (process.env.WORKER_LOGS ?? process.env.WORKER_LOG).split(",").map((f) => fs.readFileSync(f, "utf8")).join("\n");

test("the log was captured and has tool-call lines", () => {
  assert.match(log, /"event":"tool_call"/);
});

test("no token appears anywhere in the worker's logs", () => {
  for (const secret of [VALID_TOKEN, READONLY_TOKEN, "sntryu_e2e", "sntryu_leak"]) {
    assert.equal(log.includes(secret), false, `found ${secret.slice(0, 10)}… in the worker log`);
  }
  assert.doesNotMatch(log, /Sentry-Bearer [A-Za-z0-9_]{6,}/);
});

test("no token appears in any error report or transaction sent to Sentry", async () => {
  const envelopes = await (await fetch(`${process.env.EMULATOR_URL}/__emulator/envelopes`)).json();
  assert.ok(envelopes.length > 0, "reports were sent during the run");
  for (const e of envelopes) {
    for (const secret of [VALID_TOKEN, READONLY_TOKEN, "sntryu_"]) {
      assert.equal(e.raw.includes(secret), false, `found ${secret.slice(0, 10)}… in a report`);
    }
    assert.doesNotMatch(e.raw, /bearer\s+[A-Za-z0-9_]{6,}/i, "no credential value in a report");
    assert.equal(e.headers.authorization, undefined);
  }
});
