#!/usr/bin/env bash
# Instructions per request of the worker's own work, counted by callgrind on the native core
# (src/http/request_profile.rs: the same http::handle path the Worker runs, against canned Sentry
# answers). Instruction counts do not depend on how busy the machine is, unlike timings.
#
#   scripts/profile-requests.sh                  every request kind, 10 requests each
#   scripts/profile-requests.sh search_issues    one kind (ping, tools/list, get_issue_details,
#                                                search_issues, search_events)
#   ANNOTATE=1 scripts/profile-requests.sh ping  also the costliest functions (inclusive)
#   PROFILE_ITERATIONS=50 ...                    more requests per kind
#
# Needs valgrind. Builds with the `profiling` profile (release code, no LTO, line tables); the
# worker's wasm is built with LTO, so absolute figures differ a little, the proportions do not.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(ping tools/list get_issue_details search_issues search_events)
n=${PROFILE_ITERATIONS:-10}
bin=$(cargo test --profile profiling --lib --no-run --message-format=json 2>/dev/null \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const l of s.split("\n")){try{const m=JSON.parse(l);if(m.executable&&m.profile.test&&m.target.name==="sentry_mcp")console.log(m.executable)}catch{}}})')
[ -n "$bin" ] || { echo "building the profile failed: cargo test --profile profiling --lib --no-run" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%-20s %14s  %s\n' "request" "instructions" "(per request, the server's own work)"
for kind in "${kinds[@]}"; do
  file="$out/${kind//\//_}.out"
  PROFILE_REQUEST=$kind PROFILE_ITERATIONS=$n valgrind --tool=callgrind --callgrind-out-file="$file" \
    --toggle-collect='*request_profile::measured*' "$bin" --exact http::request_profile::request_profile \
    --ignored --test-threads=1 >"$out/log" 2>&1 || { cat "$out/log" >&2; exit 1; }
  total=$(grep -m1 '^totals:' "$file" | awk '{print $2}')
  printf '%-20s %14s\n' "$kind" "$(node -e 'console.log(Math.round(process.argv[1]/process.argv[2]).toLocaleString("en-US"))' "$total" "$n")"
  if [ -n "${ANNOTATE:-}" ]; then
    callgrind_annotate --inclusive=yes "$file" 2>/dev/null | sed -n '/^Ir/,$p' | head -45 | cut -c1-180
  fi
done
