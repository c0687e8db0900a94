// Admin tools through the official TypeScript SDK client (over HTTP, and again over stdio):
// update_dsn, team access to a project and issue links, with the emulator's state
// checked after each write and the failures an agent must be able to act on.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { call, connect, EMULATOR_URL, READONLY_TOKEN, resetUpstream, TRANSPORT, upstreamRequests, VALID_TOKEN } from "./helpers.mjs";

let client;
before(async () => {
  await resetUpstream();
  client = await connect();
});
after(async () => client?.close());

async function upstream(path) {
  const r = await fetch(`${EMULATOR_URL}/api/0/${path}`, { headers: { authorization: `Bearer ${VALID_TOKEN}` } });
  return { status: r.status, body: r.status === 200 ? await r.json() : null };
}

test("update_dsn renames a key, sets and removes its rate limit, and deactivates it", async () => {
  const [key] = (await upstream("projects/acme/web-frontend/keys/")).body;
  const r = await call(client, "update_dsn", { organizationSlug: "acme", projectSlug: "web-frontend", keyId: key.id, name: "Browser", rateLimitCount: 500, rateLimitWindow: 60 });
  assert.equal(r.isError, false, r.text);
  assert.match(r.text, /\*\*name\*\*: Default → \*\*Browser\*\*/);
  assert.match(r.text, /\*\*rateLimit\*\*: 1000 per 60 s → \*\*500 per 60 s\*\*/);
  let state = (await upstream(`projects/acme/web-frontend/keys/${key.id}/`)).body;
  assert.equal(state.name, "Browser");
  assert.deepEqual(state.rateLimit, { count: 500, window: 60 });

  const off = await call(client, "update_dsn", { organizationSlug: "acme", projectSlug: "web-frontend", keyId: key.id, isActive: false, rateLimitCount: 0 });
  assert.equal(off.isError, false, off.text);
  assert.match(off.text, /\*\*rateLimit\*\*: 500 per 60 s → \*\*none\*\*/);
  assert.match(off.text, /Events sent with this DSN are now dropped/);
  state = (await upstream(`projects/acme/web-frontend/keys/${key.id}/`)).body;
  assert.equal(state.isActive, false);
  assert.equal(state.rateLimit, null);
  assert.equal(off.text.includes(key.secret), false, "the secret DSN is never shown");
});

test("update_dsn failures: nothing to change, half a rate limit, an unknown key", async () => {
  const none = await call(client, "update_dsn", { organizationSlug: "acme", projectSlug: "web-frontend", keyId: "abc" });
  assert.equal(none.isError, true);
  assert.match(none.text, /pass at least one of/);
  const half = await call(client, "update_dsn", { organizationSlug: "acme", projectSlug: "web-frontend", keyId: "abc", rateLimitCount: 5 });
  assert.match(half.text, /rateLimitCount and rateLimitWindow together/);
  const unknown = await call(client, "update_dsn", { organizationSlug: "acme", projectSlug: "web-frontend", keyId: "0123456789abcdef0123456789abcdef", name: "x" });
  assert.equal(unknown.isError, true);
  assert.match(unknown.text, /key '0123456789abcdef0123456789abcdef' of project 'web-frontend'/);
});

