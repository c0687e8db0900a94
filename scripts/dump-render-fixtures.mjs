// Writes tests/fixtures/render/*.json: what the Sentry emulator answers for a representative issue
// (and its latest event) of every category, both trace formats and both Seer state shapes, trimmed
// to the fields the renderers read. The snapshot tests (src/render/snapshot_tests.rs) render them.
// Run again after changing the emulator's initech fixtures: node scripts/dump-render-fixtures.mjs
// (`--only investigation` writes only the investigation-*.json fixtures of replays, profiles (one, and a transaction's flamegraph),
// releases, spans, AI conversations and issue activity).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator } from "../tests/emulator/server.mjs";
import { CASES } from "../tests/emulator/fixtures/categories.mjs";
import { INVESTIGATION } from "../tests/emulator/fixtures/investigation.mjs";

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

const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : null;
const write = (name, value) => fs.writeFileSync(path.join(out, `${name}.json`), `${JSON.stringify(value, null, 1)}\n`);

fs.mkdirSync(out, { recursive: true });
try {
  if (!only || only === "investigation") {
    const { replayCheckout, profileSlowOrders, agentChatSpan, conversation } = INVESTIGATION;
    const replay = (await get(`/organizations/acme/replays/${replayCheckout}/`)).data;
    write("investigation-replay", { replay, segments: await get(`/projects/acme/11/replays/${replayCheckout}/recording-segments/?download=true`) });
    write("investigation-profile", { profile: await get(`/projects/acme/api-server/profiling/profiles/${profileSlowOrders}/`) });
    write("investigation-flamegraph", { flamegraph: await get(`/organizations/acme/profiling/flamegraph/?project=12&query=${encodeURIComponent('transaction:"/api/orders/"')}&statsPeriod=7d`) });
    const version = encodeURIComponent("com.acme.shop@3.2.1+418");
    write("investigation-release", {
      release: await get(`/organizations/acme/releases/${version}/?health=1`),
      deploys: await get(`/organizations/acme/releases/${version}/deploys/`),
      commits: await get(`/organizations/acme/releases/${version}/commits/`),
    });
    const spanFields = ["id", "trace", "parent_span", "span.op", "span.description", "span.duration", "span.self_time", "span.status", "transaction", "project", "environment", "release", "timestamp"].map((f) => `field=${encodeURIComponent(f)}`).join("&");
    write("investigation-span", { span: (await get(`/organizations/acme/events/?dataset=spans&${spanFields}&query=id:${agentChatSpan}&statsPeriod=30d`)).data[0] });
    const convFields = ["id", "span.op", "span.description", "gen_ai.agent.name", "gen_ai.request.model", "gen_ai.tool.name", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.request.messages", "gen_ai.response.text", "span.duration", "span.status", "trace", "project", "timestamp"].map((f) => `field=${encodeURIComponent(f)}`).join("&");
    write("investigation-conversation", { conversationId: conversation, rows: (await get(`/organizations/acme/events/?dataset=spans&${convFields}&query=gen_ai.conversation.id:${conversation}&sort=timestamp&statsPeriod=30d`)).data });
    write("investigation-activity", { activity: (await get("/organizations/acme/issues/4001/activities/")).activity, userReports: await get("/organizations/acme/issues/4009/user-reports/"), committers: (await get("/projects/acme/web-frontend/events/9c1e7f2a4b3d4e5f8a6b7c8d9e0f1a2b/committers/")).committers });
  }
  const seen = new Set();
  for (const c of only ? [] : CASES) {
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
