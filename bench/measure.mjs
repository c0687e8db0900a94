// Measures the figures the README states: the worker's wasm size (raw and gzipped, after
// `npm run build`) and the size of the tools/list answer in tokens (o200k and cl100k encodings).
// Run with `make bench`. Prints a Markdown table.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import zlib from "node:zlib";
import { encode as o200k } from "gpt-tokenizer/encoding/o200k_base";
import { encode as cl100k } from "gpt-tokenizer/encoding/cl100k_base";

execFileSync("npm", ["run", "build"], { stdio: "ignore" });
const wasm = fs.readFileSync("build/index_bg.wasm");
const js = fs.readFileSync("build/index.js");
const gz = (b) => zlib.gzipSync(b, { level: 9 }).length;
const toolsList = execFileSync("cargo", ["run", "--quiet", "--example", "tools_list", "2025-11-25"], { encoding: "utf8" }).trim();
const tools = JSON.parse(toolsList).tools;
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log("| measure | value |\n|---|---|");
console.log(`| worker wasm | ${kib(wasm.length)} raw, ${kib(gz(wasm))} gzipped |`);
console.log(`| worker JS shim | ${kib(js.length)} raw, ${kib(gz(js))} gzipped |`);
console.log(`| tools/list (${tools.length} tools, all skills) | ${o200k(toolsList).length} tokens o200k, ${cl100k(toolsList).length} tokens cl100k, ${toolsList.length} bytes |`);
for (const t of tools) console.log(`| · ${t.name} | ${o200k(JSON.stringify(t)).length} tokens |`);
