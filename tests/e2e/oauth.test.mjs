// Remote OAuth mode end to end: discovery, registration, the consent page, Sentry (the emulator)
// and the token endpoint, first with the official TypeScript SDK client and a real headless
// Chromium approving the pages, then one negative case per test over raw HTTP.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { auth, UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { ORIGIN, EMULATOR_URL, call, post, rpc, upstreamRequests } from "./helpers.mjs";
import {
  Jar, authorizeUrl, browserApprove, connectOAuth, consent, decodeSigned, emulatorControl, get, launchChromium, pkce,
  postForm, rawAuthorize, redirectListener, register, remember, sentryApprove, sign, token,
} from "./oauth-helpers.mjs";

const bearer = (t) => ({ authorization: `Bearer ${t}` });
const toolsList = (path, t) => post(path, rpc("tools/list"), bearer(t));

let browser;
before(async () => { browser = await launchChromium(); });
after(async () => { await browser?.close(); });

// --- Discovery -------------------------------------------------------------------------------

test("401 without credentials points at the path's resource metadata, which points at the issuer", async () => {
  const r = await post("/mcp/acme", rpc("tools/list"));
  assert.equal(r.status, 401);
  const challenge = r.headers.get("www-authenticate");
  assert.equal(challenge, `Bearer resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource/mcp/acme", scope="inspect triage seer project-management"`);
  const prm = await (await fetch(`${ORIGIN}/.well-known/oauth-protected-resource/mcp/acme`)).json();
  assert.equal(prm.resource, `${ORIGIN}/mcp/acme`);
  assert.deepEqual(prm.bearer_methods_supported, ["header"]);
  assert.ok(!prm.scopes_supported.includes("offline_access"));
  const as = await (await fetch(`${ORIGIN}/.well-known/oauth-authorization-server`)).json();
  assert.deepEqual(prm.authorization_servers, [as.issuer]);
  assert.equal(as.issuer, ORIGIN);
  assert.deepEqual(as.code_challenge_methods_supported, ["S256"]);
  assert.ok(as.token_endpoint_auth_methods_supported.includes("none"));
  assert.equal(as.authorization_response_iss_parameter_supported, true, "iss is sent and advertised (OAUTH_ADVERTISE_ISS=false turns the flag off; tests/e2e/clients.test.mjs)");
  assert.equal(as.client_id_metadata_document_supported, true);
});

test("the root resource metadata describes the canonical /mcp; path-inserted AS metadata is served", async () => {
  const root = await (await fetch(`${ORIGIN}/.well-known/oauth-protected-resource`)).json();
  assert.equal(root.resource, `${ORIGIN}/mcp`);
  for (const p of ["/mcp", "/mcp/acme/web-frontend"]) {
    const r = await fetch(`${ORIGIN}/.well-known/oauth-authorization-server${p}`);
    assert.equal(r.status, 200);
    assert.equal((await r.json()).issuer, ORIGIN);
  }
  assert.equal((await fetch(`${ORIGIN}/.well-known/oauth-protected-resource/elsewhere`)).status, 404);
});

test("CORS preflight on metadata, token, registration and revocation endpoints", async () => {
  for (const p of ["/.well-known/oauth-authorization-server", "/.well-known/oauth-protected-resource/mcp", "/oauth/token", "/oauth/register", "/oauth/revoke"]) {
    const r = await fetch(`${ORIGIN}${p}`, { method: "OPTIONS", headers: { origin: "http://localhost:6274", "access-control-request-method": "POST" } });
    assert.equal(r.status, 204, p);
    assert.equal(r.headers.get("access-control-allow-origin"), "*", p);
  }
});

// --- Registration ----------------------------------------------------------------------------

