// Helpers for the remote OAuth tests: registration, PKCE, the consent flow over raw HTTP (with a
// tiny cookie jar), the same flow in headless Chromium, token calls, and a record of every token
// seen so the final audit can look for them in storage and logs.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ORIGIN, EMULATOR_URL } from "./helpers.mjs";

export const COOKIE_SECRET = process.env.COOKIE_SECRET;
const TIMEOUT = AbortSignal.timeout.bind(AbortSignal);

/** Remember a token for the audit (tests/e2e/audit/logs.audit.mjs). */
export function remember(...tokens) {
  if (process.env.OAUTH_TOKEN_LOG) fs.appendFileSync(process.env.OAUTH_TOKEN_LOG, tokens.filter(Boolean).map((t) => `${t}\n`).join(""));
}

export function pkce() {
  const verifier = crypto.randomBytes(32).toString("base64url");
  return { verifier, challenge: crypto.createHash("sha256").update(verifier).digest("base64url") };
}

export async function register(redirectUris, extra = {}) {
  const res = await fetch(`${ORIGIN}/oauth/register`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ redirect_uris: redirectUris, token_endpoint_auth_method: "none", client_name: "e2e client", ...extra }),
    signal: TIMEOUT(10_000),
  });
  return { status: res.status, body: await res.json() };
}

export function authorizeUrl({ clientId, redirectUri, challenge, state = "client-state", resource, scope, method = "S256" }) {
  const u = new URL("/oauth/authorize", ORIGIN);
  const params = { response_type: "code", client_id: clientId, redirect_uri: redirectUri, state, code_challenge: challenge, code_challenge_method: method, resource, scope };
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) u.searchParams.set(k, v);
  return u.toString();
}

/** A minimal cookie jar: name → value, from Set-Cookie headers. */
export class Jar {
  constructor() { this.cookies = new Map(); }
  take(res) {
    for (const c of res.headers.getSetCookie?.() ?? []) {
      const [pair, ...attrs] = c.split(";");
      const [name, value] = [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)];
      if (attrs.some((a) => /max-age=0$/i.test(a.trim()))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "); }
}

export async function get(url, jar, headers = {}) {
  const res = await fetch(url, { redirect: "manual", headers: { ...(jar ? { cookie: jar.header() } : {}), ...headers }, signal: TIMEOUT(15_000) });
  jar?.take(res);
  return { status: res.status, headers: res.headers, text: await res.text(), location: res.headers.get("location") };
}

export async function postForm(url, form, jar, headers = {}) {
  const res = await fetch(url, {
    method: "POST", redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(jar ? { cookie: jar.header() } : {}), ...headers },
    body: new URLSearchParams(form).toString(), signal: TIMEOUT(15_000),
  });
  jar?.take(res);
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch {}
  return { status: res.status, headers: res.headers, text, json, location: res.headers.get("location") };
}

/** Load the consent page and submit it (approve with `skills`); returns the redirect to Sentry. */
export async function consent(url, jar, { skills = ["inspect", "triage"], readOnly = false, action = "approve" } = {}) {
  const pageRes = await get(url, jar);
  if (pageRes.status !== 200) return { page: pageRes };
  const tx = pageRes.text.match(/name="tx" value="([^"]+)"/)[1];
  const form = [["tx", tx], ...skills.map((s) => ["skill", s]), ["action", action]];
  if (readOnly) form.push(["read_only", "on"]);
  const approve = await postForm(`${ORIGIN}/oauth/authorize`, form, jar);
  return { page: pageRes, approve, tx };
}

/** Approve on the emulator's Sentry page; returns the callback URL (towards our server). */
export async function sentryApprove(sentryUrl, decision = "approve") {
  const page = await get(sentryUrl);
  const fields = [...page.text.matchAll(/type="hidden" name="(\w+)" value="([^"]*)"/g)].map(([, k, v]) => [k, v.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))]);
  const res = await postForm(`${EMULATOR_URL}/oauth/authorize/`, [...fields, ["decision", decision]]);
  return res.location;
}

