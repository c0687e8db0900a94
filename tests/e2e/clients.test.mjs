// Today's clients, the way each behaves: Claude Code (a client ID metadata document with
// port-less loopback redirects, used with an ephemeral port), ChatGPT (a metadata document that
// declares private_key_jwt and also offers none; expects iss), VS Code (DCR with http://127.0.0.1/
// used with a random port, then a step-up when a tool needs more), and hosts that can only send a
// plain bearer token (a Sentry token as `Authorization: Bearer`).
//
// The metadata documents are served by a local document host on 127.0.0.1: the main test worker
// runs with OAUTH_CIMD_ALLOW_INSECURE_LOOPBACK=true; the second ("limited") worker runs without it
// (and with OAUTH_ADVERTISE_ISS=false), so the loopback refusal is checked against a real worker.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ORIGIN, VALID_TOKEN, call, post, rpc, upstreamRequests, resetUpstream } from "./helpers.mjs";
import { authorizeUrl, browserApprove, get, launchChromium, pkce, rawAuthorize, redirectListener, register, token } from "./oauth-helpers.mjs";

const LIMITED_ORIGIN = process.env.LIMITED_ORIGIN;
const bearer = (t) => ({ authorization: `Bearer ${t}` });

/** The local document host: path → {status, headers, body}; every request is recorded. */
let docs;
const served = new Map();
const hits = [];
function host() { return `http://127.0.0.1:${docs.address().port}`; }
/** Publish a metadata document whose client_id is its own URL (unless `fields` says otherwise). */
function publish(path, fields, { status = 200, headers = { "content-type": "application/json" } } = {}) {
  const url = `${host()}${path}`;
  served.set(path, { status, headers, body: JSON.stringify({ client_id: url, ...fields }) });
  return url;
}

let browser;
before(async () => {
  docs = http.createServer((req, res) => {
    hits.push(req.url);
    const doc = served.get(req.url);
    if (!doc) { res.writeHead(404).end(); return; }
    if (doc.delayMs) { setTimeout(() => { res.writeHead(doc.status, doc.headers).end(doc.body); }, doc.delayMs); return; }
    res.writeHead(doc.status, doc.headers).end(doc.body);
  });
  await new Promise((resolve) => docs.listen(0, "127.0.0.1", resolve));
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  docs.closeAllConnections();
  await new Promise((resolve) => docs.close(resolve));
});

/** The official SDK client over HTTP with a fixed Authorization header. */
async function sdkWith(headers, path = "/mcp") {
  const client = new Client({ name: "e2e-clients", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(path, ORIGIN), { requestInit: { headers } }));
  return client;
}

async function exchange(clientId, code, redirectUri, verifier, extra = {}) {
  return token({ grant_type: "authorization_code", client_id: clientId, code, redirect_uri: redirectUri, code_verifier: verifier, ...extra });
}

// --- Discovery ---------------------------------------------------------------------------------

test("metadata advertises CIMD and iss; OAUTH_ADVERTISE_ISS=false drops only the flag", async () => {
  const as = await (await fetch(`${ORIGIN}/.well-known/oauth-authorization-server`)).json();
  assert.equal(as.client_id_metadata_document_supported, true);
  assert.equal(as.authorization_response_iss_parameter_supported, true);
  assert.ok(as.registration_endpoint, "DCR stays available for older clients");
  const quiet = await (await fetch(`${LIMITED_ORIGIN}/.well-known/oauth-authorization-server`)).json();
  assert.equal(quiet.authorization_response_iss_parameter_supported, undefined);
  assert.equal(quiet.client_id_metadata_document_supported, true);
});

// --- Claude Code -------------------------------------------------------------------------------

const CLAUDE_CODE_DOC = {
  client_name: "Claude Code",
  client_uri: "https://claude.ai",
  redirect_uris: ["http://localhost/callback", "http://127.0.0.1/callback"],
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
  token_endpoint_auth_method: "none",
};