test("real clients' redirect sets register in one request each", async () => {
  const sets = {
    cursor: ["cursor://anysphere.cursor-mcp/oauth/callback", "https://www.cursor.com/agents/mcp/oauth/callback", "http://localhost:8787/callback"],
    vscode: ["https://insiders.vscode.dev/redirect", "https://vscode.dev/redirect", "http://127.0.0.1/", "http://127.0.0.1:33418/"],
    claude: ["https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"],
    chatgpt: ["https://chatgpt.com/connector_platform_oauth_redirect"],
  };
  for (const [name, uris] of Object.entries(sets)) {
    const r = await register(uris);
    assert.equal(r.status, 201, `${name}: ${JSON.stringify(r.body)}`);
    assert.ok(r.body.client_id && Number.isInteger(r.body.client_id_issued_at), name);
    assert.equal(r.body.client_secret, undefined, name);
  }
});

test("dangerous redirect URIs are refused at registration", async () => {
  for (const uri of ["javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)", "data:text/html,x", "vbscript:x", "file:///etc/passwd", "blob:https://a/b", "https://user@evil.example/cb", "https://ok.example/cb#frag", "http://evil.example/cb",
    // Private-use schemes only in reverse-DNS form (RFC 8252 section 7.1), or a known client's.
    "myapp://callback", "ms-settings:privacy", "ftp://files.example/cb"]) {
    const r = await register([uri]);
    assert.equal(r.status, 400, uri);
    assert.equal(r.body.error, "invalid_redirect_uri", uri);
  }
});

test("a confidential client gets a secret that works only as a secret", async () => {
  const r = await register(["https://client.example/cb"], { token_endpoint_auth_method: "client_secret_post" });
  assert.equal(r.status, 201);
  assert.match(r.body.client_secret, /^smcp_cs_/);
  remember(r.body.client_secret);
  const wrong = await token({ grant_type: "authorization_code", client_id: r.body.client_id, client_secret: "nope", code: "x" });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.json.error, "invalid_client");
});

// --- The official TypeScript SDK client, with Chromium approving --------------------------------

