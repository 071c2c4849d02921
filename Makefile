# Set-up and everyday commands. On a fresh machine with Python 3.11:
#   make demo   - virtualenv with the pinned dependencies, sample data, a built warehouse
#   make test   - sqlfluff lint, the dbt metadata linter, pytest (with a dbt build on small generated data)
# The virtualenv is (re)installed only when it is missing or requirements.txt /
# pyproject.toml changed since the last install (stamp file .venv/.installed).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

export DO_NOT_TRACK := 1

# Python 3.11 preferred; any python3 >= 3.11 will do.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP_LOG := $(VENV)/pip.log
# --no-compile: modules are byte-compiled on first import instead of all at
# install time (most of the ~500 MB is never imported).
PIP_INSTALL := $(BIN)/python -m pip install --disable-pip-version-check --no-input --quiet \
	--progress-bar off --root-user-action=ignore --no-compile

# The demo and build date: the sample data's "today".
AS_OF ?= 2026-10-31
RAW_DIR ?= data/raw
# Small generated data for the build check in `make test`.
TEST_LEADS ?= 2000
TEST_SEED ?= 7
SCRATCH := build
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2

.PHONY: help venv demo test lint lint-dbt build test-build pytest clean distclean chromium report

help:
	@echo "make demo       install (when needed), generate sample data into $(RAW_DIR), validate, build warehouse/sales_kpis.duckdb"
	@echo "make test       install (when needed), sqlfluff lint, the dbt metadata linter, pytest (with a dbt build)"
	@echo "make lint       sqlfluff lint models (dbt templater)"
	@echo "make lint-dbt   dbt parse, then the dbt metadata linter (layers, names, access, contracts, docs)"
	@echo "make build      sales-kpis build on $(RAW_DIR) as of $(AS_OF)"
	@echo "make report     dashboard of the warehouse into $(SCRATCH)/report/index.html, screenshot docs/report.png"
	@echo "make bench      benchmark a full dbt build at SCALE=S|M|L (10k/1M/10M leads): bench/results/"
	@echo "make engines    virtualenv .venv-engines with dbt-postgres and dbt-spark (pinned)"
	@echo "make test-engines  PostgreSQL (throwaway server) and Spark builds of $(ENGINES_LEADS) leads, every mart compared with DuckDB (CI: after make test)"
	@echo "make clean      remove build output (build/, target/, logs/, the warehouse file)"
	@echo "make distclean  clean, and remove the virtualenv"

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "error: no python3.11 or python3 on PATH" >&2; exit 1; fi
	@"$(PYTHON)" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
		|| { echo "error: $(PYTHON) is older than Python 3.11" >&2; exit 1; }
	@if [ ! -x $(BIN)/python ]; then \
		echo "creating $(VENV) with $$("$(PYTHON)" --version)"; \
		"$(PYTHON)" -m venv $(VENV); \
	fi
	@echo "installing pinned dependencies into $(VENV) (log: $(PIP_LOG))"
	@$(PIP_INSTALL) -r requirements.txt -e . > $(PIP_LOG) 2>&1 \
		|| { tail -n 40 $(PIP_LOG) >&2; echo "error: pip install failed (full log: $(PIP_LOG))" >&2; exit 1; }
	@touch $@

demo: $(STAMP)
	$(BIN)/sales-kpis demo --raw-dir $(RAW_DIR)

lint: $(STAMP)
	@mkdir -p $(SCRATCH)
	SALES_KPIS_DBT_DUCKDB_PATH=$(SCRATCH)/lint.duckdb $(BIN)/sqlfluff lint models

