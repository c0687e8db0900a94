// Project-scoped endpoints: detail/update, teams and team access, client keys, project creation under a team,
// project event lookup and event attachments.
import { badRequest, created, notFound, ok } from "../lib/http.mjs";
import { paginate } from "../lib/paginate.mjs";
import { hexId } from "../lib/prng.mjs";
import { findProject, normEventId, conflict, requireBodyObject } from "./common.mjs";
import { projectJson, teamJson, keyJson } from "./shapes.mjs";
import { slugify } from "./organizations.mjs";
import { CONDITIONS_BY_DATA_TYPE, FILTER_PROJECTS } from "../fixtures/filters.mjs";

const SLUG = /^[a-z0-9][a-z0-9_-]{0,99}$/;

function findKey(ctx, project) {
  const k = ctx.state.keys.find((x) => x.projectId === Number(project.id) && x.id === ctx.params.keyId);
  if (!k) throw notFound();
  return k;
}

function newKey(state, project, name, rateLimit) {
  const n = ++state.seq.key;
  const k = { id: hexId(`newkey:${project.id}:${n}`), name: name ?? "Default", public: hexId(`newkey-public:${project.id}:${n}`), secret: hexId(`newkey-secret:${project.id}:${n}`), projectId: Number(project.id), orgSlug: project.orgSlug, isActive: true, rateLimit: rateLimit ?? null, created: Date.now() };
  state.keys.push(k);
  return k;
}

function validRateLimit(rl) {
  if (rl === undefined || rl === null) return true;
  return typeof rl === "object" && Number.isInteger(rl.window) && Number.isInteger(rl.count) && rl.window > 0 && rl.count >= 0;
}

function projectEvent(ctx) {
  const p = findProject(ctx, ctx.params.project);
  const id = normEventId(ctx.params.eventId);
  const e = id && ctx.state.eventsById.get(id);
  if (!e || e.projectId !== p.id) throw notFound();
  return { p, e };
}

// Custom inbound filters, validated as project_custom_inbound_filters.py does.
const FILTER_LIMIT = 50;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}(\/(3[0-2]|[12]?\d))?$/;
const IPV6 = /^[0-9a-f:]*:[0-9a-f:.]*(\/(12[0-8]|1[01]\d|\d?\d))?$/i;

function filtersOf(ctx) {
  const p = findProject(ctx, ctx.params.project);
  if (!FILTER_PROJECTS.includes(`${p.orgSlug}/${p.slug}`)) throw badRequest("You do not have that feature enabled");
  return { p, list: ctx.state.inboundFilters.filter((f) => f.org === p.orgSlug && f.project === p.slug) };
}

function findFilter(ctx) {
  const { p, list } = filtersOf(ctx);
  const f = list.find((x) => x.id === ctx.params.filterId);
  if (!f) throw notFound();
  return { p, f };
}

const filterJson = ({ id, name, active, dataType, conditions, dateCreated, dateUpdated }) => ({ id, name, active, dataType, conditions: conditions.map((c) => ({ type: c.type, value: [...c.value] })), dateCreated, dateUpdated });