test("add_team_to_project and remove_team_from_project change who has access", async () => {
  const added = await call(client, "add_team_to_project", { organizationSlug: "acme", projectSlug: "api-server", teamSlug: "frontend" });
  assert.equal(added.isError, false, added.text);
  assert.match(added.text, /# Team frontend now has access to api-server/);
  assert.match(added.text, /\*\*Teams with access now\*\*: frontend, backend/);
  assert.deepEqual((await upstream("projects/acme/api-server/teams/")).body.map((t) => t.slug).sort(), ["backend", "frontend"]);
  const removed = await call(client, "remove_team_from_project", { organizationSlug: "acme", projectSlug: "api-server", teamSlug: "backend" });
  assert.equal(removed.isError, false, removed.text);
  assert.match(removed.text, /no longer has access to api-server/);
  assert.deepEqual((await upstream("projects/acme/api-server/teams/")).body.map((t) => t.slug), ["frontend"]);
  const unknown = await call(client, "add_team_to_project", { organizationSlug: "acme", projectSlug: "api-server", teamSlug: "no-such-team" });
  assert.equal(unknown.isError, true);
  assert.match(unknown.text, /team 'no-such-team' and project 'api-server'/);
});

test("team access with a read-only token names the missing scope", async () => {
  const reader = await connect({ token: READONLY_TOKEN });
  try {
    const r = await call(reader, "remove_team_from_project", { organizationSlug: "acme", projectSlug: "web-frontend", teamSlug: "frontend" });
    assert.equal(r.isError, true);
    assert.match(r.text, /lacks the `project:write` scope/);
    assert.match(r.text, TRANSPORT === "stdio" ? /restart the server with it/ : /send it instead of this one/);
    assert.deepEqual((await upstream("projects/acme/web-frontend/teams/")).body.map((t) => t.slug), ["frontend"]);
  } finally {
    await reader.close();
  }
});

test("link_issue links an issue to a Jira ticket and a GitHub issue; unlink_issue removes a link", async () => {
  const which = await call(client, "link_issue", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7K", externalIssue: "SHOP-118" });
  assert.equal(which.isError, true);
  assert.match(which.text, /pass 'integrationId', one of: 601 \(Jira acme\.atlassian\.net\), 602 \(GitHub acme\)/);
  const jira = await call(client, "link_issue", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7K", integrationId: "601", externalIssue: "SHOP-118" });
  assert.equal(jira.isError, false, jira.text);
  assert.match(jira.text, /# Linked WEB-FRONTEND-7K to SHOP-118/);
  assert.match(jira.text, /- Jira SHOP-118 \(link id \d+\): .*https:\/\/acme\.atlassian\.net\/browse\/SHOP-118/);
  const gh = await call(client, "link_issue", { issueUrl: "https://acme.sentry.io/issues/4001/", integrationId: "602", externalIssue: "acme/web#42" });
  assert.equal(gh.isError, false, gh.text);
  assert.match(gh.text, /- GitHub acme\/web#42 /);
  const state = (await upstream("organizations/acme/issues/4001/integrations/")).body;
  assert.deepEqual(state.flatMap((i) => i.externalIssues.map((x) => x.key)).sort(), ["SHOP-118", "acme/web#42"]);
  const bad = await call(client, "link_issue", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7K", integrationId: "601", externalIssue: "not a ticket" });
  assert.equal(bad.isError, true);
  assert.match(bad.text, /could not be found in Jira/);

  const unlinked = await call(client, "unlink_issue", { organizationSlug: "acme", issueId: "API-SERVER-2A", externalIssue: "OPS-2231" });
  assert.equal(unlinked.isError, false, unlinked.text);
  assert.match(unlinked.text, /# Unlinked OPS-2231 from API-SERVER-2A/);
  assert.match(unlinked.text, /No external issues are linked/);
  const after = (await upstream("organizations/acme/issues/4101/integrations/")).body;
  assert.equal(after.flatMap((i) => i.externalIssues).length, 0);
  const again = await call(client, "unlink_issue", { organizationSlug: "acme", issueId: "API-SERVER-2A", externalIssue: "OPS-2231" });
  assert.equal(again.isError, true);
  assert.match(again.text, /API-SERVER-2A is not linked to 'OPS-2231'/);
});

test("link_issue and unlink_issue take the ticket's URL (externalIssueUrl), finding the tracker from it", async () => {
  await resetUpstream();
  const pr = await call(client, "link_issue", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7K", externalIssueUrl: "https://github.com/acme/web/pull/7" });
  assert.equal(pr.isError, false, pr.text);
  assert.match(pr.text, /# Linked WEB-FRONTEND-7K to acme\/web#7/);
  assert.match(pr.text, /unlink_issue\(externalIssueUrl="https:\/\/github\.com\/acme\/web\/pull\/7"\)/);
  const put = (await upstreamRequests()).filter((q) => q.method === "PUT" && q.path.endsWith("/integrations/602/")).at(-1);
  assert.deepEqual(put.body, { repo: "acme/web", externalIssue: "7" }, "GitHub's link form: the repository and the number");
  const jira = await call(client, "link_issue", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7K", externalIssueUrl: "https://acme.atlassian.net/browse/shop-9" });
  assert.equal(jira.isError, false, jira.text);
  let state = (await upstream("organizations/acme/issues/4001/integrations/")).body;
  assert.deepEqual(state.flatMap((i) => i.externalIssues.map((x) => x.key)).sort(), ["SHOP-9", "acme/web#7"]);
  const foreign = await call(client, "link_issue", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7K", externalIssueUrl: "https://github.com/other/app/issues/3" });
  assert.equal(foreign.isError, true);
  assert.match(foreign.text, /no issue-tracker integration of this organization serves github\.com\/other/);
  const unreadable = await call(client, "link_issue", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7K", externalIssueUrl: "https://acme.atlassian.net/wiki/spaces/OPS" });
  assert.match(unreadable.text, /cannot read a ticket from/);
  const gone = await call(client, "unlink_issue", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7K", externalIssueUrl: "https://github.com/acme/web/pull/7" });
  assert.equal(gone.isError, false, gone.text);
  state = (await upstream("organizations/acme/issues/4001/integrations/")).body;
  assert.deepEqual(state.flatMap((i) => i.externalIssues.map((x) => x.key)), ["SHOP-9"]);
});

test("link_issue with a read-only token names event:write", async () => {
  const reader = await connect({ token: READONLY_TOKEN });
  try {
    const r = await call(reader, "link_issue", { organizationSlug: "acme", issueId: "WEB-FRONTEND-7K", integrationId: "601", externalIssue: "SHOP-9" });
    assert.equal(r.isError, true);
    assert.match(r.text, /lacks the `event:write` scope/);
  } finally {
    await reader.close();
  }
});
