// The worker built in build/ in workerd, served on a direct socket: Miniflare with the bindings
// wrangler derives from the config, but no wrangler dev proxy in front and no Miniflare entry
// worker in between (see startWorkerDirect in worker.mjs, the only caller). With a relay port, a
// second worker in the same workerd, a few lines of JavaScript, makes the upstream calls it is
// given and returns how many bytes they answered: the worker benchmark's floor for what workerd's
// own fetch costs, so the difference to a tool call is the worker's own work.
// Usage: node direct-worker.mjs '<{"config", "port", "relayPort", "state", "vars", "inspectorPort"} as JSON>'
// Runs until it is sent SIGTERM or SIGINT; the worker's log lines go to this process's stdout.
import path from "node:path";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

const { config, port, relayPort, state, vars, inspectorPort } = JSON.parse(process.argv[2]);
const { workerOptions, main } = unstable_getMiniflareWorkerOptions(config);
const relay = `export default {
  async fetch(request) {
    const { calls, headers } = await request.json();
    let bytes = 0;
    for (const call of calls) {
      const answer = await fetch(call.url, { method: call.method, headers, redirect: "manual" });
      bytes += (await answer.arrayBuffer()).byteLength;
    }
    return new Response(String(bytes));
  },
};`;
// wrangler still derives the options in Miniflare 4's shape; Miniflare converts them.
const mf = new Miniflare(convertV4MiniflareOptions({
  host: "127.0.0.1",
  port: 0,
  // V8's inspector on this port when asked (a CPU profile of the worker: bench/worker-profile.mjs).
  ...(inspectorPort ? { inspectorPort, inspectorHost: "127.0.0.1" } : {}),
  defaultPersistRoot: state,
  workers: [
    {
      ...workerOptions,
      // worker-build's output: the module and the wasm it imports.
      modules: [
        { type: "ESModule", path: main },
        { type: "CompiledWasm", path: path.join(path.dirname(main), "index_bg.wasm") },
      ],
      modulesRoot: path.dirname(main),
      bindings: { ...workerOptions.bindings, ...vars },
      unsafeDirectSockets: [{ host: "127.0.0.1", port }],
    },
    ...(relayPort ? [{
      name: "relay",
      modules: true,
      script: relay,
      compatibilityDate: workerOptions.compatibilityDate,
      unsafeDirectSockets: [{ host: "127.0.0.1", port: relayPort }],
    }] : []),
  ],
}));
await mf.ready;
console.log(`direct worker on 127.0.0.1:${port}${relayPort ? `, relay on 127.0.0.1:${relayPort}` : ""}`);
const stop = async () => { await mf.dispose(); process.exit(0); };
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
