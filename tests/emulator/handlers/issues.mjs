// Issue search, detail, update, events, tags, notes and activity.
import { badRequest, created, notFound, ok } from "../lib/http.mjs";
import { paginate } from "../lib/paginate.mjs";
import { matches } from "../lib/search.mjs";
import { iso, MIN } from "../lib/time.mjs";
import { findIssue, normEventId, parseSearch, projectFilter, timeRange, requireBodyObject } from "./common.mjs";
import { issueJson, eventSummary, issueTagKeys, noteJson, activityFor, assigneeJson } from "./shapes.mjs";

const SORTS = {
  date: (a, b) => b.lastSeenMs - a.lastSeenMs,
  new: (a, b) => b.firstSeenMs - a.firstSeenMs,
  freq: (a, b) => Number(b.count) - Number(a.count),
  user: (a, b) => b.userCount - a.userCount,
  priority: (a, b) => ({ high: 3, medium: 2, low: 1 })[b.priority] - ({ high: 3, medium: 2, low: 1 })[a.priority] || b.lastSeenMs - a.lastSeenMs,
};
SORTS.recommended = SORTS.date; // Sentry's blended score; by recency is close enough here
SORTS.trends = SORTS.freq;
SORTS.inbox = SORTS.date;

const STATUS_IS = {
  unresolved: (i) => i.status === "unresolved",
  resolved: (i) => i.status === "resolved",
  ignored: (i) => i.status === "ignored",
  archived: (i) => i.status === "ignored",
  assigned: (i) => i.assignedTo != null,
  unassigned: (i) => i.assignedTo == null,
  bookmarked: (i) => i.isBookmarked,
  subscribed: (i) => i.isSubscribed,
  linked: (i) => i.id === "4101",
  unlinked: (i) => i.id !== "4101",
  for_review: (i) => i.status === "unresolved" && ["new", "regressed"].includes(i.substatus),
  new: (i) => i.substatus === "new",
  ongoing: (i) => i.substatus === "ongoing",
  regressed: (i) => i.substatus === "regressed",
  escalating: (i) => i.substatus === "escalating",
};

/** Does assignee reference `ref` ("user:1001"/"team:102") match the `assigned:` value? */
function assignedMatches(ctx, issue, value) {
  const a = issue.assignedTo;
  const v = value.toLowerCase();
  if (v === "none") return a == null;
  if (!a) return false;
  const me = ctx.user;
  const [type, id] = a.split(":");
  if (v === "me") return type === "user" && id === me.id;
  if (v === "my_teams" || v === "[me,my_teams]") {
    const t = ctx.state.teams.find((x) => x.id === id);
    return (type === "user" && id === me.id && v !== "my_teams") || (type === "team" && t && (me.teams ?? []).includes(t.slug));
  }
  if (v.startsWith("#")) {
    const t = ctx.state.teams.find((x) => x.id === id);
    return type === "team" && t?.slug === v.slice(1);
  }
  const u = ctx.state.users.find((x) => x.id === id);
  return type === "user" && u && [u.email, u.username, u.id].map((s) => s.toLowerCase()).includes(v);
}

function issueResolver(ctx, issue) {
  return (key) => {
    switch (key) {
      case "level":
        return issue.level;
      case "title":
      case "message":
        return issue.title;
      case "culprit":
        return issue.culprit;
      case "issue":
      case "issue.id":
        return [issue.id, issue.shortId];
      case "project":
        return issue.project;
      case "issue.category":
      case "category":
        return issue.issueCategory;
      case "issue.type":
      case "type":
        return issue.issueType;
      case "issue.priority":
      case "priority":
        return issue.priority;
      case "firstSeen":
      case "first_seen":
        return iso(issue.firstSeenMs);
      case "lastSeen":
      case "last_seen":
        return iso(issue.lastSeenMs);
      case "times_seen":
      case "timesSeen":
        return Number(issue.count);
      case "user.count":
        return issue.userCount;
      case "release":
        return [...new Set(issue.events.map((e) => e.release).filter(Boolean))];
      case "error.handled":
        return issue.kind === "error" ? String(Boolean(issue.handled)) : null;
      case "error.unhandled":
        return issue.kind === "error" ? String(!issue.handled) : null;
      case "platform":
        return issue.platform;
      default: {
        const vals = new Set();
        for (const e of issue.events) for (const t of e.tags) if (t.key === key) vals.add(t.value);
        if (key.startsWith("user.")) for (const e of issue.events) if (e.user?.[key.slice(5)]) vals.add(String(e.user[key.slice(5)]));
        return [...vals];
      }
    }
  };
}

