// Runs after every other end-to-end suite: everything the workers printed (workerd's output),
// everything the stdio binary wrote to stderr, and every report sent to Sentry while the suites
// fed them tokens through every path must not contain a token.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { READONLY_TOKEN, VALID_TOKEN } from "../helpers.mjs";

const read = (files) => files.split(",").map((f) => fs.readFileSync(f, "utf8")).join("\n");
const logs = { worker: read(process.env.WORKER_LOGS ?? process.env.WORKER_LOG), stdio: fs.readFileSync(process.env.STDIO_LOG, "utf8") };

for (const [name, log] of Object.entries(logs)) {
  test(`${name}: the log was captured and has tool-call lines`, () => {
    assert.match(log, /"event":"tool_call"/);
  });

  test(`${name}: no token appears anywhere in the logs`, () => {
    for (const secret of [VALID_TOKEN, READONLY_TOKEN, "sntryu_e2e", "sntryu_leak"]) {
      assert.equal(log.includes(secret), false, `found ${secret.slice(0, 10)}… in the ${name} log`);
    }
    assert.doesNotMatch(log, /Sentry-Bearer [A-Za-z0-9_]{6,}/);
  });
}

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
