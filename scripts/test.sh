#!/usr/bin/env bash
# The whole test suite: set-up (no-op when done), native unit tests, the worker build, the stdio
# binary, then the end-to-end suites against the worker in workerd and the binary over stdio
# (see tests/e2e/run.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"   # node_modules/.bin brings Node 22 for wrangler
export CI="${CI:-true}" WRANGLER_SEND_METRICS=false
echo "=== cargo test (native core)"
cargo test --quiet
echo "=== build the stdio binary (debug: it reuses the test build; make bench-stdio measures release)"
cargo build --quiet --bin sentry-mcp
echo "=== build the worker"
build_log=$(mktemp)
npm run build >"$build_log" 2>&1 || { cat "$build_log"; exit 1; }
echo "=== wrangler deploy --dry-run (the bundle deploys unchanged)"
dry_out=$(mktemp -d)
wrangler deploy --dry-run --outdir "$dry_out" >"$build_log" 2>&1 || { cat "$build_log"; exit 1; }
grep -E "Total Upload|dry-run" "$build_log" || true
echo "=== end-to-end"
node tests/e2e/run.mjs "$@"
