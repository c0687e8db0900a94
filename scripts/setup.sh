#!/usr/bin/env bash
# Install everything the local server and the tests need. Safe to re-run: each step checks first
# and is skipped when already done, so a second run takes about a second.
#   scripts/setup.sh          toolchain + npm packages (enough for `make dev`)
#   scripts/setup.sh --test   also the Python test client environment
set -euo pipefail
cd "$(dirname "$0")/.."
WORKER_BUILD_VERSION=0.8.7
# wasm-bindgen-cli must equal the wasm-bindgen library in Cargo.lock, or worker-build fails.
WASM_BINDGEN_VERSION=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
say() { echo "setup: $*" >&2; }
# A fingerprint of the files that exist among the arguments.
fingerprint() { for f in "$@"; do if [ -f "$f" ]; then cat "$f"; fi; done | sha256sum | cut -d' ' -f1; }

export PATH="$HOME/.cargo/bin:$PATH"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown
fi
if [ "$(worker-build --version 2>/dev/null || true)" != "$WORKER_BUILD_VERSION" ]; then
  say "installing worker-build $WORKER_BUILD_VERSION (a few minutes, once)"
  cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked
fi
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  # Not --locked: its lockfile pins a crate version the registry does not serve.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# npm packages: wrangler (with workerd), Node 22 for wrangler, wasm-opt, MCP SDK and test tools.
# `npm ci`: exactly the lockfile (which lists every platform's optional builds), never rewriting it,
# so set-up leaves a fresh clone clean.
stamp=node_modules/.setup-stamp
want=$(fingerprint package.json package-lock.json)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  want=$(fingerprint package.json package-lock.json)
  echo "$want" > "$stamp"
fi

if [ "${1:-}" = "--test" ]; then
  # Headless Chromium for the OAuth consent tests: Debian's package, never a browser download.
  if [ ! -x /usr/bin/chromium ]; then
    say "installing chromium from the Debian packages (once)"
    sudo=""; if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
  venv=.venv
  req=tests/python/requirements.txt
  pstamp=$venv/.setup-stamp
  pwant=$(fingerprint "$req")
  if [ ! -f "$pstamp" ] || [ "$(cat "$pstamp")" != "$pwant" ]; then
    say "creating the Python test environment"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    echo "$pwant" > "$pstamp"
  fi
fi
