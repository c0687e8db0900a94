#!/usr/bin/env bash
# The whole test suite: set-up (no-op when done), formatting and lints, native unit tests (with
# the tidy tests that keep the house in order), the worker build, the stdio binary, the end-to-end
# suites against the worker in workerd and the binary over stdio (see tests/e2e/run.mjs), and a
# check that neither README command changed a tracked file.
set -euo pipefail
cd "$(dirname "$0")/.."
# What git tracks, as it is before we start: both README commands must leave it unchanged.
tracked_before=""
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  tracked_before=$(git status --porcelain --untracked-files=no)
fi
scripts/setup.sh --test
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"   # node_modules/.bin brings Node 22 for wrangler
export CI="${CI:-true}" WRANGLER_SEND_METRICS=false
echo "=== cargo fmt --check, clippy -D warnings (native and wasm32)"
cargo fmt --check || { echo "run 'cargo fmt' and commit the result" >&2; exit 1; }
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --target wasm32-unknown-unknown --lib -- -D warnings
echo "=== cargo test (native core and tidy tests)"
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
echo "=== make dev starts the worker (then stops it)"
scripts/dev-smoke.sh
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  tracked_after=$(git status --porcelain --untracked-files=no)
  if [ "$tracked_after" != "$tracked_before" ]; then
    echo "The README commands changed tracked files (a fresh clone must stay clean):" >&2
    diff <(echo "$tracked_before") <(echo "$tracked_after") >&2 || true
    exit 1
  fi
  echo "tracked files unchanged by set-up, build, tests and make dev"
fi
