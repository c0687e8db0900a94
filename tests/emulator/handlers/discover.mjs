// GET /organizations/{org}/events/ — Discover / Explore over the errors, spans, logs, tracemetrics
// and profiles datasets; GET /organizations/{org}/events-stats/ — one aggregate as a time series.
// Samples mode returns rows; any field with "(" switches to aggregate mode, grouping by the plain
// fields. Everything is computed from the fixture rows, so counts match the other endpoints.
import { badRequest, ok } from "../lib/http.mjs";
import { paginate } from "../lib/paginate.mjs";
import { matches } from "../lib/search.mjs";
import { iso } from "../lib/time.mjs";
import { parseSearch, projectFilter, timeRange } from "./common.mjs";

const DATASETS = { errors: "errors", discover: "errors", events: "errors", spans: "spans", transactions: "spans", logs: "logs", ourlogs: "logs", tracemetrics: "tracemetrics", profiles: "profiles" };

const ALIASES = {
  spans: { description: "span.description", op: "span.op", duration: "span.duration", "span.name": "span.op", status: "span.status", "transaction.event_id": "transaction.id", message: "span.description" },
  logs: { level: "severity", "log.level": "severity", "log.body": "message", "sentry.severity_text": "severity", "sentry.message": "message" },
  tracemetrics: { metric: "metric.name" },
  profiles: { "profile_id": "profile.id", "transaction.name": "transaction" },
  errors: { "issue.short_id": "issue", "error.message": "error.value", user: "user.display", "event.id": "id", "timestamp.to_hour": "timestamp" },
};

const TYPES = {
  timestamp: "date",
  "span.duration": "duration",
  "transaction.duration": "duration",
  value: "number",
  "span.self_time": "duration",
  "project.id": "integer",
  "issue.id": "integer",
  is_transaction: "boolean",
  "error.handled": "boolean",
  "error.unhandled": "boolean",
  "cache.hit": "boolean",
  "precise.start_ts": "number",
  "precise.finish_ts": "number",
  severity_number: "integer",
  timestamp_precise: "integer",
};

const FUNCTIONS = new Set(["count", "count_unique", "avg", "sum", "min", "max", "p50", "p75", "p90", "p95", "p99", "p100", "last_seen", "first_seen", "epm", "eps", "failure_rate", "any"]);
const FAILED = (s) => s != null && !["ok", "cancelled", "unknown"].includes(s);

function rowValue(dataset, row, field) {
  const key = ALIASES[dataset][field] ?? field;
  if (key in row) return row[key];
  const tag = /^tags\[(.+)\]$/.exec(key);
  const k = tag ? tag[1] : key;
  if (row._tags && k in row._tags) return row._tags[k];
  if (k === "project.name" || k === "project.slug") return row.project;
  return null;
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  const idx = (sorted.length - 1) * p;
  const lo = Math.floor(idx);
  const hi = Math.ceil(idx);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (idx - lo);
}

function parseFn(field) {
  const m = /^([a-z_0-9]+)\((.*)\)$/.exec(field);
  if (!m) return null;
  if (!FUNCTIONS.has(m[1])) throw badRequest(`${m[1]}: ${m[1]} is not a valid function`);
  return { name: m[1], arg: m[2].trim() };
}

function aggregate(dataset, fn, rows, minutes) {
  const nums = () => rows.map((r) => rowValue(dataset, r, fn.arg)).filter((v) => typeof v === "number");
  switch (fn.name) {
    case "count":
      return rows.length;
    case "count_unique":
      return new Set(rows.map((r) => rowValue(dataset, r, fn.arg || "user.display")).filter((v) => v != null)).size;
    case "avg": {
      const n = nums();
      return n.length ? n.reduce((a, b) => a + b, 0) / n.length : null;
    }
    case "sum":
      return nums().reduce((a, b) => a + b, 0);
    case "min":
    case "max": {
      const vals = rows.map((r) => rowValue(dataset, r, fn.arg)).filter((v) => v != null);
      if (!vals.length) return null;
      return vals.reduce((a, b) => ((fn.name === "min" ? a <= b : a >= b) ? a : b));
    }
    case "last_seen":
    case "first_seen": {
      const ts = rows.map((r) => Date.parse(r.timestamp));
      return ts.length ? iso(fn.name === "last_seen" ? Math.max(...ts) : Math.min(...ts)) : null;
    }
    case "epm":
      return rows.length / minutes;
    case "eps":
      return rows.length / (minutes * 60);
    case "failure_rate":
      return rows.length ? rows.filter((r) => FAILED(r["span.status"])).length / rows.length : 0;
    case "any":
      return rows.length ? rowValue(dataset, rows[0], fn.arg) : null;
    default: {
      const p = { p50: 0.5, p75: 0.75, p90: 0.9, p95: 0.95, p99: 0.99, p100: 1 }[fn.name];
      return percentile(nums().sort((a, b) => a - b), p);
    }
  }
}

