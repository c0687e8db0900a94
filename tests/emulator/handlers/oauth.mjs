// Sentry's OAuth endpoints, as the MCP server's upstream: an authorization page with Approve and
// Deny buttons (a real form a browser submits), and the token endpoint for the authorization_code
// and refresh_token grants. Both tokens rotate on refresh, codes are single use, and the client id
// and secret are checked. Issued access tokens belong to user 1001 with full or read-only scopes,
// depending on the requested scope. Control endpoints let tests expire or reject tokens.
//
// The device authorization flow (RFC 8628), as `sentry-mcp auth login` uses it: a public client
// (no secret) asks /oauth/device/code/ for a code, the user enters it on the /oauth/device/ page
// and approves or denies, and the client polls /oauth/token/ with the device_code grant, getting
// authorization_pending, slow_down when it polls faster than the interval, access_denied or
// expired_token, and finally the token answer.
//
// The same public client may use the authorization-code flow with PKCE (S256) through a loopback
// redirect (http://127.0.0.1:<port>/…), the fallback `auth login` takes when the device endpoint
// is absent: POST /__emulator/oauth/config {"deviceFlow": false} makes /oauth/device/* a 404, as
// on a Sentry without device sign-in.
import crypto from "node:crypto";
import { READ_SCOPES, USERS, WRITE_SCOPES } from "../fixtures/constants.mjs";

/** The Sentry OAuth application the server under test is configured with. */
export const OAUTH_APP = { clientId: "sentry-e2e-oauth-app", clientSecret: "sentry-e2e-oauth-app-secret-0123456789" };
const DEFAULT_EXPIRES_IN = 30 * 24 * 3600;
/** The public OAuth client (no secret) the stdio binary's device login uses. */
export const DEVICE_APP = { clientId: "sentry-e2e-device-app" };
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
const DEVICE_INTERVAL_S = 1; // Sentry says 5; the tests need not wait that long
const DEVICE_EXPIRES_IN_S = 600;

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const token = (prefix) => `${prefix}${crypto.randomBytes(20).toString("hex")}`;

