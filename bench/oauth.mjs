// What the OAuth Durable Object costs: the built worker twice in workerd (wrangler dev), one with
// the OAUTH_GUARD binding (the Durable Object decides single use) and one without (KV decides),
// in the same run against the same Sentry emulator. For each it reports p50/p95 of the code
// exchange, the refresh-token rotation and an authenticated /mcp request (`ping` with our access
// token), measured alternately so both instances see the same machine load.
// A benchmark, not a test: run with `make bench-oauth`. Prints a Markdown table; raw figures go to
// bench/results/oauth.json. Everything talks to 127.0.0.1 and every loop is bounded.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmulator } from "../tests/emulator/server.mjs";
import { OAUTH_APP } from "../tests/emulator/handlers/oauth.mjs";
import { root, startWorker } from "../tests/e2e/worker.mjs";

const N = Number(process.env.N ?? 100);
const WARMUP = 10;
const REDIRECT = "https://client.example/cb";
const work = fs.mkdtempSync(path.join(os.tmpdir(), "sentry-mcp-bench-oauth-"));
const emulator = await startEmulator({ rateLimit: 1_000_000 });
const vars = {
  SENTRY_URL: emulator.url,
  SENTRY_ALLOW_INSECURE_HTTP: "true",
  MCP_ALLOWED_HOSTS: "localhost,127.0.0.1",
  SENTRY_TRACES_SAMPLE_RATE: "0",
  SENTRY_CLIENT_ID: OAUTH_APP.clientId,
  SENTRY_CLIENT_SECRET: OAUTH_APP.clientSecret,
  COOKIE_SECRET: crypto.randomBytes(32).toString("hex"),
  OAUTH_REGISTRATIONS_PER_HOUR: "0",
};
const limits = { ip: 1_000_000, user: 1_000_000 };
const workers = {
  "Durable Object": await startWorker({ name: "guarded", work, vars, limits }),
  "KV only": await startWorker({ name: "kv", work, vars, limits, guard: false }),
};
function stop() {
  for (const w of Object.values(workers)) try { process.kill(-w.child.pid, "SIGTERM"); } catch {}
  emulator.close?.();
}
process.on("exit", stop);

const timeout = () => AbortSignal.timeout(15_000);
const cookies = new Map();
async function send(url, { method = "GET", form, json, headers = {} } = {}) {
  const jar = [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  const body = form ? new URLSearchParams(form).toString() : json ? JSON.stringify(json) : undefined;
  const type = form ? "application/x-www-form-urlencoded" : json ? "application/json" : undefined;
  const r = await fetch(url, { method, redirect: "manual", body, signal: timeout(),
    headers: { ...(type ? { "content-type": type } : {}), ...(jar ? { cookie: jar } : {}), ...headers } });
  for (const c of r.headers.getSetCookie()) {
    const pair = c.split(";")[0];
    cookies.set(pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1));
  }
  return { status: r.status, location: r.headers.get("location"), text: await r.text() };
}

/** Register a client once per worker; then each call runs consent → Sentry → callback → code. */
async function codeFor(origin, clientId, challenge) {
  const u = new URL("/oauth/authorize", origin);
  for (const [k, v] of Object.entries({ response_type: "code", client_id: clientId, redirect_uri: REDIRECT, state: "s", code_challenge: challenge, code_challenge_method: "S256" })) u.searchParams.set(k, v);
  const page = await send(u.toString());
  const tx = page.text.match(/name="tx" value="([^"]+)"/)[1];
  const approve = await send(`${origin}/oauth/authorize`, { method: "POST", form: [["tx", tx], ["skill", "inspect"], ["action", "approve"]] });
  const sentry = await send(approve.location);
  const fields = [...sentry.text.matchAll(/type="hidden" name="(\w+)" value="([^"]*)"/g)].map(([, k, v]) => [k, v.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))]);
  const back = await send(`${emulator.url}/oauth/authorize/`, { method: "POST", form: [...fields, ["decision", "approve"]] });
  const cb = await send(back.location);
  return new URL(cb.location).searchParams.get("code");
}

