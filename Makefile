# softpower: set-up and everyday commands. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3.12
VENV := .venv
UV := $(PYTHON) -m uv
BIN := $(VENV)/bin
export SOLARA_TELEMETRY_MIXPANEL_ENABLE := false
export UV_PYTHON := $(PYTHON)

.PHONY: help venv demo test test-fast lint format bench bench-goals clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' Makefile | sed 's/:.*## /\t/'

# Bytecode is compiled once at install: with PYTHONDONTWRITEBYTECODE set (as on CI machines)
# every command would otherwise recompile the stack's sources, about 4 s per process.
$(BIN)/softpower: pyproject.toml uv.lock
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen --extra dev --compile-bytecode
	@touch $@

venv: $(BIN)/softpower  ## create .venv with Python 3.12 and install softpower with dev extras

demo: venv  ## run the baseline and the seed-thesis experiment; write out/report.html + out/report.pdf
	$(BIN)/softpower run scenarios/baseline.yaml --out out/baseline
	$(BIN)/softpower batch experiments/demo.yaml --out out/demo
	$(BIN)/softpower report out/demo --out out/report.html --pdf out/report.pdf
	@echo "report: $(CURDIR)/out/report.html and $(CURDIR)/out/report.pdf (figures: $(CURDIR)/out/figures/)"

# Tests run in random order (pytest-randomly); `make test SEED=N` repeats the order of seed N.
ifndef SEED
SEED := $(shell date +%s)
endif

test: venv  ## run the whole test suite (random order) and print the coverage of sim/
	@echo "test order: --randomly-seed=$(SEED) (repeat with make test SEED=$(SEED))"
	$(BIN)/pytest -q --randomly-seed=$(SEED) --cov=sim --cov-report=
	@echo "coverage of sim/: $$($(BIN)/coverage report --format=total)% of lines" \
		"(per file: .venv/bin/coverage report)"

test-fast: venv  ## the suite without tests marked slow, on 2 processes (under a minute; edit loop)
	@echo "test order: --randomly-seed=$(SEED) (repeat with make test-fast SEED=$(SEED))"
	$(BIN)/pytest -q -n 2 --randomly-seed=$(SEED) -m "not slow"

lint: venv  ## ruff check, format check, the import-layers contract and mypy (pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: venv  ## apply ruff format and fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: venv  ## print the performance ratios
	$(BIN)/python benchmarks/kernel.py

bench-goals: venv  ## print issue 26's speed goals as measured now, with the load average
	$(BIN)/python benchmarks/batch.py --goals

clean:  ## remove the virtual environment and outputs
	rm -rf $(VENV) out .pytest_cache .coverage htmlcov
