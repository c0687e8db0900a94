// The official conformance suite's authorization-server scenarios against the worker:
// `authorization-server-metadata-endpoint` and `authorization-code-grant`. The second prints an
// authorization URL and waits for the redirect to its own loopback callback server; headless
// Chromium opens that URL, approves our consent page and the Sentry emulator's page, and the
// redirect lands on the suite's listener. Exit code 0 only if every check passed.
import { spawn } from "node:child_process";
import net from "node:net";
import { browserApprove, launchChromium, register } from "./oauth-helpers.mjs";

const ORIGIN = process.env.MCP_ORIGIN;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

const port = await freePort();
const callback = `http://127.0.0.1:${port}/callback`;
const { status, body: client } = await register([callback], { client_name: "MCP conformance suite" });
if (status !== 201) throw new Error(`registration failed: ${JSON.stringify(client)}`);

const args = ["conformance", "authorization", "--url", ORIGIN, "--client-id", client.client_id, "--port", String(port), "--resource", `${ORIGIN}/mcp`];
if (process.env.OUT_DIR) args.push("-o", process.env.OUT_DIR);
const child = spawn("npx", args, { stdio: ["ignore", "pipe", "inherit"], detached: true });
const timer = setTimeout(() => { console.error("conformance authorization timed out"); try { process.kill(-child.pid, "SIGKILL"); } catch {} }, 180_000);

let output = "";
let driven = false;
const browser = await launchChromium();
const drive = async (url) => {
  try {
    await browserApprove(browser.context, url, { skills: ["inspect"], waitFor: callback });
  } catch (e) {
    console.error(`browser could not complete the flow: ${e.message}`);
  }
};
child.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  output += chunk;
  const m = output.match(/^(http\S+\/oauth\/authorize\?\S+)$/m);
  if (m && !driven) {
    driven = true;
    drive(m[1]);
  }
});
const code = await new Promise((resolve) => child.on("exit", (c) => resolve(c ?? 1)));
clearTimeout(timer);
await browser.close();
if (!driven) console.error("the suite never printed an authorization URL");
const failed = /FAIL|✗/.test(output) && !/0 failed/.test(output);
console.log(`conformance authorization: exit ${code}${failed ? " (failures reported)" : ""}`);
process.exit(code === 0 && driven ? 0 : 1);
