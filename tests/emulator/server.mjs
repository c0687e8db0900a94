// Sentry REST API emulator for end-to-end tests.
//
// One node:http server per loopback host, all on the same port:
//   127.0.0.1 — control silo + acme's region (and the fault orgs)
//   127.0.0.2 — the second "region" (globex); org-scoped calls for globex only work here
//   127.0.0.3 — the "rogue" region the server under test must refuse to contact
// No dependencies, no outbound traffic; every wait is bounded.
//
// Run directly: node tests/emulator/server.mjs [--port N] [--slow-ms N]
// prints {"ready":true,"port":N} on stdout and runs until SIGTERM/SIGINT.
import http from "node:http";
import { pathToFileURL } from "node:url";
import { HttpError, NOT_FOUND, NO_PERMISSION, queryObject, readBody } from "./lib/http.mjs";
import { Router, splitPath } from "./lib/router.mjs";
import { buildState } from "./fixtures/index.mjs";
import { TOKENS, TRACES, EVENTS } from "./fixtures/constants.mjs";
import * as identity from "./handlers/identity.mjs";
import * as organizations from "./handlers/organizations.mjs";
import * as projects from "./handlers/projects.mjs";
import * as issues from "./handlers/issues.mjs";
import * as seer from "./handlers/seer.mjs";
import * as discover from "./handlers/discover.mjs";
import * as traces from "./handlers/traces.mjs";
import * as releases from "./handlers/releases.mjs";
import * as monitors from "./handlers/monitors.mjs";
import * as integrations from "./handlers/integrations.mjs";
import * as investigation from "./handlers/investigation.mjs";
import { createOAuth } from "./handlers/oauth.mjs";

const RATE_LIMIT = 40; // requests per second per token and endpoint, as the 429 fault message says
const CONCURRENT_LIMIT = 25;

const BAD_GATEWAY_HTML = `<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
const LOGIN_HTML = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Login | Sentry</title><link rel="stylesheet" href="/_static/sentry/dist/sentry.css"></head>
<body class="auth">
  <div class="app"><div class="pattern-bg"></div>
    <form class="form-stacked" action="/auth/login/" method="post">
      <input type="hidden" name="csrfmiddlewaretoken" value="q9Zx1bT4mK0pLw8sVd2rN7yHc3jF6gAe">
      <input type="hidden" name="op" value="login">
      <label for="id_username">Account</label><input type="text" name="username" id="id_username" placeholder="username or email">
      <label for="id_password">Password</label><input type="password" name="password" id="id_password">
      <button type="submit" class="btn btn-primary">Continue</button>
    </form>
  </div>
</body>
</html>
`;

function buildRouter() {
  const r = new Router();
  for (const m of [identity, organizations, projects, issues, seer, discover, traces, releases, investigation, monitors, integrations]) m.register(r);
  return r;
}

