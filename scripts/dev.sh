#!/usr/bin/env bash
# Run the worker locally in workerd on http://127.0.0.1:8787/mcp (wrangler dev, local KV).
# Configuration comes from wrangler.toml [vars] and, for your own settings, a .dev.vars file.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false
# First run: a local .dev.vars (git-ignored) with a random COOKIE_SECRET. Remote OAuth also needs
# SENTRY_CLIENT_ID and SENTRY_CLIENT_SECRET of a Sentry OAuth app (see README); without them the
# OAuth routes say so and Sentry-Bearer access works.
if [ ! -f .dev.vars ]; then
  secret=$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))')
  printf '%s\n' "# Local settings for make dev (not committed)." "COOKIE_SECRET=$secret" \
    "# SENTRY_CLIENT_ID=..." "# SENTRY_CLIENT_SECRET=..." > .dev.vars
  echo "dev: created .dev.vars with a random COOKIE_SECRET" >&2
fi
# Answer only to loopback names, so a web page cannot reach this server through DNS rebinding.
exec wrangler dev --ip 127.0.0.1 --port "${PORT:-8787}" --var "MCP_ALLOWED_HOSTS:localhost,127.0.0.1,[::1]" "$@"