function issueEventsFiltered(ctx, issue) {
  let evs = [...issue.events];
  const envs = ctx.qa("environment");
  if (envs.length) evs = evs.filter((e) => envs.includes(e.environment));
  const { start, end } = timeRange(ctx, null);
  evs = evs.filter((e) => e.at >= start && e.at <= end);
  const q = ctx.q("query");
  if (q) {
    const ast = parseSearch(q);
    evs = evs.filter((e) =>
      matches(ast, {
        now: ctx.state.now,
        resolve: (k) => e.tags.find((t) => t.key === k)?.value ?? (k === "message" || k === "title" ? e.json.title : k.startsWith("user.") ? e.user?.[k.slice(5)] ?? null : undefined),
        text: () => [e.json.title, e.json.message, e.json.culprit],
      }),
    );
  }
  return evs;
}

function pickEvent(ctx, issue) {
  const which = ctx.params.eventId;
  const evs = issueEventsFiltered(ctx, issue);
  if (which === "latest") return evs.at(-1);
  if (which === "oldest") return evs[0];
  if (which === "recommended") {
    // the most recent event with a stored trace, the UI's "recommended" heuristic in spirit
    return [...evs].reverse().find((e) => e.link?.stored) ?? evs.at(-1);
  }
  const id = normEventId(which);
  return id ? issue.events.find((e) => e.id === id) : undefined;
}

