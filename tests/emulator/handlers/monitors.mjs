// Monitoring endpoints: cron monitors and their check-ins, uptime monitors (CRUD and checks),
// metric monitors (detectors), alerts (workflows) and dashboards. Uptime writes accept
// project:write or alerts:write, as Sentry's alert-rule permission does; the limits are Sentry's
// (intervals 1, 5, 10, 20, 30 or 60 minutes; timeout 1 to 60 seconds; URL at most 255 characters).
import { badRequest, created, notFound, ok } from "../lib/http.mjs";
import { paginate } from "../lib/paginate.mjs";
import { findProject, projectFilter, requireBodyObject } from "./common.mjs";

export const UPTIME_INTERVALS = [60, 300, 600, 1200, 1800, 3600];
const METHODS = ["GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"];
const WRITE = { scope: ["project:write", "alerts:write"] };

const projectRef = (state, id) => {
  const p = state.projects.find((x) => x.id === id);
  return { id: p.id, slug: p.slug, name: p.name, platform: p.platform };
};

function byQuery(list, ctx, ...keys) {
  const q = ctx.q("query")?.trim().toLowerCase();
  if (!q) return list;
  return list.filter((x) => keys.some((k) => String(x[k] ?? "").toLowerCase().includes(q)));
}

function inProjects(ctx, list) {
  const ids = projectFilter(ctx);
  return ids ? list.filter((x) => ids.has(x.projectId)) : list;
}

const cronJson = (state, m) => {
  const { checkins, projectId, orgSlug, ...rest } = m;
  return { ...rest, project: projectRef(state, projectId) };
};

const uptimeJson = (state, m) => {
  const { checks, projectId, orgSlug, ...rest } = m;
  return { ...rest, projectSlug: state.projects.find((p) => p.id === projectId).slug };
};

const detectorJson = (m) => {
  const { orgSlug, ...rest } = m;
  return rest;
};

function findUptime(ctx) {
  const p = findProject(ctx, ctx.params.project);
  const m = ctx.state.monitoring.uptimeMonitors.find((x) => x.id === ctx.params.id && x.projectId === p.id);
  if (!m) throw notFound();
  return m;
}

/** Validate an uptime monitor body; `partial` for PUT. Errors are shaped as Sentry's serializer's. */
function uptimeFields(body, partial) {
  const errors = {};
  const out = {};
  const need = (k) => !partial && body[k] === undefined;
  for (const k of ["name", "url"]) if (need(k)) errors[k] = ["This field is required."];
  if (body.name !== undefined) {
    if (typeof body.name !== "string" || !body.name.trim()) errors.name = ["This field may not be blank."];
    else if (body.name.length > 128) errors.name = ["Ensure this field has no more than 128 characters."];
    else out.name = body.name;
  }
  if (body.url !== undefined) {
    let valid = false;
    try {
      valid = ["http:", "https:"].includes(new URL(body.url).protocol);
    } catch {}
    if (typeof body.url !== "string" || !valid) errors.url = ["Invalid URL"];
    else if (body.url.length > 255) errors.url = ["Ensure this field has no more than 255 characters."];
    else out.url = body.url;
  }
  if (body.intervalSeconds !== undefined) {
    if (!UPTIME_INTERVALS.includes(body.intervalSeconds)) errors.intervalSeconds = [`"${body.intervalSeconds}" is not a valid choice.`];
    else out.intervalSeconds = body.intervalSeconds;
  } else if (!partial) out.intervalSeconds = 60;
  if (body.timeoutMs !== undefined) {
    if (!Number.isInteger(body.timeoutMs) || body.timeoutMs < 1000) errors.timeoutMs = ["Ensure this value is greater than or equal to 1000."];
    else if (body.timeoutMs > 60_000) errors.timeoutMs = ["Ensure this value is less than or equal to 60000."];
    else out.timeoutMs = body.timeoutMs;
  } else if (!partial) out.timeoutMs = 10_000;
  if (body.method !== undefined) {
    if (!METHODS.includes(body.method)) errors.method = [`"${body.method}" is not a valid choice.`];
    else out.method = body.method;
  }
  if (body.status !== undefined) {
    if (!["active", "disabled"].includes(body.status)) errors.status = [`"${body.status}" is not a valid choice.`];
    else out.status = body.status;
  }
  if (body.environment !== undefined) out.environment = body.environment;
  if (body.body !== undefined) out.body = body.body;
  if (body.headers !== undefined) {
    if (!Array.isArray(body.headers) || !body.headers.every((h) => Array.isArray(h) && h.length === 2 && h.every((x) => typeof x === "string"))) errors.headers = ["Expected a list of [name, value] pairs."];
    else out.headers = body.headers;
  }
  const method = out.method ?? body.method;
  if (out.body && ["GET", "HEAD", "OPTIONS"].includes(method ?? "GET")) errors.body = ["A request body cannot be sent with this method."];
  if (Object.keys(errors).length) throw badRequest(errors);
  return out;
}

