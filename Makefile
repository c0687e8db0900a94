# The two commands a newcomer needs. Both install what they need first and are no-ops when done.
.PHONY: dev test build bench bench-stdio bench-worker bench-answers bench-oauth soak bench-agent profile profile-worker

dev:   ## run the worker locally on http://127.0.0.1:8787/mcp
	@scripts/dev.sh

test:  ## run every test (unit, end-to-end with real MCP clients, conformance)
	@scripts/test.sh

build: ## build the worker into build/
	@scripts/setup.sh && PATH="$$PWD/node_modules/.bin:$$PATH" npm run build

bench: ## measure wasm size and tools/list tokens
	@scripts/setup.sh && PATH="$$PWD/node_modules/.bin:$$PATH" node bench/measure.mjs

bench-stdio: ## compare the stdio binary with the official npm package: start-up, memory, latency
	@scripts/setup.sh && PATH="$$HOME/.cargo/bin:$$PWD/node_modules/.bin:$$PATH" cargo build --release --quiet --bin sentry-mcp \
		&& PATH="$$PWD/node_modules/.bin:$$PATH" node bench/stdio.mjs

bench-worker: ## the worker in workerd: per-request cost against its upstream calls, throughput
	@scripts/setup.sh && PATH="$$HOME/.cargo/bin:$$PWD/node_modules/.bin:$$PATH" npm run build >/dev/null \
		&& PATH="$$PWD/node_modules/.bin:$$PATH" node bench/worker.mjs

bench-answers: ## compare get_issue_details answer sizes (cl100k tokens) with the official npm package on every emulator category
	@scripts/setup.sh && PATH="$$HOME/.cargo/bin:$$PWD/node_modules/.bin:$$PATH" cargo build --release --quiet --bin sentry-mcp \
		&& PATH="$$PWD/node_modules/.bin:$$PATH" node bench/answers.mjs

bench-oauth: ## the OAuth Durable Object against KV alone: token endpoint and authenticated /mcp latency
	@scripts/setup.sh && PATH="$$HOME/.cargo/bin:$$PWD/node_modules/.bin:$$PATH" npm run build >/dev/null \
		&& PATH="$$PWD/node_modules/.bin:$$PATH" node bench/oauth.mjs

soak: ## a bounded soak of the worker in workerd: thousands of mixed good and malformed requests from concurrent clients; fails on any 5xx, crash or growing memory
	@scripts/setup.sh && PATH="$$HOME/.cargo/bin:$$PWD/node_modules/.bin:$$PATH" npm run build >/dev/null \
		&& PATH="$$PWD/node_modules/.bin:$$PATH" node bench/soak.mjs

bench-agent: ## embedded agent: valid queries on the first try, added latency, tokens (EMBEDDED_AGENT_PROVIDER and its key from the environment; else the model emulator)
	@PATH="$$HOME/.cargo/bin:$$PATH" cargo build --quiet --bin sentry-mcp && node bench/agent.mjs

profile: ## instructions per request of the worker's own work (callgrind on the native core; not timed, so a busy machine does not matter)
	@PATH="$$HOME/.cargo/bin:$$PATH" scripts/profile-requests.sh

profile-worker: ## where the worker's time goes in workerd: V8's CPU profiler over REQUEST (default get_issue_details), wasm built with function names
	@scripts/setup.sh && KEEP_NAMES=1 PATH="$$HOME/.cargo/bin:$$PWD/node_modules/.bin:$$PATH" npm run build >/dev/null \
		&& PATH="$$PWD/node_modules/.bin:$$PATH" node bench/worker-profile.mjs $(REQUEST)
