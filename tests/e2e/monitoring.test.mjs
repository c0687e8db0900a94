// Monitoring tools through the official TypeScript SDK client (over HTTP, and again over stdio):
// cron, uptime and metric monitors against the emulator's acme fixtures, the uptime writes with
// the emulator's state checked afterwards, Sentry's limits, a missing scope and URL constraints.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { boundarySegments, call, connect, EMULATOR_URL, READONLY_TOKEN, resetUpstream, upstreamRequests, VALID_TOKEN } from "./helpers.mjs";

let client;
before(async () => {
  await resetUpstream();
  client = await connect();
});
after(async () => client?.close());

/** What the emulator holds now (a GET with the valid token). */
async function upstream(path) {
  const r = await fetch(`${EMULATOR_URL}/api/0/${path}`, { headers: { authorization: `Bearer ${VALID_TOKEN}` } });
  return { status: r.status, body: r.status === 200 ? await r.json() : null };
}

test("find_monitors lists cron monitors with their state; an SDK-written name stays fenced", async () => {
  const r = await call(client, "find_monitors", { organizationSlug: "acme" });
  assert.equal(r.isError, false, r.text);
  assert.match(r.text, /# Cron monitors in \*\*acme\*\*/);
  assert.match(r.text, /`nightly-invoice-export`\) · `0 2 \* \* \*` UTC · project api-server · production: error/);
  assert.match(r.text, /`cache-warmup`\) · every 10 minute/);
  const { inside, outside } = boundarySegments(r.text);
  assert.ok(inside.some((s) => s.includes("ignore previous instructions")), "the hostile name is inside a boundary");
  assert.equal(outside.includes("ignore previous instructions"), false);
  const s = r.result.structuredContent;
  assert.equal(s.kind, "cron");
  assert.equal(s.monitors.length, 3);
  assert.equal(s.hasMore, false);
});

test("find_monitors kind=uptime with a project goes to Sentry as the project id; the official name works too", async () => {
  const r = await call(client, "find_monitors", { organizationSlug: "acme", kind: "uptime", projectSlug: "api-server" });
  assert.equal(r.isError, false, r.text);
  assert.match(r.text, /\(id 7302\) · GET .*https:\/\/api\.acme\.example\/health.* every 5 min, timeout 5 s · headers Accept, Authorization \(values hidden\)/);
  assert.match(r.text, /\*\*down\*\*/);
  assert.equal(r.text.includes("Storefront homepage"), false);
  const req = (await upstreamRequests()).filter((q) => q.path === "/api/0/organizations/acme/uptime/").at(-1);
  assert.deepEqual(req.query.project, ["12"]);
  const alias = await call(client, "find_uptime_monitors", { organizationSlug: "acme" });
  assert.equal(alias.isError, false, alias.text);
  assert.match(alias.text, /Storefront homepage/);
  const metric = await call(client, "find_metric_monitors", { organizationSlug: "acme" });
  assert.match(metric.text, /`p95\(span\.duration\)` over 5 min .*static: > 1500 → high, > 1000 → medium/);
  assert.match(metric.text, /Frontend error spike.*percent \(% change\)/);
});

test("get_monitor_details: a cron monitor's environments and recent check-ins", async () => {
  const r = await call(client, "get_monitor_details", { organizationSlug: "acme", monitorSlug: "nightly-invoice-export" });
  assert.equal(r.isError, false, r.text);
  assert.match(r.text, /\*\*production\*\*: error · last check-in .* · \*\*failing since /);
  assert.match(r.text, /\| Expected \| Environment \| Status \| Duration \| Issue \|/);
  assert.match(r.text, /\| error \| 95\.0 s \| API-SERVER-2Q \|/);
  assert.match(r.text, /\*\*Last 10\*\*: 2 error, 1 missed, 6 ok, 1 timeout/);
  assert.match(r.text, /\*\*Check-in margin\*\*: 5 min · \*\*Max runtime\*\*: 30 min/);
});

