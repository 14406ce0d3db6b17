# smslinks: `make run` starts the app with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export REFLEX_CHECK_LATEST_VERSION := false
export REFLEX_TELEMETRY_ENABLED := false
# bun goes into .tools when the machine has none (see the bun target).
export PATH := $(CURDIR)/.tools/node/node_modules/.bin:$(PATH)

.PHONY: run test lint setup browsers segment-calculator unit integration e2e bench clean

run: setup
	$(BIN)/smslinks dev

# Byte-compiled first: where PYTHONDONTWRITEBYTECODE is set (as on this project's machines) Python
# keeps no .pyc of its own, and every process the tests start (apps, workers, CLI runs) would compile
# each module it imports again (about 6 s of CPU for the app alone).
test: lint browsers segment-calculator
	$(BIN)/python -m compileall -q smslinks tests bench
	$(BIN)/python -m pytest tests --durations=30

# ruff (lint rules, formatting), mypy (the modules pyproject.toml lists) and import-linter (the
# layers' contracts in pyproject.toml); CI runs this before the tests.
LINTED := smslinks tests bench alembic rxconfig.py
lint: setup
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: setup segment-calculator
	$(BIN)/python -m pytest tests/unit

integration: setup
	$(BIN)/python -m pytest tests/integration

e2e: setup browsers
	$(BIN)/python -m pytest tests/e2e

# `make bench BENCH=pay_page ARGS="--runs 3"` runs one benchmark (bench/<BENCH>) with the PATH it needs:
# Reflex finds bun in .tools (it cannot download its own offline). Without BENCH, lists them.
BENCHES := $(sort $(basename $(notdir $(shell grep -l __main__ bench/*.py))) $(notdir $(patsubst %/__main__.py,%,$(wildcard bench/*/__main__.py))))
bench: setup
	@if [ -z "$(BENCH)" ]; then echo "make bench BENCH=<name> [ARGS=...]; benchmarks: $(BENCHES)"; \
	else $(BIN)/python -m bench.$(BENCH) $(ARGS); fi

setup: $(VENV)/.synced bun

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

# Reflex's own bun download needs the internet; bun is published on npm.
.PHONY: bun
bun:
	@command -v bun >/dev/null || npm install --silent --prefix .tools/node bun@1.4.4

# Twilio's SMS segment calculator, the reference tests/unit/test_twilio_calculator.py holds
# sms_text.segment_info to; grapheme-splitter (its dependency) is pinned too, as the test reads its table.
SEGMENT_CALCULATOR := 1.3.0
segment-calculator:
	@grep -qs '"version": "$(SEGMENT_CALCULATOR)"' .tools/node/node_modules/sms-segments-calculator/package.json \
		|| npm install --silent --save-exact --prefix .tools/node sms-segments-calculator@$(SEGMENT_CALCULATOR) grapheme-splitter@1.0.4

# Playwright cannot download browsers offline; Debian's Chromium is used instead.
browsers:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

clean:
	rm -rf .web .states smslinks.db .tools $(VENV)
