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
	$(BIN)/pathways createcachetable

demo: migrate
	$(BIN)/pathways load_demo

run: install assets demo
	@echo "Pathways on http://127.0.0.1:$(PORT)/  (demo users: see README)"
	$(BIN)/pathways runserver 127.0.0.1:$(PORT)

# Type-checked: every app's services, selectors and policies, as modules or packages, and
# the pure engines the front door, mapping and panels (RFG scoring, incident files) rest on.
MYPY_TARGETS := $(wildcard src/pathways/*/services.py src/pathways/*/selectors.py \
	src/pathways/*/policies.py src/pathways/*/services src/pathways/*/selectors) \
	src/pathways/referrals/matching.py src/pathways/referrals/triage.py \
	src/pathways/panels/rfg.py src/pathways/panels/incident_files.py

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy $(MYPY_TARGETS)

check-migrations: install
	$(BIN)/pathways makemigrations --check --dry-run

test-sqlite: install assets
	$(BIN)/pytest -q -p no:cacheprovider

# Runs the suite against PostgreSQL: DATABASE_URL if it points at PostgreSQL, otherwise a
# throwaway server started on loopback by scripts/with-postgres.sh.
test-postgres: install assets
	bash scripts/with-postgres.sh $(BIN)/pytest -q -p no:cacheprovider

# Benchmarks (docs/performance.md). `make bench`: national scale, about ten minutes, writes
# bench/results.json. `make bench-smoke`: tiny scale, checks the suite runs and query counts
# agree at 1x and 10x data. Both use their own databases (var/bench*.sqlite3, or
# <name>_bench_* beside a PostgreSQL DATABASE_URL), never the developer's.
.PHONY: bench bench-smoke

bench: install
	$(BIN)/python -m bench.run --scale national

bench-smoke: install
	$(BIN)/python -m bench.run --smoke

test: lint check-migrations test-sqlite test-postgres bench-smoke

clean:
	rm -rf $(VENV) node_modules var src/pathways/static/vendor src/pathways/static/build
