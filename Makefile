# tokenledger — the two commands: `make run` and `make test`. Both set up .venv from the lock first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-from-lock
TL := $(BIN)/tokenledger

.PHONY: setup setup-spark run test lint build ingest summary sample prices clean help bench

help:
	@echo "make help    this list"
	@echo "make setup   create .venv from requirements.lock (idempotent)"
	@echo "make setup-spark  add the Spark extra (dbt-spark, pyspark: requirements-spark.lock) and Java 17 if absent"
	@echo "make run     ingest data/sample into the warehouse, dbt build, print the summary"
	@echo "make test    the whole suite: ruff, mypy, sqlfluff lint, dbt builds on fixtures (unit + data tests), Python tests"
	@echo "make lint    sqlfluff, ruff and mypy only"
	@echo "make ingest  ingest data/sample into the warehouse (files already loaded are skipped)"
	@echo "make build   dbt build with the warehouse's writer lock held"
	@echo "make summary print the summary of the built warehouse"
	@echo "make sample  regenerate data/sample (deterministic)"
	@echo "make prices  re-export the pinned genai-prices catalog into seeds/prices"
	@echo "make clean   delete target/, logs/ and warehouse/"
	@echo "make bench   benchmark at 1M and 10M events against the floor and pandas -> bench/RESULTS.md (long)"

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tokenledger needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP)

# The Spark extra: dbt-spark and pyspark (whose wheel carries Spark) on top of the default set-up, and a
# Java runtime when none is on the PATH (Debian's openjdk-17-jre-headless). Without it `make test` skips
# the Spark tests with a one-line reason.
SPARK_STAMP := $(VENV)/.installed-spark-from-lock
$(SPARK_STAMP): $(STAMP) requirements-spark.lock
	@command -v java >/dev/null 2>&1 || [ -n "$$JAVA_HOME" ] || { \
		echo "no Java runtime: installing openjdk-17-jre-headless"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-spark.lock
	@touch $(SPARK_STAMP)

setup-spark: $(SPARK_STAMP)

ingest: setup
	$(TL) ingest data/sample

build: setup
	$(TL) build

summary: setup
	$(TL) summary

# Ingest the sample, validate its organisation, build, print the summary (also when a data test failed);
# the exit status is the build's. tokenledger run --help for the options (--org, --db, --verbose).
run: setup
	$(TL) run

# The whole suite: Python lint and types on the package, then pytest (sqlfluff, dbt builds, Python tests).
test: setup
	$(BIN)/ruff check tokenledger tools bench tests/python
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/sqlfluff lint models tests
	$(BIN)/ruff check tokenledger tools bench tests/python
	$(BIN)/mypy

sample: setup
	$(BIN)/python tools/generate_sample.py --out data/sample

prices: setup
	$(TL) prices refresh

# The benchmark (a benchmark, not a test): data and warehouses under bench/work/ (deleted at the end),
# figures in bench/RESULTS.md. Extra options via BENCH_ARGS, e.g. BENCH_ARGS="--budget-minutes 50".
bench: setup
	$(BIN)/python bench/bench.py --size 1M --size 10M $(BENCH_ARGS)

clean:
	rm -rf target logs warehouse
