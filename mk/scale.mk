# Issue 7 (scale and engines): benchmark and engine targets. Included by the
# Makefile (`include mk/scale.mk`); uses its VENV/BIN/STAMP when defined.
#   make bench [SCALE=S|M|L] [BENCH_ARGS="--threads 2 --memory-limit 3GB"]
#   make engines        virtualenv .venv-engines with dbt-postgres and dbt-spark (pinned)
#   make test-engines   build on PostgreSQL and Spark, compare every mart with DuckDB

VENV ?= .venv
BIN ?= $(VENV)/bin
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
SCALE ?= M
BENCH_ARGS ?=
ENGINES_VENV := .venv-engines
ENGINES_BIN := $(ENGINES_VENV)/bin
ENGINES_STAMP := $(ENGINES_VENV)/.installed
ENGINES_SCRATCH ?= build/engines

.PHONY: bench engines test-engines

# Generated data is cached in bench/cache/seed<seed>-leads<n>/; reports go to
# bench/results/<scale>-seed<seed>-leads<n>.{md,json}.
bench: $(if $(STAMP),$(STAMP))
	$(BIN)/sales-kpis bench --scale $(SCALE) $(BENCH_ARGS)

$(ENGINES_STAMP): requirements.txt requirements-engines.txt pyproject.toml
	@if [ ! -x $(ENGINES_BIN)/python ]; then "$(PYTHON)" -m venv $(ENGINES_VENV); fi
	@echo "installing the engines virtualenv $(ENGINES_VENV) (pyspark builds from source: ~1-2 min)"
	@{ $(ENGINES_BIN)/python -m pip install --disable-pip-version-check --no-input --quiet \
		-r requirements.txt -r requirements-engines.txt \
		&& $(ENGINES_BIN)/python -m pip install --disable-pip-version-check --quiet --no-deps -e .; } \
		> $(ENGINES_VENV)/pip.log 2>&1 \
		|| { tail -n 40 $(ENGINES_VENV)/pip.log >&2; echo "error: pip install failed ($(ENGINES_VENV)/pip.log)" >&2; exit 1; }
	@touch $@

engines: $(ENGINES_STAMP)

# Starts a throwaway PostgreSQL on loopback, runs tests/test_engines.py
# (PostgreSQL and Spark builds of small generated data, every mart compared
# with DuckDB's), stops the server whatever the outcome.
test-engines: $(ENGINES_STAMP)
	@mkdir -p $(ENGINES_SCRATCH)
	@eval "$$(SALES_KPIS_PG_DIR=$$(pwd)/$(ENGINES_SCRATCH)/pg scripts/ci/start_postgres.sh)"; \
		trap 'SALES_KPIS_PG_DIR=$$(pwd)/$(ENGINES_SCRATCH)/pg scripts/ci/stop_postgres.sh --clean' EXIT; \
		SALES_KPIS_TEST_ENGINES=1 SALES_KPIS_ENGINES_SCRATCH=$$(pwd)/$(ENGINES_SCRATCH) \
		$(ENGINES_BIN)/python -m pytest tests/test_engines.py -m engines $(PYTEST_ARGS)
