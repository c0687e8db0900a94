// Runs after every other end-to-end suite: everything the worker printed (workerd's output) and
// everything the stdio binary wrote to stderr while the suites fed them tokens through every path
// must not contain a token.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { READONLY_TOKEN, VALID_TOKEN } from "../helpers.mjs";

const logs = { worker: fs.readFileSync(process.env.WORKER_LOG, "utf8"), stdio: fs.readFileSync(process.env.STDIO_LOG, "utf8") };

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