function fieldMeta(dataset, field, fn) {
  if (fn) {
    if (["count", "count_unique"].includes(fn.name)) return ["integer", null];
    if (["last_seen", "first_seen"].includes(fn.name)) return ["date", null];
    if (fn.name === "epm") return ["rate", "1/minute"];
    if (fn.name === "eps") return ["rate", "1/second"];
    if (fn.name === "failure_rate") return ["percentage", null];
    const inner = TYPES[ALIASES[dataset][fn.arg] ?? fn.arg];
    return inner === "duration" ? ["duration", "millisecond"] : fn.name === "any" ? [inner ?? "string", null] : ["number", null];
  }
  const t = TYPES[ALIASES[dataset][field] ?? field] ?? "string";
  return [t, t === "duration" ? "millisecond" : null];
}

function compare(a, b) {
  if (a == null && b == null) return 0;
  if (a == null) return 1; // nulls last
  if (b == null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b));
}

/** The rows of the request's dataset that its project, environment, period and query select. */
function selectRows(ctx) {
  const dsRaw = ctx.q("dataset") ?? "errors";
  const dataset = DATASETS[dsRaw];
  if (!dataset) throw badRequest(`Invalid dataset: ${JSON.stringify(dsRaw)}. Valid datasets are errors, spans, logs, tracemetrics, profiles.`);
  const st = ctx.state;
  let rows = { errors: st.errorRows, spans: st.spanRows, logs: st.logRows, tracemetrics: st.metricRows, profiles: st.profileRows }[dataset].filter((x) => x.orgSlug === ctx.org.slug);
  if (dsRaw === "transactions") rows = rows.filter((x) => x.is_transaction);
  const projects = projectFilter(ctx);
  if (projects) rows = rows.filter((x) => projects.has(String(x["project.id"])));
  const envs = ctx.qa("environment");
  if (envs.length) rows = rows.filter((x) => envs.includes(x.environment));
  const { start, end } = timeRange(ctx, "14d");
  rows = rows.filter((x) => {
    const t = Date.parse(x.timestamp);
    return t >= start && t <= end;
  });
  const minutes = Math.max(1, (Math.min(end, st.now) - Math.max(start, st.now - 90 * 86_400_000)) / 60_000);
  const q = ctx.q("query");
  if (q && q.trim()) {
    const ast = parseSearch(q);
    rows = rows.filter((row) =>
      matches(ast, {
        now: st.now,
        resolve: (k) => {
          const v = rowValue(dataset, row, k);
          return typeof v === "boolean" ? String(v) : v;
        },
        text: () => [row.message, row.title, row["span.description"], row.transaction],
      }),
    );
  }
  return { dsRaw, dataset, rows, start, end, minutes };
}