class MemoryProvider {
  constructor(redirectUrl) { this.redirect = redirectUrl; this.info = undefined; this.saved = undefined; this.verifier = undefined; this.lastUrl = undefined; }
  get redirectUrl() { return this.redirect; }
  get clientMetadata() { return { client_name: "e2e TypeScript SDK", redirect_uris: [this.redirect], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" }; }
  state() { return "sdk-state-7f3a"; }
  clientInformation() { return this.info; }
  saveClientInformation(i) { this.info = i; }
  tokens() { return this.saved; }
  saveTokens(t) { this.saved = t; remember(t.access_token, t.refresh_token); }
  redirectToAuthorization(url) { this.lastUrl = url; }
  saveCodeVerifier(v) { this.verifier = v; }
  codeVerifier() { return this.verifier; }
}

async function sdkConnect(path, provider) {
  const client = new Client({ name: "e2e-oauth", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(path, ORIGIN), { authProvider: provider }));
  return client;
}

test("TypeScript SDK: discovery, DCR, consent in Chromium, Sentry, tokens, tools, refresh", async () => {
  const listener = await redirectListener(); // the "native app" the browser returns to
  const redirect = listener.url;
  const provider = new MemoryProvider(redirect);
  const transport = new StreamableHTTPClientTransport(new URL("/mcp/acme", ORIGIN), { authProvider: provider });
  const first = new Client({ name: "e2e-oauth", version: "1.0.0" });
  await assert.rejects(first.connect(transport), (e) => e instanceof UnauthorizedError);
  assert.ok(provider.lastUrl, "the SDK asked to open the authorization URL");
  assert.equal(provider.lastUrl.searchParams.get("resource"), `${ORIGIN}/mcp/acme`);

  const landed = await browserApprove(browser.context, provider.lastUrl.toString(), { skills: ["inspect", "triage"], waitFor: redirect }).finally(listener.close);
  const back = new URL(landed.url);
  assert.equal(back.searchParams.get("iss"), ORIGIN);
  assert.equal(back.searchParams.get("state"), "sdk-state-7f3a", "the client's state comes back");
  const names = landed.cookies.map((c) => c.name).sort();
  assert.deepEqual(names.filter((n) => n.startsWith("__Host-")), ["__Host-smcp-approved", "__Host-smcp-skills"], "Chromium kept the __Host- cookies on loopback http");
  for (const c of landed.cookies.filter((c) => c.name.startsWith("__Host-"))) {
    assert.ok(c.secure && c.httpOnly && c.sameSite === "Lax" && c.path === "/", c.name);
  }
  await transport.finishAuth(back.searchParams.get("code"));
  assert.ok(provider.saved.access_token.startsWith("smcp_at_") && provider.saved.refresh_token.startsWith("smcp_rt_"));
  assert.equal(provider.saved.scope, "inspect triage");

  const client = await sdkConnect("/mcp/acme", provider);
  const tools = (await client.listTools()).tools.map((t) => t.name);
  assert.ok(tools.includes("search_issues") && !tools.includes("find_organizations"), "the /mcp/acme audience hides org-picking tools");
  const who = await call(client, "whoami");
  assert.equal(who.isError, false, who.text);
  assert.match(who.text, /Jane Doe/);
  assert.match(who.text, /Limited to\*\*: organization 'acme'/);
  const upstream = (await upstreamRequests()).filter((r) => r.path === "/api/0/").at(-1);
  assert.match(upstream.headers.authorization, /^Bearer sntryo_e2e_/, "Sentry sees the Sentry token");
  assert.ok(!JSON.stringify(await upstreamRequests()).includes(provider.saved.access_token), "our token never reaches Sentry");

  // The SDK refreshes with its refresh token; the old refresh token is rotated out.
  const before = provider.saved;
  assert.equal(await auth(provider, { serverUrl: new URL("/mcp/acme", ORIGIN) }), "AUTHORIZED");
  assert.notEqual(provider.saved.refresh_token, before.refresh_token);
  assert.equal((await call(client, "whoami")).isError, false);
  // After revoking the access token, the transport's 401 makes the SDK refresh on its own.
  assert.equal((await postForm(`${ORIGIN}/oauth/revoke`, { token: provider.saved.access_token, client_id: provider.info.client_id })).status, 200);
  const revoked = provider.saved.access_token;
  const again = await call(client, "find_projects");
  assert.equal(again.isError, false, again.text);
  assert.notEqual(provider.saved.access_token, revoked);
  await client.close();
});

// --- Negative cases ----------------------------------------------------------------------------

/** A new client approved on our consent page and on Sentry's (`decision`): the callback URL not yet visited. */
async function untilCallback(decision = "approve") {
  const { body: client } = await register(["https://client.example/cb"]);
  const jar = new Jar();
  const { approve } = await consent(authorizeUrl({ clientId: client.client_id, redirectUri: "https://client.example/cb", challenge: pkce().challenge }), jar);
  return { jar, callbackUrl: await sentryApprove(approve.location, decision) };
}

test("PKCE: a wrong code_verifier is refused", async () => {
  const { body: client } = await register(["https://client.example/cb"]);
  const { challenge } = pkce();
  const { code } = await rawAuthorize({ clientId: client.client_id, redirectUri: "https://client.example/cb", challenge });
  const r = await token({ grant_type: "authorization_code", client_id: client.client_id, code, redirect_uri: "https://client.example/cb", code_verifier: pkce().verifier });
  assert.equal(r.status, 400);
  assert.equal(r.json.error, "invalid_grant");
});

test("PKCE: plain or missing code_challenge is refused at authorize", async () => {
  const { body: client } = await register(["https://client.example/cb"]);
  const base = { clientId: client.client_id, redirectUri: "https://client.example/cb" };
  for (const [label, url] of [["plain", authorizeUrl({ ...base, challenge: pkce().challenge, method: "plain" })], ["missing", authorizeUrl({ ...base, challenge: null })]]) {
    const r = await get(url);
    assert.equal(r.status, 302, label);
    const loc = new URL(r.location);
    assert.equal(loc.searchParams.get("error"), "invalid_request", label);
    assert.equal(loc.searchParams.get("iss"), ORIGIN, label);
  }
});

test("a reused code is refused and revokes the tokens issued with it", async () => {
  const c = await connectOAuth();
  assert.equal((await toolsList("/mcp", c.tokens.access_token)).status, 200);
  const replay = await token({ grant_type: "authorization_code", client_id: c.client.client_id, code: c.code, redirect_uri: c.redirectUri, code_verifier: c.verifier });
  assert.equal(replay.json.error, "invalid_grant");
  assert.equal((await toolsList("/mcp", c.tokens.access_token)).status, 401);
  const refresh = await token({ grant_type: "refresh_token", client_id: c.client.client_id, refresh_token: c.tokens.refresh_token });
  assert.equal(refresh.json.error, "invalid_grant");
});

test("the token request's redirect_uri must match the authorization request", async () => {
  const { body: client } = await register(["https://client.example/cb", "https://client.example/other"]);
  const { verifier, challenge } = pkce();
  const { code } = await rawAuthorize({ clientId: client.client_id, redirectUri: "https://client.example/cb", challenge });
  const r = await token({ grant_type: "authorization_code", client_id: client.client_id, code, redirect_uri: "https://client.example/other", code_verifier: verifier });
  assert.equal(r.json.error, "invalid_grant");
});

test("an unregistered redirect URI at authorize gets an error page, never a redirect", async () => {
  const { body: client } = await register(["https://client.example/cb"]);
  for (const uri of ["https://evil.example/cb", "https://client.example/cb/extra", "javascript:alert(1)"]) {
    const r = await get(authorizeUrl({ clientId: client.client_id, redirectUri: uri, challenge: pkce().challenge }));
    assert.equal(r.status, 400, uri);
    assert.equal(r.location, null, uri);
    assert.match(r.headers.get("content-type"), /text\/html/);
  }
  const unknown = await get(authorizeUrl({ clientId: "0123456789abcdef0123456789abcdef", redirectUri: "https://client.example/cb", challenge: pkce().challenge }));
  assert.equal(unknown.status, 400);
  assert.equal(unknown.location, null);
});

test("loopback redirect URIs match on any port (RFC 8252)", async () => {
  const { body: client } = await register(["http://127.0.0.1/", "http://127.0.0.1:33418/"]);
  const r = await get(authorizeUrl({ clientId: client.client_id, redirectUri: "http://127.0.0.1:51234/", challenge: pkce().challenge }));
  assert.equal(r.status, 200);
});

test("a resource naming another server is refused with invalid_target", async () => {
  const { body: client } = await register(["https://client.example/cb"]);
  for (const resource of ["https://other.example/mcp", `${ORIGIN}/not-mcp`, `${ORIGIN}/mcp?x=1`]) {
    const r = await get(authorizeUrl({ clientId: client.client_id, redirectUri: "https://client.example/cb", challenge: pkce().challenge, resource }));
    assert.equal(r.status, 302, resource);
    assert.equal(new URL(r.location).searchParams.get("error"), "invalid_target", resource);
  }
});

test("the consent page is hardened and escapes the client name", async () => {
  const { body: client } = await register(["https://client.example/cb"], { client_name: `<img src=x onerror="alert(1)">Evil` });
  const r = await get(authorizeUrl({ clientId: client.client_id, redirectUri: "https://client.example/cb", challenge: pkce().challenge, resource: `${ORIGIN}/mcp/acme/web-frontend` }));
  assert.equal(r.status, 200);
  assert.ok(!r.text.includes("<img") && r.text.includes("&lt;img"));
  assert.match(r.text, /Session scope/);
  for (const skill of ["inspect", "triage", "seer", "project-management"]) assert.match(r.text, new RegExp(`name="skill" value="${skill}"`));
  assert.match(r.text, /name="read_only"/);
  assert.equal(r.headers.get("x-frame-options"), "DENY");
  const csp = r.headers.get("content-security-policy");
  for (const d of ["default-src 'none'", "frame-ancestors 'none'", "form-action 'self'"]) assert.ok(csp.includes(d), d);
  assert.match(r.headers.getSetCookie().join(), /__Host-smcp-csrf=.*Secure; HttpOnly; SameSite=Lax/);
});

test("the consent page names what receives a non-https redirect and shows the normalised URI", async () => {
  const cases = [
    ["com.example.mcp-app:/oauth/cb", /<strong>an app on this device<\/strong> that opens <strong>com\.example\.mcp-app:\/\/<\/strong> links/],
    ["http://127.0.0.1:4711/a/../cb", /<strong>a program on this computer<\/strong> \(<strong>http:\/\/<\/strong>/],
  ];
  for (const [uri, label] of cases) {
    const { body: client } = await register([uri]);
    const r = await get(authorizeUrl({ clientId: client.client_id, redirectUri: uri, challenge: pkce().challenge }));
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, label);
    if (uri.includes("/../")) {
      assert.match(r.text, /http:\/\/127\.0\.0\.1:4711\/cb</, "dot segments resolved");
      assert.doesNotMatch(r.text, /\/a\/\.\.\/cb/);
    }
  }
});

test("a tampered state is refused at the callback", async () => {
  const { jar, callbackUrl: cb } = await untilCallback();
  const callbackUrl = new URL(cb);
  const state = callbackUrl.searchParams.get("state");
  const payload = decodeSigned(state);
  payload.data.req.redirect_uri = "https://evil.example/cb";
  const forged = `${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${state.split(".")[1]}`;
  callbackUrl.searchParams.set("state", forged);
  const r = await get(callbackUrl.toString(), jar);
  assert.equal(r.status, 400);
  assert.equal(r.location, null);
});

test("an expired state is refused, even correctly signed", async () => {
  const { jar, callbackUrl: cb } = await untilCallback();
  const callbackUrl = new URL(cb);
  const payload = decodeSigned(callbackUrl.searchParams.get("state"));
  callbackUrl.searchParams.set("state", sign("upstream-state", payload.data, Date.now() - 1000));
  const r = await get(callbackUrl.toString(), jar);
  assert.equal(r.status, 400);
  assert.match(r.text, /took too long/);
});

test("a replayed state is refused", async () => {
  const { body: client } = await register(["https://client.example/cb"]);
  const { callbackUrl, jar, location } = await rawAuthorize({ clientId: client.client_id, redirectUri: "https://client.example/cb", challenge: pkce().challenge });
  assert.ok(location.startsWith("https://client.example/cb"));
  const again = await get(callbackUrl, jar);
  assert.equal(again.status, 400);
  assert.match(again.text, /already used/);
});

test("a state minted in another browser does not complete, even for a client this browser approved", async () => {
  const { jar, callbackUrl } = await untilCallback();
  // This browser approved the client (its approval cookie), but the flow was started elsewhere.
  const approvedOnly = new Jar();
  approvedOnly.cookies.set("__Host-smcp-approved", jar.cookies.get("__Host-smcp-approved"));
  const foreign = await get(callbackUrl, approvedOnly);
  assert.equal(foreign.status, 403);
  assert.match(foreign.text, /not started in this browser/);
  // The browser that started it still completes (the refusal consumed nothing).
  const own = await get(callbackUrl, jar);
  assert.equal(own.status, 302, own.text);
});

test("the callback needs this browser's approval cookie, untampered", async () => {
  const { jar, callbackUrl } = await untilCallback();
  const missing = await get(callbackUrl, new Jar());
  assert.equal(missing.status, 403);
  const tampered = new Jar();
  const value = jar.cookies.get("__Host-smcp-approved");
  const payload = decodeSigned(value);
  tampered.cookies.set("__Host-smcp-approved", `${Buffer.from(JSON.stringify({ ...payload, data: [...payload.data, "x"] })).toString("base64url")}.${value.split(".")[1]}`);
  assert.equal((await get(callbackUrl, tampered)).status, 403);
  // A foreign browser's valid cookie approves other clients only.
  const other = new Jar();
  other.cookies.set("__Host-smcp-approved", sign("__Host-smcp-approved", ["someone-else"], Date.now() + 60_000));
  assert.equal((await get(callbackUrl, other)).status, 403);
});

test("the consent POST needs the CSRF cookie", async () => {
  const { body: client } = await register(["https://client.example/cb"]);
  const jar = new Jar();
  const page = await get(authorizeUrl({ clientId: client.client_id, redirectUri: "https://client.example/cb", challenge: pkce().challenge }), jar);
  const tx = page.text.match(/name="tx" value="([^"]+)"/)[1];
  const r = await postForm(`${ORIGIN}/oauth/authorize`, [["tx", tx], ["skill", "inspect"], ["action", "approve"]]);
  assert.equal(r.status, 403);
  assert.equal(r.location, null);
});

test("Sentry's ?error= becomes a readable page", async () => {
  const { jar, callbackUrl } = await untilCallback("deny");
  const r = await get(callbackUrl, jar);
  assert.equal(r.status, 400);
  assert.match(r.text, /Sentry did not authorize the connection/);
  assert.match(r.text, /access_denied/);
});

test("a token for /mcp/acme works below it, not at /mcp or another org", async () => {
  const c = await connectOAuth({ resource: `${ORIGIN}/mcp/acme` });
  assert.equal((await toolsList("/mcp/acme", c.tokens.access_token)).status, 200);
  assert.equal((await toolsList("/mcp/acme/web-frontend", c.tokens.access_token)).status, 200);
  for (const p of ["/mcp", "/mcp/globex", "/mcp/acme-other"]) {
    const r = await toolsList(p, c.tokens.access_token);
    assert.equal(r.status, 401, p);
    assert.match(r.headers.get("www-authenticate"), new RegExp(`error="invalid_token".*resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource${p}"`));
  }
});

test("revoked and unknown tokens get 401 invalid_token; ?skills= does not widen an OAuth grant", async () => {
  const c = await connectOAuth({ skills: ["inspect"] });
  const who = await post("/mcp?skills=triage,seer,project-management", rpc("tools/call", { name: "whoami" }), bearer(c.tokens.access_token));
  assert.equal(who.status, 200);
  assert.match(who.body.result.content[0].text, /Skills in this connection\*\*: inspect\n/, "the grant decides, not the query");
  assert.equal((await postForm(`${ORIGIN}/oauth/revoke`, { token: c.tokens.refresh_token })).status, 200);
  for (const t of [c.tokens.access_token, `smcp_at_${"0".repeat(32)}_${"0".repeat(64)}`, "not-ours"]) {
    const r = await toolsList("/mcp", t);
    assert.equal(r.status, 401);
    assert.match(r.headers.get("www-authenticate"), /error="invalid_token"/);
  }
  assert.equal((await postForm(`${ORIGIN}/oauth/revoke`, { token: "smcp_rt_unknown" })).status, 200, "unknown tokens: 200");
});

test("refresh: rotation, a retried previous token inside the grace window, and no widening", async () => {
  const c = await connectOAuth({ skills: ["inspect", "triage"] });
  const id = c.client.client_id;
  const r1 = await token({ grant_type: "refresh_token", client_id: id, refresh_token: c.tokens.refresh_token });
  assert.equal(r1.status, 200);
  assert.equal(r1.headers.get("cache-control"), "no-store");
  assert.notEqual(r1.json.refresh_token, c.tokens.refresh_token);
  const retry = await token({ grant_type: "refresh_token", client_id: id, refresh_token: c.tokens.refresh_token });
  assert.equal(retry.status, 200, "the response was 'lost': the previous token is honoured within 60 s");
  const wider = await token({ grant_type: "refresh_token", client_id: id, refresh_token: retry.json.refresh_token, scope: "inspect seer" });
  assert.equal(wider.json.error, "invalid_scope");
  const narrow = await token({ grant_type: "refresh_token", client_id: id, refresh_token: retry.json.refresh_token, scope: "inspect" });
  assert.equal(narrow.json.scope, "inspect");
  const reused = await token({ grant_type: "refresh_token", client_id: id, refresh_token: r1.json.refresh_token });
  assert.equal(reused.json.error, "invalid_grant", "a token rotated out twice is not the previous one any more");
});

test("unknown client at the token endpoint: 401 invalid_client", async () => {
  const r = await token({ grant_type: "authorization_code", client_id: "0123456789abcdef0123456789abcdef", code: "x", code_verifier: pkce().verifier });
  assert.equal(r.status, 401);
  assert.equal(r.json.error, "invalid_client");
});

test("read-only consent asks Sentry for read scopes only", async () => {
  const { body: client } = await register(["https://client.example/cb"]);
  const { verifier, challenge } = pkce();
  const { code, sentryUrl } = await rawAuthorize({ clientId: client.client_id, redirectUri: "https://client.example/cb", challenge, readOnly: true });
  assert.equal(new URL(sentryUrl).searchParams.get("scope"), "org:read project:read team:read event:read alerts:read");
  const t = await token({ grant_type: "authorization_code", client_id: client.client_id, code, redirect_uri: "https://client.example/cb", code_verifier: verifier });
  const who = await post("/mcp", rpc("tools/call", { name: "whoami" }), bearer(t.json.access_token));
  assert.match(who.body.result.content[0].text, /Token scopes\*\*: event:read, org:read, project:read, team:read/);
});

test("an expiring Sentry token is refreshed when our token is refreshed", async () => {
  await emulatorControl("config", { expiresIn: 1800 });
  let c;
  try {
    c = await connectOAuth();
  } finally {
    await emulatorControl("config", {});
  }
  assert.ok(c.tokens.expires_in <= 1800 && c.tokens.expires_in > 1700, `our token never outlives the Sentry token (${c.tokens.expires_in})`);
  const r = await token({ grant_type: "refresh_token", client_id: c.client.client_id, refresh_token: c.tokens.refresh_token });
  assert.equal(r.status, 200);
  const refreshCall = (await upstreamRequests()).filter((q) => q.path === "/oauth/token/").at(-1);
  assert.match(String(refreshCall.body), /grant_type=refresh_token/);
  const who = await post("/mcp", rpc("tools/call", { name: "whoami" }), bearer(r.json.access_token));
  assert.equal(who.body.result.isError, false);
  assert.equal((await toolsList("/mcp", c.tokens.access_token)).status, 401, "tokens holding the old Sentry token are dropped");
});

test("Sentry rejecting the stored token revokes the grant and answers 401", async () => {
  const c = await connectOAuth();
  await emulatorControl("reject-all");
  const r = await post("/mcp", rpc("tools/call", { name: "whoami" }), bearer(c.tokens.access_token));
  assert.equal(r.status, 401);
  assert.match(r.headers.get("www-authenticate"), /error="invalid_token"/);
  const refresh = await token({ grant_type: "refresh_token", client_id: c.client.client_id, refresh_token: c.tokens.refresh_token });
  assert.equal(refresh.json.error, "invalid_grant", "the client must authorize again instead of looping");
});

test("Sentry-Bearer keeps working next to OAuth", async () => {
  const r = await post("/mcp", rpc("tools/list"), { authorization: "Sentry-Bearer sntryu_e2e_valid_token_0123456789abcdef" });
  assert.equal(r.status, 200);
  assert.ok(EMULATOR_URL);
});
