// Releases, their deploys and commits.
import { notFound, ok } from "../lib/http.mjs";
import { paginate } from "../lib/paginate.mjs";
import { projectFilter } from "./common.mjs";
import { releaseJson } from "./shapes.mjs";

function findRelease(ctx) {
  const r = ctx.state.releases.find((x) => x.orgSlug === ctx.org.slug && x.version === ctx.params.version);
  if (!r) throw notFound();
  return r;
}

export function register(r) {
  r.add("GET", "/api/0/organizations/:org/releases/", (ctx) => {
    let list = ctx.state.releases.filter((x) => x.orgSlug === ctx.org.slug).sort((a, b) => b.created - a.created);
    const projects = projectFilter(ctx);
    if (projects) {
      const slugs = ctx.state.projects.filter((p) => projects.has(p.id)).map((p) => p.slug);
      list = list.filter((x) => x.projectSlugs.some((s) => slugs.includes(s)));
    }
    const q = ctx.q("query");
    if (q) list = list.filter((x) => x.version.toLowerCase().startsWith(q.toLowerCase()) || x.version.split("@").pop().startsWith(q));
    const { page, headers } = paginate(ctx, list);
    return ok(page.map((x) => releaseJson(ctx.state, x)), { headers });
  });
  r.add("GET", "/api/0/organizations/:org/releases/:version/", (ctx) => ok(releaseJson(ctx.state, findRelease(ctx), { detail: true, health: ctx.q("health") === "1" })));
  r.add("GET", "/api/0/organizations/:org/releases/:version/deploys/", (ctx) => {
    const { page, headers } = paginate(ctx, [...findRelease(ctx).deploys].reverse());
    return ok(page, { headers });
  });
  r.add("GET", "/api/0/organizations/:org/releases/:version/commits/", (ctx) => {
    const { page, headers } = paginate(ctx, [...findRelease(ctx).commits].reverse());
    return ok(page, { headers });
  });
}
