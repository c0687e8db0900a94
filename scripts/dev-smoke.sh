#!/usr/bin/env bash
# Start the README's local server command (scripts/dev.sh, what `make dev` runs) on a free loopback
# port, wait until /health answers, then stop it: proof that the command works from this checkout.
# Bounded: gives up after 180 seconds. Stops only the process group it started.
set -euo pipefail
cd "$(dirname "$0")/.."
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
log=$(mktemp)
setsid env PORT="$port" scripts/dev.sh >"$log" 2>&1 &
pid=$!
stop() { kill -- "-$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap stop EXIT
for _ in $(seq 1 180); do
  if body=$(node -e 'fetch(process.argv[1]).then(async (r) => { if (!r.ok) process.exit(1); console.log(await r.text()); }).catch(() => process.exit(1))' "http://127.0.0.1:$port/health"); then
    echo "make dev: /health on port $port answered $body"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 1
done
echo "make dev did not answer /health within 180 s; its output:" >&2
cat "$log" >&2
exit 1