function pkce() {
  const verifier = crypto.randomBytes(32).toString("base64url");
  return { verifier, challenge: crypto.createHash("sha256").update(verifier).digest("base64url") };
}

const token = async (origin, form) => {
  const r = await send(`${origin}/oauth/token`, { method: "POST", form });
  if (r.status !== 200) throw new Error(`token → ${r.status}: ${r.text.slice(0, 200)}`);
  return JSON.parse(r.text);
};

const state = {};
for (const [label, w] of Object.entries(workers)) {
  const reg = await send(`${w.origin}/oauth/register`, { method: "POST", json: { redirect_uris: [REDIRECT], token_endpoint_auth_method: "none", client_name: "bench" } });
  const clientId = JSON.parse(reg.text).client_id;
  const { verifier, challenge } = pkce();
  const tokens = await token(w.origin, { grant_type: "authorization_code", client_id: clientId, code: await codeFor(w.origin, clientId, challenge), redirect_uri: REDIRECT, code_verifier: verifier });
  state[label] = { clientId, refresh: tokens.refresh_token, access: tokens.access_token };
}

const kinds = {
  "`POST /oauth/token`, authorization code": async (w, s) => {
    const { verifier, challenge } = pkce();
    const code = await codeFor(w.origin, s.clientId, challenge);
    const t = performance.now();
    await token(w.origin, { grant_type: "authorization_code", client_id: s.clientId, code, redirect_uri: REDIRECT, code_verifier: verifier });
    return performance.now() - t;
  },
  "`POST /oauth/token`, refresh (rotation)": async (w, s) => {
    const t = performance.now();
    const next = await token(w.origin, { grant_type: "refresh_token", client_id: s.clientId, refresh_token: s.refresh });
    const ms = performance.now() - t;
    Object.assign(s, { refresh: next.refresh_token, access: next.access_token });
    return ms;
  },
  "`POST /mcp` `ping` with our access token": async (w, s) => {
    const t = performance.now();
    const r = await fetch(`${w.origin}/mcp`, { method: "POST", signal: timeout(), headers: {
      "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25",
      authorization: `Bearer ${s.access}` }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }) });
    await r.text();
    if (r.status !== 200) throw new Error(`ping → ${r.status}`);
    return performance.now() - t;
  },
};

const pct = (ms, p) => ms[Math.min(ms.length - 1, Math.floor(ms.length * p))];
const rows = [];
for (const [kind, fn] of Object.entries(kinds)) {
  const samples = Object.fromEntries(Object.keys(workers).map((l) => [l, []]));
  const n = kind.includes("authorization code") ? Math.min(N, 30) : N;
  for (let i = 0; i < WARMUP + n; i++) {
    // Alternate the two instances so both see the same load.
    for (const [label, w] of Object.entries(workers)) {
      const ms = await fn(w, state[label]);
      if (i >= WARMUP) samples[label].push(ms);
    }
  }
  const row = { kind, n };
  for (const [label, ms] of Object.entries(samples)) {
    ms.sort((a, b) => a - b);
    row[label] = { p50: pct(ms, 0.5), p95: pct(ms, 0.95) };
  }
  rows.push(row);
}

const f = (x) => `${x.toFixed(1)} ms`;
const out = ["| Request | n | Durable Object p50 | p95 | KV only p50 | p95 | Added (p50) |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"];
for (const r of rows) {
  const d = r["Durable Object"], k = r["KV only"];
  out.push(`| ${r.kind} | ${r.n} | ${f(d.p50)} | ${f(d.p95)} | ${f(k.p50)} | ${f(k.p95)} | ${f(d.p50 - k.p50)} |`);
}
console.log(out.join("\n"));
fs.mkdirSync(path.join(root, "bench/results"), { recursive: true });
fs.writeFileSync(path.join(root, "bench/results/oauth.json"), JSON.stringify(rows, null, 2));
process.exit(0);