test("Claude Code: metadata-document client id, port-less loopback redirect used with an ephemeral port, Chromium consent", async () => {
  const clientId = publish("/oauth/claude-code-client-metadata", CLAUDE_CODE_DOC, { headers: { "content-type": "application/json", "cache-control": "max-age=600" } });
  const listener = await redirectListener(); // http://127.0.0.1:<ephemeral>/callback
  const { verifier, challenge } = pkce();
  const url = authorizeUrl({ clientId, redirectUri: listener.url, challenge, resource: `${ORIGIN}/mcp`, state: "cc-state" });
  const before = hits.length;
  const landed = await browserApprove(browser.context, url, { skills: ["inspect", "triage"], waitFor: listener.url }).finally(listener.close);
  const back = new URL(landed.url);
  assert.equal(back.searchParams.get("iss"), ORIGIN);
  assert.equal(back.searchParams.get("state"), "cc-state");
  const tokens = await exchange(clientId, back.searchParams.get("code"), listener.url, verifier);
  assert.equal(tokens.status, 200, tokens.text);
  assert.match(tokens.json.access_token, /^smcp_at_/);
  assert.equal(hits.slice(before).length, 1, "the document was fetched once and then served from the cache");

  const client = await sdkWith(bearer(tokens.json.access_token));
  const who = await call(client, "whoami");
  assert.equal(who.isError, false, who.text);
  assert.match(who.text, /Jane Doe/);
  await client.close();
});

test("Claude Code: signing in again revokes the earlier grant for the same redirect URI only", async () => {
  const clientId = publish("/oauth/claude-code-devices", CLAUDE_CODE_DOC);
  const signIn = async (redirectUri) => {
    const { verifier, challenge } = pkce();
    const { code } = await rawAuthorize({ clientId, redirectUri, challenge });
    const r = await exchange(clientId, code, redirectUri, verifier);
    assert.equal(r.status, 200, r.text);
    return r.json.access_token;
  };
  const laptop = "http://127.0.0.1:53111/callback";
  const desktop = "http://localhost:53222/callback";
  const first = await signIn(laptop);
  const other = await signIn(desktop);
  assert.equal((await post("/mcp", rpc("tools/list"), bearer(first))).status, 200);
  const again = await signIn(laptop);
  const gone = await post("/mcp", rpc("tools/list"), bearer(first));
  assert.equal(gone.status, 401, "the laptop's earlier grant was revoked");
  assert.match(gone.headers.get("www-authenticate"), /error="invalid_token"/);
  assert.equal((await post("/mcp", rpc("tools/list"), bearer(other))).status, 200, "the desktop stays signed in");
  assert.equal((await post("/mcp", rpc("tools/list"), bearer(again))).status, 200);
});

test("loopback leniency is the port only: another path, host or a non-loopback port is refused", async () => {
  const clientId = publish("/oauth/claude-code-strict", CLAUDE_CODE_DOC);
  for (const redirectUri of ["http://127.0.0.1:5000/other", "http://[::1]:5000/callback", "https://127.0.0.1:5000/callback"]) {
    const r = await get(authorizeUrl({ clientId, redirectUri, challenge: pkce().challenge }));
    assert.equal(r.status, 400, redirectUri);
    assert.equal(r.location, null, `${redirectUri}: an error page, never a redirect`);
  }
  const { body: dcr } = await register(["https://client.example:8443/cb"]);
  const r = await get(authorizeUrl({ clientId: dcr.client_id, redirectUri: "https://client.example:9443/cb", challenge: pkce().challenge }));
  assert.equal(r.status, 400, "no port leniency outside loopback");
});

// --- ChatGPT -----------------------------------------------------------------------------------

