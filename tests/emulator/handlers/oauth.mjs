// Sentry's OAuth endpoints, as the MCP server's upstream: an authorization page with Approve and
// Deny buttons (a real form a browser submits), and the token endpoint for the authorization_code
// and refresh_token grants. Both tokens rotate on refresh, codes are single use, and the client id
// and secret are checked. Issued access tokens belong to user 1001 with full or read-only scopes,
// depending on the requested scope. Control endpoints let tests expire or reject tokens.
import crypto from "node:crypto";
import { READ_SCOPES, USERS, WRITE_SCOPES } from "../fixtures/constants.mjs";

/** The Sentry OAuth application the server under test is configured with. */
export const OAUTH_APP = { clientId: "sentry-e2e-oauth-app", clientSecret: "sentry-e2e-oauth-app-secret-0123456789" };
const DEFAULT_EXPIRES_IN = 30 * 24 * 3600;

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const token = (prefix) => `${prefix}${crypto.randomBytes(20).toString("hex")}`;

export function createOAuth() {
  const codes = new Map(); // code → {scope, redirectUri, used}
  const access = new Map(); // token → {scopes, rejected}
  const refresh = new Map(); // token → {scope, access, used}
  const issued = []; // every token ever issued (the audit scans storage and logs for them)
  let expiresIn = DEFAULT_EXPIRES_IN;

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

  /** /oauth/authorize/ (GET page, POST decision) and /oauth/token/ (POST). */
  function handle(req, url, rawBody) {
    if (url.pathname === "/oauth/authorize/" && req.method === "GET") {
      const q = url.searchParams;
      if (q.get("client_id") !== OAUTH_APP.clientId) return { ...page("<h1>Invalid client</h1>"), status: 400 };
      if (q.get("response_type") !== "code" || !q.get("redirect_uri")) return { ...page("<h1>Invalid request</h1>"), status: 400 };
      const hidden = ["client_id", "scope", "redirect_uri", "state"].map((k) => `<input type="hidden" name="${k}" value="${esc(q.get(k) ?? "")}">`).join("");
      return page(`<h1>Authorize application</h1><p>Scopes: <code id="scopes">${esc(q.get("scope") ?? "")}</code></p>
<form method="post" action="/oauth/authorize/">${hidden}<button name="decision" value="approve">Approve</button><button name="decision" value="deny">Deny</button></form>`);
    }
    if (url.pathname === "/oauth/authorize/" && req.method === "POST") {
      const f = new URLSearchParams(rawBody);
      const target = new URL(f.get("redirect_uri"));
      if (f.get("state")) target.searchParams.set("state", f.get("state"));
      if (f.get("decision") === "approve") {
        const code = token("sentry_code_");
        codes.set(code, { scope: f.get("scope") ?? "", redirectUri: f.get("redirect_uri"), used: false });
        target.searchParams.set("code", code);
      } else {
        target.searchParams.set("error", "access_denied");
      }
      return { status: 302, body: "", contentType: "text/plain", headers: { Location: target.toString() } };
    }
    if (url.pathname === "/oauth/token/" && req.method === "POST") {
      const f = new URLSearchParams(rawBody);
      if (f.get("client_id") !== OAUTH_APP.clientId || f.get("client_secret") !== OAUTH_APP.clientSecret) return oauthError(401, "invalid_client");
      if (f.get("grant_type") === "authorization_code") {
        const c = codes.get(f.get("code"));
        if (!c || c.used || c.redirectUri !== f.get("redirect_uri")) return oauthError(400, "invalid_grant");
        c.used = true;
        return issue(c.scope);
      }
      if (f.get("grant_type") === "refresh_token") {
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
      return { ok: true, expiresIn };
    }
    if (route === "GET /__emulator/oauth/issued") return { issued };
    return null;
  }

  return { handle, userFor, control };
}
