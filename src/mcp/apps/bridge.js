"use strict";
// The view side of MCP Apps: JSON-RPC 2.0 over postMessage with the host (SEP-1865).
const bridge = (() => {
  let nextId = 1;
  const pending = new Map();
  const handlers = new Map();
  const send = (message) => window.parent.postMessage({ jsonrpc: "2.0", ...message }, "*");
  window.addEventListener("message", (event) => {
    if (event.source !== window.parent) return;
    const m = event.data;
    if (!m || typeof m !== "object" || m.jsonrpc !== "2.0") return;
    if (m.method === undefined && pending.has(m.id)) {
      const { resolve, reject } = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) reject(new Error(String(m.error.message ?? "error")));
      else resolve(m.result ?? {});
      return;
    }
    if (typeof m.method !== "string") return;
    const handler = handlers.get(m.method);
    if (m.id !== undefined) {
      // Requests from the host: ping and teardown need only an empty answer.
      if (handler) handler(m.params ?? {});
      if (handler || m.method === "ping" || m.method === "ui/resource-teardown") send({ id: m.id, result: {} });
      else send({ id: m.id, error: { code: -32601, message: "Method not found" } });
      return;
    }
    if (handler) handler(m.params ?? {});
  });
  return {
    request(method, params) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        send({ id, method, params });
      });
    },
    notify(method, params) {
      send({ method, params });
    },
    on(method, handler) {
      handlers.set(method, handler);
    },
  };
})();

/** An element with its class and, optionally, text: the only way views put data in the page. */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/** Replace the view's content with `nodes`. */
function show(...nodes) {
  document.getElementById("view").replaceChildren(...nodes);
}

/** The host's theme: only CSS custom properties, set through the CSSOM. */
function applyHostContext(context) {
  if (!context || typeof context !== "object") return;
  if (context.theme === "light" || context.theme === "dark") document.documentElement.style.colorScheme = context.theme;
  const variables = context.styles && context.styles.variables;
  if (variables && typeof variables === "object") {
    for (const [name, value] of Object.entries(variables)) {
      if (/^--[a-z0-9-]+$/.test(name) && typeof value === "string") document.documentElement.style.setProperty(name, value);
    }
  }
}

/** Start the view: draw every tool result with `render(structuredContent)`, report the size. */
function startView(name, render) {
  bridge.on("ui/notifications/tool-result", (result) => {
    try {
      if (result.isError) show(el("p", "note", "The tool reported an error; see the answer's text."));
      else render(result.structuredContent ?? null);
    } catch (e) {
      show(el("p", "note", `This result cannot be drawn (${e.message}).`));
    }
  });
  bridge.on("ui/notifications/tool-cancelled", () => show(el("p", "note", "The call was cancelled.")));
  bridge.on("ui/notifications/host-context-changed", applyHostContext);
  bridge
    .request("ui/initialize", {
      protocolVersion: "2026-01-26",
      appInfo: { name, version: "1" },
      appCapabilities: { availableDisplayModes: ["inline"] },
    })
    .then((init) => {
      applyHostContext(init.hostContext);
      bridge.notify("ui/notifications/initialized", {});
      // From now on the host sizes the frame to the content.
      let last = "";
      new ResizeObserver(() => {
        const size = { width: Math.ceil(document.documentElement.scrollWidth), height: Math.ceil(document.documentElement.scrollHeight) };
        const key = `${size.width}x${size.height}`;
        if (key !== last) {
          last = key;
          bridge.notify("ui/notifications/size-changed", size);
        }
      }).observe(document.documentElement);
    })
    .catch((e) => show(el("p", "note", `The host did not start the view (${e.message}).`)));
}
