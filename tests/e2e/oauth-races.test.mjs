// Single use under real concurrency: the same code, refresh token or upstream `state` sent several
// times at once to the worker in workerd (the requests overlap inside the isolate; nothing here is
// sequential), and a refresh racing a revocation. The grant's Durable Object (src/edge/guard.rs)
// decides: exactly one request wins, every other is refused, and the grant is revoked where the
// specifications say so (a replayed code, RFC 6749 §4.1.2). Without the Durable Object these
// tests fail: KV lets every concurrent request read the grant before any writes it back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { post, rpc } from "./helpers.mjs";
import { Jar, authorizeUrl, connectOAuth, consent, get, pkce, postForm, rawAuthorize, register, remember, sentryApprove, token } from "./oauth-helpers.mjs";
import { ORIGIN } from "./helpers.mjs";

const REDIRECT = "https://client.example/cb";
const AT_ONCE = 8;
const bearer = (t) => ({ authorization: `Bearer ${t}` });
const mcpStatus = async (t) => (await post("/mcp", rpc("tools/list"), bearer(t))).status;
const refresh = (clientId, rt, extra = {}) => token({ grant_type: "refresh_token", client_id: clientId, refresh_token: rt, ...extra });

test("one code redeemed by several requests at once: one winner, the others refused, the grant revoked", async () => {
  const { body: client } = await register([REDIRECT]);
  const { verifier, challenge } = pkce();
  const { code } = await rawAuthorize({ clientId: client.client_id, redirectUri: REDIRECT, challenge });
  assert.ok(code);
  const form = { grant_type: "authorization_code", client_id: client.client_id, code, redirect_uri: REDIRECT, code_verifier: verifier };
  const answers = await Promise.all(Array.from({ length: AT_ONCE }, () => token(form)));
  const won = answers.filter((a) => a.status === 200);
  assert.equal(won.length, 1, `statuses: ${answers.map((a) => a.status)}`);
  for (const a of answers.filter((x) => x.status !== 200)) {
    assert.equal(a.status, 400);
    assert.equal(a.json.error, "invalid_grant");
  }
  // A second redemption is a replay: what the winner got is revoked (RFC 6749 §4.1.2).
  assert.equal(await mcpStatus(won[0].json.access_token), 401);
  assert.equal((await refresh(client.client_id, won[0].json.refresh_token)).json.error, "invalid_grant");
});

test("one refresh token used by several requests at once: one rotation, one new pair, the grant lives", async () => {
  const c = await connectOAuth();
  const id = c.client.client_id;
  const answers = await Promise.all(Array.from({ length: AT_ONCE }, () => refresh(id, c.tokens.refresh_token)));
  const ok = answers.filter((a) => a.status === 200);
  assert.ok(ok.length >= 1, `statuses: ${answers.map((a) => a.status)}`);
  // Exactly one rotation: every success carries the same pair (a request that read the grant after
  // the rotation is a retry and gets that answer again); every other request is refused.
  assert.equal(new Set(ok.map((a) => a.json.refresh_token)).size, 1, "one new refresh token");
  assert.equal(new Set(ok.map((a) => a.json.access_token)).size, 1, "one new access token");
  for (const a of answers.filter((x) => x.status !== 200)) {
    assert.equal(a.status, 400);
    assert.equal(a.json.error, "invalid_grant");
    assert.match(a.json.error_description, /concurrent request/);
  }
  const { access_token: access, refresh_token: next } = ok[0].json;
  assert.equal(await mcpStatus(access), 200, "the winner's access token works");
  const after = await refresh(id, next);
  assert.equal(after.status, 200, "the winner's refresh token is the current one");
  assert.equal(await mcpStatus(after.json.access_token), 200);
});

test("a refresh racing a revocation: the grant ends revoked whichever comes first", async () => {
  for (let round = 0; round < 4; round++) {
    const c = await connectOAuth();
    const id = c.client.client_id;
    const [r, v] = await Promise.all([
      refresh(id, c.tokens.refresh_token),
      postForm(`${ORIGIN}/oauth/revoke`, { token: c.tokens.refresh_token }),
    ]);
    assert.equal(v.status, 200);
    assert.ok(r.status === 200 || r.json?.error === "invalid_grant", `round ${round}: ${r.status} ${r.text}`);
    // Whichever won, nothing of the grant works any more: no in-flight write brought it back.
    assert.equal(await mcpStatus(c.tokens.access_token), 401, `round ${round}`);
    if (r.status === 200) {
      assert.equal(await mcpStatus(r.json.access_token), 401, `round ${round}: the rotated access token`);
      assert.equal((await refresh(id, r.json.refresh_token)).json.error, "invalid_grant", `round ${round}`);
    }
  }
});

test("revocations and refreshes of one grant at once: all refused afterwards, nothing resurrected", async () => {
  const c = await connectOAuth();
  const id = c.client.client_id;
  const first = await refresh(id, c.tokens.refresh_token);
  assert.equal(first.status, 200);
  const rt = first.json.refresh_token;
  const answers = await Promise.all([
    ...Array.from({ length: 4 }, () => refresh(id, rt)),
    postForm(`${ORIGIN}/oauth/revoke`, { token: rt }),
    ...Array.from({ length: 3 }, () => refresh(id, rt)),
  ]);
  for (const a of answers.filter((x) => x.status === 200 && x.json?.access_token)) {
    assert.equal(await mcpStatus(a.json.access_token), 401);
    assert.equal((await refresh(id, a.json.refresh_token)).json.error, "invalid_grant");
  }
  assert.equal(await mcpStatus(first.json.access_token), 401);
});

test("one upstream state completed by several callbacks at once: exactly one grant", async () => {
  const { body: client } = await register([REDIRECT]);
  const jar = new Jar();
  const { approve } = await consent(authorizeUrl({ clientId: client.client_id, redirectUri: REDIRECT, challenge: pkce().challenge }), jar);
  const callbackUrl = await sentryApprove(approve.location);
  const answers = await Promise.all(Array.from({ length: AT_ONCE }, () => get(callbackUrl, jar)));
  const completed = answers.filter((a) => a.status === 302 && a.location?.startsWith(REDIRECT));
  remember(...completed.map((a) => new URL(a.location).searchParams.get("code")));
  assert.equal(completed.length, 1, `statuses: ${answers.map((a) => a.status)}`);
  for (const a of answers.filter((x) => x !== completed[0])) {
    assert.equal(a.status, 400);
    assert.match(a.text, /already used/);
  }
});
