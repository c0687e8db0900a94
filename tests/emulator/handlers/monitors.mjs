// Monitoring endpoints: cron monitors and their check-ins (and deleting one environment), uptime
// monitors (CRUD and checks), metric monitors (detectors, CRUD), alerts (workflows, CRUD, with
// what they can use: available actions and data conditions) and dashboards. Uptime and cron
// writes accept project:write or alerts:write, detector and workflow writes alerts:write or
// org:write, as Sentry's permissions do; the limits are Sentry's (uptime intervals 1, 5, 10, 20, 30
// or 60 minutes, timeout 1 to 60 seconds, URL at most 255 characters; metric windows, percent
// comparison windows and dynamic detection's windows; alert notification intervals).
import { badRequest, created, notFound, ok } from "../lib/http.mjs";
import { paginate } from "../lib/paginate.mjs";
import { findProject, projectFilter, requireBodyObject } from "./common.mjs";

export const UPTIME_INTERVALS = [60, 300, 600, 1200, 1800, 3600];
const METHODS = ["GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"];
const WRITE = { scope: ["project:write", "alerts:write"] };
const ALERT_WRITE = { scope: ["alerts:write", "org:write"] };
const DATASETS = ["events", "transactions", "generic_metrics", "metrics", "events_analytics_platform"];
const WINDOWS = [60, 300, 600, 900, 1800, 3600, 7200, 14400, 86400];
const DELTAS = [300, 900, 3600, 86400, 604800, 2592000];
const FREQUENCIES = [0, 5, 10, 30, 60, 180, 720, 1440];
const noContent = () => ({ status: 204, body: "", contentType: "text/html" });

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

/** Validate a metric detector body (POST, or PUT merged over the stored one) and return the stored shape. */
function detectorFields(ctx, body, current) {
  const errors = {};
  const state = ctx.state;
  if (typeof body.name !== "string" || !body.name.trim()) errors.name = ["This field is required."];
  else if (body.name.length > 200) errors.name = ["Ensure this field has no more than 200 characters."];
  if (body.type !== "metric_issue") errors.type = ["Invalid detector type; this endpoint writes metric_issue detectors."];
  let projectId = current?.projectId;
  if (!current) {
    projectId = String(body.projectId ?? "");
    if (!state.projects.some((p) => p.id === projectId && p.orgSlug === ctx.org.slug)) errors.projectId = ["Invalid project."];
  }
  const q = Array.isArray(body.dataSources) && body.dataSources.length === 1 ? body.dataSources[0] : null;
  if (!q) errors.dataSources = ["Exactly one data source is required."];
  else {
    if (!DATASETS.includes(q.dataset)) errors.dataset = [`"${q.dataset}" is not a valid choice.`];
    if (typeof q.aggregate !== "string" || !q.aggregate) errors.aggregate = ["This field is required."];
    if (!WINDOWS.includes(q.timeWindow)) errors.timeWindow = ["Invalid time window."];
  }
  const detection = body.config?.detectionType;
  if (!["static", "percent", "dynamic"].includes(detection)) errors.config = ["detectionType must be static, percent or dynamic."];
  if (detection === "percent" && !DELTAS.includes(body.config.comparisonDelta)) errors.config = ["Percent detection needs a valid comparisonDelta."];
  const conditions = body.conditionGroup?.conditions;
  if (!Array.isArray(conditions) || conditions.length < 1 || conditions.length > 3) errors.conditionGroup = ["Between 1 and 3 conditions are required."];
  else if (detection === "dynamic" && (conditions.length !== 1 || conditions[0].type !== "anomaly_detection" || ![900, 1800, 3600].includes(q?.timeWindow))) errors.conditionGroup = ["Dynamic detection takes one anomaly_detection condition on a 15, 30 or 60 minute window."];
  else if (detection !== "dynamic" && conditions.some((c) => !["gt", "gte", "lt", "lte"].includes(c.type) || typeof c.comparison !== "number" || ![75, 50, 0].includes(c.conditionResult))) errors.conditionGroup = ["Invalid threshold condition."];
  const workflowIds = (body.workflowIds ?? []).map(String);
  for (const w of workflowIds) if (!state.monitoring.workflows.some((x) => x.id === w && x.orgSlug === ctx.org.slug)) errors.workflowIds = [`Workflow ${w} does not exist.`];
  if (Object.keys(errors).length) throw badRequest(errors);
  const base = current ?? { id: String(++state.seq.detector), orgSlug: ctx.org.slug, projectId, type: "metric_issue", createdBy: "1001", dateCreated: new Date(state.now).toISOString(), owner: null, description: null, alertRuleId: null, latestGroup: null, enabled: true };
  const sourceId = current?.dataSources?.[0]?.sourceId ?? String(++state.seq.component);
  return {
    ...base,
    name: body.name,
    enabled: body.enabled ?? base.enabled,
    dateUpdated: new Date(state.now).toISOString(),
    dataSources: [{ id: current?.dataSources?.[0]?.id ?? String(++state.seq.component), organizationId: "1", type: "snuba_query_subscription", sourceId, queryObj: { id: sourceId, status: 0, subscription: `sub-${sourceId}`, snubaQuery: { id: String(++state.seq.component), dataset: q.dataset, query: q.query ?? "", aggregate: q.aggregate, timeWindow: q.timeWindow, environment: q.environment ?? null, eventTypes: q.eventTypes ?? [] } } }],
    conditionGroup: { id: current?.conditionGroup?.id ?? String(++state.seq.component), organizationId: "1", logicType: "any", conditions: conditions.map((c) => ({ id: c.id ?? String(++state.seq.component), type: c.type, comparison: c.comparison, conditionResult: c.conditionResult })), actions: [] },
    config: detection === "percent" ? { detectionType: detection, comparisonDelta: body.config.comparisonDelta } : { detectionType: detection },
    workflowIds,
  };
}

