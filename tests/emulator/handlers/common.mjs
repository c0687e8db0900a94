// Lookups and parameter parsing shared by the handlers. Every "not mine / not found" case maps
// to Sentry's 404 body; malformed parameters map to 400.
import { HttpError, badRequest, forbidden, notFound } from "../lib/http.mjs";
import { parseQuery, SearchSyntaxError } from "../lib/search.mjs";
import { parseDate, parsePeriod } from "../lib/time.mjs";

export function findProject(ctx, slug) {
  const p = ctx.state.projects.find((x) => x.orgSlug === ctx.org.slug && x.slug === slug);
  if (!p) throw notFound();
  return p;
}

/** Numeric group id or short id (case-insensitive). */
export function findIssue(ctx, ref) {
  const up = String(ref).toUpperCase();
  const i = ctx.state.issues.find((x) => x.orgSlug === ctx.org.slug && (x.id === ref || x.shortId === up));
  if (!i) throw notFound();
  return i;
}

/** 32-hex event id; UUID dashes and upper case are tolerated as Sentry does. */
export function normEventId(raw) {
  const s = String(raw).toLowerCase().replace(/-/g, "");
  return /^[0-9a-f]{32}$/.test(s) ? s : null;
}

/** {start, end} in ms from statsPeriod or start+end; `def` = default period (null = unbounded). */
export function timeRange(ctx, def = "14d") {
  const period = ctx.q("statsPeriod");
  const start = ctx.q("start");
  const end = ctx.q("end");
  if (period && (start || end)) throw badRequest("statsPeriod and start/end are mutually exclusive");
  if (period) {
    const ms = parsePeriod(period);
    if (ms == null) throw badRequest(`Invalid statsPeriod: ${JSON.stringify(period)}`);
    return { start: ctx.state.now - ms, end: ctx.state.now + 60_000 };
  }
  if (start || end) {
    const s = parseDate(start);
    const e = parseDate(end);
    if (s == null || e == null) throw badRequest("start and end are both required and must be valid dates");
    if (e < s) throw badRequest("start must be before end");
    return { start: s, end: e };
  }
  if (!def) return { start: -Infinity, end: Infinity };
  return { start: ctx.state.now - parsePeriod(def), end: ctx.state.now + 60_000 };
}

/** Set of project ids from repeated `project` params; null = all. */
export function projectFilter(ctx) {
  const raw = ctx.qa("project");
  if (!raw.length) return null;
  const ids = new Set();
  for (const v of raw) {
    if (!/^-?\d+$/.test(v)) throw badRequest(`Invalid project parameter. Values must be numbers.`);
    if (v === "-1") return null;
    if (!ctx.state.projects.some((p) => p.id === v && p.orgSlug === ctx.org.slug)) throw forbidden();
    ids.add(v);
  }
  return ids;
}

export function parseSearch(q) {
  try {
    return parseQuery(q);
  } catch (e) {
    if (e instanceof SearchSyntaxError) throw badRequest(`Invalid search query: ${e.message}`);
    throw e;
  }
}

export function requireBodyObject(ctx) {
  if (ctx.body == null || typeof ctx.body !== "object" || Array.isArray(ctx.body)) throw badRequest("Request body must be a JSON object");
  return ctx.body;
}

export const conflict = (detail) => new HttpError(409, { detail });
