# AutoShares SDK: every step a newcomer or CI needs, from a clean clone.
#   make demo   builds what it needs, starts the sandbox in-process and runs the quickstart
#   make test   every test suite (and the lints that keep main clean)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
# Tests must never pick up a developer's real AutoShares settings.
UNSET_ENV := env -u AUTOSHARES_ENV -u AUTOSHARES_BASE_URL -u AUTOSHARES_APP_KEY -u AUTOSHARES_USERNAME \
	-u AUTOSHARES_PASSWORD -u AUTOSHARES_PIN -u AUTOSHARES_TOKEN_FILE -u AUTOSHARES_ORDER_JOURNAL -u AUTOSHARES_ALLOW_LIVE

.PHONY: help demo demo-rust test lint test-rust test-cli tmux sandbox doc clean generate generate-node generate-python check-generated conformance bench fuzz soak
.PHONY: python-env python-build test-python demo-python

help:
	@echo "make demo     run the quickstart against an in-process sandbox"
	@echo "make test     lints and every test suite"
	@echo "make lint     cargo fmt --check and clippy -D warnings"
	@echo "make sandbox  run the local sandbox on http://127.0.0.1:8080"
	@echo "make doc      build the API documentation"
	@echo "make bench    every benchmark (Rust, Python, Node against hand-written clients in one run): docs/PERFORMANCE.md"
	@echo "make bench-check  rerun the benchmarks; fail when a ratio is more than 25% worse than docs/performance.json"
	@echo "make soak     mixed traffic under every fault at once from Rust, Python and Node (5 minutes), then the client's view vs the sandbox's"
	@echo "make fuzz     the property-based fuzz targets, 1,000,000 cases each (make test runs 3,000)"
	@echo "make generate regenerate core's REST surface from the vendor spec (scripts/gen_api.py), then the Node and Python wrappers"
	@echo "make generate-node  regenerate the Node wrappers from core/api.json (scripts/gen_node.py)"
	@echo "make generate-python  regenerate the Python wrappers, models and stubs from core/api.json (scripts/gen_python.py)"
	@echo "make conformance  the SDK against Prism and the sandbox against schemathesis (vendor spec)"
	@echo "make test-node / demo-node   the Node package's tests (node --test, tsc) / quickstart"
	@echo "make test-python / demo-python   the Python package alone (builds it into .venv)"
	@echo "make test-cli the autoshares MCP server through the official MCP Python client (the CLI's Rust tests run in test-rust)"

demo: demo-rust demo-node demo-python

demo-rust:
	$(CARGO) run --quiet -p autoshares-examples --bin quickstart
	$(CARGO) run --quiet -p autoshares-examples --bin stream_quotes

test: lint check-generated test-rust test-node test-python conformance test-cli

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-rust: tmux
	$(UNSET_ENV) $(CARGO) test --workspace

# The CLI's `stream` test drives a real terminal through tmux; CI machines are clean Debian, as root.
tmux:
	@command -v tmux >/dev/null || { [ "$$(id -u)" = 0 ] && { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; } \
		|| echo "tmux is missing and cannot be installed here: the CLI stream test will be skipped"; }

generate:
	python3 scripts/gen_api.py
	python3 scripts/gen_node.py
	python3 scripts/gen_python.py

# The Node binding's wrappers, from core/api.json (no vendor spec needed).
generate-node:
	python3 scripts/gen_node.py

# The Python binding's wrappers, models and stubs, from core/api.json (no vendor spec needed).
generate-python:
	python3 scripts/gen_python.py

# The generated REST surface must match the vendor spec and the generators (skipped without ../shared).
check-generated:
	python3 scripts/gen_api.py --check
	python3 scripts/gen_node.py --check
	python3 scripts/gen_python.py --check

conformance:
	$(UNSET_ENV) bash tests/conformance/run.sh

sandbox:
	$(CARGO) run --quiet -p autoshares-sandbox -- --port 8080

doc:
	$(CARGO) doc --workspace --no-deps

# A bounded soak under every fault at once, from Rust, Python and Node in turn (SOAK_SECONDS each, 100 by default:
# about five minutes); the last line adds up their `soak:` summaries.
SOAK_SECONDS ?= 100
soak: python-build node-build
	$(CARGO) build --release -q -p autoshares-soak
	$(UNSET_ENV) SOAK_SECONDS=$(SOAK_SECONDS) VENV_PY=$(VENV_PY) bash tests/soak/run.sh

FUZZ_CASES ?= 1000000
fuzz:
	$(UNSET_ENV) AUTOSHARES_FUZZ_CASES=$(FUZZ_CASES) $(CARGO) test --release -p autoshares --test fuzz -- --nocapture

