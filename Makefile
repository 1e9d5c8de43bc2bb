# One command runs the product, one runs the tests. Both set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 5000

# axe-core, from npm, for the browser tests' accessibility audits. Pinned so
# an audit's verdict changes only when this line does.
AXE_CORE := axe-core@4.14.1
NPM_DEPS := .npm-deps
# One stamp per pinned version, so changing AXE_CORE installs it again.
AXE_STAMP := $(NPM_DEPS)/.installed-$(AXE_CORE)

.PHONY: run test test-sqlite test-postgres soak soak-sqlite soak-postgres install bench clean-db browser-deps screenshots

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

## make test: set up and run the whole test suite twice, browser tests
## included (they need /usr/bin/chromium; without it they skip, and fail
## under CI=true): on SQLite, and on PostgreSQL in a throwaway cluster that
## .ci/pg-cluster starts on 127.0.0.1 and removes afterwards (without
## PostgreSQL installed that pass is skipped with a message, and fails under
## CI=true). The two passes run side by side, one per core (each pytest is
## one process; one after the other they took 14-21 min on this 2-core
## machine), each pass's output printed whole when it ends; it fails if
## either fails. `make test-sqlite` / `make test-postgres` run one pass.
test: $(STAMP) browser-deps
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite: $(STAMP) browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(STAMP) browser-deps
	.ci/pg-cluster $(BIN)/python -m pytest $(PYTEST_ARGS)

## make soak: the long fault and load runs (tests marked soak, deselected by
## `make test`): 100 kill -9 of a writing gunicorn, 20 cold starts of 4
## workers, 60 s of mixed load on 3 workers, on SQLite; then 50 kill -9 of
## servers writing to PostgreSQL (in a throwaway .ci/pg-cluster). Loopback
## only, about 8 minutes. `make soak-sqlite` / `make soak-postgres` run one.
## Figures: docs/benchmarks.md, "Faults and load".
soak: soak-sqlite soak-postgres

soak-sqlite: $(STAMP)
	$(BIN)/python -m pytest -m soak -s -q tests/test_faults.py $(PYTEST_ARGS)

soak-postgres: $(STAMP)
	.ci/pg-cluster $(BIN)/python -m pytest -m soak -s -q tests/test_postgres.py $(PYTEST_ARGS)

## make browser-deps: axe-core from npm into .npm-deps/ (gitignored).
browser-deps: $(AXE_STAMP)
$(AXE_STAMP):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --prefix $(NPM_DEPS) --no-save --no-audit --no-fund --loglevel=error $(AXE_CORE) && \
	  touch $@; \
	else \
	  echo "npm not found: the browser tests will be skipped (and fail under CI=true)"; \
	fi

## make screenshots: run the browser tests, then copy their fresh screenshots
## (build/browser/screenshots/) over the ones kept in docs/screenshots/.
screenshots: $(STAMP) browser-deps
	CI=true $(BIN)/python -m pytest -q tests/test_browser.py tests/test_browser_reports.py
	for kept in docs/screenshots/*.png; do cp build/browser/screenshots/$$(basename $$kept) $$kept; done