const INTERVALS = { "1m": 60_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1h": 3_600_000, "4h": 14_400_000, "12h": 43_200_000, "1d": 86_400_000 };

export function register(r) {
  // GET /organizations/{org}/events-stats/ — one aggregate (yAxis) per interval over the period:
  // data [[epochSeconds, [{count: value}]], …], buckets aligned to the interval, oldest first.
  r.add("GET", "/api/0/organizations/:org/events-stats/", (ctx) => {
    const yAxis = ctx.qa("yAxis");
    if (yAxis.length !== 1) throw badRequest("Exactly one yAxis is supported");
    const fn = parseFn(yAxis[0]);
    if (!fn) throw badRequest(`yAxis must be an aggregate function, not ${JSON.stringify(yAxis[0])}`);
    const step = INTERVALS[ctx.q("interval") ?? "1h"];
    if (!step) throw badRequest(`Invalid interval: ${JSON.stringify(ctx.q("interval"))}`);
    const { dataset, rows, start, end } = selectRows(ctx);
    const last = Math.min(end, ctx.state.now);
    if ((last - start) / step > 10_000) throw badRequest("Your interval and date range would create too many results. Use a larger interval, or a smaller date range.");
    const first = Math.floor(start / step) * step;
    const buckets = new Map();
    for (let t = first; t <= last; t += step) buckets.set(t, []);
    for (const row of rows) {
      const t = Math.floor(Date.parse(row.timestamp) / step) * step;
      buckets.get(t)?.push(row);
    }
    // Sentry zero-fills: an empty interval counts 0 whatever the function.
    const value = (group) => (group.length ? aggregate(dataset, fn, group, step / 60_000) : 0);
    const data = [...buckets].map(([t, group]) => [t / 1000, [{ count: typeof value(group) === "number" ? value(group) : 0 }]]);
    const [type, unit] = fieldMeta(dataset, yAxis[0], fn);
    return ok({ data, start: first / 1000, end: last / 1000, isMetricsData: false, meta: { fields: { [yAxis[0]]: type }, units: { [yAxis[0]]: unit }, isMetricsData: false, dataset } });
  });

  r.add("GET", "/api/0/organizations/:org/events/", (ctx) => {
    const fields = ctx.qa("field").filter((f) => f.trim() !== "");
    if (!fields.length) throw badRequest("No columns selected");
    if (fields.length > 20) throw badRequest("You can only select up to 20 fields at a time");
    const selected = selectRows(ctx);
    const { dsRaw, dataset, minutes } = selected;
    let rows = selected.rows;
    const fns = new Map(fields.map((f) => [f, parseFn(f)]));
    const isAgg = [...fns.values()].some(Boolean);
    const st = ctx.state;

    // Samples: project each row; aggregates: group by the plain fields.
    let out;
    if (!isAgg) {
      // samples default to newest first (Sentry's "-timestamp"), even when timestamp is not selected
      rows = [...rows].sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp));
      out = rows.map((row) => Object.fromEntries(fields.map((f) => [f, rowValue(dataset, row, f)])));
    } else {
      const plain = fields.filter((f) => !fns.get(f));
      const groups = new Map();
      for (const row of rows) {
        const key = JSON.stringify(plain.map((f) => rowValue(dataset, row, f)));
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key).push(row);
      }
      // Sentry returns one all-zero row for a pure aggregate over nothing.
      if (!groups.size && !plain.length) groups.set("[]", []);
      out = [...groups.values()].map((g) => Object.fromEntries(fields.map((f) => [f, fns.get(f) ? aggregate(dataset, fns.get(f), g, minutes) : rowValue(dataset, g[0], f)])));
    }

    let sort = ctx.q("sort");
    if (sort) {
      const desc = sort.startsWith("-");
      const key = desc ? sort.slice(1) : sort;
      if (!fields.includes(key)) throw badRequest(`Cannot sort by a field that is not selected: ${key}`);
      out.sort((a, b) => compare(a[key], b[key]) * (desc ? -1 : 1));
    }

    const { page, headers } = paginate(ctx, out);
    const meta = { fields: {}, units: {}, isMetricsData: false, isMetricsExtractedData: false, tips: { query: null, columns: null }, datasetReason: "unchanged", dataset: dsRaw === "transactions" ? "spans" : dataset };
    for (const f of fields) {
      const [type, unit] = fieldMeta(dataset, f, fns.get(f));
      meta.fields[f] = type;
      meta.units[f] = unit;
    }
    const json = { data: page, meta };
    if (dataset === "spans") json.confidence = page.map(() => Object.fromEntries(fields.filter((f) => fns.get(f)).map((f) => [f, "high"])));
    return ok(json, { headers });
  });
}
