// `sentry-mcp auth login|status|logout` against the emulator's device authorization endpoints,
// as a person uses it: the binary prints a link and a code, the user approves the code on the
// (emulated) Sentry page, the binary stores the token owner-only, and the server then starts
// without a token. The token must never appear in anything the binary prints. Without the device
// endpoint, the binary falls back to the browser flow, and the test plays the browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { EMULATOR_URL, STDIO_BIN, STDIO_LOG } from "./helpers.mjs";
import { DEVICE_APP } from "../emulator/handlers/oauth.mjs";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sentry-mcp-login-"));
const credentials = path.join(dir, "config", "credentials.json");
const env = { SENTRY_MCP_CREDENTIALS: credentials, SENTRY_ALLOWED_REGION_DOMAINS: "127.0.0.2", SENTRY_API_TIMEOUT_MS: "2000" };
const target = [`--url=${EMULATOR_URL}`, "--insecure-http"];

/** Run the binary to its end (bounded); `onStderr` sees its stderr as it arrives. */
function run(args, { input = "", extraEnv = {}, onStderr = () => {}, timeoutMs = 30_000 } = {}) {
  return new Promise((resolve) => {
    const bare = { ...process.env };
    delete bare.SENTRY_ACCESS_TOKEN;
    const child = spawn(STDIO_BIN, args, { env: { ...bare, ...env, ...extraEnv }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (c) => { stdout += c; });
    child.stderr.on("data", (c) => { stderr += c; fs.appendFileSync(STDIO_LOG, c); onStderr(stderr); });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin.on("error", () => {}); // a process that refuses to start closes its stdin early
    child.stdin.end(input);
  });
}

async function issuedTokens() {
  const r = await fetch(`${EMULATOR_URL}/__emulator/oauth/issued`);
  return (await r.json()).issued;
}

/** The link and code the binary printed, once the whole line has arrived. */
const PROMPT = /open (\S+) and enter the code ([A-F0-9]{4}-[A-F0-9]{4})/;

/** What the user does in the browser: open the page, enter the code, press the button. */
async function decide(stderr, decision) {
  const m = PROMPT.exec(stderr);
  assert.ok(m, stderr);
  const page = await fetch(m[1]);
  assert.equal(page.status, 200);
  assert.match(await page.text(), new RegExp(m[2]), "the link carries the code");
  const r = await fetch(`${EMULATOR_URL}/oauth/device/`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ user_code: m[2], decision }) });
  assert.equal(r.status, 200);
}

test("auth login: device code, approval in the browser, token stored owner-only and used by the server", async () => {
  const before = new Set(await issuedTokens());
  let approved = false;
  const login = await run(["auth", "login", ...target, `--client-id=${DEVICE_APP.clientId}`], {
    onStderr: (text) => {
      if (!approved && PROMPT.test(text)) { approved = true; decide(text, "approve"); }
    },
  });
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stderr, /Signed in to http:\/\/127\.0\.0\.1:\d+\/ as Jane Doe/);
  const token = (await issuedTokens()).find((t) => !before.has(t) && t.startsWith("sntryo_"));
  assert.ok(token, "the emulator issued a token");
  assert.ok(!login.stderr.includes(token) && !login.stdout.includes(token), "the token is never printed");

  const stat = fs.statSync(credentials);
  assert.equal(stat.mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(credentials)).mode & 0o777, 0o700);
  assert.ok(fs.readFileSync(credentials, "utf8").includes(token));

  const status = await run(["auth", "status", ...target]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stderr, /Signed in to .* as Jane Doe/);
  assert.ok(!status.stderr.includes(token));

  // The server, with no token given, signs its calls with the stored one.
  const init = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "login-e2e", version: "1" } } };
  const call = { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "whoami", arguments: {} } };
  const served = await run(target, { input: `${JSON.stringify(init)}\n${JSON.stringify(call)}\n` });
  const answers = served.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const who = answers.find((a) => a.id === 2);
  assert.equal(who.result.isError, false, served.stdout + served.stderr);
  assert.match(who.result.content[0].text, /Jane Doe/);
  assert.ok(!served.stderr.includes(token));

  const logout = await run(["auth", "logout", ...target]);
  assert.equal(logout.code, 0, logout.stderr);
  assert.match(logout.stderr, /Signed out/);
  assert.ok(!fs.readFileSync(credentials, "utf8").includes(token), "the token is gone from the file");
  const after = await run(["auth", "status", ...target]);
  assert.equal(after.code, 1);
  assert.match(after.stderr, /Not signed in/);
  const refused = await run(target, { input: "" });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /sentry-mcp auth login/);
});

/** The authorize link the binary printed when it fell back to the browser. */
const BROWSER_PROMPT = /Open (\S+) to approve/;

/** What the user's browser does with the printed link: open the Sentry page, press a button and
 *  follow the redirect to the binary's loopback listener (a forged state first, which it must
 *  refuse and keep waiting). Returns what the listener answered. */
