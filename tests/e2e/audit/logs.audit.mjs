// Runs after every other end-to-end suite. Nothing may hold a token in clear: not the workers'
// log output (everything workerd printed while the suites fed them tokens through every path),
// not the stdio binary's stderr, not the reports sent to Sentry, and not the worker's local KV
// storage (the `--persist-to` directory: sqlite files and blobs). Tokens: the Sentry-Bearer test
// tokens, the Sentry OAuth tokens the emulator issued, and the codes, access and refresh tokens
// and client secrets this server issued, and the embedded agent's model provider keys.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { READONLY_TOKEN, VALID_TOKEN } from "../helpers.mjs";

const read = (files) => files.split(",").map((f) => fs.readFileSync(f, "utf8")).join("\n");
const logs = { worker: read(process.env.WORKER_LOGS ?? process.env.WORKER_LOG), stdio: fs.readFileSync(process.env.STDIO_LOG, "utf8") };
const ours = process.env.OAUTH_TOKEN_LOG && fs.existsSync(process.env.OAUTH_TOKEN_LOG)
  ? [...new Set(fs.readFileSync(process.env.OAUTH_TOKEN_LOG, "utf8").split("\n").filter((t) => t.length > 20))]
  : [];

async function sentryIssued() {
  const r = await fetch(`${process.env.EMULATOR_URL}/__emulator/oauth/issued`, { signal: AbortSignal.timeout(5_000) });
  return (await r.json()).issued;
}

function storageFiles(dir) {
  if (!dir || !fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true }).map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).isFile());
}

for (const [name, log] of Object.entries(logs)) {
  test(`${name}: the log was captured and has tool-call lines`, () => {
    assert.match(log, /"event":"tool_call"/);
  });

  test(`${name}: no token appears anywhere in the logs`, async () => {
    // The embedded agent's provider keys (tests/e2e/run.mjs and agent.test.mjs) count as tokens too.
    const secrets = [VALID_TOKEN, READONLY_TOKEN, "sntryu_e2e", "sntryu_leak", "sk-e2e-model-key-not-real", "sk-ant-e2e-not-real", ...ours, ...(await sentryIssued())];
    for (const secret of secrets) {
      assert.equal(log.includes(secret), false, `found ${secret.slice(0, 10)}… in the ${name} log`);
    }
    assert.doesNotMatch(log, /Sentry-Bearer [A-Za-z0-9_]{6,}/);
    assert.doesNotMatch(log, /smcp_(at|rt|code|cs)_[0-9a-f]{16}/);
    assert.doesNotMatch(log, /sntry[or]_e2e_[0-9a-f]{8}/);
  });
}

test("no token appears in any error report or transaction sent to Sentry", async () => {
  const envelopes = await (await fetch(`${process.env.EMULATOR_URL}/__emulator/envelopes`)).json();
  assert.ok(envelopes.length > 0, "reports were sent during the run");
  const secrets = [VALID_TOKEN, READONLY_TOKEN, "sntryu_", ...ours, ...(await sentryIssued())];
  for (const e of envelopes) {
    for (const secret of secrets) {
      assert.equal(e.raw.includes(secret), false, `found ${secret.slice(0, 10)}… in a report`);
    }
    assert.doesNotMatch(e.raw, /bearer\s+[A-Za-z0-9_]{6,}/i, "no credential value in a report");
    assert.equal(e.headers.authorization, undefined);
  }
});

test("OAuth ran and KV storage holds no token, code or secret in clear", async () => {
  const issued = await sentryIssued();
  assert.ok(ours.length >= 10, `the OAuth suites recorded their tokens (${ours.length})`);
  assert.ok(issued.length >= 4, `the emulator issued Sentry tokens (${issued.length})`);
  const files = storageFiles(process.env.KV_STATE_DIR);
  assert.ok(files.length > 0, "the local KV state was found");
  const blob = Buffer.concat(files.map((f) => fs.readFileSync(f)));
  assert.ok(blob.includes("grant:") || blob.includes('"client_id"'), "the scanned files hold OAuth records");
  for (const secret of [...ours, ...issued]) {
    assert.equal(blob.includes(secret), false, `found ${secret.slice(0, 10)}… in KV storage`);
  }
  assert.equal(/smcp_(at|rt|code|cs)_[0-9a-f]{32}/.test(blob.toString("latin1")), false);
  assert.equal(/sntry[or]_e2e_[0-9a-f]{40}/.test(blob.toString("latin1")), false);
});