# dbt parse writes the manifest (partial parsing after the first run: a few
# seconds), dbt-score checks it: a model reading a layer it may not read (an
# edge that runs the wrong way), a name or access that does not fit its
# folder, a public model without an enforced contract, anything undocumented
# (rules and their tables: pyproject.toml, dbt_score_rules/).
lint-dbt: $(STAMP)
	@mkdir -p $(SCRATCH)
	SALES_KPIS_DBT_DUCKDB_PATH=$(SCRATCH)/lint.duckdb $(BIN)/dbt parse --profiles-dir . \
		--target-path $(SCRATCH)/lint-target --log-path $(SCRATCH)/lint-logs --quiet
	$(BIN)/dbt-score lint --manifest $(SCRATCH)/lint-target/manifest.json

build: $(STAMP)
	$(BIN)/sales-kpis build --raw-dir $(RAW_DIR) --as-of $(AS_OF)

# dbt build on freshly generated small data (a scratch warehouse under build/).
test-build: $(STAMP)
	@rm -rf $(SCRATCH)/test-raw $(SCRATCH)/test.duckdb $(SCRATCH)/test.duckdb.wal
	$(BIN)/sales-kpis generate --out $(SCRATCH)/test-raw --seed $(TEST_SEED) --leads $(TEST_LEADS)
	$(BIN)/sales-kpis validate --raw-dir $(SCRATCH)/test-raw
	$(BIN)/sales-kpis build --raw-dir $(SCRATCH)/test-raw --database $(SCRATCH)/test.duckdb --as-of $(AS_OF) --unit-tests

# pytest-xdist: PYTEST_WORKERS processes (one per core), whole test modules
# spread by load (--dist loadfile: a module's fixtures, most of them dbt
# builds, are set up once; each worker builds its own session warehouse).
# PYTEST_WORKERS=0 runs everything in this process.
# -rs: a skipped test says why (the dashboard's rendering tests without Chromium).
pytest: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile -rs $(PYTEST_ARGS)

# Debian's Chromium for the dashboard's rendering tests and screenshot,
# installed when missing (apt-get: needs root). CI runs it before make test;
# without it the rendering tests are skipped, saying so.
chromium:
	@mkdir -p $(SCRATCH)
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "error: chromium is not installed and installing it needs root (apt-get install chromium)" >&2; \
			exit 1; \
		fi; \
		echo "installing Debian's chromium (apt-get)"; \
		{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; } \
			> $(SCRATCH)/apt-chromium.log 2>&1 || { tail -n 30 $(SCRATCH)/apt-chromium.log >&2; exit 1; }; \
	fi

# The dashboard of the warehouse, and its screenshot in docs/ (needs Chromium:
# make chromium).
report: $(STAMP)
	$(BIN)/sales-kpis report --out $(SCRATCH)/report --screenshot docs/report.png

# Both steps run even when one fails, so one run reports every failure. The
# dbt build on small generated data is pytest's session build (3,000 leads,
# every model, data test and unit test: tests/test_build.py); `make
# test-build` runs the same through the command line.
test: $(STAMP)
	@failed=""; \
	$(MAKE) --no-print-directory lint || failed="$$failed lint"; \
	$(MAKE) --no-print-directory lint-dbt || failed="$$failed lint-dbt"; \
	$(MAKE) --no-print-directory pytest || failed="$$failed pytest"; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed" >&2; exit 1; fi; \
	echo "make test: lint, lint-dbt and pytest passed"