async function browse(stderr, decision) {
  const link = new URL(BROWSER_PROMPT.exec(stderr)[1]);
  assert.equal(link.origin, EMULATOR_URL);
  assert.equal(link.searchParams.get("code_challenge_method"), "S256");
  const redirect = new URL(link.searchParams.get("redirect_uri"));
  assert.equal(redirect.hostname, "127.0.0.1");
  const page = await fetch(link, { signal: AbortSignal.timeout(5000) });
  assert.equal(page.status, 200);
  const form = new URLSearchParams();
  for (const m of (await page.text()).matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) form.set(m[1], m[2].replace(/&#(\d+);/g, (_, n) => String.fromCharCode(n)));
  form.set("decision", decision);
  const posted = await fetch(`${EMULATOR_URL}/oauth/authorize/`, { method: "POST", body: form, redirect: "manual", signal: AbortSignal.timeout(5000) });
  assert.equal(posted.status, 302);
  const callback = new URL(posted.headers.get("location"));
  assert.equal(callback.origin, redirect.origin);
  const forged = new URL(callback);
  forged.searchParams.set("state", "forged");
  const stray = await fetch(forged, { signal: AbortSignal.timeout(5000) });
  assert.equal(stray.status, 400, "a callback with another state is refused");
  const answer = await fetch(callback, { signal: AbortSignal.timeout(5000) });
  return { status: answer.status, text: await answer.text() };
}

/** `auth login` with the browser fallback, the test deciding in the "browser" once the link is printed. */
async function browserLogin(decision) {
  let browsed = null;
  const login = await run(["auth", "login", ...target, `--client-id=${DEVICE_APP.clientId}`], {
    extraEnv: { SENTRY_MCP_NO_BROWSER: "1" },
    onStderr: (text) => {
      if (!browsed && BROWSER_PROMPT.test(text)) browsed = browse(text, decision);
    },
  });
  assert.ok(browsed, login.stderr);
  return { ...login, answer: await browsed };
}

test("auth login: without the device endpoint it signs in through the browser (PKCE, loopback redirect)", async () => {
  const configure = (cfg) => fetch(`${EMULATOR_URL}/__emulator/oauth/config`, { method: "POST", body: JSON.stringify(cfg) });
  await configure({ deviceFlow: false });
  try {
    const missing = await fetch(`${EMULATOR_URL}/oauth/device/code/`, { method: "POST" });
    assert.equal(missing.status, 404);
    const before = new Set(await issuedTokens());
    const login = await browserLogin("approve");
    assert.equal(login.answer.status, 200);
    assert.match(login.answer.text, /close this tab/);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stderr, /no device sign-in; signing in through the browser/);
    assert.match(login.stderr, /Signed in to http:\/\/127\.0\.0\.1:\d+\/ as Jane Doe/);
    const token = (await issuedTokens()).find((t) => !before.has(t) && t.startsWith("sntryo_"));
    assert.ok(token, "the emulator issued a token");
    assert.ok(!login.stderr.includes(token) && !login.stdout.includes(token), "the token is never printed");
    assert.equal(fs.statSync(credentials).mode & 0o777, 0o600);
    assert.ok(fs.readFileSync(credentials, "utf8").includes(token));
    const status = await run(["auth", "status", ...target]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stderr, /as Jane Doe/);

    const refused = await browserLogin("deny");
    assert.equal(refused.answer.status, 200);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /denied/);
    assert.ok(fs.readFileSync(credentials, "utf8").includes(token), "a denied sign-in keeps the stored one");
    assert.equal((await run(["auth", "logout", ...target])).code, 0);
  } finally {
    await configure({});
  }
});

test("auth login: a denied code, a missing client id and a file others can read are refused with the fix", async () => {
  let denied = false;
  const login = await run(["auth", "login", ...target, `--client-id=${DEVICE_APP.clientId}`], {
    onStderr: (text) => {
      if (!denied && PROMPT.test(text)) { denied = true; decide(text, "deny"); }
    },
  });
  assert.equal(login.code, 1);
  assert.match(login.stderr, /denied/);

  const noClient = await run(["auth", "login", ...target], { extraEnv: { SENTRY_CLIENT_ID: "" } });
  assert.equal(noClient.code, 1);
  assert.match(noClient.stderr, /--client-id/);

  const unknown = await run(["auth", "login", ...target, "--client-id=not-registered"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /invalid_client/);

  fs.mkdirSync(path.dirname(credentials), { recursive: true, mode: 0o700 });
  fs.writeFileSync(credentials, "{}");
  fs.chmodSync(credentials, 0o644);
  const status = await run(["auth", "status", ...target]);
  assert.equal(status.code, 1);
  assert.match(status.stderr, /chmod 600/);
  fs.rmSync(dir, { recursive: true, force: true });
});
