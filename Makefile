# Verbindend: `make run` and `make test` work from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1:8000
# The links printed, e-mailed and put into PDFs by run and demo point at the server they start, unless SITE_URL
# is set in the environment (a variable from the environment wins over ?=).
SITE_URL ?= http://$(HOST)
BROWSER_TESTS := verbindend/tests/browser
AXE := $(BROWSER_TESTS)/node_modules/axe-core/axe.min.js
E2E_SCREENSHOTS ?= $(CURDIR)/e2e-screenshots
# The suite runs on two processes (pytest-xdist), each with its own test database and block of Redis databases;
# `make test TEST_WORKERS=0` runs it in one.
TEST_WORKERS ?= 2

.PHONY: run demo test e2e lint format bench messages prod-check clean

$(INSTALLED): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(INSTALLED)

## run: install, migrate (which loads the programme) and serve on http://127.0.0.1:8000
run: $(INSTALLED)
	DEBUG=true SITE_URL='$(SITE_URL)' $(BIN)/python manage.py migrate --no-input
	DEBUG=true SITE_URL='$(SITE_URL)' $(BIN)/python manage.py runserver $(HOST)

## demo: load realistic demo data, print fresh Trainer and Kantoor logins, and serve
demo: $(INSTALLED)
	DEBUG=true SITE_URL='$(SITE_URL)' $(BIN)/python manage.py migrate --no-input
	DEBUG=true SITE_URL='$(SITE_URL)' $(BIN)/python manage.py demo
	DEBUG=true SITE_URL='$(SITE_URL)' $(BIN)/python manage.py runserver $(HOST)

# axe-core for the browser tests, from the npm registry (skipped, saying so, where npm is missing).
$(AXE): $(BROWSER_TESTS)/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix $(BROWSER_TESTS) --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the browser tests will be skipped"; fi

## test: the whole suite (SQLite unless DATABASE_URL is set; service and browser tests skip, saying so)
test: $(INSTALLED) $(AXE)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

## e2e: only the browser suite (needs PostgreSQL, Redis and /usr/bin/chromium); names its screenshot folder
e2e: $(INSTALLED) $(AXE)
	rm -rf $(E2E_SCREENSHOTS)
	E2E_SCREENSHOTS=$(E2E_SCREENSHOTS) $(BIN)/python -m pytest -m browser $(PYTEST_ARGS)
	@echo "Screenshots of every step, at phone and desktop width: $(E2E_SCREENSHOTS)"

## lint: ruff check and format check
lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: benchmarks, printed as ratios against baselines measured in the same run; fails when a target is missed
bench: $(INSTALLED)
	$(BIN)/python -m bench.run $(BENCH)

## messages: update the catalogues from the source and compile them (needs GNU gettext)
messages: $(INSTALLED)
	$(BIN)/python manage.py makemessages --locale nl --locale en --no-location --no-obsolete --ignore '.venv/*' --ignore 'staticfiles/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

## prod-check: the deploy checks and a migration check, with the production settings in the environment
prod-check: $(INSTALLED)
	DEBUG=false $(BIN)/python manage.py check --deploy --fail-level WARNING
	DEBUG=false $(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) staticfiles .pytest_cache $(BROWSER_TESTS)/node_modules e2e-screenshots
