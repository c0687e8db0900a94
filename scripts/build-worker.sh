#!/bin/sh
# Build the worker (wasm + JS shim into build/) with tools installed from the package registries.
# worker-build would otherwise download wasm-bindgen and wasm-opt from the internet; we point it at
# the wasm-bindgen-cli installed by scripts/setup.sh and at wasm-opt from the npm `binaryen` package.
set -eu
cd "$(dirname "$0")/.."
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-node_modules/.bin/wasm-opt}"
if [ -z "${ESBUILD_BIN:-}" ] && [ -x node_modules/@esbuild/linux-x64/bin/esbuild ]; then
  export ESBUILD_BIN=node_modules/@esbuild/linux-x64/bin/esbuild
fi
worker-build --release "$@"
# worker-build keeps the wasm name section (about 170 KB raw, 45 KB gzipped) so that a panic's JS
# stack shows function names. We drop it: a panic still logs its message with file and line
# (console_error_panic_hook), and a smaller module starts faster on every cold isolate. Same
# feature list as worker-build's own wasm-opt step, no optimisation passes. KEEP_NAMES=1 keeps
# it, for a CPU profile of the worker in workerd (`make profile-worker`).
[ "${KEEP_NAMES:-}" = 1 ] && exit 0
wasm=build/index_bg.wasm
"$WASM_OPT_BIN" "$wasm" --strip-debug --strip-producers \
  --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling \
  -o "$wasm.stripped"
mv "$wasm.stripped" "$wasm"
