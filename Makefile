# Two commands do everything on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := run.py
export PYTHONPATH := $(CURDIR)
HOST ?= 127.0.0.1
PORT ?= 5000
TRADE_PORT ?= 5001
DEMO_PASSWORD ?= Demo@2026

.PHONY: run dev test venv install install-test system-deps translations migrate demo test-sqlite test-postgres test-redis test-browser bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

venv: $(BIN)/python

install: venv
	$(BIN)/pip install -q -r requirements.txt
	$(MAKE) -s translations

install-test: venv system-deps
	$(BIN)/pip install -q -r requirements-test.txt
	$(MAKE) -s translations

# Debian packages the platform and its tests need; installed only when running as root.
system-deps:
	@bash scripts/system-deps.sh

translations: venv
	$(BIN)/python scripts/i18n.py build

migrate: install
	$(BIN)/flask db upgrade
	$(BIN)/flask security sync >/dev/null
	$(BIN)/flask codes load

# gunicorn + one queue consumer + the trading-system simulator, as in production.
run: migrate
	@bash scripts/run.sh serve $(HOST) $(PORT) $(TRADE_PORT) "$(DEMO_PASSWORD)"

# The same with the Flask development server instead of gunicorn.
dev: migrate
	@bash scripts/run.sh dev $(HOST) $(PORT) $(TRADE_PORT) "$(DEMO_PASSWORD)"

test: install-test
	bash scripts/test-all.sh

test-sqlite: install-test
	$(BIN)/python -m pytest -q -m "not browser" tests

test-postgres: install-test
	bash scripts/test-postgres.sh

test-redis: install-test
	bash scripts/test-redis.sh

test-browser: install-test
	$(BIN)/python -m pytest -q -m browser tests

bench: install-test
	$(BIN)/pip install -q -r requirements-bench.txt
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf instance test-artifacts .pytest_cache
