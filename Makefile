# The two commands a newcomer needs: `make run` and `make test` (see README.md).
.DEFAULT_GOAL := help
SHELL := /bin/bash

# A Python 3.12+ interpreter: an explicit PYTHON=..., else the first of python3.13,
# python3.12, python3 that runs and is new enough, else the newest one pyenv installed.
# (A pyenv shim may exist and still fail to run, hence the trial run of each.)
PYTHON ?= $(shell \
	new_enough() { "$$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }; \
	for candidate in python3.13 python3.12 python3; do \
		if new_enough "$$candidate"; then command -v "$$candidate"; exit 0; fi; \
	done; \
	root=$$(pyenv root 2>/dev/null || echo "$$HOME/.pyenv"); \
	for candidate in $$(ls -d "$$root"/versions/3.* 2>/dev/null | sort -t. -k2,2nr -k3,3nr); do \
		if new_enough "$$candidate/bin/python3"; then echo "$$candidate/bin/python3"; exit 0; fi; \
	done)

VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= marketplace.settings

.PHONY: help run test lint format migrate seed install install-dev check-python clean bench drills screenshots mutants

# One line per target; tests/marketplace/test_makefile.py checks none is left out.
help:
	@echo "make run           set everything up and run the portal with demo data on http://127.0.0.1:$(PORT)"
	@echo "make test          install the dev tools, lint, then run the whole test suite"
	@echo "make test PYTEST_ARGS='tests/orders -x'   lint, then run only what pytest is given"
	@echo "make lint          ruff, djLint, makemigrations --check, mypy and the architecture test"
	@echo "make format        fix what ruff and djLint can fix"
	@echo "make install       create .venv and install the portal"
	@echo "make install-dev   the same with the dev tools (pytest, ruff, djLint, Playwright)"
	@echo "make migrate       migrate the database of DATABASE_URL (SQLite under var/ by default)"
	@echo "make seed          migrate, then load the demo data (safe to repeat)"
	@echo "make bench         benchmarks: pages, services, the auto-cancel sweep, search, a load test (~14 min)"
	@echo "make drills        drills: access matrix, Redis down, workers killed, two sweeps, a deploy (~15 min)"
	@echo "make mutants       mutation testing of the money, cancellation-rules and health modules (~7 min)"
	@echo "make screenshots   take the README's screenshots again from fresh demo data"
	@echo "make check-python  check that a Python 3.12+ is found (PYTHON=/path/to/python3.12 names one)"
	@echo "make clean         remove .venv, var/, staticfiles/ and mutants/"
	@echo "make help          this list (also plain make)"

check-python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "No Python 3.12+ found. Install one, or run: make PYTHON=/path/to/python3.12 ..."; \
		exit 1; \
	fi

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

var:
	@mkdir -p var/celery/queue var/celery/control

# A laptop runs in debug mode from .env; production sets its variables and has no .env.
.env:
	cp .env.example .env

migrate: install var .env
	$(BIN)/python manage.py migrate --no-input

seed: migrate
	$(BIN)/python manage.py seed_demo

# Emails link to this server, the demo data's too (honcho gives each process its own PORT).
# Quiet until the address and the accounts, then the live log. Ctrl-C reaches honcho,
# which stops the three processes and exits 130: that is the end asked for, not an error.
run: export DEV_SERVER_PORT := $(PORT)
run: install var .env
	@$(BIN)/python manage.py migrate --no-input --verbosity 0
	@$(BIN)/python manage.py seed_demo --verbosity 0
	@echo
	@echo "  Marketplace portal: http://127.0.0.1:$(PORT)/"
	@echo "  Demo accounts (password marketplace-demo): buyer, buyer2, seller, seller2, staff (admin)"
	@echo "  Ctrl-C stops the web server, the Celery worker and Celery beat."
	@echo
	@PORT=$(PORT) $(BIN)/honcho start -f Procfile.dev || test $$? -eq 130

# The last three need no PostgreSQL or Redis: an in-memory SQLite database is named only
# so the settings load (tests/test_architecture.py reads the source, not the database).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint templates --lint
	DEBUG=1 DATABASE_URL=sqlite:///:memory: $(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=1 DATABASE_URL=sqlite:///:memory: $(BIN)/mypy
	DEBUG=1 DATABASE_URL=sqlite:///:memory: $(BIN)/python -m pytest -q -p no:randomly tests/test_architecture.py

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/djlint templates --reformat --quiet || true

test: lint var .env
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks and drills print figures (ratios to baselines of the same run); they create
# and drop their own databases on the PostgreSQL server of DATABASE_URL (see benchmarks/README.md).
BENCH_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://root@127.0.0.1:5432/postgres)
# Each benchmark records its targets here; the last step prints them all (benchmarks/targets.py).
BENCH = BENCH_RESULTS=$(CURDIR)/var/bench-results.jsonl

bench: install-dev var
	rm -f var/bench-results.jsonl
	PG_URL=$(dir $(BENCH_DATABASE_URL)) $(BENCH) $(BIN)/python benchmarks/bench_pages.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BENCH) $(BIN)/python benchmarks/bench_cancellations.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BENCH) $(BIN)/python benchmarks/bench_sweep.py --orders 2000 --memory-orders 1000 --broker redis://127.0.0.1:6379/15
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BENCH) $(BIN)/python benchmarks/bench_search.py
	PG_URL=$(dir $(BENCH_DATABASE_URL)) $(BENCH) $(BIN)/python benchmarks/bench_scale.py
	PG_URL=$(dir $(BENCH_DATABASE_URL)) $(BENCH) benchmarks/run_load.sh
	$(BIN)/python benchmarks/targets.py var/bench-results.jsonl

drills: install-dev
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python benchmarks/drill_access_matrix.py
	PG_URL=$(dir $(BENCH_DATABASE_URL)) $(BIN)/python benchmarks/drill_redis.py
	PG_URL=$(dir $(BENCH_DATABASE_URL)) $(BIN)/python benchmarks/drill_worker_kill.py
	PG_URL=$(dir $(BENCH_DATABASE_URL)) $(BIN)/python benchmarks/drill_two_sweeps.py
	PG_URL=$(dir $(BENCH_DATABASE_URL)) $(BIN)/python benchmarks/drill_deploy.py

# The README's screenshots, from a throwaway demo database and Debian's Chromium
# (CHROMIUM=/path/to/chromium for another): docs/screenshots/*.png.
screenshots: install-dev
	$(BIN)/python docs/screenshots.py

# Mutation testing of payments/services.py, sellercentral/health/ and cancellations/rules.py
# ([tool.mutmut] in pyproject.toml; scores in docs/RELIABILITY.md). Each mutant runs on an
# in-memory SQLite database of its own; the PostgreSQL-only tests skip. A second run
# tests only what changed; `rm -rf mutants` starts afresh. Lists the survivors at the end.
$(VENV)/.installed-mutation: pyproject.toml | $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet -e ".[dev,mutation]"
	@touch $@

mutants: $(VENV)/.installed-mutation
	@mkdir -p mutants/var/celery/queue mutants/var/celery/control
	env -u REQUIRE_SERVICES -u REDIS_URL DEBUG=1 DATABASE_URL=sqlite:///:memory: $(BIN)/mutmut run
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) var staticfiles mutants