clean:
	rm -rf $(SCRATCH) target logs .pytest_cache .sqlfluff_cache
	rm -f warehouse/*.duckdb warehouse/*.duckdb.wal warehouse/*.duckdb.lock

distclean: clean
	rm -rf $(VENV) src/*.egg-info

# --------------------------------------------------------------------------- the benchmark; PostgreSQL and Spark
SCALE ?= M
BENCH_ARGS ?=
ENGINES_VENV := .venv-engines
ENGINES_BIN := $(ENGINES_VENV)/bin
ENGINES_STAMP := $(ENGINES_VENV)/.installed
ENGINES_SCRATCH := $(SCRATCH)/engines

.PHONY: bench engines engines-system test-engines

# Generated data is cached in bench/cache/seed<seed>-leads<n>/; reports go to
# bench/results/<scale>-seed<seed>-leads<n>.{md,json}.
bench: $(STAMP)
	$(BIN)/sales-kpis bench --scale $(SCALE) $(BENCH_ARGS)

$(ENGINES_STAMP): requirements.txt requirements-engines.txt pyproject.toml
	@if [ ! -x $(ENGINES_BIN)/python ]; then "$(PYTHON)" -m venv $(ENGINES_VENV); fi
	@echo "installing the engines virtualenv $(ENGINES_VENV) (pyspark builds from source: ~1-2 min)"
	@$(ENGINES_BIN)/python -m pip install --disable-pip-version-check --no-input --quiet --no-compile \
		--progress-bar off --root-user-action=ignore -r requirements.txt -r requirements-engines.txt -e . \
		> $(ENGINES_VENV)/pip.log 2>&1 \
		|| { tail -n 40 $(ENGINES_VENV)/pip.log >&2; echo "error: pip install failed ($(ENGINES_VENV)/pip.log)" >&2; exit 1; }
	@touch $@

engines: $(ENGINES_STAMP)

# Leads of the generated data the engine builds share (DuckDB, PostgreSQL,
# Spark): Spark's cost is per node (~1-3 s each), so a small dataset keeps CI
# under 30 minutes; ENGINES_LEADS=3000 reproduces the session data of make test.
ENGINES_LEADS ?= 1000
# 1: every node on Spark, the data tests included (~6 of the ~8 minutes of
# make test-engines with 2 dbt threads). 0: seeds, models and unit tests
# only (the data tests still run on DuckDB and PostgreSQL; ~2 minutes less).
ENGINES_SPARK_DATA_TESTS ?= 1

# PostgreSQL server binaries and a Java runtime for Spark (Debian packages,
# installed when missing; needs root, as on CI and the project's machines).
engines-system:
	@mkdir -p $(SCRATCH)
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v java > /dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing (apt-get)"; \
		{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; } \
			> $(SCRATCH)/apt-engines.log 2>&1 || { tail -n 30 $(SCRATCH)/apt-engines.log >&2; exit 1; }; \
	fi

# Starts a throwaway PostgreSQL on loopback, runs tests/test_engines.py
# (PostgreSQL and Spark builds of small generated data, every mart compared
# with DuckDB's, the BI reader role on the PostgreSQL build) and
# tests/test_postgres_reader_role.py, stops the server whatever the outcome.
# Build times and what was compared: $(ENGINES_SCRATCH)/engine-build-times.json.
test-engines: $(ENGINES_STAMP) engines-system
	@rm -rf $(ENGINES_SCRATCH) && mkdir -p $(ENGINES_SCRATCH)
	@eval "$$(SALES_KPIS_PG_DIR=$$(pwd)/$(ENGINES_SCRATCH)/pg scripts/ci/start_postgres.sh)"; \
		trap 'SALES_KPIS_PG_DIR=$$(pwd)/$(ENGINES_SCRATCH)/pg scripts/ci/stop_postgres.sh --clean' EXIT; \
		started=$$(date +%s); status=0; \
		SALES_KPIS_TEST_ENGINES=1 SALES_KPIS_ENGINES_SCRATCH=$$(pwd)/$(ENGINES_SCRATCH) \
		SALES_KPIS_TEST_LEADS=$(ENGINES_LEADS) SALES_KPIS_SPARK_DATA_TESTS=$(ENGINES_SPARK_DATA_TESTS) \
		$(ENGINES_BIN)/python -m pytest -rs tests/test_engines.py tests/test_postgres_reader_role.py $(PYTEST_ARGS) || status=$$?; \
		echo "make test-engines: pytest $$(( $$(date +%s) - started )) s (build times: $(ENGINES_SCRATCH)/engine-build-times.json)"; \
		exit $$status
