# Two commands on a fresh machine: `make run` (demo site) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
HOUSEKEEPING_SECONDS ?= 300

.PHONY: run test test-fast setup setup-dev assets db lint format clean bench

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed

setup: $(VENV)/.runtime assets

setup-dev: $(VENV)/.dev assets

db: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_specs
	$(PY) manage.py seed_demo

run: db
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo
	@$(PY) manage.py demo_signins
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	@# The background worker (whole-centre exports) and the periodic housekeeping (every
	@# HOUSEKEEPING_SECONDS) run beside the site and stop with it.
	DEBUG=true $(PY) manage.py db_worker --no-startup-delay & worker=$$!; \
	( trap 'kill $$pause 2>/dev/null; exit 0' TERM; while true; do \
		DEBUG=true $(PY) manage.py housekeeping; sleep $(HOUSEKEEPING_SECONDS) & pause=$$!; wait $$pause; \
	done ) & housekeeping=$$!; \
	trap 'kill $$worker $$housekeeping 2>/dev/null' EXIT INT TERM; \
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

test: setup-dev
	@bash .ci/install-chromium
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -n 2

# While working: the suite without the slow tests (make test and CI run them all).
test-fast: setup-dev
	$(PY) -m pytest -n 2 -m "not slow"

# Benchmarks print the figures of docs/performance.md. They migrate and seed a scratch
# database made afresh (never the site's); on PostgreSQL:
#   bash .ci/with-postgres sh -c 'make bench BENCH_DATABASE_URL="$DATABASE_URL"'
BENCH_DATABASE_URL ?= sqlite:///$(abspath var)/bench.sqlite3
BENCH_SIZES ?= 200 2000 10000
# The centre dashboard is measured against its own time at the smallest size; pages, export
# and load against this commit in the same run (paired,
# alternating; benchmarks/baseline.py checks it out in a temporary git worktree).
BENCH_BASELINE ?= 480e4b1

bench: setup-dev
	@mkdir -p var
	rm -f var/bench.sqlite3
	export DATABASE_URL='$(BENCH_DATABASE_URL)' SECRET_KEY=benchmark-only-key; \
	$(PY) benchmarks/summaries.py $(BENCH_SIZES) && \
	$(PY) benchmarks/pages.py $(BENCH_SIZES) --baseline $(BENCH_BASELINE) && \
	$(PY) benchmarks/export.py $(BENCH_SIZES) --baseline $(BENCH_BASELINE) && \
	$(PY) benchmarks/upload.py && \
	$(PY) benchmarks/load.py --baseline $(BENCH_BASELINE)

format: setup-dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf $(VENV) node_modules var build
