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

/**
 * Start the worker built in build/ under wrangler dev, with `vars` as its variables and
 * `limits` ({ ip, user }) as its rate limiters' limits per minute. Logs and local state go to
 * `work`. With `guard: false` the OAuth Durable Object binding is left out (KV decides single use;
 * the benchmark's baseline). Returns { origin, port, logFile, child }; `child` runs in its own
 * process group.
 */
export async function startWorker({ name, work, vars, limits, guard = true }) {
  // A config without [build] (the worker was built before), pointing at build/, with these limits.
  const full = fs.readFileSync(path.join(root, "wrangler.toml"), "utf8")
    .replace(/\[build\][^\[]*/s, "")
    .replace(/^main = .*$/m, `main = "${path.join(root, "build/index.js")}"`)
    .replace(/(name = "MCP_IP_RATE_LIMITER"[^\n]*\n[^\n]*\nsimple = \{ limit = )\d+/, `$1${limits.ip}`)
    .replace(/(name = "MCP_USER_RATE_LIMITER"[^\n]*\n[^\n]*\nsimple = \{ limit = )\d+/, `$1${limits.user}`);
  const config = guard ? full : full.replace(/\[\[durable_objects\.bindings\]\][^\[]*/s, "");
  const configPath = path.join(work, `${name}.wrangler.toml`);
  fs.writeFileSync(configPath, config);
  return wranglerDev({ configPath, logFile: path.join(work, `${name}.log`), state: path.join(work, `${name}-state`), vars });
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
  try {
    await waitFor(`${origin}/`, 90_000);
  } catch (e) {
    console.error(fs.readFileSync(logFile, "utf8"));
    try { process.kill(-child.pid, "SIGTERM"); } catch {}
    throw e;
  }
  return { origin, port, logFile, child };
}