/** Keep both sides of the detector–workflow links in step after a write. */
function relink(state, detectorId, workflowIds) {
  for (const w of state.monitoring.workflows) {
    const has = w.detectorIds.includes(detectorId);
    if (workflowIds.includes(w.id) && !has) w.detectorIds.push(detectorId);
    if (!workflowIds.includes(w.id) && has) w.detectorIds = w.detectorIds.filter((d) => d !== detectorId);
  }
}

/** Validate a workflow body (POST, or PUT) and return the stored shape with component ids. */
function workflowFields(ctx, body, current) {
  const errors = {};
  const state = ctx.state;
  const known = state.monitoring.alertOptions;
  const id = () => String(++state.seq.component);
  if (typeof body.name !== "string" || !body.name.trim()) errors.name = ["This field is required."];
  else if (body.name.length > 256) errors.name = ["Ensure this field has no more than 256 characters."];
  const frequency = body.config?.frequency ?? 30;
  if (!FREQUENCIES.includes(frequency)) errors.config = [`"${frequency}" is not a valid choice.`];
  const cond = (c, group) => {
    if (!known.conditions[group].some((k) => k.type === c?.type)) errors[group] = [`Invalid condition type: ${c?.type}`];
    return { id: c?.id ?? id(), type: c?.type, comparison: c?.comparison ?? true, conditionResult: c?.conditionResult ?? true };
  };
  const triggers = body.triggers ?? { logicType: "any-short", conditions: [] };
  if ((triggers.conditions ?? []).length && triggers.logicType !== "any-short") errors.triggers = ["Triggers must use logicType any-short."];
  const filters = (Array.isArray(body.actionFilters) ? body.actionFilters : []).map((f) => ({
    id: f.id ?? id(),
    organizationId: "1",
    logicType: f.logicType ?? "all",
    conditions: (f.conditions ?? []).map((c) => cond(c, "action_filter")),
    actions: (f.actions ?? []).map((a) => {
      const option = known.actions.find((k) => k.type === a.type);
      if (!option) errors.actions = [`Invalid action type: ${a.type}`];
      else if (option.integrations && !option.integrations.some((i) => i.id === String(a.integrationId))) errors.actions = [`${a.type} actions need the integrationId of an installed integration.`];
      if (!a.config || typeof a.config !== "object") errors.actions = ["config is required."];
      const targetDisplay = a.config?.targetDisplay ?? null;
      const targetIdentifier = a.config?.targetIdentifier ?? (a.type === "slack" && targetDisplay ? `C${id().padStart(8, "0")}` : null);
      return { id: a.id ?? id(), type: a.type, integrationId: a.integrationId == null ? null : String(a.integrationId), data: a.data ?? {}, config: { ...a.config, targetIdentifier, targetDisplay }, status: "active" };
    }),
  }));
  const detectorIds = (body.detectorIds ?? []).map(String);
  for (const d of detectorIds) if (!state.monitoring.metricMonitors.some((x) => x.id === d && x.orgSlug === ctx.org.slug)) errors.detectorIds = [`Detector with id ${d} does not exist.`];
  const out = {
    name: body.name,
    enabled: body.enabled ?? true,
    environment: body.environment ?? null,
    config: { frequency },
    triggers: { id: triggers.id ?? current?.triggers?.id ?? id(), organizationId: "1", logicType: "any-short", conditions: (triggers.conditions ?? []).map((c) => cond(c, "workflow_trigger")), actions: [] },
    actionFilters: filters,
    detectorIds,
  };
  if (Object.keys(errors).length) throw badRequest(errors);
  return out;
}

function findWorkflow(ctx) {
  const w = ctx.state.monitoring.workflows.find((x) => x.orgSlug === ctx.org.slug && x.id === ctx.params.id);
  if (!w) throw notFound();
  return w;
}

