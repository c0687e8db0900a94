// Serializers: internal fixture records → the JSON shapes of sentry-api.md section 10.
// Real responses carry many more keys than clients use; a realistic amount of that noise is
// included on purpose so parsers are exercised against it.
import { hexId, rng } from "../lib/prng.mjs";
import { HOUR, DAY, iso } from "../lib/time.mjs";

const avatar = (type = "letter_avatar") => ({ avatarType: type, avatarUuid: null, avatarUrl: null });

export function userJson(u, now) {
  return {
    id: u.id,
    name: u.name,
    username: u.username,
    email: u.email,
    avatarUrl: `https://gravatar.example/avatar/${hexId(`gravatar:${u.email}`)}?s=32&d=mm`,
    isActive: true,
    hasPasswordAuth: true,
    isManaged: false,
    dateJoined: iso(now - 700 * DAY),
    lastLogin: iso(now - 2 * HOUR),
    lastActive: iso(now - 5 * 60_000),
    has2fa: u.id === "1001",
    isSuperuser: false,
    isStaff: false,
    isSuspended: false,
    experiments: {},
    emails: [{ id: String(Number(u.id) + 50_000), email: u.email, is_verified: true }],
    options: { theme: "system", language: "en", stacktraceOrder: -1, defaultIssueEvent: "recommended", timezone: "Europe/Berlin", clock24Hours: true, avatarType: "letter_avatar", prefersIssueDetailsStreamlinedUI: true },
    flags: { newsletter_consent_prompt: false },
    avatar: avatar(),
    identities: [],
    permissions: [],
    canReset2fa: false,
  };
}

export function orgJson(state, org, { detail = false } = {}) {
  const base = {
    id: org.id,
    slug: org.slug,
    name: org.name,
    dateCreated: iso(org.created),
    isEarlyAdopter: org.slug === "acme",
    require2FA: false,
    requireEmailVerification: false,
    hasAuthProvider: false,
    allowMemberInvite: true,
    allowMemberProjectCreation: true,
    allowSuperuserAccess: false,
    status: { id: "active", name: "active" },
    avatar: avatar(),
    features: org.features,
    // Web UI links point at the default host for every org; API calls use regionUrl.
    links: { organizationUrl: state.urls.base, regionUrl: org.regionUrl },
  };
  if (!detail) return base;
  return {
    ...base,
    access: ["org:read", "project:read", "team:read", "event:read", "member:read"],
    role: "owner",
    orgRole: "owner",
    isDefault: org.slug === "acme",
    defaultRole: "member",
    openMembership: true,
    dataScrubber: true,
    dataScrubberDefaults: true,
    scrubIPAddresses: false,
    sensitiveFields: ["card_number"],
    safeFields: [],
    storeCrashReports: 5,
    attachmentsRole: "member",
    eventsMemberAdmin: true,
    alertsMemberWrite: true,
    trustedRelays: [],
    pendingAccessRequests: 0,
    quota: { maxRate: null, maxRateInterval: 60, accountLimit: 0, projectLimit: 100 },
    onboardingTasks: [],
    experiments: {},
    aiSuggestedSolution: true,
    hideAiFeatures: false,
    projects: state.projects.filter((p) => p.orgSlug === org.slug).map((p) => ({ id: p.id, slug: p.slug, name: p.name, platform: p.platform })),
    teams: state.teams.filter((t) => t.orgSlug === org.slug).map((t) => ({ id: t.id, slug: t.slug, name: t.name })),
  };
}

export function teamJson(state, t, { withProjects = false } = {}) {
  const out = {
    id: t.id,
    slug: t.slug,
    name: t.name,
    dateCreated: iso(t.created),
    isMember: true,
    teamRole: "admin",
    flags: { "idp:provisioned": false },
    access: ["event:read", "event:write", "project:read", "project:write", "team:read", "team:write"],
    hasAccess: true,
    isPending: false,
    memberCount: t.memberCount,
    avatar: { avatarType: "letter_avatar", avatarUuid: null },
    externalTeams: [],
  };
  if (withProjects) out.projects = state.projects.filter((p) => p.orgSlug === t.orgSlug && p.teamSlugs.includes(t.slug)).map((p) => projectJson(state, p));
  return out;
}

