// Replays, profiles, ingest outcomes (stats_v2) and suspect committers, over the data of
// fixtures/investigation.mjs. Trace metrics, profile rows and gen_ai spans are served by the
// Discover handler (/events/) like the other datasets.
import { badRequest, forbidden, notFound, ok } from "../lib/http.mjs";
import { paginate } from "../lib/paginate.mjs";
import { matches } from "../lib/search.mjs";
import { iso } from "../lib/time.mjs";
import { findProject, normEventId, parseSearch, projectFilter, timeRange } from "./common.mjs";

const REPLAY_FIELDS = new Set(["id", "project_id", "started_at", "finished_at", "duration", "count_errors", "count_rage_clicks", "count_dead_clicks", "count_warnings", "count_infos", "count_segments", "count_urls", "urls", "user", "browser", "os", "device", "sdk", "environment", "releases", "error_ids", "trace_ids", "is_archived", "has_viewed", "activity", "platform", "replay_type", "tags", "dist", "warning_ids", "info_ids"]);

function publicReplay(r) {
  const { orgSlug, ...json } = r.json;
  return json;
}

function replayValue(json, key) {
  if (key.startsWith("user.")) return json.user?.[key.slice(5)] ?? null;
  if (key.startsWith("browser.") || key.startsWith("os.")) {
    const [k, sub] = key.split(".");
    return json[k]?.[sub] ?? null;
  }
  if (key === "url") return json.urls;
  return json[key] ?? null;
}

function findReplay(ctx) {
  const id = normEventId(ctx.params.replayId);
  if (!id) throw notFound();
  const r = ctx.state.investigation.replays.find((x) => x.json.id === id && x.json.orgSlug === ctx.org.slug);
  if (!r) throw notFound();
  return r;
}