/** Which org (if any) a path is scoped to, and whether it is the org detail endpoint. */
function orgScope(segments) {
  // segments: ["api", "0", kind, slug, ..., ""]
  const [, , kind, slug] = segments;
  if (!["organizations", "projects", "teams"].includes(kind) || !slug) return null;
  const isDetail = kind === "organizations" && segments.length === 5;
  return { slug, isDetail };
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    const onError = (e) => reject(e);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

export async function startEmulator({ port = 0, hosts = ["127.0.0.1", "127.0.0.2", "127.0.0.3"], slowMs = 5000, rateLimit = RATE_LIMIT } = {}) {
  for (const h of hosts) if (!/^127\.\d+\.\d+\.\d+$/.test(h)) throw new Error(`refusing to listen on non-loopback host ${h}`);
  const router = buildRouter();
  const now = Math.floor(Date.now() / 1000) * 1000; // fixture clock, fixed for the emulator's life
  let log = [];
  const envelopes = [];
  let state = null;
  let urls = null;
  const rate = new Map();
  const inflight = new Map();
  const pending = new Map(); // slow-fault timers → resolve, so close() can cancel them
  let closing = false;
  const oauth = createOAuth(); // not reset by reset(): tokens issued to the server stay valid

  function rateHeaders(token, key, extra = {}) {
    const sec = Math.floor(Date.now() / 1000);
    const k = `${token}\u0000${key}`;
    let w = rate.get(k);
    if (!w || w.sec !== sec) rate.set(k, (w = { sec, count: 0 }));
    w.count++;
    return {
      "X-Sentry-Rate-Limit-Limit": String(rateLimit),
      "X-Sentry-Rate-Limit-Remaining": String(Math.max(0, rateLimit - w.count)),
      "X-Sentry-Rate-Limit-Reset": String(sec + 1),
      "X-Sentry-Rate-Limit-ConcurrentLimit": String(CONCURRENT_LIMIT),
      "X-Sentry-Rate-Limit-ConcurrentRemaining": String(Math.max(0, CONCURRENT_LIMIT - (inflight.get(token) ?? 0))),
      ...extra,
    };
  }

  /** Wait `ms`, resolving false early if the client goes away or the emulator closes. */
  function delay(ms, res) {
    return new Promise((resolve) => {
      const done = (v) => {
        clearTimeout(t);
        pending.delete(t);
        res.off("close", onClose);
        resolve(v);
      };
      const onClose = () => done(false);
      const t = setTimeout(() => done(true), ms);
      pending.set(t, () => done(false));
      res.once("close", onClose);
    });
  }

  async function fault(kind, ctx, res) {
    switch (kind) {
      case "500":
        throw new HttpError(500, { detail: "Internal Error" });
      case "502-html":
        return { status: 502, body: BAD_GATEWAY_HTML, contentType: "text/html", noRateHeaders: true };
      case "429": {
        const reset = Math.floor(Date.now() / 1000) + 37;
        throw new HttpError(429, { detail: "You are attempting to use this endpoint too frequently. Limit is 40 requests in 1 seconds" }, { "Retry-After": "37", "X-Sentry-Rate-Limit-Remaining": "0", "X-Sentry-Rate-Limit-Reset": String(reset) });
      }
      case "html":
        return { status: 200, body: LOGIN_HTML, contentType: "text/html; charset=utf-8", noRateHeaders: true };
      case "badjson":
        return { status: 200, body: '{"id": "1", "title": ', contentType: "application/json" };
      case "slow":
        return (await delay(slowMs, res)) ? null : "aborted"; // null = continue normally
      case "403":
        throw new HttpError(403, { detail: NO_PERMISSION });
      case "sso":
        // A condition of the organization, not of the token: the token stays valid elsewhere.
        throw new HttpError(401, { detail: { code: "sso-required", message: "Must login via SSO", extra: { loginUrl: `http://${ctx.host}/auth/login/fault-sso/` } } });
      case "echo-token":
        // Deliberately echoes the credential: the server under test must scrub it from errors.
        throw new HttpError(400, { detail: `Invalid query: ${ctx.req.headers.authorization ?? ""}` });
      case "refused":
        // Its data "lives" behind a closed port; reaching it here means regionUrl was ignored.
        throw new HttpError(404, { detail: NOT_FOUND });
      default:
        throw new Error(`unknown fault ${kind}`);
    }
  }

  async function dispatch(req, res, url, rawBody, ctx) {
    const segments = splitPath(url.pathname);
    if (segments[0] !== "api" || segments[1] !== "0" || segments.at(-1) !== "") throw new HttpError(404, { detail: NOT_FOUND });

    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
    const user = m && (state.users.find((u) => u.token && u.token === m[1]) ?? oauth.userFor(m[1]));
    if (!user) throw new HttpError(401, { detail: "Invalid token" });
    ctx.user = user;
    ctx.token = m[1];

    const scope = orgScope(segments);
    if (scope) {
      const org = state.orgs.find((o) => o.slug === scope.slug);
      if (!org) throw new HttpError(404, { detail: NOT_FOUND });
      ctx.org = org;
      if (!scope.isDetail) {
        // Region routing: an org's data is only served by its own region host.
        if (org.regionHost && ctx.host !== org.regionHost) throw new HttpError(404, { detail: NOT_FOUND });
        if (org.fault) {
          const f = await fault(org.fault, ctx, res);
          if (f === "aborted") return f;
          if (f) return f;
        }
      }
    }

    const hit = router.match(req.method, segments);
    if (!hit) throw new HttpError(404, { detail: NOT_FOUND });
    if (hit.methodMismatch) throw new HttpError(405, { detail: `Method "${req.method}" not allowed.` });
    ctx.routeKey = `${req.method} ${hit.route.pattern}`;
    ctx.params = hit.params;
    if (hit.route.scope && ![hit.route.scope].flat().some((s) => user.scopes.includes(s))) throw new HttpError(403, { detail: NO_PERMISSION });

    if (rawBody && ["POST", "PUT"].includes(req.method)) {
      try {
        ctx.body = JSON.parse(rawBody);
      } catch (e) {
        throw new HttpError(400, { detail: `JSON parse error - ${e.message}` });
      }
    }
    return hit.route.handler(ctx);
  }

  function send(res, result, headers) {
    if (res.headersSent || res.destroyed) return;
    let body;
    let contentType = result.contentType;
    if (result.json !== undefined) {
      body = Buffer.from(JSON.stringify(result.json));
      contentType ??= "application/json";
    } else {
      body = Buffer.isBuffer(result.body) ? result.body : Buffer.from(result.body ?? "");
    }
    res.writeHead(result.status, {
      "Content-Type": contentType,
      "Content-Length": String(body.length),
      "X-Content-Type-Options": "nosniff",
      "X-Frame-Options": "deny",
      Vary: "Accept-Encoding, Cookie",
      ...headers,
      ...(result.headers ?? {}),
    });
    res.end(body);
  }

  function summary() {
    return {
      port: actualPort,
      urls: { url: urls.base, regionUrl: urls.region, rogueUrl: urls.rogue },
      tokens: TOKENS,
      orgs: state.orgs.map((o) => ({ id: o.id, slug: o.slug, regionUrl: o.regionUrl, listed: o.listed, fault: o.fault ?? null })),
      projects: state.projects.map((p) => ({ org: p.orgSlug, id: p.id, slug: p.slug, platform: p.platform })),
      teams: state.teams.map((t) => ({ org: t.orgSlug, id: t.id, slug: t.slug })),
      issues: state.issues.map((i) => ({ org: i.orgSlug, id: i.id, shortId: i.shortId, project: i.project, kind: i.kind, issueCategory: i.issueCategory, status: i.status, level: i.level, title: i.title.slice(0, 100), eventIds: i.events.map((e) => e.id), traceIds: [...new Set(i.events.map((e) => e.link?.stored && e.link.traceId).filter(Boolean))] })),
      traces: { ...TRACES, all: [...state.store.traces.values()].map((t) => ({ traceId: t.traceId, key: t.key, spans: t.spans.length })) },
      events: EVENTS,
      attachments: state.attachments.map(({ content, ...a }) => a),
      releases: state.releases.map((r) => ({ org: r.orgSlug, version: r.version })),
    };
  }

  async function handle(req, res) {
    const host = req.headers.host ?? "";
    const url = new URL(req.url, "http://emulator.invalid");
    // Control endpoints: unauthenticated, never recorded.
    if (url.pathname.startsWith("/__emulator/")) {
      const route = `${req.method} ${url.pathname}`;
      const controlBody = await readBody(req).catch(() => "");
      const oauthControl = oauth.control(route, controlBody);
      if (oauthControl) return send(res, { status: 200, json: oauthControl }, {});
      if (route === "GET /__emulator/requests") return send(res, { status: 200, json: log }, {});
      if (route === "POST /__emulator/reset") {
        reset();
        return send(res, { status: 200, json: { ok: true } }, {});
      }
      if (route === "GET /__emulator/fixtures") return send(res, { status: 200, json: summary() }, {});
      if (route === "GET /__emulator/health") return send(res, { status: 200, json: { ok: true, port: actualPort } }, {});
      if (route === "GET /__emulator/envelopes") return send(res, { status: 200, json: envelopes }, {});
      return send(res, { status: 404, json: { detail: "Unknown control endpoint" } }, {});
    }

    // Sentry's ingestion endpoint, for the server's own error reports and transactions: kept
    // apart from the API request log (and kept across reset()), parsed into
    // {headers, header, itemHeader, payload}.
    if (req.method === "POST" && /^\/(?:.*\/)?api\/\d+\/envelope\/$/.test(url.pathname)) {
      const raw = await readBody(req).catch(() => "");
      const [header, itemHeader, payload] = raw.split("\n").map((line) => { try { return JSON.parse(line); } catch { return line; } });
      envelopes.push({ path: url.pathname, headers: { ...req.headers }, raw, header, itemHeader, payload });
      return send(res, { status: 200, json: { id: header?.event_id ?? null } }, {});
    }

    let rawBody = "";
    let result;
    const ctx = { req, res, state, url, host, query: queryObject(url.searchParams), q: (n) => url.searchParams.get(n), qa: (n) => url.searchParams.getAll(n), params: {}, body: null, user: null, token: null, org: null, routeKey: url.pathname };
    try {
      rawBody = await readBody(req);
    } catch (e) {
      result = e instanceof HttpError ? { status: e.status, json: e.body } : { status: 400, json: { detail: "Could not read request body" } };
    }
    let parsed = rawBody === "" ? null : rawBody;
    try {
      if (parsed != null) parsed = JSON.parse(rawBody);
    } catch {
      /* keep raw text */
    }
    log.push({ method: req.method, host, path: url.pathname, query: ctx.query, headers: { ...req.headers }, body: parsed });
    if (!result && url.pathname.startsWith("/oauth/")) {
      const answer = oauth.handle(req, url, rawBody);
      return send(res, answer ?? { status: 404, json: { detail: NOT_FOUND } }, {});
    }

    const tokenKey = (/^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? "") ?? [])[1] ?? "anonymous";
    inflight.set(tokenKey, (inflight.get(tokenKey) ?? 0) + 1);
    try {
      if (!result) {
        try {
          result = await dispatch(req, res, url, rawBody, ctx);
        } catch (e) {
          if (e instanceof HttpError) result = { status: e.status, json: e.body, headers: e.headers };
          else {
            console.error("[sentry-emulator] handler error:", e);
            result = { status: 500, json: { detail: "Internal Error" } };
          }
        }
      }
    } finally {
      inflight.set(tokenKey, Math.max(0, (inflight.get(tokenKey) ?? 1) - 1));
    }
    if (result === "aborted" || closing) return;
    send(res, result, result.noRateHeaders ? {} : rateHeaders(tokenKey, ctx.routeKey));
  }

  function reset() {
    state = buildState({ urls, now });
    log = [];
    rate.clear();
  }

  const onRequest = (req, res) => {
    handle(req, res).catch((e) => {
      console.error("[sentry-emulator] fatal:", e);
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "application/json" });
        res.end('{"detail":"Internal Error"}');
      }
    });
  };

  const servers = [];
  const first = http.createServer(onRequest);
  await listen(first, port, hosts[0]);
  servers.push(first);
  const actualPort = first.address().port;
  try {
    for (const h of hosts.slice(1)) {
      const s = http.createServer(onRequest);
      await listen(s, actualPort, h);
      servers.push(s);
    }
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }
  for (const s of servers) {
    s.headersTimeout = 10_000;
    s.requestTimeout = 30_000;
  }

  const hostUrl = (i, fallback) => `http://${hosts[i] ?? fallback}:${actualPort}`;
  urls = {
    base: hostUrl(0, "127.0.0.1"),
    region: hostUrl(1, "127.0.0.2"),
    rogue: hostUrl(2, "127.0.0.3"),
    regionHost: `${hosts[1] ?? "127.0.0.2"}:${actualPort}`,
    rogueHost: `${hosts[2] ?? "127.0.0.3"}:${actualPort}`,
    refused: "http://127.0.0.2:1",
  };
  state = buildState({ urls, now });

  return {
    port: actualPort,
    url: urls.base,
    regionUrl: urls.region,
    rogueUrl: urls.rogue,
    requests: () => log.map((r) => ({ ...r })),
    reset,
    fixtures: () => summary(),
    close: () =>
      new Promise((resolve) => {
        closing = true;
        for (const cancel of [...pending.values()]) cancel();
        let left = servers.length;
        const done = () => --left === 0 && resolve();
        for (const s of servers) {
          s.close(done);
          s.closeAllConnections();
        }
      }),
  };
}

// --- CLI --------------------------------------------------------------------------------------
const isMain = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const port = Number(arg("--port") ?? 0);
  const slowMs = Number(arg("--slow-ms") ?? 5000);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !Number.isFinite(slowMs) || slowMs < 0) {
    console.error("usage: node server.mjs [--port N] [--slow-ms N]");
    process.exit(2);
  }
  const emu = await startEmulator({ port, slowMs });
  process.stdout.write(`${JSON.stringify({ ready: true, port: emu.port })}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // Bounded shutdown: never hang the test harness.
    setTimeout(() => process.exit(0), 2000).unref();
    emu.close().then(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
