// Organizations, their projects and teams, and the short-id / event-id lookups.
import { badRequest, created, notFound, ok } from "../lib/http.mjs";
import { paginate } from "../lib/paginate.mjs";
import { hexId } from "../lib/prng.mjs";
import { findIssue, normEventId, conflict, requireBodyObject } from "./common.mjs";
import { orgJson, projectJson, teamJson, issueJson } from "./shapes.mjs";

const contains = (s, q) => String(s).toLowerCase().includes(q.toLowerCase());
const SLUG = /^[a-z0-9][a-z0-9_-]{0,49}$/;

export const slugify = (name) =>
  String(name)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 50);

export function register(r) {
  // Control-silo list: every region's orgs (fault orgs are reachable by slug only).
  r.add("GET", "/api/0/organizations/", (ctx) => {
    let orgs = ctx.state.orgs.filter((o) => o.listed);
    const q = ctx.q("query");
    if (q) orgs = orgs.filter((o) => contains(o.slug, q) || contains(o.name, q));
    const { page, headers } = paginate(ctx, orgs);
    return ok(page.map((o) => orgJson(ctx.state, o)), { headers });
  });

  r.add("GET", "/api/0/organizations/:org/", (ctx) => ok(orgJson(ctx.state, ctx.org, { detail: true })), { orgDetail: true });

  r.add("GET", "/api/0/organizations/:org/projects/", (ctx) => {
    let ps = ctx.state.projects.filter((p) => p.orgSlug === ctx.org.slug).sort((a, b) => a.slug.localeCompare(b.slug));
    const q = ctx.q("query");
    if (q) {
      // Sentry's project search accepts free text and "id:<n>" / "slug:<s>" tokens.
      for (const tok of q.trim().split(/\s+/)) {
        const m = /^(id|slug|name):(.+)$/.exec(tok);
        if (m && m[1] === "id") ps = ps.filter((p) => p.id === m[2]);
        else if (m) ps = ps.filter((p) => contains(p[m[1]], m[2]));
        else ps = ps.filter((p) => contains(p.slug, tok) || contains(p.name, tok));
      }
    }
    const { page, headers } = paginate(ctx, ps);
    return ok(page.map((p) => projectJson(ctx.state, p)), { headers });
  });

  r.add("GET", "/api/0/organizations/:org/teams/", (ctx) => {
    let ts = ctx.state.teams.filter((t) => t.orgSlug === ctx.org.slug).sort((a, b) => a.slug.localeCompare(b.slug));
    const q = ctx.q("query");
    if (q) ts = ts.filter((t) => contains(t.slug, q) || contains(t.name, q));
    const { page, headers } = paginate(ctx, ts);
    return ok(page.map((t) => teamJson(ctx.state, t, { withProjects: ctx.q("detailed") !== "0" })), { headers });
  });

  r.add(
    "POST",
    "/api/0/organizations/:org/teams/",
    (ctx) => {
      const body = requireBodyObject(ctx);
      if (!body.name && !body.slug) throw badRequest({ non_field_errors: ["Name or slug is required"] });
      const slug = body.slug ?? slugify(body.name);
      if (!SLUG.test(slug)) throw badRequest({ slug: ["Enter a valid slug consisting of lowercase letters, numbers, underscores or hyphens. It cannot be entirely numeric."] });
      if (ctx.state.teams.some((t) => t.orgSlug === ctx.org.slug && t.slug === slug)) throw conflict("A team with this slug already exists.");
      const team = { id: String(++ctx.state.seq.team), slug, name: body.name ?? slug, orgSlug: ctx.org.slug, created: Date.now(), memberCount: 1 };
      ctx.state.teams.push(team);
      return created(teamJson(ctx.state, team));
    },
    { scope: "team:write" },
  );

  r.add("GET", "/api/0/organizations/:org/shortids/:shortId/", (ctx) => {
    const issue = findIssue(ctx, ctx.params.shortId);
    if (issue.shortId !== ctx.params.shortId.toUpperCase()) throw notFound(); // numeric ids are not short ids
    const p = ctx.state.projects.find((x) => x.id === issue.projectId);
    return ok({ organizationSlug: ctx.org.slug, projectSlug: p.slug, groupId: issue.id, shortId: issue.shortId, group: issueJson(ctx.state, issue) });
  });

  r.add("GET", "/api/0/organizations/:org/eventids/:eventId/", (ctx) => {
    const id = normEventId(ctx.params.eventId);
    const e = id && ctx.state.eventsById.get(id);
    if (!e || e.orgSlug !== ctx.org.slug) throw notFound();
    const p = ctx.state.projects.find((x) => x.id === e.projectId);
    return ok({ organizationSlug: ctx.org.slug, projectSlug: p.slug, groupId: e.issueId, eventId: e.id, event: e.json });
  });

  // Tag keys seen across the org's events (a small convenience the search tools use).
  r.add("GET", "/api/0/organizations/:org/tags/", (ctx) => {
    const counts = new Map();
    for (const e of ctx.state.events.filter((x) => x.orgSlug === ctx.org.slug)) for (const t of e.tags) counts.set(t.key, (counts.get(t.key) ?? 0) + 1);
    return ok([...counts.entries()].sort().map(([key, n]) => ({ key, name: key, totalValues: n, uniqueValues: null, id: hexId(`tag:${key}`, 8) })));
  });
}