test("get_monitor_details: an uptime monitor's checks (header values hidden) and a metric monitor's thresholds", async () => {
  const r = await call(client, "get_uptime_monitor_details", { organizationSlug: "acme", uptimeMonitorId: "7302", projectSlug: "api-server" });
  assert.equal(r.isError, false, r.text);
  assert.match(r.text, /# Uptime monitor 7302 in \*\*acme\*\*/);
  assert.match(r.text, /\| failure \(timeout\) \| — \| 5000 ms \|/);
  assert.match(r.text, /\| failure \| 503 \| 212 ms \|/);
  assert.match(r.text, /\*\*Last 6\*\*: 3 failed/);
  assert.equal(r.text.includes("[Filtered]"), false);
  const m = await call(client, "get_monitor_details", { organizationSlug: "acme", kind: "metric", monitorId: "8101" });
  assert.equal(m.isError, false, m.text);
  assert.match(m.text, /\*\*Thresholds\*\*: static: > 1500 → high, > 1000 → medium, ≤ 1000 → resolved/);
  assert.match(m.text, /\*\*Alerts connected\*\*: 9201/);
  assert.match(m.text, /\*\*Latest issue\*\*: API-SERVER-2R \(unresolved\)/);
});

test("get_monitor_details failures: a missing project, an unknown slug, a malformed id", async () => {
  const noProject = await call(client, "get_monitor_details", { organizationSlug: "acme", kind: "uptime", monitorId: "7302" });
  assert.equal(noProject.isError, true);
  assert.match(noProject.text, /'projectSlug' is required for an uptime monitor/);
  const unknown = await call(client, "get_monitor_details", { organizationSlug: "acme", monitorSlug: "no-such-job" });
  assert.equal(unknown.isError, true);
  assert.match(unknown.text, /cron monitor 'no-such-job' in organization 'acme'/);
  const bad = await call(client, "get_monitor_details", { organizationSlug: "acme", kind: "metric", monitorId: "8101/../x" });
  assert.equal(bad.isError, true);
  assert.match(bad.text, /'monitorId' of a metric monitor is a number/);
});

test("create, update and delete an uptime monitor; the emulator's state follows each write", async () => {
  const created = await call(client, "create_uptime_monitor", { organizationSlug: "acme", projectSlug: "api-server", name: "Payments webhook", url: "https://api.acme.example/webhooks/payments", intervalSeconds: 300, method: "POST", body: "{\"ping\":true}", headers: [["X-Probe", "sentry"]] });
  assert.equal(created.isError, false, created.text);
  const id = created.text.match(/\(id (\d+)\)/)?.[1];
  assert.ok(id, created.text);
  assert.match(created.text, /POST .* every 5 min, timeout 10 s · headers X-Probe \(values hidden\) · with a request body \(not shown\)/);
  let state = await upstream(`projects/acme/api-server/uptime/${id}/`);
  assert.equal(state.status, 200);
  assert.equal(state.body.intervalSeconds, 300);
  assert.equal(state.body.url, "https://api.acme.example/webhooks/payments");
  assert.deepEqual(state.body.headers, [["X-Probe", "sentry"]]);

  const updated = await call(client, "update_uptime_monitor", { organizationSlug: "acme", projectSlug: "api-server", uptimeMonitorId: id, timeoutMs: 8000, status: "disabled" });
  assert.equal(updated.isError, false, updated.text);
  assert.match(updated.text, /\*\*timeoutMs\*\*: 10000 → \*\*8000\*\*/);
  assert.match(updated.text, /\*\*status\*\*: active → \*\*disabled\*\*/);
  state = await upstream(`projects/acme/api-server/uptime/${id}/`);
  assert.equal(state.body.timeoutMs, 8000);
  assert.equal(state.body.status, "disabled");

  const deleted = await call(client, "delete_uptime_monitor", { organizationSlug: "acme", projectSlug: "api-server", uptimeMonitorId: id });
  assert.equal(deleted.isError, false, deleted.text);
  assert.match(deleted.text, /# Deleted uptime monitor \d+ from api-server/);
  state = await upstream(`projects/acme/api-server/uptime/${id}/`);
  assert.equal(state.status, 404);
  const again = await call(client, "delete_uptime_monitor", { organizationSlug: "acme", projectSlug: "api-server", uptimeMonitorId: id });
  assert.equal(again.isError, true);
  assert.match(again.text, /uptime monitor \d+ of project 'api-server'/);
});

test("uptime writes outside Sentry's limits are refused before anything reaches Sentry", async () => {
  const before = (await upstreamRequests()).filter((q) => q.method === "POST").length;
  const interval = await call(client, "create_uptime_monitor", { organizationSlug: "acme", projectSlug: "api-server", name: "x", url: "https://a.example/", intervalSeconds: 120 });
  assert.equal(interval.isError, true);
  assert.match(interval.text, /must be one of 60, 300, 600, 1200, 1800 or 3600/);
  const timeout = await call(client, "create_uptime_monitor", { organizationSlug: "acme", projectSlug: "api-server", name: "x", url: "https://a.example/", timeoutMs: 90000 });
  assert.equal(timeout.isError, true);
  assert.match(timeout.text, /'timeoutMs'.*1000 to 60000/);
  const url = await call(client, "create_uptime_monitor", { organizationSlug: "acme", projectSlug: "api-server", name: "x", url: "file:///etc/passwd" });
  assert.match(url.text, /absolute http:\/\/ or https:\/\/ URL/);
  const body = await call(client, "create_uptime_monitor", { organizationSlug: "acme", projectSlug: "api-server", name: "x", url: "https://a.example/", body: "x" });
  assert.match(body.text, /'body' needs method POST, PUT or PATCH/);
  const nothing = await call(client, "update_uptime_monitor", { organizationSlug: "acme", projectSlug: "api-server", uptimeMonitorId: "7302" });
  assert.match(nothing.text, /pass at least one setting/);
  assert.equal((await upstreamRequests()).filter((q) => q.method === "POST").length, before);
});

test("a token without alerts:write or project:write is told which scope is missing and how to get it", async () => {
  const reader = await connect({ token: READONLY_TOKEN });
  try {
    const r = await call(reader, "create_uptime_monitor", { organizationSlug: "acme", projectSlug: "api-server", name: "x", url: "https://a.example/" });
    assert.equal(r.isError, true);
    assert.match(r.text, /\*\*Missing permission\*\*: .*lacks the `alerts:write` scope \(or `project:write`\)/);
    assert.match(r.text, /Personal Tokens/);
    assert.equal(r.text.includes(READONLY_TOKEN), false);
    assert.equal((await upstream("projects/acme/api-server/uptime/7302/")).status, 200);
  } finally {
    await reader.close();
  }
});

test("a project-limited connection refuses another project's cron monitor and fixes the project of uptime writes", async () => {
  const limited = await connect({ path: "/mcp/acme/web-frontend" });
  try {
    const r = await call(limited, "get_monitor_details", { monitorSlug: "nightly-invoice-export" });
    assert.equal(r.isError, true);
    assert.match(r.text, /limited to project 'web-frontend'/);
    const own = await call(limited, "get_monitor_details", { monitorSlug: "sitemap-rebuild" });
    assert.equal(own.isError, false, own.text);
    const other = await call(limited, "delete_uptime_monitor", { projectSlug: "api-server", uptimeMonitorId: "7302" });
    assert.equal(other.isError, true, "7302 belongs to api-server; the constraint sends web-frontend");
    assert.equal((await upstream("projects/acme/api-server/uptime/7302/")).status, 200);
  } finally {
    await limited.close();
  }
});

test("find_alert_rules: when, if, then and the monitors behind each alert; one alert by id (and the official get_alert_rule)", async () => {
  const r = await call(client, "find_alert_rules", { organizationSlug: "acme" });
  assert.equal(r.isError, false, r.text);
  assert.match(r.text, /## Page on-call for checkout latency \(id 9201\)/);
  assert.match(r.text, /\*\*Environment\*\*: production · \*\*At most every\*\*: 30 min · \*\*Last triggered\*\*: \d{4}-/);
  assert.match(r.text, /- \*\*When\*\*: priority ≥ 75/);
  assert.match(r.text, /- \*\*Then\*\*: pagerduty → Checkout on-call, slack → #alerts-checkout/);
  assert.match(r.text, /- \*\*When\*\*: a new issue or an issue regresses\n- \*\*If\*\*: tag level eq error\n- \*\*Then\*\*: email → frontend/);
  assert.deepEqual(r.result.structuredContent.alertRules.map((a) => a.monitorIds), [["8101"], ["8102"]]);
  const one = await call(client, "get_alert_rule", { organizationSlug: "acme", alertRuleId: "9202" });
  assert.equal(one.isError, false, one.text);
  assert.match(one.text, /Email frontend on new errors/);
  assert.equal(one.text.includes("Page on-call"), false);
  const missing = await call(client, "find_alert_rules", { organizationSlug: "acme", alertRuleId: "1" });
  assert.equal(missing.isError, true);
  assert.match(missing.text, /alert 1 in organization 'acme'/);
});

test("find_dashboards lists dashboards; with an id, each widget's query", async () => {
  const r = await call(client, "find_dashboards", { organizationSlug: "acme" });
  assert.equal(r.isError, false, r.text);
  assert.match(r.text, /- \*\*Checkout health\*\* \(id 31\) · 3 widgets · by Jane Doe/);
  assert.equal(r.result.structuredContent.dashboards.length, 2);
  const d = await call(client, "get_dashboard_details", { organizationSlug: "acme", dashboardId: "31" });
  assert.equal(d.isError, false, d.text);
  assert.match(d.text, /## Errors by release \(table, error-events\)\n- \*\*Aggregates\*\*: `count\(\)` · \*\*Group by\*\*: `release` · \*\*Filter\*\*: `level:error` · \*\*Sort\*\*: `-count\(\)`/);
  assert.match(d.text, /## Checkout p95 \(line, spans\)/);
  const bad = await call(client, "find_dashboards", { organizationSlug: "acme", dashboardId: "../31" });
  assert.equal(bad.isError, true);
  assert.match(bad.text, /'dashboardId' is a number/);
});

test("create, update and delete a metric monitor by the official names; the emulator's state and alert links follow", async () => {
  const created = await call(client, "create_metric_monitor", {
    organizationSlug: "acme",
    projectSlug: "api-server",
    name: "Checkout error count",
    query: { dataset: "events", aggregate: "count()", query: "transaction:/api/checkout level:error", timeWindowSeconds: 300, environment: "production" },
    config: { detectionType: "static" },
    conditionGroup: { id: "81010", conditions: [{ id: "1", type: "gt", comparison: 50, conditionResult: 75 }, { type: "lte", comparison: 50, conditionResult: 0 }] },
    workflowIds: ["9201"],
  });
  assert.equal(created.isError, false, created.text);
  assert.match(created.text, /# New metric monitor in \*\*acme\*\*/);
  assert.match(created.text, /`count\(\)` over 5 min where .*transaction:\/api\/checkout level:error.* \(events\), environment production · static: > 50 → high, ≤ 50 → resolved · project id 12/);
  const id = created.text.match(/\(id (\d+)\)/)?.[1];
  assert.ok(id, created.text);
  let state = await upstream(`organizations/acme/detectors/${id}/`);
  assert.equal(state.body.projectId, "12");
  assert.equal(state.body.type, "metric_issue");
  assert.deepEqual(state.body.dataSources[0].queryObj.snubaQuery.eventTypes, ["error", "default"]);
  assert.deepEqual(state.body.workflowIds, ["9201"]);
  assert.notEqual(state.body.conditionGroup.conditions[0].id, "1", "a copied condition id is not sent");
  assert.ok((await upstream("organizations/acme/workflows/9201/")).body.detectorIds.includes(id), "the alert lists its new monitor");

  const percent = await call(client, "update_metric_monitor", { organizationSlug: "acme", monitorId: id, config: { detectionType: "percent", comparisonDeltaSeconds: 86400 }, conditionGroup: { conditions: [{ type: "gt", comparison: 120, conditionResult: 75 }] } });
  assert.equal(percent.isError, false, percent.text);
  assert.match(percent.text, /\*\*thresholds\*\*: static: > 50 → high, ≤ 50 → resolved → \*\*percent \(% change\): > 120 → high\*\*/);
  state = await upstream(`organizations/acme/detectors/${id}/`);
  assert.deepEqual(state.body.config, { detectionType: "percent", comparisonDelta: 86400 });
  assert.equal(state.body.name, "Checkout error count", "what the update does not name stays");

  const windowed = await call(client, "update_monitor", { organizationSlug: "acme", kind: "metric", monitorId: id, query: { timeWindowSeconds: 900 }, status: "disabled" });
  assert.equal(windowed.isError, false, windowed.text);
  assert.match(windowed.text, /\*\*enabled\*\*: true → \*\*false\*\*/);
  state = await upstream(`organizations/acme/detectors/${id}/`);
  assert.equal(state.body.dataSources[0].queryObj.snubaQuery.timeWindow, 900);
  assert.equal(state.body.dataSources[0].queryObj.snubaQuery.query, "transaction:/api/checkout level:error");
  assert.equal(state.body.enabled, false);

  const deleted = await call(client, "delete_metric_monitor", { organizationSlug: "acme", monitorId: id });
  assert.equal(deleted.isError, false, deleted.text);
  assert.match(deleted.text, /# Deleted metric monitor \d+ from \*\*acme\*\*/);
  assert.equal((await upstream(`organizations/acme/detectors/${id}/`)).status, 404);
  assert.equal((await upstream("organizations/acme/workflows/9201/")).body.detectorIds.includes(id), false);
  const again = await call(client, "delete_monitor", { organizationSlug: "acme", kind: "metric", monitorId: id });
  assert.equal(again.isError, true);
  assert.match(again.text, new RegExp(`metric monitor ${id} in organization 'acme'`));
});

test("metric monitor writes outside Sentry's limits, of the wrong kind or of another type are refused before any write", async () => {
  const writes = async () => (await upstreamRequests()).filter((q) => q.method !== "GET").length;
  const before = await writes();
  const base = { organizationSlug: "acme", projectSlug: "api-server", kind: "metric", name: "x", query: { dataset: "events", aggregate: "count()", timeWindowSeconds: 300 }, conditionGroup: { conditions: [{ type: "gt", comparison: 1, conditionResult: 75 }] } };
  const dynamic = await call(client, "create_monitor", { ...base, config: { detectionType: "dynamic" }, conditionGroup: { conditions: [{ type: "anomaly_detection", comparison: { sensitivity: "high", thresholdType: 2 }, conditionResult: 75 }] } });
  assert.equal(dynamic.isError, true);
  assert.match(dynamic.text, /dynamic detection needs a time window of 900, 1800 or 3600 seconds/);
  const percent = await call(client, "create_monitor", { ...base, config: { detectionType: "percent" } });
  assert.match(percent.text, /'config.comparisonDeltaSeconds' must be 300, 900, 3600, 86400, 604800 or 2592000/);
  const windowed = await call(client, "create_monitor", { ...base, query: { ...base.query, timeWindowSeconds: 120 } });
  assert.match(windowed.text, /'query.timeWindowSeconds' must be one of 60, 300/);
  const dataset = await call(client, "create_monitor", { ...base, query: { ...base.query, dataset: "errors" } });
  assert.match(dataset.text, /'query.dataset' must be one of events, transactions/);
  const mixed = await call(client, "create_monitor", { ...base, url: "https://a.example/" });
  assert.match(mixed.text, /'url' is not a setting of a metric monitor/);
  const onlyResolve = await call(client, "create_monitor", { ...base, conditionGroup: { conditions: [{ type: "lte", comparison: 1, conditionResult: 0 }] } });
  assert.match(onlyResolve.text, /never opens an issue/);
  const noKind = await call(client, "create_monitor", { organizationSlug: "acme", projectSlug: "api-server", name: "x" });
  assert.match(noKind.text, /pass 'kind': uptime or metric/);
  const stream = await call(client, "update_monitor", { organizationSlug: "acme", kind: "metric", monitorId: "8002", name: "renamed" });
  assert.equal(stream.isError, true);
  assert.match(stream.text, /monitor 8002 is a issue_stream monitor, not a metric monitor/);
  const unknown = await call(client, "update_metric_monitor", { organizationSlug: "acme", monitorId: "9999", name: "x" });
  assert.match(unknown.text, /metric monitor 9999 in organization 'acme'/);
  assert.equal(await writes(), before, "nothing was written");
});

test("delete_monitor_environment deletes one environment of a cron monitor; the monitor and its other environments stay", async () => {
  const args = { organizationSlug: "acme", projectSlug: "api-server", monitorSlug: "cache-warmup", environment: "staging" };
  const r = await call(client, "delete_monitor_environment", args);
  assert.equal(r.isError, false, r.text);
  assert.match(r.text, /# Deleted environment staging of cron monitor `cache-warmup` in \*\*acme\*\*/);
  assert.match(r.text, /The monitor stays in production/);
  const state = await upstream("organizations/acme/monitors/cache-warmup/");
  assert.deepEqual(state.body.environments.map((e) => e.name), ["production"]);
  const sent = (await upstreamRequests()).filter((q) => q.method === "DELETE").at(-1);
  assert.equal(sent.path, "/api/0/projects/acme/api-server/monitors/cache-warmup/environments/staging/");
  const again = await call(client, "delete_monitor", { ...args, kind: "cron" });
  assert.equal(again.isError, false, again.text);
  assert.match(again.text, /has no environment staging\n\nNothing to delete \(its environments: production\)/);
  const wrongProject = await call(client, "delete_monitor_environment", { ...args, projectSlug: "web-frontend", environment: "production" });
  assert.equal(wrongProject.isError, true);
  assert.match(wrongProject.text, /belongs to project 'api-server', not 'web-frontend'/);
  const noEnv = await call(client, "delete_monitor", { organizationSlug: "acme", kind: "cron", projectSlug: "api-server", monitorSlug: "cache-warmup" });
  assert.match(noEnv.text, /'environment' is required for a cron monitor/);
  const unknown = await call(client, "delete_monitor_environment", { ...args, monitorSlug: "no-such-job" });
  assert.match(unknown.text, /cron monitor 'no-such-job' in organization 'acme'/);
  assert.deepEqual((await upstream("organizations/acme/monitors/cache-warmup/")).body.environments.map((e) => e.name), ["production"]);
});

test("alert options: actions with their integrations, trigger and filter conditions, monitors to connect (and the official get_alert_options)", async () => {
  const actions = await call(client, "find_alert_rules", { organizationSlug: "acme", view: "actions" });
  assert.equal(actions.isError, false, actions.text);
  assert.match(actions.text, /- \*\*slack\*\* \(notification\) · acme-workspace \(integrationId 502\) · config: targetDisplay, targetIdentifier, targetType · data: notes, tags/);
  assert.match(actions.text, /- \*\*pagerduty\*\* \(notification\) · acme-pagerduty \(integrationId 501\)/);
  assert.deepEqual(actions.result.structuredContent.actions.map((a) => a.type), ["email", "slack", "pagerduty", "jira"]);
  const filters = await call(client, "get_alert_options", { organizationSlug: "acme", section: "conditions", conditionGroup: "action_filter" });
  assert.equal(filters.isError, false, filters.text);
  assert.match(filters.text, /## Filters/);
  assert.match(filters.text, /- `tagged_event` · comparison: \{key, match, value\}/);
  assert.equal(filters.text.includes("first_seen_event"), false);
  const both = await call(client, "find_alert_rules", { organizationSlug: "acme", view: "conditions" });
  assert.match(both.text, /## Triggers[\s\S]*`first_seen_event` · comparison: boolean[\s\S]*## Filters/);
  const sources = await call(client, "get_alert_options", { organizationSlug: "acme", section: "sources" });
  assert.match(sources.text, /Issue Stream.* \(id 8002\) · issue_stream · project id 12 · alerts: none/);
  assert.match(sources.text, /Checkout p95 latency.* \(id 8101\) · metric_issue · project id 12 · alerts: 9201/);
  const bad = await call(client, "find_alert_rules", { organizationSlug: "acme", view: "everything" });
  assert.equal(bad.isError, true);
  assert.match(bad.text, /'view' must be one of: actions, conditions, sources/);
});

test("create, update and delete an alert; the emulator's state and monitor links follow; get_alert_rule finds it by name", async () => {
  const created = await call(client, "create_alert_rule", {
    organizationSlug: "acme",
    name: "Email backend on new API issues",
    detectorIds: ["8002"],
    frequencyMinutes: 60,
    triggers: { id: "1", conditions: [{ id: "11", type: "first_seen_event" }] },
    actionFilters: [{ conditions: [{ type: "issue_priority_greater_or_equal", comparison: 50 }], actions: [{ type: "email", config: { targetType: "team", targetIdentifier: "102" } }] }],
  });
  assert.equal(created.isError, false, created.text);
  const id = created.text.match(/\(id (\d+)\)/)?.[1];
  assert.ok(id, created.text);
  assert.match(created.text, /\*\*At most every\*\*: 60 min/);
  assert.match(created.text, /- \*\*When\*\*: a new issue\n- \*\*If\*\*: priority ≥ 50\n- \*\*Then\*\*: email → 102\n- \*\*Monitors\*\*: 8002/);
  let state = await upstream(`organizations/acme/workflows/${id}/`);
  assert.deepEqual(state.body.detectorIds, ["8002"]);
  assert.equal(state.body.config.frequency, 60);
  assert.notEqual(state.body.triggers.conditions[0].id, "11", "copied component ids are not sent");
  assert.ok((await upstream("organizations/acme/detectors/8002/")).body.workflowIds.includes(id));

  const byName = await call(client, "get_alert_rule", { organizationSlug: "acme", ruleIdOrName: "Email backend on new API issues" });
  assert.equal(byName.isError, false, byName.text);
  assert.match(byName.text, new RegExp(`\\(id ${id}\\)`));

  const updated = await call(client, "update_alert_rule", { organizationSlug: "acme", alertRuleId: id, status: "disabled", projectSlugs: ["web-frontend"], actionFilters: [{ conditions: [], actions: [{ type: "slack", integrationId: "502", config: { targetType: "specific", targetDisplay: "#api-alerts" } }] }] });
  assert.equal(updated.isError, false, updated.text);
  assert.match(updated.text, /\*\*Changed\*\*: actionFilters, detectorIds, enabled/);
  assert.match(updated.text, /## Before\n[\s\S]*\*\*Enabled\*\*: yes[\s\S]*email → 102[\s\S]*## After\n[\s\S]*\*\*Enabled\*\*: no[\s\S]*slack → #api-alerts/);
  state = await upstream(`organizations/acme/workflows/${id}/`);
  assert.equal(state.body.enabled, false);
  assert.equal(state.body.actionFilters[0].actions[0].type, "slack");
  assert.equal(state.body.config.frequency, 60, "what the update does not name stays");
  assert.deepEqual(state.body.detectorIds, ["8002", "8001"], "the official projectSlugs adds web-frontend's issue stream");

  const deleted = await call(client, "delete_alert_rule", { organizationSlug: "acme", alertRuleId: id });
  assert.equal(deleted.isError, false, deleted.text);
  assert.match(deleted.text, new RegExp(`# Deleted alert ${id} from \\*\\*acme\\*\\*`));
  assert.equal((await upstream(`organizations/acme/workflows/${id}/`)).status, 404);
  assert.equal((await upstream("organizations/acme/detectors/8002/")).body.workflowIds.includes(id), false);
  const again = await call(client, "delete_alert_rule", { organizationSlug: "acme", alertRuleId: id });
  assert.equal(again.isError, true);
  assert.match(again.text, new RegExp(`alert ${id} in organization 'acme'`));
});

test("alert writes: Sentry's limits, Sentry's refusal fenced, a missing scope named, and hidden under a project constraint", async () => {
  const base = { organizationSlug: "acme", name: "x", detectorIds: ["8002"] };
  const frequency = await call(client, "create_alert_rule", { ...base, frequencyMinutes: 15 });
  assert.match(frequency.text, /'frequencyMinutes' must be 0, 5, 10, 30, 60, 180, 720 or 1440/);
  const logic = await call(client, "create_alert_rule", { ...base, triggers: { logicType: "all", conditions: [] } });
  assert.match(logic.text, /'triggers.logicType' is any-short/);
  const noActions = await call(client, "create_alert_rule", { ...base, actionFilters: [{ conditions: [], actions: [] }] });
  assert.match(noActions.text, /each action filter needs actions/);
  const unknownCondition = await call(client, "create_alert_rule", { ...base, triggers: { conditions: [{ type: "no_such_condition" }] } });
  assert.equal(unknownCondition.isError, true);
  assert.match(unknownCondition.text, /HTTP 400/);
  assert.ok(boundarySegments(unknownCondition.text).inside.some((s) => s.includes("Invalid condition type")), unknownCondition.text);
  const nothing = await call(client, "update_alert_rule", { organizationSlug: "acme", alertRuleId: "9202" });
  assert.match(nothing.text, /pass at least one setting/);
  const reader = await connect({ token: READONLY_TOKEN });
  try {
    const r = await call(reader, "create_alert_rule", base);
    assert.equal(r.isError, true);
    assert.match(r.text, /\*\*Missing permission\*\*: .*lacks the `alerts:write` scope \(or `org:write`\)/);
    const d = await call(reader, "delete_alert_rule", { organizationSlug: "acme", alertRuleId: "9202" });
    assert.match(d.text, /lacks the `alerts:write` scope/);
    const e = await call(reader, "delete_monitor_environment", { organizationSlug: "acme", projectSlug: "api-server", monitorSlug: "nightly-invoice-export", environment: "production" });
    assert.match(e.text, /lacks the `alerts:write` scope \(or `project:write`\)/);
  } finally {
    await reader.close();
  }
  assert.equal((await upstream("organizations/acme/workflows/9202/")).status, 200);
  assert.deepEqual((await upstream("organizations/acme/monitors/nightly-invoice-export/")).body.environments.map((e) => e.name), ["production"]);
  const limited = await connect({ path: "/mcp/acme/web-frontend" });
  try {
    const names = (await limited.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes("create_monitor") && !names.includes("create_alert_rule") && !names.includes("delete_alert_rule"), names.join(","));
    const other = await call(limited, "delete_metric_monitor", { monitorId: "8101" });
    assert.equal(other.isError, true);
    assert.match(other.text, /limited to project 'web-frontend'/);
    assert.equal((await upstream("organizations/acme/detectors/8101/")).status, 200);
  } finally {
    await limited.close();
  }
});