test("ChatGPT: a document declaring private_key_jwt and offering none gets none, enforced at the token endpoint", async () => {
  const redirectUri = "https://chatgpt.com/connector/oauth/e2eclient"; // only ever a Location header
  const clientId = publish("/oauth/e2eclient/client.json", {
    client_uri: "https://chatgpt.com/",
    redirect_uris: [redirectUri],
    token_endpoint_auth_method: "private_key_jwt",
    token_endpoint_auth_methods_supported: ["none", "private_key_jwt"],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    client_name: "ChatGPT",
    token_endpoint_auth_signing_alg: "RS256",
    jwks_uri: "https://chatgpt.com/oauth/e2eclient/jwks.json",
  });
  const { verifier, challenge } = pkce();
  const { code, location } = await rawAuthorize({ clientId, redirectUri, challenge, state: "gpt" });
  assert.ok(location.startsWith(redirectUri), location);
  assert.equal(new URL(location).searchParams.get("iss"), ORIGIN, "ChatGPT expects iss");
  const asserted = await exchange(clientId, code, redirectUri, verifier, { client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: "eyJhbGciOiJSUzI1NiJ9.e30.sig" });
  assert.equal(asserted.status, 401);
  assert.equal(asserted.json.error, "invalid_client");
  assert.match(asserted.json.error_description, /token_endpoint_auth_method=none/);
  const ok = await exchange(clientId, code, redirectUri, verifier);
  assert.equal(ok.status, 200, ok.text);
  assert.equal((await post("/mcp", rpc("tools/list"), bearer(ok.json.access_token))).status, 200);
});

test("a document that can only do private_key_jwt is refused with the reason", async () => {
  const clientId = publish("/oauth/jwt-only.json", { client_name: "JWT only", redirect_uris: ["https://jwt.example/cb"], token_endpoint_auth_method: "private_key_jwt" });
  const r = await get(authorizeUrl({ clientId, redirectUri: "https://jwt.example/cb", challenge: pkce().challenge }));
  assert.equal(r.status, 400);
  assert.match(r.text, /private_key_jwt/);
});

// --- The fetcher's rules -------------------------------------------------------------------------

test("metadata documents: client_id mismatch, errors, foreign redirects, size and time limits are refused", async () => {
  const path = (p) => `${host()}${p}`;
  served.set("/bad/mismatch.json", { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ ...CLAUDE_CODE_DOC, client_id: path("/bad/other.json") }) });
  served.set("/bad/redirect.json", { status: 302, headers: { location: `http://localhost:${docs.address().port}/oauth/claude-code-client-metadata` }, body: "" });
  served.set("/bad/huge.json", { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ client_id: path("/bad/huge.json"), ...CLAUDE_CODE_DOC, padding: "x".repeat(6000) }) });
  served.set("/bad/slow.json", { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ client_id: path("/bad/slow.json"), ...CLAUDE_CODE_DOC }), delayMs: 8000 });
  served.set("/bad/secret.json", { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ client_id: path("/bad/secret.json"), ...CLAUDE_CODE_DOC, client_secret: "shh" }) });
  const cases = [
    ["/bad/mismatch.json", /not exactly the URL/],
    ["/bad/missing.json", /HTTP 404/],
    ["/bad/redirect.json", /another host/],
    ["/bad/huge.json", /larger than 5120 bytes/],
    ["/bad/slow.json", /no answer within 5 seconds/],
    ["/bad/secret.json", /client_secret/],
  ];
  for (const [p, why] of cases) {
    const r = await get(authorizeUrl({ clientId: path(p), redirectUri: "http://127.0.0.1:4000/callback", challenge: pkce().challenge }));
    assert.equal(r.status, 400, p);
    assert.equal(r.location, null, p);
    assert.match(r.text, why, p);
  }
  // Private addresses are refused before any request is made.
  for (const id of ["https://10.0.0.1/client.json", "https://169.254.169.254/latest/meta-data", "https://[fd00::1]/c.json", "https://printer.local/c.json"]) {
    const r = await get(authorizeUrl({ clientId: id, redirectUri: "https://a.example/cb", challenge: pkce().challenge }));
    assert.equal(r.status, 400, id);
    assert.match(r.text, /not allowed/, id);
  }
});

test("without OAUTH_CIMD_ALLOW_INSECURE_LOOPBACK a loopback document is never fetched", async () => {
  const clientId = publish("/oauth/limited-probe.json", CLAUDE_CODE_DOC);
  const before = hits.length;
  const u = new URL(authorizeUrl({ clientId, redirectUri: "http://127.0.0.1:4000/callback", challenge: pkce().challenge }));
  const r = await get(`${LIMITED_ORIGIN}${u.pathname}${u.search}`);
  assert.equal(r.status, 400);
  assert.match(r.text, /only https URLs are fetched|loopback hosts are not allowed/);
  assert.equal(hits.length, before, "the document host saw no request");
});

