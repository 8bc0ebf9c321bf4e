# Pathways: `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PATHWAYS_ENV ?= development

.PHONY: run install assets migrate demo test lint test-sqlite test-postgres check-migrations clean

$(BIN)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

install: $(BIN)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

src/pathways/static/build/app.css: node_modules/.installed scripts/build-assets.sh src/pathways/frontend/app.scss
	bash scripts/build-assets.sh

assets: src/pathways/static/build/app.css

migrate: install
	mkdir -p var
	$(BIN)/pathways migrate --noinput

demo: migrate
	$(BIN)/pathways load_demo

run: install assets demo
	@echo "Pathways on http://127.0.0.1:$(PORT)/  (demo users: see README)"
	$(BIN)/pathways runserver 127.0.0.1:$(PORT)

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy src/pathways/*/services.py src/pathways/*/selectors.py src/pathways/*/policies.py

check-migrations: install
	$(BIN)/pathways makemigrations --check --dry-run

test-sqlite: install assets
	$(BIN)/pytest -q -p no:cacheprovider

# Runs the suite against PostgreSQL: DATABASE_URL if it points at PostgreSQL, otherwise a
# throwaway server started on loopback by scripts/with-postgres.sh.
test-postgres: install assets
	bash scripts/with-postgres.sh $(BIN)/pytest -q -p no:cacheprovider

test: lint check-migrations test-sqlite test-postgres

clean:
	rm -rf $(VENV) node_modules var src/pathways/static/vendor src/pathways/static/build
