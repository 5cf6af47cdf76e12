# One entry point for every developer habit. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# uv installs from uv.lock; it lives in a virtual environment of its own under .data/tools.
UV_VERSION := 0.13.9
UV := .data/tools/uv/bin/uv
ROLE ?= coordinator

.DEFAULT_GOAL := help
.PHONY: help install lock run test check lint format typecheck pytest bench migrate seed demo-year token openapi clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv .data/tools/uv
	.data/tools/uv/bin/pip install --quiet "uv==$(UV_VERSION)"

$(STAMP): pyproject.toml uv.lock scripts/install-system-packages.sh scripts/install-validators.sh \
		scripts/validators/package-lock.json scripts/validators/python-client.txt | $(UV)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(UV) sync --locked --python $(PY) --quiet
	scripts/install-system-packages.sh
	scripts/install-validators.sh
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its dev tools, as uv.lock pins them

lock: $(UV) ## upgrade every pinned version within pyproject.toml's ranges (then run make test and commit)
	$(UV) lock --upgrade
	$(UV) pip compile --quiet --universal --generate-hashes --upgrade --python-version 3.11 \
		scripts/validators/python-client.in -o scripts/validators/python-client.txt

run: $(STAMP) ## start PostgreSQL, migrate, load demo data, run the services and the gateway (Ctrl-C stops all)
	$(PY) -m devtools run

test: lint typecheck pytest ## ruff, import contracts, mypy (strict) and the whole suite against a real PostgreSQL

check: lint typecheck ## the fast loop: lint, types and the in-process suite (no `slow` tests)
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP) ## ruff lint and format check, and the import contracts (pyproject.toml [tool.importlinter])
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: $(STAMP) ## apply ruff formatting and safe fixes
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: $(STAMP) ## mypy --strict
	$(VENV)/bin/mypy services gateway devtools tests bench

pytest: $(STAMP) ## the test suite only (TEST_DATABASE_URL selects a server; default: embedded)
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP) ## the benchmark suite on a fresh stack: bench/results/<date>.json and charts (about 5 min)
	scripts/install-bench-packages.sh
	$(PY) -m bench.suite $(BENCH_ARGS)

migrate: $(STAMP) ## bring every schema to head (DATABASE_URL, or the embedded server)
	DATABASE_URL="$${DATABASE_URL:-$$($(PY) -m devtools db-url)}" $(PY) -m services.cli migrate

seed: $(STAMP) ## load the demo data (idempotent)
	$(PY) -m devtools seed

demo-year: $(STAMP) ## with `make run` up: enrolments, attendance and reflection groups of the year so far
	$(PY) -m devtools demo-year

token: $(STAMP) ## print a development token: make token ROLE=coordinator|ops|hr-integration|privacy-officer|user [EMAIL=...]
	@$(PY) -m devtools token --role $(ROLE) $(if $(EMAIL),--email $(EMAIL))

openapi: $(STAMP) ## regenerate openapi/ (merged document, each service's, event payloads)
	$(PY) -m devtools openapi

clean: ## remove the virtual environment and local data (.data: the embedded database, dev keys)
	rm -rf $(VENV) .data .mypy_cache .ruff_cache .pytest_cache
