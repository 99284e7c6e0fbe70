# eventnet: the two set-up commands of the README are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
#: what running needs (`make run`), and that plus the test tool chain (`make test`)
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test test-fast install lint typecheck translations soak clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

$(TEST_STAMP): pyproject.toml $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP) $(TEST_STAMP)

install: $(STAMP)

## Install, create the SQLite database with the demo data, serve on GUNICORN_BIND
## (default 127.0.0.1:8000; links and QR codes follow it unless EVENTNET_BASE_URL is set)
run: $(STAMP)
	$(BIN)/eventnet db upgrade
	$(BIN)/eventnet demo
	EVENTNET_RUN_BANNER=1 $(BIN)/gunicorn -c gunicorn.conf.py

## Install and run the whole test suite (SQLite, plus PostgreSQL/Redis when configured), in
## TEST_WORKERS processes (pytest-xdist; default 2, for CI's two cores; 0 runs it in this one)
TEST_WORKERS ?= 2
test: $(TEST_STAMP)
	$(BIN)/pytest -p no:cacheprovider -n $(TEST_WORKERS) $(PYTEST_ARGS)

## The edit loop: unit and service tests on SQLite, without a browser, another process,
## PostgreSQL or Redis (under a minute); `make test` stays the whole suite
FAST_TESTS := tests/unit tests/services tests/test_import_direction.py \
	tests/test_french_typography.py
test-fast: $(TEST_STAMP)
	EVENTNET_TEST_DATABASE_URL= EVENTNET_TEST_REDIS_URL= EVENTNET_REQUIRE_BROWSER= \
	  $(BIN)/pytest -p no:cacheprovider -q -m 'not browser and not processes' $(FAST_TESTS) $(PYTEST_ARGS)

## ruff on the code and tests; mypy strict on the files listed in pyproject.toml
lint: $(TEST_STAMP)
	$(BIN)/ruff check eventnet tests benchmarks
	$(BIN)/mypy

## Extract messages, update the French catalogue, compile both
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -w 100 -o eventnet/translations/messages.pot .
	$(BIN)/pybabel update -i eventnet/translations/messages.pot -d eventnet/translations --no-fuzzy-matching -w 100
	$(BIN)/pybabel compile -d eventnet/translations

## Long-running soak tests, kept out of `make test`
soak: $(TEST_STAMP)
	$(BIN)/pytest -p no:cacheprovider -m slow --run-slow $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info
