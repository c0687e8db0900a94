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