/** Apply a PUT body to an issue: Sentry's status / substatus / statusDetails / assignee rules. */
function updateIssue(ctx, issue, body) {
  const out = {};
  const actor = { id: ctx.user.id, name: ctx.user.name, username: ctx.user.username, email: ctx.user.email };
  const act = (type, data) => {
    const list = ctx.state.activity.get(issue.id) ?? [];
    list.push({ id: String(++ctx.state.seq.activity), user: ctx.user.id, type, data, dateCreated: iso(Date.now()) });
    ctx.state.activity.set(issue.id, list);
  };
  const STATUSES = ["resolved", "resolvedInNextRelease", "unresolved", "ignored", "muted", "archived"];
  const SUBSTATUSES = ["archived_until_escalating", "archived_forever", "archived_until_condition_met", "ongoing", "escalating", "new", "regressed"];
  if ("status" in body && !STATUSES.includes(body.status)) throw badRequest({ status: [`"${body.status}" is not a valid choice.`] });
  if ("substatus" in body && body.substatus != null && !SUBSTATUSES.includes(body.substatus)) throw badRequest({ substatus: [`"${body.substatus}" is not a valid choice.`] });
  const details = body.statusDetails ?? {};
  if (typeof details !== "object" || Array.isArray(details)) throw badRequest({ statusDetails: ["Invalid statusDetails"] });
  for (const k of ["ignoreDuration", "ignoreCount", "ignoreWindow", "ignoreUserCount", "ignoreUserWindow"]) {
    if (k in details && !(Number.isInteger(details[k]) && details[k] >= 0)) throw badRequest({ statusDetails: { [k]: ["A valid integer is required."] } });
  }
  let assigneeRef;
  if ("assignedTo" in body) {
    const v = body.assignedTo;
    if (v === null || v === "") assigneeRef = null;
    else {
      const s = String(v);
      const m = /^(user|team):(.+)$/.exec(s);
      let ref = null;
      if (m && m[1] === "user") ref = ctx.state.users.find((u) => u.id === m[2]) ? `user:${m[2]}` : null;
      else if (m) ref = (t => (t ? `team:${t.id}` : null))(ctx.state.teams.find((t) => t.orgSlug === ctx.org.slug && (t.id === m[2] || t.slug === m[2])));
      else {
        const u = ctx.state.users.find((x) => [x.username, x.email, x.id].includes(s));
        ref = u ? `user:${u.id}` : null;
      }
      if (!ref) throw badRequest({ assignedTo: ["Unknown actor input"] });
      assigneeRef = ref;
    }
  }

  let status = body.status;
  if (status === "muted" || status === "archived") status = "ignored";
  if (status === "resolvedInNextRelease") {
    issue.status = "resolved";
    issue.substatus = null;
    issue.statusDetails = { inNextRelease: true, actor };
    act("set_resolved_in_release", { inNextRelease: true });
  } else if (status === "resolved") {
    issue.status = "resolved";
    issue.substatus = null;
    let inRelease = details.inRelease;
    if (inRelease === "latest") inRelease = issue.release;
    issue.statusDetails = inRelease ? { inRelease, actor } : details.inNextRelease ? { inNextRelease: true, actor } : details.inCommit ? { inCommit: details.inCommit, actor } : {};
    act(inRelease ? "set_resolved_in_release" : "set_resolved", inRelease ? { version: inRelease } : {});
  } else if (status === "unresolved") {
    issue.status = "unresolved";
    issue.substatus = "ongoing";
    issue.statusDetails = {};
    act("set_unresolved", {});
  } else if (status === "ignored") {
    issue.status = "ignored";
    const cond = ["ignoreDuration", "ignoreCount", "ignoreUserCount"].some((k) => details[k] != null);
    issue.substatus = body.substatus ?? (cond ? "archived_until_condition_met" : "archived_until_escalating");
    const sd = { actor };
    if (details.ignoreDuration != null) sd.ignoreUntil = iso(Date.now() + details.ignoreDuration * MIN);
    for (const k of ["ignoreCount", "ignoreWindow", "ignoreUserCount", "ignoreUserWindow"]) if (details[k] != null) sd[k] = details[k];
    issue.statusDetails = sd;
    act("set_ignored", { ...sd, actor: undefined, ignoreUntilEscalating: issue.substatus === "archived_until_escalating" });
  } else if ("substatus" in body && body.substatus != null) {
    issue.substatus = body.substatus;
  }
  if (status) Object.assign(out, { status: issue.status, substatus: issue.substatus, statusDetails: issue.statusDetails });

  if (assigneeRef !== undefined) {
    issue.assignedTo = assigneeRef;
    const a = assigneeJson(ctx.state, assigneeRef);
    act(a ? "assigned" : "unassigned", a ? { assignee: a.id, assigneeType: a.type, assigneeEmail: a.email ?? null } : {});
    out.assignedTo = a;
  }
  for (const k of ["hasSeen", "isBookmarked", "isSubscribed", "isPublic"]) {
    if (k in body) {
      if (typeof body[k] !== "boolean") throw badRequest({ [k]: ["Must be a valid boolean."] });
      issue[k] = body[k];
      out[k] = body[k];
    }
  }
  if ("priority" in body) {
    if (!["high", "medium", "low"].includes(body.priority)) throw badRequest({ priority: [`"${body.priority}" is not a valid choice.`] });
    issue.priority = body.priority;
    out.priority = body.priority;
    act("set_priority", { priority: body.priority, reason: "manual" });
  }
  if (!Object.keys(out).length) throw badRequest("No changes requested. Expected status, assignedTo, hasSeen, isBookmarked, isSubscribed, isPublic or priority.");
  out.inbox = null;
  return out;
}