export function projectJson(state, p, { detail = false } = {}) {
  const teams = state.teams.filter((t) => t.orgSlug === p.orgSlug && p.teamSlugs.includes(t.slug)).map((t) => ({ id: t.id, slug: t.slug, name: t.name }));
  const rel = state.releases.filter((r) => r.orgSlug === p.orgSlug && r.projectSlugs.includes(p.slug)).sort((a, b) => b.created - a.created)[0];
  const insights = Object.fromEntries(["Http", "Db", "Assets", "AppStart", "ScreenLoad", "Vitals", "Caches", "Queues", "LlmMonitoring"].map((k) => [`hasInsights${k}`, (p.insights ?? []).includes(k)]));
  const base = {
    id: p.id,
    slug: p.slug,
    name: p.name,
    platform: p.platform,
    platforms: p.platform ? [p.platform.split("-")[0], p.platform] : [],
    dateCreated: iso(p.created),
    isBookmarked: p.isBookmarked,
    isMember: true,
    hasAccess: true,
    isPublic: false,
    isInternal: false,
    access: ["project:read", "project:write", "event:read", "event:write"],
    features: ["alert-filters", "minidump", "race-free-group-creation", "similarity-indexing", "servicehooks"],
    firstEvent: p.firstEvent ? iso(p.firstEvent) : null,
    firstTransactionEvent: p.orgSlug !== "rogue",
    hasSessions: Boolean(p.hasSessions),
    hasProfiles: Boolean(p.hasProfiles),
    hasReplays: Boolean(p.hasReplays),
    hasFeedbacks: Boolean(p.hasFeedbacks),
    hasNewFeedbacks: Boolean(p.hasFeedbacks),
    hasMonitors: Boolean(p.hasMonitors),
    hasMinifiedStackTrace: Boolean(p.hasMinifiedStackTrace),
    hasUserReports: false,
    hasFlags: false,
    hasLogs: Boolean(p.hasLogs),
    ...insights,
    environments: p.environments,
    eventProcessing: { symbolicationDegraded: false },
    latestRelease: rel ? { version: rel.version } : null,
    latestDeploys: rel ? Object.fromEntries(rel.deploys.map((d) => [d.environment, { version: rel.version, dateFinished: d.dateFinished }])) : null,
    team: teams[0] ?? null,
    teams,
    avatar: avatar(),
    color: p.color,
    status: "active",
  };
  if (!detail) return base;
  const org = state.orgs.find((o) => o.slug === p.orgSlug);
  return {
    ...base,
    organization: orgJson(state, org),
    digestsMinDelay: 300,
    digestsMaxDelay: 1800,
    resolveAge: 0,
    dataScrubber: true,
    dataScrubberDefaults: true,
    safeFields: [],
    sensitiveFields: [],
    scrubIPAddresses: false,
    storeCrashReports: null,
    allowedDomains: ["*"],
    verifySSL: false,
    scrapeJavaScript: true,
    subjectPrefix: "",
    subjectTemplate: "$shortID - $title",
    securityToken: hexId(`sectoken:${p.id}`),
    securityTokenHeader: null,
    groupingConfig: "newstyle:2023-01-11",
    groupingEnhancements: "",
    fingerprintingRules: "",
    relayPiiConfig: null,
    builtinSymbolSources: p.platform === "apple-ios" ? ["ios", "microsoft"] : [],
    symbolSources: "[]",
    dynamicSamplingBiases: null,
    plugins: [],
    processingIssues: 0,
    defaultEnvironment: null,
    options: { "sentry:token": hexId(`sectoken:${p.id}`), "sentry:replay_rage_click_issues": true },
    stats: null,
  };
}

