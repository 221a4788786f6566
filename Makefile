# AutoShares SDK: every step a newcomer or CI needs, from a clean clone.
#   make demo   builds what it needs, starts the sandbox in-process and runs the quickstart
#   make test   every test suite (and the lints that keep main clean)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
# Tests must never pick up a developer's real AutoShares settings.
UNSET_ENV := env -u AUTOSHARES_ENV -u AUTOSHARES_BASE_URL -u AUTOSHARES_APP_KEY -u AUTOSHARES_USERNAME \
	-u AUTOSHARES_PASSWORD -u AUTOSHARES_PIN -u AUTOSHARES_TOKEN_FILE -u AUTOSHARES_ALLOW_LIVE

.PHONY: help demo demo-rust test lint test-rust sandbox doc clean generate generate-node check-generated conformance

help:
	@echo "make demo     run the quickstart against an in-process sandbox"
	@echo "make test     lints and every test suite"
	@echo "make lint     cargo fmt --check and clippy -D warnings"
	@echo "make sandbox  run the local sandbox on http://127.0.0.1:8080"
	@echo "make doc      build the API documentation"
	@echo "make generate regenerate core's REST surface from the vendor spec (scripts/gen_api.py), then the Node wrappers"
	@echo "make generate-node  regenerate the Node wrappers from core/api.json (scripts/gen_node.py)"
	@echo "make conformance  the SDK against Prism and the sandbox against schemathesis (vendor spec)"
	@echo "make test-node / demo-node   the Node package's tests (node --test, tsc) / quickstart"

demo: demo-rust demo-node

demo-rust:
	$(CARGO) run --quiet -p autoshares-examples --bin quickstart

test: lint check-generated test-rust test-node conformance

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-rust:
	$(UNSET_ENV) $(CARGO) test --workspace

generate:
	python3 scripts/gen_api.py
	python3 scripts/gen_node.py

# The Node binding's wrappers, from core/api.json (no vendor spec needed).
generate-node:
	python3 scripts/gen_node.py

# The generated REST surface must match the vendor spec and the generator (skipped without ../shared).
check-generated:
	python3 scripts/gen_api.py --check
	python3 scripts/gen_node.py --check

conformance:
	$(UNSET_ENV) bash tests/conformance/run.sh

sandbox:
	$(CARGO) run --quiet -p autoshares-sandbox -- --port 8080

doc:
	$(CARGO) doc --workspace --no-deps

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
