#!/usr/bin/env bash
# Run the worker locally in workerd on http://127.0.0.1:8787/mcp (wrangler dev, local KV).
# Configuration comes from wrangler.toml [vars] and, for your own settings, a .dev.vars file.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false
# Answer only to loopback names, so a web page cannot reach this server through DNS rebinding.
exec wrangler dev --ip 127.0.0.1 --port "${PORT:-8787}" --var "MCP_ALLOWED_HOSTS:localhost,127.0.0.1,[::1]" "$@"