export function createOAuth() {
  const codes = new Map(); // code → {scope, redirectUri, used}
  const access = new Map(); // token → {scopes, rejected}
  const refresh = new Map(); // token → {scope, access, used}
  const issued = []; // every token ever issued (the audit scans storage and logs for them)
  const devices = new Map(); // device_code → {userCode, scope, decision, lastPoll, expiresAt, used}
  let expiresIn = DEFAULT_EXPIRES_IN;
  let deviceFlow = true;
  const s256 = (verifier) => crypto.createHash("sha256").update(verifier).digest("base64url");
  const loopback = (uri) => { try { const u = new URL(uri); return u.protocol === "http:" && u.hostname === "127.0.0.1" && u.port !== ""; } catch { return false; } };

  function issue(scope) {
    const scopes = /:write|:admin/.test(scope) ? WRITE_SCOPES : READ_SCOPES;
    const at = token("sntryo_e2e_");
    const rt = token("sntryr_e2e_");
    access.set(at, { scopes, rejected: false });
    refresh.set(rt, { scope, access: at, used: false });
    issued.push(at, rt);
    const user = USERS[0];
    return {
      status: 200,
      json: {
        access_token: at, refresh_token: rt, token_type: "bearer", expires_in: expiresIn,
        expires_at: new Date(Date.now() + expiresIn * 1000).toISOString(), scope,
        user: { id: user.id, name: user.name, email: user.email },
      },
    };
  }

  const page = (body) => ({
    status: 200,
    contentType: "text/html; charset=utf-8",
    body: `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Authorize | Sentry</title></head><body>${body}</body></html>`,
  });
  const oauthError = (status, error) => ({ status, json: { error } });

  /** /oauth/device/code/ (POST), the /oauth/device/ page (GET, POST decision), and the device_code grant. */
  function device(req, url, rawBody) {
    if (!deviceFlow && url.pathname.startsWith("/oauth/device/")) return { status: 404, json: { detail: "Not found" } };
    if (url.pathname === "/oauth/device/code/" && req.method === "POST") {
      const f = new URLSearchParams(rawBody);
      if (f.get("client_id") !== DEVICE_APP.clientId) return oauthError(401, "invalid_client");
      const deviceCode = token("sentry_device_");
      const userCode = `${crypto.randomBytes(2).toString("hex").toUpperCase()}-${crypto.randomBytes(2).toString("hex").toUpperCase()}`;
      devices.set(deviceCode, { userCode, scope: f.get("scope") ?? "", decision: null, lastPoll: 0, expiresAt: Date.now() + DEVICE_EXPIRES_IN_S * 1000, used: false });
      const verify = `http://${req.headers.host}/oauth/device/`;
      return { status: 200, json: { device_code: deviceCode, user_code: userCode, verification_uri: verify, verification_uri_complete: `${verify}?user_code=${userCode}`, interval: DEVICE_INTERVAL_S, expires_in: DEVICE_EXPIRES_IN_S } };
    }
    if (url.pathname === "/oauth/device/" && req.method === "GET") {
      const code = esc(url.searchParams.get("user_code") ?? "");
      return page(`<h1>Connect a device</h1><form method="post" action="/oauth/device/"><input name="user_code" value="${code}"><button name="decision" value="approve">Approve</button><button name="decision" value="deny">Deny</button></form>`);
    }
    if (url.pathname === "/oauth/device/" && req.method === "POST") {
      const f = new URLSearchParams(rawBody);
      const entry = [...devices.values()].find((d) => d.userCode === (f.get("user_code") ?? "").trim().toUpperCase());
      if (!entry || entry.expiresAt < Date.now()) return { ...page("<h1>Invalid or expired code</h1>"), status: 400 };
      entry.decision = f.get("decision") === "approve" ? "approve" : "deny";
      return page(entry.decision === "approve" ? "<h1>Device connected</h1>" : "<h1>Request denied</h1>");
    }
    if (url.pathname === "/oauth/token/" && req.method === "POST") {
      const f = new URLSearchParams(rawBody);
      if (f.get("grant_type") !== DEVICE_GRANT) return null;
      if (f.get("client_id") !== DEVICE_APP.clientId) return oauthError(401, "invalid_client");
      const d = devices.get(f.get("device_code"));
      if (!d || d.used) return oauthError(400, "invalid_grant");
      if (d.expiresAt < Date.now()) return oauthError(400, "expired_token");
      const now = Date.now();
      const tooSoon = now - d.lastPoll < DEVICE_INTERVAL_S * 1000 - 100;
      d.lastPoll = now;
      if (tooSoon) return oauthError(400, "slow_down");
      if (d.decision === "deny") return oauthError(400, "access_denied");
      if (d.decision !== "approve") return oauthError(400, "authorization_pending");
      d.used = true;
      return issue(d.scope);
    }
    return null;
  }

  /** /oauth/authorize/ (GET page, POST decision) and /oauth/token/ (POST). */
  function handle(req, url, rawBody) {
    const deviceAnswer = device(req, url, rawBody);
    if (deviceAnswer) return deviceAnswer;
    if (url.pathname === "/oauth/authorize/" && req.method === "GET") {
      const q = url.searchParams;
      const publicClient = q.get("client_id") === DEVICE_APP.clientId;
      if (q.get("client_id") !== OAUTH_APP.clientId && !publicClient) return { ...page("<h1>Invalid client</h1>"), status: 400 };
      if (q.get("response_type") !== "code" || !q.get("redirect_uri")) return { ...page("<h1>Invalid request</h1>"), status: 400 };
      // A public client must prove possession (PKCE S256) and may only redirect to a loopback address.
      if (publicClient && (!loopback(q.get("redirect_uri")) || q.get("code_challenge_method") !== "S256" || !q.get("code_challenge"))) return { ...page("<h1>Invalid request</h1>"), status: 400 };
      const hidden = ["client_id", "scope", "redirect_uri", "state", "code_challenge"].map((k) => `<input type="hidden" name="${k}" value="${esc(q.get(k) ?? "")}">`).join("");
      return page(`<h1>Authorize application</h1><p>Scopes: <code id="scopes">${esc(q.get("scope") ?? "")}</code></p>
<form method="post" action="/oauth/authorize/">${hidden}<button name="decision" value="approve">Approve</button><button name="decision" value="deny">Deny</button></form>`);
    }
    if (url.pathname === "/oauth/authorize/" && req.method === "POST") {
      const f = new URLSearchParams(rawBody);
      const target = new URL(f.get("redirect_uri"));
      if (f.get("state")) target.searchParams.set("state", f.get("state"));
      if (f.get("decision") === "approve") {
        const code = token("sentry_code_");
        codes.set(code, { scope: f.get("scope") ?? "", redirectUri: f.get("redirect_uri"), clientId: f.get("client_id"), challenge: f.get("code_challenge") || null, used: false });
        target.searchParams.set("code", code);
      } else {
        target.searchParams.set("error", "access_denied");
      }
      return { status: 302, body: "", contentType: "text/plain", headers: { Location: target.toString() } };
    }
    if (url.pathname === "/oauth/token/" && req.method === "POST") {
      const f = new URLSearchParams(rawBody);
      const publicClient = f.get("client_id") === DEVICE_APP.clientId && !f.get("client_secret");
      if (!publicClient && (f.get("client_id") !== OAUTH_APP.clientId || f.get("client_secret") !== OAUTH_APP.clientSecret)) return oauthError(401, "invalid_client");
      if (f.get("grant_type") === "authorization_code") {
        const c = codes.get(f.get("code"));
        if (!c || c.used || c.redirectUri !== f.get("redirect_uri") || c.clientId !== f.get("client_id")) return oauthError(400, "invalid_grant");
        if ((publicClient || c.challenge) && (!c.challenge || s256(f.get("code_verifier") ?? "") !== c.challenge)) return oauthError(400, "invalid_grant");
        c.used = true;
        return issue(c.scope);
      }
      if (f.get("grant_type") === "refresh_token") {
        if (publicClient) return oauthError(401, "invalid_client");
        const r = refresh.get(f.get("refresh_token"));
        if (!r || r.used) return oauthError(400, "invalid_grant");
        r.used = true;
        access.delete(r.access); // Sentry rotates both tokens
        return issue(r.scope);
      }
      return oauthError(400, "unsupported_grant_type");
    }
    return null;
  }

  /** The user an OAuth access token authenticates, or null. */
  function userFor(t) {
    const a = access.get(t);
    if (!a || a.rejected) return null;
    return { ...USERS[0], token: t, scopes: a.scopes };
  }

  /** Control endpoints under /__emulator/oauth/. */
  function control(route, body) {
    if (route === "POST /__emulator/oauth/reject-all") {
      for (const a of access.values()) a.rejected = true;
      for (const r of refresh.values()) r.used = true;
      return { ok: true };
    }
    if (route === "POST /__emulator/oauth/config") {
      const cfg = body ? JSON.parse(body) : {};
      expiresIn = Number.isInteger(cfg.expiresIn) ? cfg.expiresIn : DEFAULT_EXPIRES_IN;
      deviceFlow = cfg.deviceFlow !== false;
      return { ok: true, expiresIn, deviceFlow };
    }
    if (route === "GET /__emulator/oauth/issued") return { issued };
    return null;
  }

  return { handle, userFor, control };
}
