// The public pages in workerd, in headless Chromium: the landing page loads under its CSP with no
// console error or blocked resource, the connection builder's URL follows the choices (with and
// without JavaScript) and reaches every client's snippet, the page fits a phone, and a screenshot
// is not blank. Then robots.txt, llms.txt and the server card, checked against tools/list.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect, launchChromium, ORIGIN } from "./helpers.mjs";

let browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => browser?.close());

/** A page with its console errors, page errors and failed requests recorded. */
async function open(options = {}, path = "/") {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  const response = await page.goto(`${ORIGIN}${path}`);
  return { context, page, problems, response };
}

const endpointText = (page) => page.locator("#endpoint").innerText();

test("the page loads under a strict CSP with no console error or blocked resource", async () => {
  const { context, page, problems, response } = await open();
  try {
    assert.equal(response.status(), 200);
    const csp = response.headers()["content-security-policy"];
    assert.match(csp, /^default-src 'none'; style-src 'sha256-[^']+'; script-src 'sha256-[^']+';/);
    assert.doesNotMatch(csp, /unsafe/);
    assert.equal(response.headers()["x-frame-options"], "DENY");
    assert.equal(await page.locator("h1").innerText(), "Sentry MCP");
    assert.equal(await endpointText(page), `${ORIGIN}/mcp`);
    // The script ran (copy buttons are revealed by it): the CSP hash matches what was served.
    await page.locator("#result button.copy:not([hidden])").waitFor();
    await page.waitForLoadState("networkidle");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("the builder's URL follows the choices and every client's snippet contains it", async () => {
  const { context, page, problems } = await open({ permissions: ["clipboard-read", "clipboard-write"] });
  try {
    await page.fill("input[name=org]", "acme");
    await page.fill("input[name=project]", "web");
    await page.uncheck("input[name=skill][value=seer]");
    await page.check("input[name=access][value=token]");
    const expected = `${ORIGIN}/mcp/acme/web?skills=inspect,triage,project-management`;
    await page.waitForFunction((url) => document.querySelector("#endpoint")?.innerText === url, expected);
    assert.match(page.url(), /[?&]org=acme/, "the choices are in the address bar");
    const clients = await page.locator("section.client").evaluateAll((sections) => sections.map((s) => ({ id: s.id, code: [...s.querySelectorAll("pre")].map((p) => p.innerText) })));
    assert.ok(clients.length >= 10, JSON.stringify(clients.map((c) => c.id)));
    for (const client of clients) {
      if (client.id === "client-stdio") {
        assert.ok(client.code.some((c) => c.includes("--organization-slug=acme --project-slug=web --skills=inspect,triage,project-management")), JSON.stringify(client));
      } else {
        assert.ok(client.code.some((c) => c.includes(expected)), `${client.id}: ${JSON.stringify(client.code)}`);
      }
    }
    const cursor = await page.locator("#client-cursor a.install").getAttribute("href");
    const config = JSON.parse(Buffer.from(decodeURIComponent(new URL(cursor).searchParams.get("config")), "base64").toString());
    assert.equal(config.url, expected);
    assert.equal(config.headers.Authorization, "Sentry-Bearer ${env:SENTRY_ACCESS_TOKEN}");
    const vscode = await page.locator("#client-vscode a.install").getAttribute("href");
    assert.equal(JSON.parse(decodeURIComponent(vscode.slice("vscode:mcp/install?".length))).url, expected);

    await page.locator("#client-claude-code button.copy").click();
    assert.match(await page.evaluate(() => navigator.clipboard.readText()), new RegExp(`^claude mcp add --transport http sentry "${expected.replace(/[?]/g, "\\?")}"`));

    await page.fill("input[name=project]", "bad slug!");
    await page.locator(".problems").waitFor();
    assert.equal(await endpointText(page), `${ORIGIN}/mcp/acme?skills=inspect,triage,project-management`, "a bad slug is explained and left out");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("without JavaScript the page is complete and the builder is a plain form", async () => {
  const { context, page } = await open({ javaScriptEnabled: false });
  try {
    assert.ok((await page.locator("#security").innerText()).includes("untrusted"));
    assert.equal(await page.locator("button.copy:visible").count(), 0, "copy buttons need the script");
    await page.fill("input[name=org]", "initech");
    await Promise.all([page.waitForURL(/org=initech/), page.click("#builder button[type=submit]")]);
    assert.equal(await endpointText(page), `${ORIGIN}/mcp/initech`);
    assert.ok((await page.locator("#client-claude-code pre").innerText()).includes(`${ORIGIN}/mcp/initech`));
  } finally {
    await context.close();
  }
});

test("the page fits a phone: nothing wider than the screen, the builder reachable", async () => {
  const { context, page, problems } = await open({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  try {
    const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, screen: window.innerWidth }));
    assert.ok(widths.page <= widths.screen, JSON.stringify(widths));
    const box = await page.locator("input[name=org]").boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 375, JSON.stringify(box));
    await page.fill("input[name=org]", "acme");
    await page.waitForFunction((url) => document.querySelector("#endpoint")?.innerText === url, `${ORIGIN}/mcp/acme`);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

/** Share of a PNG screenshot's pixels that differ from its most common colour, measured in the browser. */
async function inkShare(page, png) {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, img.width, img.height).data;
    const counts = new Map();
    for (let i = 0; i < data.length; i += 4) {
      const key = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const total = data.length / 4;
    return 1 - Math.max(...counts.values()) / total;
  }, png.toString("base64"));
}

test("a screenshot of the page is not blank (and the check sees a blank page as blank)", async () => {
  const { context, page } = await open({ viewport: { width: 1280, height: 900 } });
  try {
    const shot = await page.screenshot();
    const blankPage = await context.newPage();
    await blankPage.setContent("<html><body></body></html>");
    const blank = await blankPage.screenshot();
    const measure = await context.newPage();
    const ink = await inkShare(measure, shot);
    const none = await inkShare(measure, blank);
    assert.ok(none < 0.001, `a blank page measures blank (${none})`);
    assert.ok(ink > 0.05, `the page has content: ${ink}`);
  } finally {
    await context.close();
  }
});

test("robots.txt, llms.txt and the server card follow the catalogue", async () => {
  const robots = await fetch(`${ORIGIN}/robots.txt`);
  assert.equal(robots.status, 200);
  assert.match(await robots.text(), /Disallow: \/mcp\n/);

  const client = await connect();
  let tools;
  try {
    tools = (await client.listTools()).tools.map((t) => t.name);
  } finally {
    await client.close();
  }
  const llms = await fetch(`${ORIGIN}/llms.txt`);
  assert.match(llms.headers.get("content-type"), /^text\/markdown/);
  const text = await llms.text();
  for (const name of tools) assert.ok(text.includes(`- \`${name}\`: `), `${name} in llms.txt`);

  const catalog = await (await fetch(`${ORIGIN}/.well-known/mcp/catalog.json`)).json();
  const cardUrl = catalog.entries[0].url;
  assert.equal(cardUrl, `${ORIGIN}/mcp/server-card`);
  const res = await fetch(cardUrl, { headers: { accept: "application/mcp-server-card+json" } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/mcp-server-card+json");
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  const card = await res.json();
  assert.equal(card.remotes[0].url, `${ORIGIN}/mcp`);
  assert.deepEqual(card._meta["io.github.sentry-mcp-rs/server"].tools.map((t) => t.name), tools, "the card lists what tools/list lists");
  assert.deepEqual(await (await fetch(`${ORIGIN}/mcp.json`)).json(), card);

  const markdown = await fetch(`${ORIGIN}/`, { headers: { accept: "text/markdown" } });
  assert.match(markdown.headers.get("content-type"), /^text\/markdown/);
  assert.equal(await markdown.text(), text);
  const post = await fetch(`${ORIGIN}/mcp/server-card`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  assert.notEqual(post.status, 200, "POST /mcp/{org} is still the MCP endpoint");
  await post.arrayBuffer();
});
