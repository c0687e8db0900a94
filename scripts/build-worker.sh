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
exec worker-build --release "$@"
