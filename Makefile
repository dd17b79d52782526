# Two entry points: `make sandbox` and `make test`. Everything else is what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: sandbox test lint types unit install bench clean
.PHONY: test-mongodb test-mongodb-replica-set test-mongodb-standalone test-mongodb-sharded mongodb-down

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start the sandbox: FHIR API on http://127.0.0.1:8080/fhir, seeded with fixtures/; API docs at /docs; the console at /.
sandbox: $(STAMP)
	$(BIN)/fhirport serve --host 127.0.0.1 --port 8080 --seed --api-docs --auth none

## Lint, type-check and run the whole test suite.
test: $(STAMP) lint types unit

lint: $(STAMP)
	$(BIN)/ruff check server mappers hl7 tests bench fixtures/sandbox/sandboxgen fixtures/hl7v2
	$(BIN)/ruff format --check server mappers hl7 tests bench fixtures/sandbox/sandboxgen fixtures/hl7v2

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

## MongoDB (needs Docker): the whole suite on a one-member replica set, then a standalone
## server's refusal, then the store's tests on two shards behind a mongos router.
COMPOSE := docker compose -f docker/compose.yaml
MONGODB_URI := mongodb://localhost:27017/?replicaSet=rs0

test-mongodb: test-mongodb-replica-set test-mongodb-standalone test-mongodb-sharded

test-mongodb-replica-set: $(STAMP)
	$(COMPOSE) up -d --wait mongo-test
	FHIRPORT_TEST_MONGODB_URI='$(MONGODB_URI)' $(BIN)/pytest

test-mongodb-standalone: $(STAMP)
	$(COMPOSE) up -d --wait mongo-standalone
	FHIRPORT_TEST_MONGODB_STANDALONE_URI='mongodb://localhost:27018/' \
		$(BIN)/pytest tests/storage/test_mongo_server.py -k standalone

test-mongodb-sharded: $(STAMP)
	$(COMPOSE) up -d --wait mongos
	FHIRPORT_TEST_MONGODB_URI='mongodb://localhost:27020/' FHIRPORT_TEST_MONGODB_SHARDED=1 \
		$(BIN)/pytest tests/storage

## Stop the MongoDB test servers and drop their data.
mongodb-down:
	$(COMPOSE) --profile test --profile standalone --profile sharded down -v

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
