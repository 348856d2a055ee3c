# Set-up is part of every target: a fresh clone needs only `make demo` or
# `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/cdh run pipelines/ci.yaml

test: $(STAMP) lint
	$(BIN)/python -m pytest tests -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check harness tests benchmarks services suites
	$(BIN)/ruff format --check harness tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/plugin_overhead.py

clean:
	rm -rf $(VENV) .cdh
