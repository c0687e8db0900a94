// Starting the built worker in workerd (wrangler dev) on a free loopback port, for the end-to-end
// runner (tests/e2e/run.mjs) and the worker benchmark (bench/worker.mjs): one place that knows how
// to point wrangler at build/, set the vars and the rate limiters' limits, and wait until the
// worker answers. Every wait is bounded; the caller stops the returned child's process group.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Resolve once `url` answers at all (any status), or throw after `ms`. */
export async function waitFor(url, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

/** Wait until the worker `child` started answers `url`; if it never does, print its log
 *  (`logFile`), stop its process group and throw. */
async function answering(child, url, logFile) {
  try {
    await waitFor(url, 90_000);
  } catch (e) {
    console.error(fs.readFileSync(logFile, "utf8"));
    try { process.kill(-child.pid, "SIGTERM"); } catch {}
    throw e;
  }
}

/**
 * Write the wrangler config the tests and benchmarks run the worker built in build/ with: no
 * [build] section, `limits` ({ ip, user }) as the rate limiters' limits per minute, and without the
 * OAuth Durable Object binding when `guard` is false (KV decides single use; the OAuth benchmark's
 * baseline). Returns its path in `work`.
 */
export function writeConfig({ name, work, limits, guard = true }) {
  const full = fs.readFileSync(path.join(root, "wrangler.toml"), "utf8")
    .replace(/\[build\][^\[]*/s, "")
    .replace(/^main = .*$/m, `main = "${path.join(root, "build/index.js")}"`)
    .replace(/(name = "MCP_IP_RATE_LIMITER"[^\n]*\n[^\n]*\nsimple = \{ limit = )\d+/, `$1${limits.ip}`)
    .replace(/(name = "MCP_USER_RATE_LIMITER"[^\n]*\n[^\n]*\nsimple = \{ limit = )\d+/, `$1${limits.user}`);
  const config = guard ? full : full.replace(/\[\[durable_objects\.bindings\]\][^\[]*/s, "");
  const configPath = path.join(work, `${name}.wrangler.toml`);
  fs.writeFileSync(configPath, config);
  return configPath;
}

/**
 * Start the worker built in build/ under wrangler dev, with `vars` as its variables and the config
 * of {@link writeConfig}. Logs and local state go to `work`. Returns { origin, port, logFile,
 * child }; `child` runs in its own process group.
 */
export async function startWorker({ name, work, vars, limits, guard = true }) {
  const configPath = writeConfig({ name, work, limits, guard });
  return wranglerDev({ configPath, logFile: path.join(work, `${name}.log`), state: path.join(work, `${name}-state`), vars });
}

/**
 * Start the same worker in workerd without wrangler dev's proxy worker and without Miniflare's
 * entry worker: Miniflare serves it on a direct socket (`unsafeDirectSockets`), so a request
 * crosses one loopback connection into the worker, as at the edge. With `relay`, a minimal
 * JavaScript worker beside it in the same workerd makes given upstream calls (the benchmark's floor
 * for workerd's own fetch). For the worker benchmark, which runs this and wrangler dev to show
 * what the local set-up adds. `tests/e2e/direct-worker.mjs` runs in its own process group (as
 * wrangler does), so the benchmark's client shares its process with nothing.
 * Returns { origin, relayOrigin, port, logFile, child }.
 */
export async function startWorkerDirect({ name, work, vars, limits, relay = false, inspectorPort = 0 }) {
  const config = writeConfig({ name, work, limits });
  const port = await freePort();
  const relayPort = relay ? await freePort() : 0;
  const logFile = path.join(work, `${name}.log`);
  const log = fs.openSync(logFile, "w");
  const options = { config, port, relayPort, state: path.join(work, `${name}-state`), vars, inspectorPort };
  const child = spawn(process.execPath, [path.join(root, "tests/e2e/direct-worker.mjs"), JSON.stringify(options)], {
    cwd: root, detached: true, stdio: ["ignore", log, log],
  });
  const origin = `http://127.0.0.1:${port}`;
  await answering(child, `${origin}/health`, logFile);
  return { origin, relayOrigin: relay ? `http://127.0.0.1:${relayPort}` : undefined, port, logFile, child };
}

/**
 * Run `wrangler dev` with the config at `configPath` on a free loopback port, its output in
 * `logFile` and local state in `state`, and wait until it answers. Returns { origin, port,
 * logFile, child }; `child` runs in its own process group. Also starts the soak's control worker.
 */
export async function wranglerDev({ configPath, logFile, state, vars = {} }) {
  const port = await freePort();
  const log = fs.openSync(logFile, "w");
  const args = ["wrangler", "dev", "-c", configPath, "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state,
    "--show-interactive-dev-session=false", ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`])];
  const child = spawn("npx", args, {
    cwd: root, detached: true, stdio: ["ignore", log, log],
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
  });
  const origin = `http://127.0.0.1:${port}`;
  await answering(child, `${origin}/`, logFile);
  return { origin, port, logFile, child };
}
