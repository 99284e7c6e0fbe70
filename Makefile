# eventnet: the two set-up commands of the README are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint typecheck translations soak clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Install, create the SQLite database with the demo data, serve on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/eventnet db upgrade
	$(BIN)/eventnet demo
	$(BIN)/gunicorn -c gunicorn.conf.py

## Install and run the whole test suite (SQLite, plus PostgreSQL/Redis when configured)
test: $(STAMP)
	$(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check eventnet tests benchmarks
	$(BIN)/mypy

## Extract messages, update the French catalogue, compile both
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -w 100 -o eventnet/translations/messages.pot .
	$(BIN)/pybabel update -i eventnet/translations/messages.pot -d eventnet/translations --no-fuzzy-matching -w 100
	$(BIN)/pybabel compile -d eventnet/translations

## Long-running soak tests, kept out of `make test`
soak: $(STAMP)
	$(BIN)/pytest -p no:cacheprovider -m slow --run-slow $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info
