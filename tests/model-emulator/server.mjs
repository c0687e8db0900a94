// Model provider emulator for the embedded agent's end-to-end tests (tests/e2e/agent.test.mjs).
//
// One node:http server on 127.0.0.1 speaking two APIs:
//   POST /v1/chat/completions  OpenAI chat completions (OPENAI_BASE_URL=http://127.0.0.1:P/v1)
//   POST /v1/messages          Anthropic messages      (ANTHROPIC_BASE_URL=http://127.0.0.1:P)
// Tests script the answers: POST /__script {key, replies:[...]} makes every request whose first
// user message contains `key` get replies[n], where n is the number of assistant turns already in
// the conversation (so a script is stateless and runs the same over HTTP and stdio). A reply is
// {query} (a well-formed answer whose text is {"query": ...}), {text} (raw answer text),
// {status, retryAfter?} (an API error in the provider's shape) or {delayMs} (answers too late).
// GET /__requests?key=K lists what arrived for a key (path, whether a key header came, body).
// No outbound traffic; every wait is bounded.
import http from "node:http";

const MAX_DELAY_MS = 10_000;

function readJson(req) {
  return new Promise((resolve) => {
    let data = "";
    req.on("data", (c) => { data += c; if (data.length > 1 << 20) req.destroy(); });
    req.on("end", () => { try { resolve(JSON.parse(data)); } catch { resolve(null); } });
  });
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function firstUserText(body) {
  const m = (body?.messages ?? []).find((x) => x.role === "user");
  return typeof m?.content === "string" ? m.content : JSON.stringify(m?.content ?? "");
}

function openaiAnswer(body, text) {
  return { id: "chatcmpl-emu", object: "chat.completion", created: 1767225600, model: body.model,
    choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: text } }],
    usage: { prompt_tokens: Math.ceil(JSON.stringify(body.messages).length / 4), completion_tokens: Math.ceil(text.length / 4), total_tokens: 0 } };
}

function anthropicAnswer(body, text) {
  return { id: "msg_emu", type: "message", role: "assistant", model: body.model, content: [{ type: "text", text }],
    stop_reason: "end_turn", stop_sequence: null,
    usage: { input_tokens: Math.ceil((JSON.stringify(body.messages).length + (body.system ?? "").length) / 4), output_tokens: Math.ceil(text.length / 4) } };
}

function apiError(kind, status) {
  const message = status === 429 ? "Rate limit reached for requests" : "The server had an error while processing your request";
  return kind === "openai"
    ? { error: { message, type: status === 429 ? "requests" : "server_error", code: null } }
    : { type: "error", error: { type: status === 429 ? "rate_limit_error" : "api_error", message } };
}

export async function startModelEmulator({ port = 0 } = {}) {
  const scripts = new Map();
  const requests = [];
  const timers = new Set();
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    if (req.method === "POST" && url.pathname === "/__script") {
      const { key, replies } = (await readJson(req)) ?? {};
      if (typeof key !== "string" || !Array.isArray(replies)) return send(res, 400, { error: "key and replies" });
      scripts.set(key, replies);
      return send(res, 200, { ok: true });
    }
    if (req.method === "GET" && url.pathname === "/__requests") {
      const key = url.searchParams.get("key");
      return send(res, 200, requests.filter((r) => !key || r.key === key));
    }
    const kind = url.pathname === "/v1/chat/completions" ? "openai" : url.pathname === "/v1/messages" ? "anthropic" : null;
    if (req.method !== "POST" || !kind) return send(res, 404, { error: { message: `no route ${req.method} ${url.pathname}` } });
    const body = await readJson(req);
    if (!body) return send(res, 400, apiError(kind, 400));
    const authorized = kind === "openai" ? /^Bearer \S+$/.test(req.headers.authorization ?? "") : Boolean(req.headers["x-api-key"]) && Boolean(req.headers["anthropic-version"]);
    if (!authorized) return send(res, 401, kind === "openai" ? { error: { message: "Incorrect API key provided" } } : { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } });
    const user = firstUserText(body);
    const key = [...scripts.keys()].find((k) => user.includes(k)) ?? null;
    requests.push({ kind, key, path: url.pathname, headerNames: Object.keys(req.headers), body });
    const attempt = (body.messages ?? []).filter((m) => m.role === "assistant").length;
    const reply = key ? scripts.get(key)[attempt] : undefined;
    const answer = (text) => send(res, 200, kind === "openai" ? openaiAnswer(body, text) : anthropicAnswer(body, text));
    if (!reply) return answer(JSON.stringify({ query: "" }));
    if (reply.delayMs) {
      const t = setTimeout(() => { timers.delete(t); answer(JSON.stringify({ query: "is:unresolved" })); }, Math.min(reply.delayMs, MAX_DELAY_MS));
      timers.add(t);
      res.on("close", () => { clearTimeout(t); timers.delete(t); });
      return;
    }
    if (reply.status) return send(res, reply.status, apiError(kind, reply.status), reply.retryAfter ? { "retry-after": String(reply.retryAfter) } : {});
    if (reply.text !== undefined) return answer(reply.text);
    return answer(JSON.stringify({ query: reply.query }));
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actualPort = server.address().port;
  return {
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}`,
    close: () => new Promise((resolve) => { for (const t of timers) clearTimeout(t); server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}