export function register(r) {
  r.add("GET", "/api/0/organizations/:org/replays/", (ctx) => {
    const fields = ctx.qa("field").filter(Boolean);
    for (const f of fields) if (!REPLAY_FIELDS.has(f)) throw badRequest({ detail: `Invalid field: ${f}` });
    const { start, end } = timeRange(ctx, "14d");
    let list = ctx.state.investigation.replays.filter((x) => x.json.orgSlug === ctx.org.slug).map((x) => x.json);
    const projects = projectFilter(ctx);
    if (projects) list = list.filter((j) => projects.has(String(j.project_id)));
    const envs = ctx.qa("environment");
    if (envs.length) list = list.filter((j) => envs.includes(j.environment));
    list = list.filter((j) => Date.parse(j.started_at) >= start && Date.parse(j.started_at) <= end);
    const q = ctx.q("query");
    if (q && q.trim()) {
      const ast = parseSearch(q);
      list = list.filter((j) => matches(ast, { now: ctx.state.now, resolve: (k) => replayValue(j, k), text: () => [...j.urls, j.user?.display_name] }));
    }
    const sort = ctx.q("sort") ?? "-started_at";
    const key = sort.replace(/^-/, "");
    if (!REPLAY_FIELDS.has(key)) throw badRequest({ detail: `Invalid sort field: ${key}` });
    const dir = sort.startsWith("-") ? -1 : 1;
    list = [...list].sort((a, b) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0) * dir);
    const { page, headers } = paginate(ctx, list, { def: 50 });
    const data = page.map((j) => {
      const { orgSlug, ...json } = j;
      return fields.length ? Object.fromEntries(fields.map((f) => [f, json[f] ?? null])) : json;
    });
    return ok({ data }, { headers });
  });

  r.add("GET", "/api/0/organizations/:org/replays/:replayId/", (ctx) => ok({ data: publicReplay(findReplay(ctx)) }));

  r.add("GET", "/api/0/projects/:org/:project/replays/:replayId/recording-segments/", (ctx) => {
    const p = /^\d+$/.test(ctx.params.project) ? ctx.state.projects.find((x) => x.id === ctx.params.project && x.orgSlug === ctx.org.slug) : findProject(ctx, ctx.params.project);
    const rep = findReplay(ctx);
    if (!p || String(rep.json.project_id) !== p.id) throw notFound();
    const { page, headers } = paginate(ctx, rep.segments);
    return ok(page, { headers });
  });

  r.add("GET", "/api/0/projects/:org/:project/profiling/profiles/:profileId/", (ctx) => {
    const p = findProject(ctx, ctx.params.project);
    const prof = ctx.state.investigation.profiles.get(normEventId(ctx.params.profileId) ?? "");
    if (!prof || prof.projectSlug !== p.slug || prof.orgSlug !== ctx.org.slug) throw notFound();
    const { projectSlug, orgSlug, ...json } = prof;
    return ok(json);
  });

  // The aggregated flamegraph of a transaction (speedscope-style, as Sentry's profiling API
  // answers it): the active thread's stacks of every sampled profile of the transaction in the
  // period, root first, weighted in nanoseconds (10 ms a sample), with per-frame statistics.
  r.add("GET", "/api/0/organizations/:org/profiling/flamegraph/", (ctx) => {
    const projectId = ctx.q("project");
    if (!projectId || !/^\d+$/.test(projectId)) throw badRequest({ detail: "one project is required" });
    const p = ctx.state.projects.find((x) => x.id === projectId && x.orgSlug === ctx.org.slug);
    if (!p) throw forbidden();
    const m = /^transaction:"((?:[^"\\]|\\.)*)"$/.exec(ctx.q("query") ?? "");
    const transaction = m ? m[1].replace(/\\(.)/g, "$1") : null;
    const { start } = timeRange(ctx, "7d");
    const profiles = [...ctx.state.investigation.profiles.values()].filter((x) => x.orgSlug === ctx.org.slug && x.projectSlug === p.slug && (!transaction || x.transaction.name === transaction) && Date.parse(x.timestamp) >= start);
    const metadata = { platform: p.platform.split("-")[0], projectID: Number(p.id), transactionName: transaction };
    if (!profiles.length) return ok({ metadata, profiles: [], shared: { frames: [], frame_infos: [], profiles: [] } });
    const frames = [];
    const frameIndex = new Map();
    const stacks = new Map(); // "i,j,k" (root first) -> weight
    for (const prof of profiles) {
      const { frames: pf, stacks: ps, samples } = prof.profile;
      for (const smp of samples.filter((x) => x.thread_id === prof.transaction.active_thread_id)) {
        const stack = [...ps[smp.stack_id]].reverse().map((i) => {
          const f = pf[i];
          const key = `${f.function}|${f.filename}|${f.lineno}`;
          if (!frameIndex.has(key)) {
            frameIndex.set(key, frames.length);
            frames.push({ name: f.function, file: f.filename, path: `/srv/app/${f.filename}`, line: f.lineno, is_application: f.in_app, fingerprint: 1000 + frames.length });
          }
          return frameIndex.get(key);
        });
        stacks.set(stack.join(","), (stacks.get(stack.join(",")) ?? 0) + 10_000_000);
      }
    }
    const samples = [...stacks.keys()].map((k) => k.split(",").map(Number));
    const weights = [...stacks.values()];
    const infos = frames.map((_, i) => {
      const on = samples.map((st, j) => [st, weights[j]]).filter(([st]) => st.includes(i));
      const sum = on.reduce((a, [, w]) => a + w, 0);
      const self = on.filter(([st]) => st.at(-1) === i).reduce((a, [, w]) => a + w, 0);
      return { count: on.length, weight: sum, sumDuration: sum, sumSelfTime: self, p75Duration: Math.round(sum / profiles.length * 0.9), p95Duration: Math.round(sum / profiles.length * 1.2), p99Duration: Math.round(sum / profiles.length * 1.5) };
    });
    const total = weights.reduce((a, w) => a + w, 0);
    return ok({
      activeProfileIndex: 0,
      metadata,
      platform: metadata.platform,
      projectID: Number(p.id),
      transactionName: transaction,
      profiles: [{ name: "MainThread", threadID: 259, isMainThread: true, type: "sampled", unit: "nanoseconds", startValue: 0, endValue: total, samples, weights, sample_durations_ns: weights, sample_counts: weights.map((w) => w / 10_000_000) }],
      shared: { frames, frame_infos: infos, profiles: profiles.map((x) => ({ project_id: Number(p.id), profile_id: x.event_id, start: Date.parse(x.timestamp) / 1000, end: Date.parse(x.timestamp) / 1000 + 2.14 })) },
    });
  });

  r.add("GET", "/api/0/projects/:org/:project/events/:eventId/committers/", (ctx) => {
    findProject(ctx, ctx.params.project);
    const list = ctx.state.investigation.committers.get(normEventId(ctx.params.eventId) ?? "");
    if (!list) throw notFound();
    return ok({ committers: list });
  });

  // Outcomes: sum(quantity) grouped by any of outcome, reason, category (and project).
  r.add("GET", "/api/0/organizations/:org/stats_v2/", (ctx) => {
    const fields = ctx.qa("field");
    if (!fields.length || fields.some((f) => !["sum(quantity)", "sum(times_seen)"].includes(f))) throw badRequest({ detail: "At least one valid field is required: sum(quantity) or sum(times_seen)" });
    const groupBy = ctx.qa("groupBy");
    for (const g of groupBy) if (!["outcome", "reason", "category", "project"].includes(g)) throw badRequest({ detail: `Invalid groupBy: ${g}` });
    const { start, end } = timeRange(ctx, "14d");
    let rows = ctx.state.investigation.outcomes.filter((o) => o.orgSlug === ctx.org.slug);
    const projects = projectFilter(ctx);
    if (projects) rows = rows.filter((o) => projects.has(o.project));
    const categories = ctx.qa("category");
    if (categories.length) rows = rows.filter((o) => categories.includes(o.category));
    const outcomes = ctx.qa("outcome");
    if (outcomes.length) rows = rows.filter((o) => outcomes.includes(o.outcome));
    const groups = new Map();
    for (const o of rows) {
      const by = Object.fromEntries(groupBy.map((g) => [g, g === "project" ? Number(o.project) : o[g]]));
      const key = JSON.stringify(by);
      groups.set(key, { by, total: (groups.get(key)?.total ?? 0) + o.total });
    }
    const days = Math.max(1, Math.min(90, Math.round((Math.min(end, ctx.state.now) - start) / 86_400_000)));
    const intervals = Array.from({ length: days }, (_, i) => iso(ctx.state.now - (days - i) * 86_400_000));
    const spread = (total) => intervals.map((_, i) => Math.floor(total / days) + (i < total % days ? 1 : 0));
    return ok({
      start: intervals[0],
      end: iso(ctx.state.now),
      intervals,
      groups: [...groups.values()].map(({ by, total }) => ({ by, totals: Object.fromEntries(fields.map((f) => [f, total])), series: Object.fromEntries(fields.map((f) => [f, spread(total)])) })),
    });
  });
}
