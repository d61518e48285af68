# Two entry points: `make run` (build the graph, then serve it on http://127.0.0.1:8000) and `make test`.
# Both set up .venv from nothing; the stamp file re-installs when pyproject.toml or the npm lock changes.
# Both first check the system packages (scripts/system-packages.sh: Java, Node and npm, Chromium,
# CJK fonts, python3-venv): installed when missing and we are root with apt, otherwise make stops at
# once with the exact `sudo apt-get install ...` to run. Nothing is installed when nothing is missing.
# The browser pages' assets (YASGUI, d3) come from the npm registry with `npm ci` into node_modules;
# without npm the setup warns and goes on (the service runs; its pages say the assets are missing).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: system setup build run test lint format clean

system:
	@PYTHON=$(PYTHON) ./scripts/system-packages.sh

setup: system $(STAMP)

# order-only: the system check runs first, but does not by itself re-install the venv
$(STAMP): pyproject.toml package.json package-lock.json | system
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error \
	    || echo "warning: npm ci failed: the SPARQL editor and the gallery charts will report missing assets"; \
	else \
	  echo "warning: npm not found: the SPARQL editor and the gallery charts will report missing assets (install nodejs and npm, then run make setup again)"; \
	fi
	touch $(STAMP)

build: setup
	$(BIN)/econsec build

run: build
	$(BIN)/econsec stats
	$(BIN)/econsec serve

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2

.PHONY: bench
# Benchmarks (bench/README.md): minutes of load on this machine; never part of `make test`.
bench: build
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.http_overhead
	$(BIN)/python -m bench.analytical
	$(BIN)/python -m bench.bulk_load
	$(BIN)/python -m bench.load

clean:
	rm -rf build .pytest_cache
