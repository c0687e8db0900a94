// Writes tests/fixtures/render/*.json: what the Sentry emulator answers for a representative issue
// (and its latest event) of every category, both trace formats and both Seer state shapes, trimmed
// to the fields the renderers read. The snapshot tests (src/render/snapshot_tests.rs) render them.
// Run again after changing the emulator's initech fixtures: node scripts/dump-render-fixtures.mjs
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator } from "../tests/emulator/server.mjs";
import { CASES } from "../tests/emulator/fixtures/categories.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.join(root, "tests/fixtures/render");
const TOKEN = "sntryu_e2e_valid_token_0123456789abcdef";
const ISSUE_DROP = ["stats", "participants", "activity", "seenBy", "pluginActions", "pluginIssues", "pluginContexts", "openPeriods", "sentryAppIssues", "tags", "annotations", "subscriptionDetails"];

const emu = await startEmulator({ port: 0 });
/** Loopback URLs with the run's port, made stable. */
const stable = (v) => JSON.parse(JSON.stringify(v).replaceAll(emu.url, "https://sentry.example"));
const get = async (p) => {
  const r = await fetch(`${emu.url}/api/0${p}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return r.ok ? stable(await r.json()) : null;
};
const trimIssue = (issue) => {
  for (const k of ISSUE_DROP) delete issue[k];
  for (const k of ["firstRelease", "lastRelease"]) if (issue[k]) issue[k] = { version: issue[k].version };
  return issue;
};
const trimEvent = (event) => {
  if (event?.release) event.release = { version: event.release.version };
  return event;
};

fs.mkdirSync(out, { recursive: true });
try {
  const seen = new Set();
  for (const c of CASES) {
    const name = c.kind.replace(/[^a-z0-9]+/gi, "-").replace(/-+$/, "");
    if (c.kind.startsWith("trace/")) {
      const trace = await get(`/organizations/${c.org}/trace/${c.traceId}/?limit=200&project=-1&statsPeriod=14d`);
      fs.writeFileSync(path.join(out, `${name}.json`), `${JSON.stringify({ traceId: c.traceId, trace }, null, 1)}\n`);
    } else if (c.kind.startsWith("seer/")) {
      const state = await get(`/organizations/${c.org}/issues/${c.issueId}/autofix/`);
      fs.writeFileSync(path.join(out, `${name}.json`), `${JSON.stringify({ shortId: c.shortId, state }, null, 1)}\n`);
    } else if (!c.kind.startsWith("discover/") && !seen.has(c.issueId)) {
      seen.add(c.issueId);
      const issue = trimIssue(await get(`/organizations/${c.org}/issues/${c.issueId}/`));
      const event = trimEvent(await get(`/organizations/${c.org}/issues/${c.issueId}/events/latest/`));
      fs.writeFileSync(path.join(out, `${name}.json`), `${JSON.stringify({ issue, event }, null, 1)}\n`);
    }
  }
} finally {
  await emu.close();
}
console.log(`wrote ${fs.readdirSync(out).length} fixtures to ${path.relative(root, out)}`);
