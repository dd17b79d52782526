# Two entry points: `make sandbox` and `make test`. Everything else is what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: sandbox test lint types unit install bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start the sandbox: FHIR API on http://127.0.0.1:8080/fhir, seeded with fixtures/; API docs at /docs.
sandbox: $(STAMP)
	$(BIN)/fhirport serve --host 127.0.0.1 --port 8080 --seed --api-docs

## Lint, type-check and run the whole test suite.
test: $(STAMP) lint types unit

lint: $(STAMP)
	$(BIN)/ruff check server mappers hl7 tests bench fixtures/sandbox/sandboxgen fixtures/hl7v2
	$(BIN)/ruff format --check server mappers hl7 tests bench fixtures/sandbox/sandboxgen fixtures/hl7v2

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