// --- VS Code -----------------------------------------------------------------------------------

test("VS Code: DCR with http://127.0.0.1/ used on a random port; a tool beyond the grant is a 403 step-up", async () => {
  const { body: client } = await register(["https://insiders.vscode.dev/redirect", "https://vscode.dev/redirect", "http://127.0.0.1/", "http://127.0.0.1:33418/"], { client_name: "Visual Studio Code" });
  const redirectUri = "http://127.0.0.1:48213/";
  const { verifier, challenge } = pkce();
  const { code } = await rawAuthorize({ clientId: client.client_id, redirectUri, challenge, skills: ["inspect"] });
  const first = await exchange(client.client_id, code, redirectUri, verifier);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.scope, "inspect");

  const seer = rpc("tools/call", { name: "analyze_issue_with_seer", arguments: { organizationSlug: "acme", issueId: "WEB-1" } });
  const denied = await post("/mcp", seer, bearer(first.json.access_token));
  assert.equal(denied.status, 403, denied.text);
  const challengeHeader = denied.headers.get("www-authenticate");
  assert.match(challengeHeader, /^Bearer error="insufficient_scope", scope="inspect seer", resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource\/mcp"/);
  assert.equal(denied.body.error, "insufficient_scope");

  // Step up: authorize again with the scope the challenge named.
  const scope = challengeHeader.match(/scope="([^"]+)"/)[1].split(" ");
  const again = pkce();
  const { code: code2 } = await rawAuthorize({ clientId: client.client_id, redirectUri: "http://127.0.0.1:50999/", challenge: again.challenge, skills: scope });
  const stepped = await exchange(client.client_id, code2, "http://127.0.0.1:50999/", again.verifier);
  assert.equal(stepped.json.scope, "inspect seer");
  const listed = await post("/mcp", rpc("tools/list"), bearer(stepped.json.access_token));
  assert.ok(listed.body.result.tools.some((t) => t.name === "analyze_issue_with_seer"));
});

// --- Plain bearer passthrough ----------------------------------------------------------------------

test("a Sentry token as plain Bearer is passed through like Sentry-Bearer", async () => {
  await resetUpstream();
  const client = await sdkWith(bearer(VALID_TOKEN));
  const who = await call(client, "whoami");
  assert.equal(who.isError, false, who.text);
  assert.match(who.text, /Jane Doe/);
  await client.close();
  const org = "sntrys_e2eOrgTokenNotKnownToTheEmulator_0123456789";
  const r = await post("/mcp", rpc("tools/call", { name: "whoami", arguments: {} }), bearer(org));
  assert.equal(r.status, 200, "an org token is forwarded, not taken for one of ours");
  const forwarded = (await upstreamRequests()).map((q) => q.headers.authorization);
  assert.ok(forwarded.includes(`Bearer ${VALID_TOKEN}`) && forwarded.includes(`Bearer ${org}`), JSON.stringify(forwarded));
});

test("plain Bearer refusals: two credentials, our own token shape, an unknown token", async () => {
  await resetUpstream();
  const both = await post("/mcp", rpc("tools/list"), { ...bearer(VALID_TOKEN), "sentry-bearer": VALID_TOKEN });
  assert.equal(both.status, 400);
  const ours = await post("/mcp", rpc("tools/list"), bearer(`smcp_at_${"0".repeat(32)}_${"f".repeat(64)}`));
  assert.equal(ours.status, 401);
  assert.match(ours.headers.get("www-authenticate"), /^Bearer error="invalid_token".*resource_metadata=.*scope=/);
  const unknown = await post("/mcp", rpc("tools/list"), bearer("sntryo_not_a_passthrough_prefix"));
  assert.equal(unknown.status, 401, "only sntryu_/sntrys_ are Sentry tokens; anything else is OAuth");
  assert.equal((await upstreamRequests()).filter((q) => q.path.startsWith("/api/")).length, 0, "nothing reached Sentry");
});