/** The validated fields of a create (all) or a partial update (those sent), or a 400 in DRF's shape. */
function filterFields(body, stored) {
  const out = {};
  if ("name" in body) {
    if (body.name !== null && (typeof body.name !== "string" || body.name.length > 256)) throw badRequest({ name: ["Ensure this field has no more than 256 characters."] });
    out.name = body.name === null ? null : body.name.trim();
  }
  if ("active" in body) {
    if (typeof body.active !== "boolean") throw badRequest({ active: ["Must be a valid boolean."] });
    out.active = body.active;
  }
  if ("dataType" in body || !stored) {
    if (!(body.dataType in CONDITIONS_BY_DATA_TYPE)) throw badRequest({ dataType: [body.dataType === undefined ? "This field is required." : `"${body.dataType}" is not a valid choice.`] });
    out.dataType = body.dataType;
  }
  if ("conditions" in body || !stored) {
    const c = body.conditions;
    if (!Array.isArray(c) || c.length === 0) throw badRequest({ conditions: [c === undefined ? "This field is required." : "This list may not be empty."] });
    if (c.length > 10) throw badRequest({ conditions: ["Ensure this field has no more than 10 elements."] });
    for (const cond of c) {
      if (!cond || !Object.values(CONDITIONS_BY_DATA_TYPE).flat().includes(cond.type)) throw badRequest({ conditions: [{ type: [`"${cond?.type}" is not a valid choice.`] }] });
      if (!Array.isArray(cond.value) || cond.value.length === 0 || cond.value.some((v) => typeof v !== "string" || !v.trim())) throw badRequest({ conditions: [{ value: ["This list may not be empty."] }] });
      if (cond.type === "ip_address") {
        const invalid = cond.value.filter((v) => !IPV4.test(v) && !IPV6.test(v));
        if (invalid.length) throw badRequest({ conditions: [{ value: [`${invalid.join(", ")} is not an IP address or CIDR range.`] }] });
      }
    }
    out.conditions = c.map((cond) => ({ type: cond.type, value: cond.value.map((v) => v.trim()) }));
  }
  const dataType = out.dataType ?? stored?.dataType;
  const conditions = out.conditions ?? stored?.conditions;
  const supported = CONDITIONS_BY_DATA_TYPE[dataType];
  const unsupported = [...new Set(conditions.map((x) => x.type).filter((t) => !supported.includes(t)))].sort();
  if (unsupported.length) throw badRequest({ conditions: [`A filter on ${dataType} data cannot use the ${unsupported.join(", ")} condition. It accepts ${supported.join(", ")}.`] });
  return out;
}

