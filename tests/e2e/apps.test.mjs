// MCP Apps (SEP-1865): with the TypeScript SDK client, a client that declares the
// io.modelcontextprotocol/ui extension gets the extension capability, `_meta.ui.resourceUri` on
// get_trace_details and search_events, the views in resources/list and resources/read, and the
// data the views draw as structuredContent; a client that does not gets exactly what it got
// before. Then each view's HTML, in headless Chromium inside a small host (apps-host.html) that
// speaks the host side of the postMessage protocol, draws the emulator's data: one bar per span
// sized by its duration, one point per interval, hostile span names as text, no console error.
import fs from "node:fs";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { auth, call, connect, EMULATOR_URL, launchChromium, modern, post, rpc, TRANSPORT, VALID_TOKEN } from "./helpers.mjs";

const EXTENSION = "io.modelcontextprotocol/ui";
const MIME = "text/html;profile=mcp-app";
const UI = { extensions: { [EXTENSION]: { mimeTypes: [MIME] } } };
const WATERFALL = "ui://sentry-mcp-rs/trace-waterfall.html";
const SERIES = "ui://sentry-mcp-rs/time-series.html";
const CHECKOUT = "a3f1c2d4e5b64798a0b1c2d3e4f50617";
const INJECTION = "0badc0de0badc0de0badc0de0badc0de";
const HOST_PAGE = fs.readFileSync(new URL("./apps-host.html", import.meta.url), "utf8");

let plain;
let apps;
let browser;
before(async () => {
  plain = await connect();
  apps = await connect({ capabilities: UI });
  browser = await launchChromium();
});
after(async () => {
  await plain?.close();
  await apps?.close();
  await browser?.close();
});

const entry = (tools, name) => tools.find((t) => t.name === name);