/** The whole browserless flow: consent → Sentry → callback. Returns {code, location, jar, ...}. */
export async function rawAuthorize({ clientId, redirectUri, challenge, resource, skills, readOnly, state = "client-state", jar = new Jar() }) {
  const { approve } = await consent(authorizeUrl({ clientId, redirectUri, challenge, resource, state }), jar, { skills, readOnly });
  const callbackUrl = await sentryApprove(approve.location);
  const cb = await get(callbackUrl, jar);
  const location = cb.location ?? "";
  const code = location ? new URL(location).searchParams.get("code") : null;
  remember(code);
  return { code, location, callback: cb, callbackUrl, jar, sentryUrl: approve.location };
}

export async function token(form, headers = {}) {
  const res = await postForm(`${ORIGIN}/oauth/token`, form, null, headers);
  remember(res.json?.access_token, res.json?.refresh_token);
  return res;
}

/** Register a client and run the flow up to tokens. */
export async function connectOAuth({ resource, skills, readOnly, redirectUri = "https://client.example/cb" } = {}) {
  const { body: client } = await register([redirectUri]);
  const { verifier, challenge } = pkce();
  const { code } = await rawAuthorize({ clientId: client.client_id, redirectUri, challenge, resource, skills, readOnly });
  const res = await token({ grant_type: "authorization_code", client_id: client.client_id, code, redirect_uri: redirectUri, code_verifier: verifier });
  return { client, code, verifier, redirectUri, tokens: res.json, response: res };
}

/** Sign like src/oauth/signed.rs (tests know the test COOKIE_SECRET, so they can forge expiry). */
export function sign(purpose, data, expMs) {
  const key = crypto.createHmac("sha256", COOKIE_SECRET).update(`sentry-mcp-rs/v1/${purpose}`).digest();
  const body = Buffer.from(JSON.stringify({ exp: expMs, data })).toString("base64url");
  const sig = crypto.createHmac("sha256", key).update(`${purpose}.${body}`).digest("base64url");
  return `${body}.${sig}`;
}

export function decodeSigned(value) {
  return JSON.parse(Buffer.from(value.split(".")[0], "base64url").toString());
}

export async function emulatorControl(route, body) {
  const res = await fetch(`${EMULATOR_URL}/__emulator/oauth/${route}`, { method: "POST", body: body ? JSON.stringify(body) : undefined, signal: TIMEOUT(5_000) });
  return res.json();
}

/** Headless Chromium from the Debian package (no browser downloads), with a fresh profile. */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sentry-mcp-chromium-"));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    timeout: 30_000,
  });
  return { context, close: async () => { await context.close().catch(() => {}); fs.rmSync(dir, { recursive: true, force: true }); } };
}

/** A loopback listener standing in for a native client's redirect URI; resolves `{url, close}`. */
export async function redirectListener() {
  const http = await import("node:http");
  const server = http.createServer((req, res) => { res.writeHead(200, { "content-type": "text/plain" }); res.end("You can close this window."); });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}/callback`, close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }) };
}

/**
 * Open an authorization URL in the browser, approve our consent page (choosing `skills`), then
 * approve on the Sentry emulator's page, and wait until the browser lands on `waitFor` (the
 * client's redirect URI, served by a real loopback listener). Returns that URL and the cookies.
 */
export async function browserApprove(context, url, { skills = ["inspect", "triage"], waitFor } = {}) {
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  try {
    await page.goto(url);
    for (const box of await page.locator('input[name="skill"]').all()) {
      const want = skills.includes(await box.getAttribute("value"));
      if ((await box.isChecked()) !== want) await box.setChecked(want);
    }
    await Promise.all([page.waitForURL((u) => u.href.startsWith(`${EMULATOR_URL}/oauth/authorize/`)), page.click('button[value="approve"]')]);
    await Promise.all([page.waitForURL((u) => u.href.startsWith(waitFor)), page.click('button[value="approve"]')]);
    return { url: page.url(), cookies: await context.cookies(ORIGIN) };
  } finally {
    await page.close().catch(() => {});
  }
}