clean:
	$(CARGO) clean
	rm -rf $(NODE_DIR)/node_modules $(NODE_DIR)/*.node $(NODE_DIR)/index.js $(NODE_DIR)/index.d.ts

# ---- Node package (bindings-node) ----------------------------------------------------------------------------
# Build Node before Python: the napi CLI always builds with `--target <host>` (target/<host>/release), and the
# Python wheel reuses that tree when built with CARGO_BUILD_TARGET=<host>.
NPM ?= npm
NODE ?= node
NODE_DIR := bindings-node

.PHONY: node-deps node-build test-node typecheck-node demo-node

node-deps:
	cd $(NODE_DIR) && $(NPM) ci --no-audit --no-fund

node-build: node-deps
	cd $(NODE_DIR) && $(NPM) run build

test-node: node-build typecheck-node
	cd $(NODE_DIR) && $(UNSET_ENV) $(NODE) --test __test__/

typecheck-node: node-build
	cd $(NODE_DIR) && $(NPM) run typecheck

demo-node: node-build
	$(UNSET_ENV) $(NODE) examples/node/quickstart.mjs
	$(UNSET_ENV) $(NODE) examples/node/stream.mjs

# ---- Python package (bindings-python, module autoshares._native) ----------------------------------------------
# A venv at .venv with the tools, the package built by pip through maturin (the PEP 517 backend) as a user would,
# then ruff, stubtest, mypy --strict over the examples and pytest against the in-process sandbox.
# CARGO_BUILD_TARGET makes the release build share target/<host>/release with the Node build (TOOLCHAIN pitfall 11);
# PYO3_BUILD_EXTENSION_MODULE must not leak into cargo test (pitfall 2; maturin sets it itself).
PYTHON ?= python3
VENV := .venv
VENV_PY := $(VENV)/bin/python
PY_TOOLS := maturin pytest pytest-asyncio mypy ruff nbclient nbformat ipykernel pyarrow pandas polars mcp ta
HOST_TARGET := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
RUFF := $(VENV_PY) -m ruff --config bindings-python/pyproject.toml
PY_SOURCES := bindings-python/python bindings-python/tests examples/python tests/soak tests/mcp benches/python

# The stamp is named after the tool list, so a venv made before a tool joined PY_TOOLS gets it on the next run.
TOOLS_STAMP := $(VENV)/.tools-$(shell echo '$(PY_TOOLS)' | cksum | cut -d' ' -f1)

python-env: $(TOOLS_STAMP)

$(TOOLS_STAMP):
	test -x $(VENV_PY) || $(PYTHON) -m venv $(VENV)
	$(VENV_PY) -m pip install --quiet $(PY_TOOLS)
	touch $@

PY_PACKAGE_INPUTS := $(shell find core/src sandbox/src bindings-python/src bindings-python/python -type f 2>/dev/null) \
	Cargo.toml Cargo.lock core/Cargo.toml sandbox/Cargo.toml bindings-python/Cargo.toml bindings-python/pyproject.toml

python-build: $(VENV)/.autoshares-installed

# Reinstalled only when a source changed, so `make test` then `make demo` builds once.
$(VENV)/.autoshares-installed: $(TOOLS_STAMP) $(PY_PACKAGE_INPUTS)
	env -u PYO3_BUILD_EXTENSION_MODULE CARGO_BUILD_TARGET=$(HOST_TARGET) \
		$(VENV_PY) -m pip install --quiet --force-reinstall --no-deps ./bindings-python
	touch $@

test-python: python-build
	$(RUFF) check $(PY_SOURCES)
	$(RUFF) format --check $(PY_SOURCES)
	$(VENV_PY) -m mypy.stubtest autoshares._native
	$(VENV_PY) -m mypy --strict examples/python
	$(UNSET_ENV) AUTOSHARES_TEST_EXTRAS=required $(VENV_PY) -m pytest bindings-python/tests
	for i in 1 2 3 4 5; do $(VENV_PY) -X importtime -c 'import autoshares' 2>&1 | tail -1 | cut -d'|' -f2; done \
		| sort -n | head -1 | awk '{ printf "import autoshares: %.1f ms (best of 5, -X importtime)\n", $$1 / 1000 }'

# The `autoshares mcp` server through a client no one here wrote: the official MCP Python SDK (`mcp`, in .venv); defined
# after VENV, which its prerequisite names.
test-cli: $(TOOLS_STAMP)
	$(CARGO) build -q -p autoshares-cli
	$(UNSET_ENV) AUTOSHARES_BIN=target/debug/autoshares $(VENV_PY) -m pytest -q -p no:asyncio tests/mcp

demo-python: python-build
	$(UNSET_ENV) $(VENV_PY) examples/python/quickstart.py
	$(UNSET_ENV) $(VENV_PY) examples/python/quickstart_async.py

# ---- benchmarks (never part of `make test`) -------------------------------------------------------------------
# `make bench`: every client against the same sandbox process in one run (benches/run.py), ratios and target status
# into docs/PERFORMANCE.md and docs/performance.json; `make bench-check` reruns it and fails when a ratio is more than
# 25% worse than recorded. The release binaries share target/<host>/release with the Node and Python builds.
BENCH_PY_REQS := aiohttp httpx requests uvloop websockets orjson
BENCH_BIN_DIR := target/$(HOST_TARGET)/release
BENCH_RUN := $(UNSET_ENV) BENCH_BIN_DIR=$(BENCH_BIN_DIR) python3 benches/run.py

.PHONY: bench-deps bench-build bench-check

bench-deps: python-build node-build $(VENV)/.bench-installed benches/node/node_modules/.package-lock.json
	@command -v wrk >/dev/null || command -v $(CURDIR)/target/tools/bin/oha >/dev/null || \
		{ if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; \
		  else $(CARGO) install oha --locked --root target/tools; fi; }

$(VENV)/.bench-installed: $(TOOLS_STAMP)
	$(VENV_PY) -m pip install --quiet $(BENCH_PY_REQS)
	touch $@

benches/node/node_modules/.package-lock.json: benches/node/package.json benches/node/package-lock.json
	cd benches/node && $(NPM) ci --no-audit --no-fund

bench-build:
	$(CARGO) build --release -q --target $(HOST_TARGET) -p autoshares-sandbox -p autoshares-benches --bins

bench: bench-deps bench-build
	$(BENCH_RUN) --out target/bench/results.json
	$(UNSET_ENV) $(CARGO) bench -q --target $(HOST_TARGET) -p autoshares-benches --bench stream_decode -- --warm-up-time 2 --measurement-time 5
	python3 scripts/perf_table.py target/bench/results.json --notes docs/performance-notes.md

bench-check: bench-deps bench-build
	$(BENCH_RUN) --out target/bench/check.json
	python3 scripts/perf_table.py --check target/bench/check.json