export function register(r) {
  r.add("GET", "/api/0/organizations/:org/issues/", (ctx) => {
    const st = ctx.state;
    let list = st.issues.filter((i) => i.orgSlug === ctx.org.slug);
    const rawQuery = ctx.q("query");
    const query = rawQuery == null ? "is:unresolved" : rawQuery; // Sentry's default search
    const sortKey = ctx.q("sort") ?? "date";
    if (!SORTS[sortKey]) throw badRequest(`Invalid sort: ${JSON.stringify(sortKey)}. Valid: ${Object.keys(SORTS).join(", ")}`);

    // shortIdLookup=1 with a query that is exactly a short id returns that issue directly.
    if (ctx.q("shortIdLookup") === "1" && /^[A-Za-z0-9][\w.-]*-[A-Za-z0-9]+$/.test(query.trim())) {
      const hit = list.find((i) => i.shortId === query.trim().toUpperCase());
      if (hit) return ok([issueJson(st, hit)], { headers: paginate(ctx, [hit], { sizeParam: "limit", def: 25 }).headers });
    }
    const ast = parseSearch(query);

    const projects = projectFilter(ctx);
    if (projects) list = list.filter((i) => projects.has(i.projectId));
    const envs = ctx.qa("environment");
    if (envs.length) list = list.filter((i) => i.events.some((e) => envs.includes(e.environment)));
    const { start, end } = timeRange(ctx, "14d");
    list = list.filter((i) => i.lastSeenMs >= start && i.firstSeenMs <= end);

    list = list.filter((i) =>
      matches(ast, {
        now: st.now,
        resolve: issueResolver(ctx, i),
        text: () => [i.title, i.culprit],
        custom: (f) => {
          if (f.key === "is") {
            const res = f.values.map((v) => {
              const fn = STATUS_IS[v.toLowerCase()];
              if (!fn) throw badRequest(`Invalid search query: invalid value '${v}' for 'is:' search`);
              return fn(i);
            });
            const any = res.some(Boolean);
            return f.negated ? !any : any;
          }
          if (f.key === "assigned" || f.key === "assigned_or_suggested") {
            const any = f.values.some((v) => assignedMatches(ctx, i, v));
            return f.negated ? !any : any;
          }
          if (f.key === "bookmarks") {
            const any = f.values.some((v) => v === "me" && i.isBookmarked);
            return f.negated ? !any : any;
          }
          return undefined;
        },
      }),
    );
    list.sort(SORTS[sortKey]);
    const { page, headers } = paginate(ctx, list, { sizeParam: "limit", def: 25, max: 100 });
    headers["X-Hits"] = String(list.length);
    headers["X-Max-Hits"] = "1000";
    const groupStatsPeriod = ctx.q("groupStatsPeriod") ?? "24h";
    if (!["", "24h", "14d", "auto"].includes(groupStatsPeriod)) throw badRequest(`Invalid groupStatsPeriod: ${JSON.stringify(groupStatsPeriod)}`);
    const stats = { groupStatsPeriod, range: Math.min(end, st.now) - start };
    return ok(page.map((i) => issueJson(st, i, stats)), { headers });
  });

  r.add("GET", "/api/0/organizations/:org/issues/:issueId/", (ctx) => ok(issueJson(ctx.state, findIssue(ctx, ctx.params.issueId), { detail: true })));

  r.add(
    "PUT",
    "/api/0/organizations/:org/issues/:issueId/",
    (ctx) => {
      const issue = findIssue(ctx, ctx.params.issueId);
      return ok(updateIssue(ctx, issue, requireBodyObject(ctx)));
    },
    { scope: "event:write" },
  );

  r.add("GET", "/api/0/organizations/:org/issues/:issueId/events/", (ctx) => {
    const issue = findIssue(ctx, ctx.params.issueId);
    const evs = issueEventsFiltered(ctx, issue).reverse(); // newest first
    const full = ["true", "1"].includes(ctx.q("full") ?? "");
    const { page, headers } = paginate(ctx, evs);
    return ok(page.map((e) => (full ? e.json : eventSummary(e))), { headers });
  });

  r.add("GET", "/api/0/organizations/:org/issues/:issueId/events/:eventId/", (ctx) => {
    const issue = findIssue(ctx, ctx.params.issueId);
    const e = pickEvent(ctx, issue);
    if (!e) throw notFound();
    return ok(e.json);
  });

  r.add("GET", "/api/0/organizations/:org/issues/:issueId/tags/", (ctx) => {
    const issue = findIssue(ctx, ctx.params.issueId);
    return ok(issueTagKeys(issue).map((t) => ({ ...t, topValues: t.topValues.slice(0, 9) })));
  });

  r.add("GET", "/api/0/organizations/:org/issues/:issueId/tags/:key/", (ctx) => {
    const issue = findIssue(ctx, ctx.params.issueId);
    const t = issueTagKeys(issue).find((x) => x.key === ctx.params.key);
    if (!t) throw notFound();
    return ok({ ...t, topValues: t.topValues.slice(0, 9) });
  });

  r.add("GET", "/api/0/organizations/:org/issues/:issueId/tags/:key/values/", (ctx) => {
    const issue = findIssue(ctx, ctx.params.issueId);
    const t = issueTagKeys(issue).find((x) => x.key === ctx.params.key);
    if (!t) throw notFound();
    const sort = ctx.q("sort") ?? "-count";
    const m = /^(-?)(age|count|date|id)$/.exec(sort);
    if (!m) throw badRequest(`Invalid sort: ${JSON.stringify(sort)}`);
    const get = { age: (v) => v.firstSeen, date: (v) => v.lastSeen, count: (v) => v.count, id: (v) => v.value }[m[2]];
    const vals = [...t.topValues].sort((a, b) => (get(a) < get(b) ? -1 : get(a) > get(b) ? 1 : 0) * (m[1] ? -1 : 1)).slice(0, 1000);
    const { page, headers } = paginate(ctx, vals);
    return ok(page, { headers });
  });

  r.add("GET", "/api/0/organizations/:org/issues/:issueId/notes/", (ctx) => {
    const issue = findIssue(ctx, ctx.params.issueId);
    const notes = [...(ctx.state.notes.get(issue.id) ?? [])].reverse();
    const { page, headers } = paginate(ctx, notes);
    return ok(page.map((n) => noteJson(ctx.state, n)), { headers });
  });

  r.add(
    "POST",
    "/api/0/organizations/:org/issues/:issueId/notes/",
    (ctx) => {
      const issue = findIssue(ctx, ctx.params.issueId);
      const body = requireBodyObject(ctx);
      if (typeof body.text !== "string" || !body.text.trim()) throw badRequest({ text: ["This field is required."] });
      if (body.text.length > 80_000) throw badRequest({ text: ["Ensure this field has no more than 80000 characters."] });
      const n = { id: String(++ctx.state.seq.note), user: ctx.user.id, type: "note", data: { text: body.text, mentions: [] }, dateCreated: iso(Date.now()) };
      const list = ctx.state.notes.get(issue.id) ?? [];
      list.push(n);
      ctx.state.notes.set(issue.id, list);
      return created(noteJson(ctx.state, n));
    },
    { scope: "event:write" },
  );

  r.add("GET", "/api/0/organizations/:org/issues/:issueId/activities/", (ctx) => ok({ activity: activityFor(ctx.state, findIssue(ctx, ctx.params.issueId)) }));

  r.add("GET", "/api/0/organizations/:org/issues/:issueId/user-reports/", (ctx) => {
    const issue = findIssue(ctx, ctx.params.issueId);
    if (!issue.feedback) return ok([], { headers: paginate(ctx, []).headers });
    // the report points at the error event the feedback is about (or the feedback event itself)
    const e = issue.events.at(-1);
    const eventId = e?.json.contexts?.feedback?.associated_event_id ?? issue.feedback.associated_event_id ?? e?.id ?? null;
    const id = issue.id === "4009" ? "77001" : String(77000 + Number(issue.id) - 8000);
    return ok([{ id, eventID: eventId, name: issue.feedback.name, email: issue.feedback.contact_email, comments: issue.feedback.message, dateCreated: iso(e?.at ?? issue.lastSeenMs), user: null, event: { id: eventId, eventID: eventId } }], { headers: paginate(ctx, [1]).headers });
  });
}
