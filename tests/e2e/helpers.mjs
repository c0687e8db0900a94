// Shared helpers for the end-to-end tests. The runner (run.mjs) sets MCP_ORIGIN, EMULATOR_URL,
// WORKER_LOG, PROXY_URL, SENTRY_MCP_BIN and STDIO_LOG before starting the test files, and
// MCP_TRANSPORT=stdio when the SDK-client suites run a second time against the native binary.
import fs from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

/** Tokens the emulator accepts (see tests/emulator/README.md). */
export const VALID_TOKEN = "sntryu_e2e_valid_token_0123456789abcdef";
export const READONLY_TOKEN = "sntryu_e2e_readonly_token_fedcba9876543210";

export const ORIGIN = process.env.MCP_ORIGIN;

/** The whole catalogue, in tools/list order. */
export const ALL_TOOLS = ["whoami", "find_organizations", "find_projects", "search_issues", "get_issue_details", "search_events", "get_sentry_resource", "get_trace_details", "search_issue_events", "get_issue_tag_values", "get_event_attachment", "find_teams", "find_releases", "find_monitors", "get_monitor_details", "find_alert_rules", "find_dashboards", "update_issue", "add_issue_note", "link_issue", "unlink_issue", "analyze_issue_with_seer", "find_dsns", "create_dsn", "update_dsn", "create_team", "create_project", "update_project", "add_team_to_project", "remove_team_from_project", "create_monitor", "update_monitor", "delete_monitor", "create_alert_rule", "update_alert_rule", "delete_alert_rule", "find_custom_inbound_filters", "create_custom_inbound_filter", "update_custom_inbound_filter", "delete_custom_inbound_filter"];
/** Tools that only read. */
export const READ_TOOLS = ALL_TOOLS.filter((t) => !["update_issue", "add_issue_note", "link_issue", "unlink_issue", "analyze_issue_with_seer", "create_dsn", "create_team", "create_project", "update_project", "update_dsn", "add_team_to_project", "remove_team_from_project", "create_monitor", "update_monitor", "delete_monitor", "create_alert_rule", "update_alert_rule", "delete_alert_rule", "create_custom_inbound_filter", "update_custom_inbound_filter", "delete_custom_inbound_filter"].includes(t));
export const EMULATOR_URL = process.env.EMULATOR_URL;

/** The native stdio binary, and the file its stderr is appended to (audited at the end). */
export const STDIO_BIN = process.env.SENTRY_MCP_BIN;
export const STDIO_LOG = process.env.STDIO_LOG;
/** What `connect` talks to: the worker over Streamable HTTP, or the binary over stdio. */
export const TRANSPORT = process.env.MCP_TRANSPORT ?? "http";

/** How to start the stdio binary against the emulator, with the settings the runner gives the
 *  worker (region host 127.0.0.2 allowed, 2 s upstream deadline). `args` and `env` add to them. */
export function stdioServer({ token = VALID_TOKEN, args = [], env = {} } = {}) {
  return {
    command: STDIO_BIN,
    args: [`--access-token=${token}`, `--url=${EMULATOR_URL}`, "--insecure-http", ...args],
    env: { SENTRY_ALLOWED_REGION_DOMAINS: "127.0.0.2", SENTRY_API_TIMEOUT_MS: "2000", ...env },
  };
}

/** The stdio flags that mean what an HTTP path means: `/mcp/acme/web?skills=inspect` →
 *  `--organization-slug=acme --project-slug=web --skills=inspect`. */
export function flagsFor(path) {
  const url = new URL(path, "http://path.invalid");
  const [organization, project] = url.pathname.split("/").filter(Boolean).slice(1);
  const flags = [];
  if (organization) flags.push(`--organization-slug=${organization}`);
  if (project) flags.push(`--project-slug=${project}`);
  for (const [key, value] of url.searchParams) flags.push(`--${key}=${value}`);
  return flags;
}

/** Connect the official TypeScript SDK client to `path` (default /mcp) with Sentry-Bearer, or,
 *  when TRANSPORT is stdio, start the binary with the flags equivalent to `path`. */