export function register(r) {
  r.add("GET", "/api/0/projects/:org/:project/custom-inbound-filters/", (ctx) => {
    const { list } = filtersOf(ctx);
    const sorted = [...list].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    const { page, headers } = paginate(ctx, sorted);
    return ok(page.map(filterJson), { headers });
  });
  r.add(
    "POST",
    "/api/0/projects/:org/:project/custom-inbound-filters/",
    (ctx) => {
      const { p, list } = filtersOf(ctx);
      if (list.length >= FILTER_LIMIT) throw badRequest(`A project can have at most ${FILTER_LIMIT} custom inbound filters.`);
      const fields = filterFields(requireBodyObject(ctx), null);
      const at = new Date(ctx.state.now).toISOString();
      const f = { id: String(++ctx.state.seq.filter), org: p.orgSlug, project: p.slug, name: fields.name ?? null, active: fields.active ?? true, dataType: fields.dataType, conditions: fields.conditions, dateCreated: at, dateUpdated: at };
      ctx.state.inboundFilters.push(f);
      return created(filterJson(f));
    },
    { scope: ["project:write", "project:admin"] },
  );
  r.add("GET", "/api/0/projects/:org/:project/custom-inbound-filters/:filterId/", (ctx) => ok(filterJson(findFilter(ctx).f)));
  r.add(
    "PUT",
    "/api/0/projects/:org/:project/custom-inbound-filters/:filterId/",
    (ctx) => {
      const { f } = findFilter(ctx);
      const fields = filterFields(requireBodyObject(ctx), f);
      if (Object.keys(fields).some((k) => JSON.stringify(fields[k]) !== JSON.stringify(f[k]))) {
        Object.assign(f, fields, { dateUpdated: new Date(ctx.state.now).toISOString() });
      }
      return ok(filterJson(f));
    },
    { scope: ["project:write", "project:admin"] },
  );
  r.add(
    "DELETE",
    "/api/0/projects/:org/:project/custom-inbound-filters/:filterId/",
    (ctx) => {
      const { f } = findFilter(ctx);
      ctx.state.inboundFilters = ctx.state.inboundFilters.filter((x) => x !== f);
      return { status: 204, body: "", contentType: "text/html" };
    },
    { scope: ["project:write", "project:admin"] },
  );

  r.add("GET", "/api/0/projects/:org/:project/", (ctx) => ok(projectJson(ctx.state, findProject(ctx, ctx.params.project), { detail: true })));

  r.add(
    "PUT",
    "/api/0/projects/:org/:project/",
    (ctx) => {
      const p = findProject(ctx, ctx.params.project);
      const body = requireBodyObject(ctx);
      if ("slug" in body) {
        if (typeof body.slug !== "string" || !SLUG.test(body.slug)) throw badRequest({ slug: ["Enter a valid slug consisting of lowercase letters, numbers, underscores or hyphens. It cannot be entirely numeric."] });
        const other = ctx.state.projects.find((x) => x.orgSlug === p.orgSlug && x.slug === body.slug && x !== p);
        if (other) throw badRequest({ slug: [`Another project (${other.slug}) is already using that slug`] });
      }
      if ("name" in body && (typeof body.name !== "string" || !body.name.trim() || body.name.length > 200)) throw badRequest({ name: ["Ensure this field has no more than 200 characters."] });
      if ("platform" in body && body.platform !== null && typeof body.platform !== "string") throw badRequest({ platform: ["Invalid platform"] });
      if ("isBookmarked" in body && typeof body.isBookmarked !== "boolean") throw badRequest({ isBookmarked: ["Must be a valid boolean."] });
      if ("slug" in body && body.slug !== p.slug) {
        for (const i of ctx.state.issues) if (i.projectId === p.id) i.project = body.slug;
        p.slug = body.slug;
      }
      for (const k of ["name", "platform", "isBookmarked"]) if (k in body) p[k] = body[k];
      return ok(projectJson(ctx.state, p, { detail: true }));
    },
    { scope: "project:write" },
  );

  r.add("GET", "/api/0/projects/:org/:project/teams/", (ctx) => {
    const p = findProject(ctx, ctx.params.project);
    return ok(ctx.state.teams.filter((t) => t.orgSlug === p.orgSlug && p.teamSlugs.includes(t.slug)).map((t) => teamJson(ctx.state, t)));
  });

  // Team access: adding a team twice or removing one without access are no-ops, as in Sentry.
  const teamOf = (ctx) => {
    const t = ctx.state.teams.find((x) => x.orgSlug === ctx.org.slug && x.slug === ctx.params.team);
    if (!t) throw notFound();
    return t;
  };
  r.add(
    "POST",
    "/api/0/projects/:org/:project/teams/:team/",
    (ctx) => {
      const p = findProject(ctx, ctx.params.project);
      const t = teamOf(ctx);
      if (!p.teamSlugs.includes(t.slug)) p.teamSlugs.push(t.slug);
      return created(projectJson(ctx.state, p, { detail: true }));
    },
    { scope: ["project:write", "project:admin"] },
  );
  r.add(
    "DELETE",
    "/api/0/projects/:org/:project/teams/:team/",
    (ctx) => {
      const p = findProject(ctx, ctx.params.project);
      const t = teamOf(ctx);
      p.teamSlugs = p.teamSlugs.filter((s) => s !== t.slug);
      return ok(projectJson(ctx.state, p, { detail: true }));
    },
    { scope: ["project:write", "project:admin"] },
  );

  r.add("GET", "/api/0/projects/:org/:project/keys/", (ctx) => {
    const p = findProject(ctx, ctx.params.project);
    let keys = ctx.state.keys.filter((k) => k.projectId === Number(p.id));
    const status = ctx.q("status");
    if (status === "active") keys = keys.filter((k) => k.isActive);
    else if (status === "inactive") keys = keys.filter((k) => !k.isActive);
    else if (status) throw badRequest("status must be active or inactive");
    const { page, headers } = paginate(ctx, keys);
    return ok(page.map((k) => keyJson(ctx.state, k)), { headers });
  });

  r.add(
    "POST",
    "/api/0/projects/:org/:project/keys/",
    (ctx) => {
      const p = findProject(ctx, ctx.params.project);
      const body = ctx.body ?? {};
      if (typeof body !== "object" || Array.isArray(body)) throw badRequest("Request body must be a JSON object");
      if (body.name !== undefined && (typeof body.name !== "string" || body.name.length > 64)) throw badRequest({ name: ["Ensure this field has no more than 64 characters."] });
      if (!validRateLimit(body.rateLimit)) throw badRequest({ rateLimit: ["Invalid rate limit: expected {window, count}"] });
      return created(keyJson(ctx.state, newKey(ctx.state, p, body.name, body.rateLimit)));
    },
    { scope: "project:write" },
  );

  r.add("GET", "/api/0/projects/:org/:project/keys/:keyId/", (ctx) => ok(keyJson(ctx.state, findKey(ctx, findProject(ctx, ctx.params.project)))));

  r.add(
    "PUT",
    "/api/0/projects/:org/:project/keys/:keyId/",
    (ctx) => {
      const k = findKey(ctx, findProject(ctx, ctx.params.project));
      const body = requireBodyObject(ctx);
      if (!validRateLimit(body.rateLimit)) throw badRequest({ rateLimit: ["Invalid rate limit: expected {window, count}"] });
      if ("isActive" in body && typeof body.isActive !== "boolean") throw badRequest({ isActive: ["Must be a valid boolean."] });
      if ("name" in body) k.name = String(body.name);
      if ("isActive" in body) k.isActive = body.isActive;
      if ("rateLimit" in body) k.rateLimit = body.rateLimit;
      return ok(keyJson(ctx.state, k));
    },
    { scope: "project:write" },
  );

  r.add(
    "POST",
    "/api/0/teams/:org/:team/projects/",
    (ctx) => {
      const team = ctx.state.teams.find((t) => t.orgSlug === ctx.org.slug && t.slug === ctx.params.team);
      if (!team) throw notFound();
      const body = requireBodyObject(ctx);
      if (!body.name || typeof body.name !== "string") throw badRequest({ name: ["This field is required."] });
      const slug = body.slug ?? slugify(body.name);
      if (!SLUG.test(slug)) throw badRequest({ slug: ["Enter a valid slug consisting of lowercase letters, numbers, underscores or hyphens. It cannot be entirely numeric."] });
      if (ctx.state.projects.some((p) => p.orgSlug === ctx.org.slug && p.slug === slug)) throw conflict("A project with this slug already exists.");
      const now = Date.now();
      const p = { id: String(++ctx.state.seq.project), slug, name: body.name, orgSlug: ctx.org.slug, platform: body.platform ?? null, teamSlugs: [team.slug], created: now, firstEvent: null, isBookmarked: false, color: `#${hexId(`color:${slug}`, 6)}`, environments: [] };
      ctx.state.projects.push(p);
      newKey(ctx.state, p, "Default");
      return created(projectJson(ctx.state, p, { detail: true }));
    },
    { scope: "project:write" },
  );

  r.add("GET", "/api/0/projects/:org/:project/events/:eventId/", (ctx) => ok(projectEvent(ctx).e.json));

  // Attachments need the org's `event-attachments` feature, as on sentry.io.
  const attachmentsOf = (ctx) => {
    if (!ctx.org.features.includes("event-attachments")) throw notFound();
    const { e } = projectEvent(ctx);
    return ctx.state.attachments.filter((a) => a.eventId === e.id);
  };
  const meta = ({ content, eventId, ...rest }) => ({ ...rest, event_id: eventId });

  r.add("GET", "/api/0/projects/:org/:project/events/:eventId/attachments/", (ctx) => {
    let list = attachmentsOf(ctx);
    const q = ctx.q("query");
    if (q === "is:screenshot") list = list.filter((a) => /screenshot/i.test(a.name));
    const { page, headers } = paginate(ctx, list);
    return ok(page.map(meta), { headers });
  });

  r.add("GET", "/api/0/projects/:org/:project/events/:eventId/attachments/:attachmentId/", (ctx) => {
    const a = attachmentsOf(ctx).find((x) => x.id === ctx.params.attachmentId);
    if (!a) throw notFound();
    if (ctx.q("download") === "1" || ctx.q("download") === "true") {
      return { status: 200, body: a.content, contentType: a.mimetype, headers: { "Content-Disposition": `attachment; filename="${a.name}"` } };
    }
    return ok(meta(a));
  });
}