function findDetector(ctx) {
  const m = ctx.state.monitoring.metricMonitors.find((x) => x.orgSlug === ctx.org.slug && x.id === ctx.params.id);
  if (!m) throw notFound();
  return m;
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
  r.add(
    "DELETE",
    "/api/0/projects/:org/:project/monitors/:monitor/environments/:environment/",
    (ctx) => {
      const p = findProject(ctx, ctx.params.project);
      const m = findCron(ctx);
      if (m.projectId !== p.id) throw notFound();
      const env = m.environments.find((e) => e.name === ctx.params.environment);
      if (!env) throw notFound();
      m.environments = m.environments.filter((e) => e !== env);
      m.checkins = m.checkins.filter((c) => c.environment !== env.name);
      return noContent();
    },
    WRITE,
  );
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
  r.add("GET", "/api/0/organizations/:org/detectors/:id/", (ctx) => ok(detectorJson(findDetector(ctx))));
  r.add(
    "POST",
    "/api/0/organizations/:org/detectors/",
    (ctx) => {
      const m = detectorFields(ctx, requireBodyObject(ctx), null);
      ctx.state.monitoring.metricMonitors.push(m);
      relink(ctx.state, m.id, m.workflowIds);
      return created(detectorJson(m));
    },
    ALERT_WRITE,
  );
  r.add(
    "PUT",
    "/api/0/organizations/:org/detectors/:id/",
    (ctx) => {
      const m = findDetector(ctx);
      if (m.type !== "metric_issue") throw badRequest({ type: ["Only metric_issue detectors can be edited here."] });
      Object.assign(m, detectorFields(ctx, requireBodyObject(ctx), m));
      relink(ctx.state, m.id, m.workflowIds);
      return ok(detectorJson(m));
    },
    ALERT_WRITE,
  );
  r.add(
    "DELETE",
    "/api/0/organizations/:org/detectors/:id/",
    (ctx) => {
      const m = findDetector(ctx);
      const list = ctx.state.monitoring.metricMonitors;
      list.splice(list.indexOf(m), 1);
      relink(ctx.state, m.id, []);
      return noContent();
    },
    ALERT_WRITE,
  );

  // Alerts (workflows)
  r.add("GET", "/api/0/organizations/:org/workflows/", (ctx) => {
    let list = byQuery(ctx.state.monitoring.workflows.filter((w) => w.orgSlug === ctx.org.slug), ctx, "name");
    const ids = ctx.qa("id");
    if (ids.length) list = list.filter((w) => ids.includes(w.id));
    const { page, headers } = paginate(ctx, list);
    return ok(page.map(detectorJson), { headers });
  });
  r.add("GET", "/api/0/organizations/:org/workflows/:id/", (ctx) => ok(detectorJson(findWorkflow(ctx))));
  const linkDetectors = (state, w) => {
    for (const d of state.monitoring.metricMonitors) {
      const has = d.workflowIds.includes(w.id);
      if (w.detectorIds.includes(d.id) && !has) d.workflowIds.push(w.id);
      if (!w.detectorIds.includes(d.id) && has) d.workflowIds = d.workflowIds.filter((x) => x !== w.id);
    }
  };
  r.add(
    "POST",
    "/api/0/organizations/:org/workflows/",
    (ctx) => {
      const fields = workflowFields(ctx, requireBodyObject(ctx), null);
      const now = new Date(ctx.state.now).toISOString();
      const w = { id: String(++ctx.state.seq.workflow), organizationId: "1", orgSlug: ctx.org.slug, createdBy: "1001", dateCreated: now, dateUpdated: now, lastTriggered: null, ...fields };
      ctx.state.monitoring.workflows.push(w);
      linkDetectors(ctx.state, w);
      return created(detectorJson(w));
    },
    ALERT_WRITE,
  );
  r.add(
    "PUT",
    "/api/0/organizations/:org/workflows/:id/",
    (ctx) => {
      const w = findWorkflow(ctx);
      Object.assign(w, workflowFields(ctx, requireBodyObject(ctx), w), { dateUpdated: new Date(ctx.state.now).toISOString() });
      linkDetectors(ctx.state, w);
      return ok(detectorJson(w));
    },
    ALERT_WRITE,
  );
  r.add(
    "DELETE",
    "/api/0/organizations/:org/workflows/:id/",
    (ctx) => {
      const w = findWorkflow(ctx);
      const list = ctx.state.monitoring.workflows;
      list.splice(list.indexOf(w), 1);
      w.detectorIds = [];
      linkDetectors(ctx.state, w);
      return noContent();
    },
    ALERT_WRITE,
  );
  r.add("GET", "/api/0/organizations/:org/available-actions/", (ctx) => {
    if (ctx.org.slug !== "acme") return ok([{ type: "email", handlerGroup: "notification", configSchema: {}, dataSchema: {} }]);
    return ok(ctx.state.monitoring.alertOptions.actions);
  });
  r.add("GET", "/api/0/organizations/:org/data-conditions/", (ctx) => {
    const group = ctx.q("group");
    const list = ctx.state.monitoring.alertOptions.conditions[group];
    if (!list) throw badRequest({ group: ["Invalid group."] });
    return ok(list);
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