export async function connect({ path = "/mcp", token = VALID_TOKEN, headers = {}, capabilities } = {}) {
  const client = new Client({ name: "e2e-ts-sdk", version: "1.0.0" }, capabilities ? { capabilities } : undefined);
  if (TRANSPORT === "stdio") {
    const stdio = new StdioClientTransport({ ...stdioServer({ token, args: flagsFor(path) }), stderr: "pipe" });
    stdio.stderr.on("data", (chunk) => fs.appendFileSync(STDIO_LOG, chunk));
    await client.connect(stdio);
    return client;
  }
  const transport = new StreamableHTTPClientTransport(new URL(path, ORIGIN), {
    requestInit: { headers: { Authorization: `Sentry-Bearer ${token}`, ...headers } },
  });
  await client.connect(transport);
  return client;
}

/** Call a tool and return `{ text, isError, result }`. */
export async function call(client, name, args = {}) {
  const result = await client.callTool({ name, arguments: args });
  const text = (result.content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("\n");
  return { text, isError: result.isError === true, result };
}

/** A raw POST to the worker; returns `{ status, headers, body, text }` (body parsed when JSON). */
export async function post(path, payload, headers = {}) {
  const res = await fetch(new URL(path, ORIGIN), {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body: typeof payload === "string" ? payload : JSON.stringify(payload),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let body = null;
  try { body = JSON.parse(text); } catch {}
  return { status: res.status, headers: res.headers, body, text };
}

/** A legacy-era JSON-RPC request with the Sentry-Bearer header. */
export function rpc(method, params = {}, id = 1) {
  return { jsonrpc: "2.0", id, method, params };
}

export const auth = (token = VALID_TOKEN) => ({ authorization: `Sentry-Bearer ${token}` });

/** Headers and `_meta` of a modern (2026-07-28) request. */
export function modern(method, params = {}, { id = 1, name } = {}) {
  const body = {
    jsonrpc: "2.0", id, method,
    params: { ...params, _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}, "io.modelcontextprotocol/clientInfo": { name: "e2e", version: "1" } } },
  };
  const headers = { ...auth(), "mcp-protocol-version": "2026-07-28", "mcp-method": method };
  if (name) headers["mcp-name"] = name;
  return { body, headers };
}

/** The emulator's request log (what reached "Sentry"). */
export async function upstreamRequests() {
  const r = await fetch(`${EMULATOR_URL}/__emulator/requests`);
  return r.json();
}

export async function resetUpstream() {
  await fetch(`${EMULATOR_URL}/__emulator/reset`, { method: "POST" });
}

/** The `<untrusted-data-NONCE>` nonce of a tool result, if any. */
export function nonceOf(text) {
  return text.match(/<untrusted-data-([0-9a-f]{16})>/)?.[1] ?? null;
}

/**
 * Split a tool result into the text inside and outside its untrusted-data boundaries, checking
 * the markers pair up: every boundary closed, none nested, no stray closing marker outside.
 * Returns `{ nonce, inside: [bodies], outside }` (no boundary: nonce null, everything outside).
 */
export function boundarySegments(text) {
  const nonce = nonceOf(text);
  if (!nonce) return { nonce: null, inside: [], outside: text };
  const open = `<untrusted-data-${nonce}>`;
  const close = `</untrusted-data-${nonce}>`;
  const outside = [];
  const inside = [];
  let rest = text;
  for (;;) {
    const o = rest.indexOf(open);
    if (o < 0) { outside.push(rest); break; }
    outside.push(rest.slice(0, o));
    const after = rest.slice(o + open.length);
    const c = after.indexOf(close);
    if (c < 0) throw new Error("a boundary is not closed");
    const body = after.slice(0, c);
    if (body.includes(open)) throw new Error("boundaries nest");
    inside.push(body);
    rest = after.slice(c + close.length);
  }
  const out = outside.join("");
  if (out.includes(close)) throw new Error("a stray closing marker stands outside the boundaries");
  return { nonce, inside, outside: out };
}

/** Headless Chromium (Debian's, installed by set-up) for the suites that render pages. */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    timeout: 30_000,
  });
}
