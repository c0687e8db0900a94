// Linking an issue to an external ticket or pull request through an organization integration
// (GET, PUT to link an existing one, DELETE ?externalIssue=<id> to unlink), as Sentry's
// group-integration endpoints do. Link forms per provider, as Sentry's: Jira `{externalIssue:
// "ABC-123"}`, GitHub `{repo: "owner/repo", externalIssue: "123"}` (stored as `owner/repo#123`).
import { badRequest, notFound, ok } from "../lib/http.mjs";
import { findIssue, requireBodyObject } from "./common.mjs";

const KEY = { jira: /^[A-Z][A-Z0-9]+-\d+$/, github: /^[\w.-]+\/[\w.-]+#\d+$/ };

function urlFor(integration, key) {
  if (integration.provider.key === "jira") return `https://${integration.domainName}/browse/${key}`;
  const [repo, n] = key.split("#");
  return `https://github.com/${repo}/issues/${n}`;
}

export function register(r) {
  const integrationsOf = (ctx) => ctx.state.links.integrations.filter((i) => i.orgSlug === ctx.org.slug);
  const json = (ctx, issue, i) => ({
    id: i.id,
    name: i.name,
    icon: i.icon,
    domainName: i.domainName,
    provider: i.provider,
    status: i.status,
    externalIssues: ctx.state.links.externalIssues.filter((x) => x.issueId === issue.id && x.integrationId === i.id).map(({ issueId, integrationId, ...rest }) => rest),
  });
  const target = (ctx) => {
    const issue = findIssue(ctx, ctx.params.issueId);
    const integration = integrationsOf(ctx).find((i) => i.id === ctx.params.integrationId);
    if (!integration) throw notFound();
    return { issue, integration };
  };

  r.add("GET", "/api/0/organizations/:org/issues/:issueId/integrations/", (ctx) => {
    const issue = findIssue(ctx, ctx.params.issueId);
    return ok(integrationsOf(ctx).map((i) => json(ctx, issue, i)));
  });
  r.add(
    "PUT",
    "/api/0/organizations/:org/issues/:issueId/integrations/:integrationId/",
    (ctx) => {
      const { issue, integration } = target(ctx);
      const body = requireBodyObject(ctx);
      const given = typeof body.externalIssue === "string" || typeof body.externalIssue === "number" ? String(body.externalIssue).trim() : "";
      if (!given) throw badRequest({ externalIssue: ["This field is required."] });
      if (integration.provider.key === "github" && (typeof body.repo !== "string" || !body.repo)) throw badRequest({ repo: ["This field is required."] });
      const key = integration.provider.key === "github" ? `${body.repo}#${given}` : given;
      if (!KEY[integration.provider.key].test(key)) throw badRequest({ detail: `Issue ${key} could not be found in ${integration.provider.name}.` });
      const links = ctx.state.links;
      let x = links.externalIssues.find((e) => e.issueId === issue.id && e.integrationId === integration.id && e.key === key);
      if (!x) {
        x = { id: String(++links.seq), issueId: issue.id, integrationId: integration.id, key, title: `Linked from Sentry ${issue.shortId}`, description: "", url: urlFor(integration, key), displayName: integration.provider.key === "github" ? key : key };
        links.externalIssues.push(x);
      }
      const { issueId, integrationId, ...rest } = x;
      return ok({ ...rest, integrationId: integration.id, integrationName: integration.name });
    },
    { scope: ["event:write", "event:admin"] },
  );
  r.add(
    "DELETE",
    "/api/0/organizations/:org/issues/:issueId/integrations/:integrationId/",
    (ctx) => {
      const { issue, integration } = target(ctx);
      const id = ctx.q("externalIssue");
      if (!id) throw badRequest({ detail: "External ID required" });
      const links = ctx.state.links;
      const i = links.externalIssues.findIndex((e) => e.id === id && e.issueId === issue.id && e.integrationId === integration.id);
      if (i < 0) throw notFound();
      links.externalIssues.splice(i, 1);
      return { status: 204, body: "", contentType: "text/html" };
    },
    { scope: ["event:write", "event:admin"] },
  );
}