export function register(r) {
  // Cron monitors
  r.add("GET", "/api/0/organizations/:org/monitors/", (ctx) => {
    let list = inProjects(ctx, ctx.state.monitoring.cronMonitors.filter((m) => m.orgSlug === ctx.org.slug));
    list = byQuery(list, ctx, "name", "slug");
    const { page, headers } = paginate(ctx, list);
    return ok(page.map((m) => cronJson(ctx.state, m)), { headers });
  });
  const findCron = (ctx) => {
    const m = ctx.state.monitoring.cronMonitors.find((x) => x.orgSlug === ctx.org.slug && (x.slug === ctx.params.monitor || x.id === ctx.params.monitor));
    if (!m) throw notFound();
    return m;
  };
  r.add("GET", "/api/0/organizations/:org/monitors/:monitor/", (ctx) => ok(cronJson(ctx.state, findCron(ctx))));
  r.add("GET", "/api/0/organizations/:org/monitors/:monitor/checkins/", (ctx) => {
    let list = findCron(ctx).checkins;
    const env = ctx.q("environment");
    if (env) list = list.filter((c) => c.environment === env);
    const { page, headers } = paginate(ctx, list);
    return ok(page, { headers });
  });

  // Uptime monitors
  r.add("GET", "/api/0/organizations/:org/uptime/", (ctx) => {
    let list = inProjects(ctx, ctx.state.monitoring.uptimeMonitors.filter((m) => m.orgSlug === ctx.org.slug));
    list = byQuery(list, ctx, "name", "url");
    const { page, headers } = paginate(ctx, list);
    return ok(page.map((m) => uptimeJson(ctx.state, m)), { headers });
  });
  r.add(
    "POST",
    "/api/0/projects/:org/:project/uptime/",
    (ctx) => {
      const p = findProject(ctx, ctx.params.project);
      const fields = uptimeFields(requireBodyObject(ctx), false);
      const m = { id: String(++ctx.state.seq.uptime), projectId: p.id, orgSlug: p.orgSlug, method: "GET", body: null, headers: [], status: "active", mode: 1, uptimeStatus: 1, uptimeStatusUpdateDate: new Date(ctx.state.now).toISOString(), environment: null, owner: null, traceSampling: false, recoveryThreshold: 1, downtimeThreshold: 3, dateCreated: new Date(ctx.state.now).toISOString(), checks: [], ...fields };
      ctx.state.monitoring.uptimeMonitors.push(m);
      return created(uptimeJson(ctx.state, m));
    },
    WRITE,
  );
  r.add("GET", "/api/0/projects/:org/:project/uptime/:id/", (ctx) => ok(uptimeJson(ctx.state, findUptime(ctx))));
  r.add(
    "PUT",
    "/api/0/projects/:org/:project/uptime/:id/",
    (ctx) => {
      const m = findUptime(ctx);
      Object.assign(m, uptimeFields({ method: m.method, ...requireBodyObject(ctx) }, true));
      return ok(uptimeJson(ctx.state, m));
    },
    WRITE,
  );
  r.add(
    "DELETE",
    "/api/0/projects/:org/:project/uptime/:id/",
    (ctx) => {
      const m = findUptime(ctx);
      const list = ctx.state.monitoring.uptimeMonitors;
      list.splice(list.indexOf(m), 1);
      return { status: 204, body: "", contentType: "text/html" };
    },
    WRITE,
  );
  r.add("GET", "/api/0/projects/:org/:project/uptime/:id/checks/", (ctx) => {
    const { page, headers } = paginate(ctx, findUptime(ctx).checks);
    return ok(page, { headers });
  });

  // Metric monitors (detectors)
  r.add("GET", "/api/0/organizations/:org/detectors/", (ctx) => {
    let list = inProjects(ctx, ctx.state.monitoring.metricMonitors.filter((m) => m.orgSlug === ctx.org.slug));
    const q = ctx.q("query") ?? "";
    const type = /(?:^|\s)type:(\S+)/.exec(q)?.[1];
    if (type) list = list.filter((m) => m.type === type);
    const text = q.replace(/(?:^|\s)type:\S+/, "").trim().toLowerCase();
    if (text) list = list.filter((m) => m.name.toLowerCase().includes(text));
    const { page, headers } = paginate(ctx, list);
    return ok(page.map(detectorJson), { headers });
  });
  r.add("GET", "/api/0/organizations/:org/detectors/:id/", (ctx) => {
    const m = ctx.state.monitoring.metricMonitors.find((x) => x.orgSlug === ctx.org.slug && x.id === ctx.params.id);
    if (!m) throw notFound();
    return ok(detectorJson(m));
  });

  // Alerts (workflows)
  r.add("GET", "/api/0/organizations/:org/workflows/", (ctx) => {
    let list = byQuery(ctx.state.monitoring.workflows.filter((w) => w.orgSlug === ctx.org.slug), ctx, "name");
    const ids = ctx.qa("id");
    if (ids.length) list = list.filter((w) => ids.includes(w.id));
    const { page, headers } = paginate(ctx, list);
    return ok(page.map(detectorJson), { headers });
  });
  r.add("GET", "/api/0/organizations/:org/workflows/:id/", (ctx) => {
    const w = ctx.state.monitoring.workflows.find((x) => x.orgSlug === ctx.org.slug && x.id === ctx.params.id);
    if (!w) throw notFound();
    return ok(detectorJson(w));
  });

  // Dashboards
  r.add("GET", "/api/0/organizations/:org/dashboards/", (ctx) => {
    const list = byQuery(ctx.state.monitoring.dashboards.filter((d) => d.orgSlug === ctx.org.slug), ctx, "title");
    const { page, headers } = paginate(ctx, list);
    return ok(page.map((d) => ({ id: d.id, title: d.title, dateCreated: d.dateCreated, createdBy: d.createdBy, projects: d.projects, widgetDisplay: d.widgets.map((w) => w.displayType), widgetPreview: d.widgets.map((w) => ({ displayType: w.displayType, layout: w.layout })) })), { headers });
  });
  r.add("GET", "/api/0/organizations/:org/dashboards/:id/", (ctx) => {
    const d = ctx.state.monitoring.dashboards.find((x) => x.orgSlug === ctx.org.slug && x.id === ctx.params.id);
    if (!d) throw notFound();
    const { orgSlug, ...rest } = d;
    return ok(rest);
  });
}