test("a client that declares MCP Apps gets the capability, the tools' views and their resources", async () => {
  assert.deepEqual(apps.getServerCapabilities().extensions?.[EXTENSION], {});
  assert.ok(apps.getServerCapabilities().resources, "views are resources");
  const { tools } = await apps.listTools();
  assert.deepEqual(entry(tools, "get_trace_details")._meta, { ui: { resourceUri: WATERFALL } });
  assert.deepEqual(entry(tools, "search_events")._meta, { ui: { resourceUri: SERIES } });
  assert.deepEqual(tools.filter((t) => t._meta?.ui).map((t) => t.name).sort(), ["get_trace_details", "search_events"]);

  const listed = (await apps.listResources()).resources.filter((r) => r.uri.startsWith("ui://"));
  assert.deepEqual(listed.map((r) => [r.uri, r.mimeType]), [[WATERFALL, MIME], [SERIES, MIME]]);
  for (const uri of [WATERFALL, SERIES]) {
    const { contents } = await apps.readResource({ uri });
    assert.equal(contents.length, 1);
    assert.equal(contents[0].uri, uri);
    assert.equal(contents[0].mimeType, MIME);
    assert.match(contents[0].text, /^<!doctype html>/);
    assert.match(contents[0].text, /Content-Security-Policy" content="default-src 'none'/);
    assert.doesNotMatch(contents[0].text, /(src|href)="(https?:)?\/\//, "no external asset");
    assert.equal(contents[0]._meta.ui.prefersBorder, true);
  }
  await assert.rejects(apps.readResource({ uri: "ui://sentry-mcp-rs/nope.html" }), /views of this connection are/);
});

test("a client without the extension sees no change: no capability, no _meta, no view data", async () => {
  assert.equal(plain.getServerCapabilities().extensions?.[EXTENSION], undefined);
  const before = (await plain.listTools()).tools;
  assert.ok(before.every((t) => t._meta === undefined), "no tool carries _meta");
  const withViews = (await apps.listTools()).tools;
  assert.deepEqual(withViews.map((t) => t.name), before.map((t) => t.name));
  for (const t of withViews) {
    const { _meta, ...rest } = t;
    assert.deepEqual(rest, entry(before, t.name), `${t.name} differs only by its _meta`);
  }
  assert.ok(JSON.stringify(before).length < JSON.stringify(withViews).length);
  const listed = (await plain.listResources()).resources;
  assert.ok(listed.every((r) => !r.uri.startsWith("ui://")), "views are listed only for clients that render them");

  const trace = await call(plain, "get_trace_details", { organizationSlug: "acme", traceId: CHECKOUT });
  const traceApps = await call(apps, "get_trace_details", { organizationSlug: "acme", traceId: CHECKOUT });
  assert.equal(trace.result.structuredContent, undefined);
  assert.ok(traceApps.result.structuredContent.spans.length > 0);
  assert.equal(strip(traceApps.text), strip(trace.text), "the same fenced Markdown");
  assert.deepEqual(traceApps.result._meta["io.github.sentry-mcp-rs/provenance"].applicationFields, ["/spans/*/op", "/spans/*/name"]);

  const args = { organizationSlug: "acme", dataset: "spans", fields: ["span.op", "count()"], period: "24h" };
  const agg = await call(plain, "search_events", args);
  const aggApps = await call(apps, "search_events", args);
  assert.equal(agg.result.structuredContent.series, undefined);
  assert.ok(aggApps.result.structuredContent.series.points.length > 0);
  assert.equal(strip(aggApps.text), strip(agg.text));
  const { series, ...rest } = aggApps.result.structuredContent;
  assert.deepEqual(rest, agg.result.structuredContent);
});

/** An answer without its per-response boundary nonce (each answer has its own). */
const strip = (text) => text.replace(/[0-9a-f]{16}/g, "NONCE");

test("over HTTP the negotiation survives statelessness: a marker session id, and _meta per request", { skip: TRANSPORT === "stdio" }, async () => {
  const init = (capabilities) => rpc("initialize", { protocolVersion: "2025-11-25", capabilities, clientInfo: { name: "raw", version: "1" } });
  const withUi = await post("/mcp", init(UI), auth());
  const session = withUi.headers.get("mcp-session-id");
  assert.match(session ?? "", /^mcp-app\.[0-9a-f]{64}$/);
  assert.deepEqual(withUi.body.result.capabilities.extensions, { [EXTENSION]: {} });
  const without = await post("/mcp", init({}), auth());
  assert.equal(without.headers.get("mcp-session-id"), null, "no session for a client without the extension");
  assert.equal(without.body.result.capabilities.extensions, undefined);

  const headers = { ...auth(), "mcp-protocol-version": "2025-11-25" };
  const listed = await post("/mcp", rpc("tools/list", {}, 2), { ...headers, "mcp-session-id": session });
  assert.equal(entry(listed.body.result.tools, "get_trace_details")._meta.ui.resourceUri, WATERFALL);
  const bare = await post("/mcp", rpc("tools/list", {}, 2), headers);
  assert.ok(bare.body.result.tools.every((t) => !t._meta));
  const other = await post("/mcp", rpc("tools/list", {}, 2), { ...headers, "mcp-session-id": "some-other-session" });
  assert.equal(other.text, bare.text, "an unrelated session id changes nothing");

  // The modern era says it on every request.
  const m = modern("tools/list");
  m.body.params._meta["io.modelcontextprotocol/clientCapabilities"] = UI;
  const modernList = await post("/mcp", m.body, m.headers);
  assert.equal(entry(modernList.body.result.tools, "search_events")._meta.ui.resourceUri, SERIES);
  const d = modern("server/discover");
  d.body.params._meta["io.modelcontextprotocol/clientCapabilities"] = UI;
  const discover = await post("/mcp", d.body, d.headers);
  assert.deepEqual(Object.keys(discover.body.result.capabilities.extensions).sort(), [EXTENSION, "io.modelcontextprotocol/tasks"].sort());
  const plainModern = modern("tools/list");
  assert.ok((await post("/mcp", plainModern.body, plainModern.headers)).body.result.tools.every((t) => !t._meta));
});

/** A host page in Chromium rendering one view with one tool call's input and result. */
async function render(uri, toolInput, toolResult) {
  const html = (await apps.readResource({ uri })).contents[0].text;
  const context = await browser.newContext({ viewport: { width: 760, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("request", (r) => { if (!r.url().startsWith("about:") && !r.url().startsWith("data:")) problems.push(`request: ${r.url()}`); });
  await page.setContent(HOST_PAGE);
  await page.evaluate(([h, i, r]) => window.renderView(h, i, r), [html, toolInput, toolResult]);
  const frame = await waitForFrame(page);
  return { context, page, frame, problems };
}

async function waitForFrame(page) {
  for (let i = 0; i < 100; i++) {
    const frame = page.frames().find((f) => f !== page.mainFrame());
    if (frame) return frame;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the view's frame never appeared");
}

test("the waterfall draws one bar per span, sized by its duration", async () => {
  const args = { organizationSlug: "acme", traceId: CHECKOUT, maxSpans: 500 };
  const { text, result } = await call(apps, "get_trace_details", args);
  const { context, page, frame, problems } = await render(WATERFALL, args, result);
  try {
    await frame.waitForSelector(".bar");
    const bars = await frame.$$eval(".bar", (els) => els.map((b) => ({ id: b.dataset.spanId, width: b.getBoundingClientRect().width, left: b.getBoundingClientRect().left, track: b.parentElement.getBoundingClientRect() })));
    // One bar per span of the answer's tree (error nodes are not spans).
    const treeSpans = [...text.matchAll(/· span ([0-9a-f]{16})/g)].map((m) => m[1]);
    assert.ok(treeSpans.length >= 30, `${treeSpans.length} spans in the tree`);
    assert.deepEqual(bars.map((b) => b.id), treeSpans);
    const data = result.structuredContent;
    // Widths and offsets in proportion to durations and starts (a bar is at least 1 px wide).
    for (const [i, span] of data.spans.entries()) {
      const { width, left, track } = bars[i];
      const expected = (span.durationMs / data.durationMs) * track.width;
      assert.ok(Math.abs(width - Math.max(expected, 1)) <= 1, `${span.spanId}: ${width}px for ${span.durationMs} of ${data.durationMs} ms (expected ${expected})`);
      const offset = (span.startMs / data.durationMs) * track.width;
      assert.ok(Math.abs(left - track.left - offset) <= 1, `${span.spanId}: offset ${left - track.left}px, expected ${offset}`);
    }
    const widest = bars.reduce((a, b) => (b.width > a.width ? b : a));
    assert.ok(widest.width > 0.9 * widest.track.width, "the root spans the whole track");
    // The view started through the protocol and reported its size to the host.
    const log = await page.evaluate(() => window.hostLog.map((m) => m.method));
    assert.deepEqual(log.slice(0, 2), ["ui/initialize", "ui/notifications/initialized"]);
    assert.ok(log.includes("ui/notifications/size-changed"), JSON.stringify(log));
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("application-written span names are shown as text, never as markup", async () => {
  const args = { organizationSlug: "acme", traceId: INJECTION };
  const { result } = await call(apps, "get_trace_details", args);
  const hostile = result.structuredContent.spans.find((s) => s.name.includes("<img"));
  assert.ok(hostile, "the fixture's hostile span is in the data");
  const { context, page, frame, problems } = await render(WATERFALL, args, result);
  try {
    await frame.waitForSelector(".bar");
    const labels = await frame.$$eval(".label", (els) => els.map((e) => e.textContent));
    assert.ok(labels.some((l) => l.includes(`<img src=x onerror="document.title='pwned'">`)), JSON.stringify(labels));
    assert.ok(labels.some((l) => l.includes("</untrusted-data>")), "marker look-alikes too are plain text");
    assert.equal(await frame.$$eval("img", (els) => els.length), 0, "no element came from the data");
    assert.equal(await frame.$$eval("script", (els) => els.length), 1);
    assert.notEqual(await frame.evaluate(() => document.title), "pwned");
    assert.deepEqual(problems, []);
    // And were markup ever to get in, the view's own policy would keep it from loading anything.
    const violated = await frame.evaluate(() => new Promise((resolve) => {
      document.addEventListener("securitypolicyviolation", (e) => resolve(e.effectiveDirective));
      new Image().src = "http://127.0.0.1:9/x.png";
      setTimeout(() => resolve(null), 2000);
    }));
    assert.equal(violated, "img-src");
  } finally {
    await context.close();
  }
});

test("the time series chart draws one point per interval of the emulator's series", async () => {
  const args = { organizationSlug: "acme", dataset: "spans", fields: ["count()"], period: "24h" };
  const { result } = await call(apps, "search_events", args);
  const { series } = result.structuredContent;
  assert.equal(series.yAxis, "count()");
  assert.equal(series.interval, "15m");
  // The series is what Sentry (the emulator) answers for that aggregate, interval and period.
  const res = await fetch(`${EMULATOR_URL}/api/0/organizations/acme/events-stats/?dataset=spans&yAxis=count()&statsPeriod=24h&interval=15m`, { headers: { authorization: `Bearer ${VALID_TOKEN}` } });
  const upstream = (await res.json()).data.map(([t, [v]]) => [t, v.count]);
  assert.deepEqual(series.points, upstream);
  const total = upstream.reduce((sum, [, v]) => sum + v, 0);
  assert.equal(total, result.structuredContent.rows[0]["count()"], "the series adds up to the aggregate");

  const { context, frame, problems } = await render(SERIES, args, result);
  try {
    await frame.waitForSelector("circle.point");
    const points = await frame.$$eval("circle.point", (els) => els.map((c) => [Number(c.dataset.time), Number(c.dataset.value), Number(c.getAttribute("cy"))]));
    assert.equal(points.length, series.points.length, "one point per bucket");
    assert.deepEqual(points.map(([t, v]) => [t, v]), series.points);
    const max = Math.max(...points.map((p) => p[1]));
    const top = points.find((p) => p[1] === max)[2];
    assert.ok(points.every(([, v, cy]) => cy >= top - 0.1), "the peak is the highest point");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("the chart says so when a search has no series (rows, not an aggregate)", async () => {
  const args = { organizationSlug: "acme", dataset: "spans", limit: 3 };
  const { result } = await call(apps, "search_events", args);
  assert.equal(result.structuredContent.series, undefined, "rows have no series");
  const { context, frame, problems } = await render(SERIES, args, result);
  try {
    await frame.waitForSelector("p.note >> text=no time series");
    assert.equal(await frame.$$eval("circle", (els) => els.length), 0);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