export function keyJson(state, k) {
  const host = state.urls.base.replace(/^http:\/\//, "");
  const dsn = (path) => `http://${k.public}@${host}${path}`;
  return {
    id: k.id,
    name: k.name,
    label: k.name,
    public: k.public,
    secret: k.secret,
    projectId: k.projectId,
    isActive: k.isActive,
    rateLimit: k.rateLimit,
    dsn: {
      secret: `http://${k.public}:${k.secret}@${host}/${k.projectId}`,
      public: dsn(`/${k.projectId}`),
      csp: `${state.urls.base}/api/${k.projectId}/csp-report/?sentry_key=${k.public}`,
      security: `${state.urls.base}/api/${k.projectId}/security/?sentry_key=${k.public}`,
      minidump: `${state.urls.base}/api/${k.projectId}/minidump/?sentry_key=${k.public}`,
      nel: `${state.urls.base}/api/${k.projectId}/nel/?sentry_key=${k.public}`,
      unreal: `${state.urls.base}/api/${k.projectId}/unreal/${k.public}/`,
      crons: `${state.urls.base}/api/${k.projectId}/cron/___MONITOR_SLUG___/${k.public}/`,
      cdn: `${state.urls.base}/js-sdk-loader/${k.public}.min.js`,
      playstation: `${state.urls.base}/api/${k.projectId}/playstation/?sentry_key=${k.public}`,
      otlp_traces: `${state.urls.base}/api/${k.projectId}/otlp/v1/traces`,
    },
    browserSdkVersion: "8.x",
    browserSdk: { choices: [["latest", "latest"], ["8.x", "8.x"], ["7.x", "7.x"]] },
    dateCreated: iso(k.created),
    dynamicSdkLoaderOptions: { hasReplay: true, hasPerformance: true, hasDebug: false, hasFeedback: false, hasLogsAndMetrics: false },
    useCase: "user",
  };
}

export function releaseJson(state, r, { detail = false, health = false } = {}) {
  const lastCommit = r.commits.at(-1);
  const lastDeploy = r.deploys.at(-1);
  const evs = state.events.filter((e) => e.release === r.version);
  const projects = state.projects.filter((p) => p.orgSlug === r.orgSlug && r.projectSlugs.includes(p.slug));
  const out = {
    id: r.id,
    version: r.version,
    shortVersion: r.version.includes("@") ? r.version.split("@").slice(1).join("@") : r.version,
    status: "open",
    versionInfo: { package: r.version.includes("@") ? r.version.split("@")[0] : null, version: { raw: r.version.split("@").pop() }, description: r.version.split("@").pop(), buildHash: null },
    ref: r.ref,
    url: null,
    dateCreated: iso(r.created),
    dateReleased: iso(r.created + 30 * 60_000),
    firstEvent: evs.length ? iso(Math.min(...evs.map((e) => e.at))) : null,
    lastEvent: evs.length ? iso(Math.max(...evs.map((e) => e.at))) : null,
    newGroups: r.newGroups,
    owner: null,
    commitCount: r.commits.length,
    lastCommit: lastCommit ? { id: lastCommit.id, message: lastCommit.message, dateCreated: lastCommit.dateCreated, author: lastCommit.author } : null,
    deployCount: r.deploys.length,
    lastDeploy: lastDeploy ? { id: lastDeploy.id, environment: lastDeploy.environment, dateStarted: lastDeploy.dateStarted, dateFinished: lastDeploy.dateFinished, name: lastDeploy.name, url: null } : null,
    authors: [...new Map(r.commits.map((c) => [c.author.email, c.author])).values()],
    projects: projects.map((p) => ({ id: Number(p.id), slug: p.slug, name: p.name, newGroups: r.newGroups, platform: p.platform, platforms: [p.platform], hasHealthData: p.slug === "mobile-ios" })),
    data: {},
    userAgent: "sentry-cli/2.31.0",
  };
  if (detail) out.currentProjectMeta = {};
  // ?health=1: session health per project (only mobile-ios sends sessions in this data set)
  if (health) {
    for (const p of out.projects) {
      p.healthData = p.hasHealthData
        ? { crashFreeSessions: 99.12, crashFreeUsers: 99.61, totalSessions: 48_210, totalUsers: 9_870, sessionsCrashed: 424, sessionsErrored: 1_130, adoption: 37.5, hasHealthData: true }
        : { crashFreeSessions: null, crashFreeUsers: null, totalSessions: 0, totalUsers: 0, sessionsCrashed: 0, sessionsErrored: 0, adoption: null, hasHealthData: false };
    }
  }
  return out;
}

/** Assignee object for "user:<id>" / "team:<id>" references. */
export function assigneeJson(state, ref) {
  if (!ref) return null;
  const [type, id] = ref.split(":");
  if (type === "user") {
    const u = state.users.find((x) => x.id === id);
    return u ? { type: "user", id: u.id, name: u.name, email: u.email } : null;
  }
  const t = state.teams.find((x) => x.id === id);
  return t ? { type: "team", id: t.id, name: t.slug } : null;
}

/**
 * An issue's volume series as the list endpoint's `groupStatsPeriod` asks: "24h" (the default)
 * hourly over a day, "14d" daily over 14 days, "auto" over the request's period (`range` in ms:
 * hourly up to two days, else daily), "" none. The key is the name asked for, as Sentry keys it.
 */
function issueStats(issue, now, groupStatsPeriod = "24h", range = 14 * 86_400_000) {
  const shape = {
    "24h": { step: HOUR, count: 24 },
    "14d": { step: DAY, count: 14 },
    auto: range <= 2 * DAY ? { step: HOUR, count: Math.max(1, Math.ceil(range / HOUR)) } : { step: DAY, count: Math.ceil(range / DAY) },
  }[groupStatsPeriod];
  if (!shape) return null;
  const r = rng(`stats:${issue.id}`);
  const last = Math.floor(now / shape.step) * shape.step;
  const perBucket = Math.max(1, Math.round((Number(issue.count) / 200) * (shape.step / HOUR)));
  const buckets = [];
  for (let i = shape.count; i >= 0; i--) {
    const t = last - i * shape.step;
    const active = t + shape.step >= issue.firstSeenMs && t <= issue.lastSeenMs;
    buckets.push([t / 1000, active ? r.int(0, perBucket) : 0]);
  }
  return { [groupStatsPeriod]: buckets };
}

export function issueJson(state, issue, { detail = false, groupStatsPeriod = "24h", range } = {}) {
  const p = state.projects.find((x) => x.id === issue.projectId);
  const rel = (v) => {
    const r = state.releases.find((x) => x.version === v);
    return r ? releaseJson(state, r) : null;
  };
  const notes = state.notes.get(issue.id) ?? [];
  const out = {
    id: issue.id,
    shareId: null,
    shortId: issue.shortId,
    title: issue.title,
    culprit: issue.culprit,
    permalink: `${state.urls.base}/organizations/${issue.orgSlug}/issues/${issue.id}/`,
    logger: issue.logger ?? null,
    level: issue.level,
    status: issue.status,
    statusDetails: issue.statusDetails,
    substatus: issue.substatus,
    isPublic: issue.isPublic,
    platform: issue.platform,
    project: { id: p.id, name: p.name, slug: p.slug, platform: p.platform },
    type: issue.kind,
    metadata: issue.metadata ?? issue.events.at(-1)?.json.metadata ?? {},
    numComments: notes.length,
    assignedTo: assigneeJson(state, issue.assignedTo),
    isBookmarked: issue.isBookmarked,
    isSubscribed: issue.isSubscribed,
    subscriptionDetails: issue.isSubscribed ? { reason: "assigned" } : null,
    hasSeen: issue.hasSeen,
    annotations: issue.id === "4101" ? [{ displayName: "OPS-2231", url: "https://tracker.acme.example/browse/OPS-2231" }] : [],
    issueType: issue.issueType,
    issueCategory: issue.issueCategory,
    priority: issue.priority,
    priorityLockedAt: null,
    seerFixabilityScore: issue.kind === "error" ? 0.62 : null,
    seerAutofixLastTriggered: state.autofix.has(issue.id) ? iso(state.autofix.get(issue.id).started) : null,
    isUnhandled: issue.kind === "error" ? !issue.handled : false,
    count: String(issue.count),
    userCount: issue.userCount,
    firstSeen: iso(issue.firstSeenMs),
    lastSeen: iso(issue.lastSeenMs),
    stats: issueStats(issue, state.now, groupStatsPeriod, range),
  };
  if (issue.omitAssignedTo) delete out.assignedTo; // some responses leave the key out instead of null
  if (!detail) return out;
  const u = (id) => state.users.find((x) => x.id === id);
  return {
    ...out,
    userReportCount: issue.feedback ? 1 : 0,
    firstRelease: rel(issue.firstRelease ?? issue.release),
    lastRelease: rel(issue.release),
    activity: activityFor(state, issue),
    openPeriods: [{ start: iso(issue.firstSeenMs), end: issue.status === "resolved" ? iso(issue.lastSeenMs + HOUR) : null, duration: null, isOpen: issue.status !== "resolved", lastChecked: iso(state.now) }],
    seenBy: issue.hasSeen ? [userJson(u("1001"), state.now)] : [],
    participants: issue.assignedTo?.startsWith("user:") ? [userJson(u(issue.assignedTo.slice(5)), state.now)] : [],
    pluginActions: [],
    pluginIssues: [],
    pluginContexts: [],
    tags: issueTagKeys(issue).map((t) => ({ key: t.key, name: t.name, totalValues: t.totalValues })),
    sentryAppIssues: [],
  };
}

export function noteJson(state, n) {
  const u = state.users.find((x) => x.id === n.user);
  return { id: n.id, user: u ? userJson(u, state.now) : null, sentry_app: null, type: n.type, data: n.data, dateCreated: n.dateCreated };
}

export function activityFor(state, issue) {
  const items = [
    { id: `${issue.id}1`, user: null, type: "first_seen", data: { priority: issue.priority }, dateCreated: iso(issue.firstSeenMs) },
  ];
  if (issue.substatus === "regressed") items.push({ id: `${issue.id}2`, user: null, type: "set_regression", data: { version: issue.release }, dateCreated: iso(issue.lastSeenMs - HOUR) });
  if (issue.substatus === "escalating") items.push({ id: `${issue.id}3`, user: null, type: "set_escalating", data: { forecast: 120 }, dateCreated: iso(issue.lastSeenMs - 2 * HOUR) });
  for (const n of state.notes.get(issue.id) ?? []) items.push({ ...n, user: n.user });
  for (const a of state.activity.get(issue.id) ?? []) items.push(a);
  return items
    .map((a) => ({ id: a.id, user: a.user ? userJson(state.users.find((x) => x.id === a.user), state.now) : null, sentry_app: null, type: a.type, data: a.data, dateCreated: a.dateCreated }))
    .sort((a, b) => b.dateCreated.localeCompare(a.dateCreated));
}

/**
 * Tag distribution of an issue: the values seen on its stored events, scaled so the counts add
 * up to the issue's `count` (Sentry counts every event; only samples are stored here).
 */
export function issueTagKeys(issue) {
  const byKey = new Map();
  for (const e of issue.events) {
    for (const t of e.tags) {
      if (!byKey.has(t.key)) byKey.set(t.key, new Map());
      const vals = byKey.get(t.key);
      const v = vals.get(t.value) ?? { n: 0, first: e.at, last: e.at };
      v.n++;
      v.first = Math.min(v.first, e.at);
      v.last = Math.max(v.last, e.at);
      vals.set(t.value, v);
    }
  }
  const total = Number(issue.count);
  const NAMES = { environment: "Environment", level: "Level", release: "Release", handled: "Handled", url: "URL", browser: "Browser", "browser.name": "Browser.Name", os: "OS", "os.name": "Os.Name", device: "Device", user: "User", transaction: "Transaction", mechanism: "Mechanism", server_name: "Server", runtime: "Runtime", "runtime.name": "Runtime.Name" };
  return [...byKey.entries()].map(([key, vals]) => {
    const seen = [...vals.values()].reduce((a, v) => a + v.n, 0);
    let left = total;
    const entries = [...vals.entries()].sort((a, b) => b[1].n - a[1].n);
    const topValues = entries.map(([value, v], i) => {
      const count = i === entries.length - 1 ? left : Math.max(1, Math.round((total * v.n) / seen));
      left -= count;
      return { key, name: value, value, count: Math.max(0, count), firstSeen: iso(v.first), lastSeen: iso(v.last) };
    });
    const totalValues = key === "user" ? Math.max(issue.userCount, topValues.length) : total;
    return { key, name: NAMES[key] ?? key, totalValues, uniqueValues: topValues.length, topValues };
  });
}

/** Event in list ("summary") form, as /issues/{id}/events/ returns it without full=true. */
export function eventSummary(e) {
  const j = e.json;
  return { id: j.id, "event.type": j.type, groupID: j.groupID, eventID: j.eventID, projectID: j.projectID, message: j.message, title: j.title, location: j.location, culprit: j.culprit, user: j.user, tags: j.tags, platform: j.platform, dateCreated: j.dateCreated, crashFile: null, metadata: j.metadata };
}
