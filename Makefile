# One command runs the product, one runs the tests. Both set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test install bench clean-db

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run: set up, create/migrate the database, seed the demo once, serve the app.
run: $(STAMP)
	$(BIN)/flask --app survey_app init-db
	$(BIN)/flask --app survey_app demo --if-empty --base-url http://$(HOST):$(PORT)
	$(BIN)/flask --app survey_app run --host $(HOST) --port $(PORT)

## make test: set up and run the whole test suite.
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)
