# My Border — every step a newcomer or CI needs is a target here.
# `make run` serves the whole service with demo data; `make test` runs every check.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DATABASE_URL ?= sqlite:///$(CURDIR)/instance/myborder.db
FAKE_FCM_PORT ?= 8001
FLASK := DATABASE_URL=$(DATABASE_URL) FAKE_FCM_URL=http://127.0.0.1:$(FAKE_FCM_PORT) $(BIN)/flask --app wsgi
CREDENTIALS := instance/demo-credentials.txt

export PYTHONDONTWRITEBYTECODE := 1

.DEFAULT_GOAL := help
.PHONY: browser-deps nginx-deps help install install-dev translations-compile translations migrate seed run test test-fast lint typecheck content-check pytest bench fault scale debian-tools lock clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-22s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24"

$(VENV)/.installed-run: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run ## install what the service needs into .venv

install-dev: $(VENV)/.installed-dev ## install the service and its test tools into .venv

translations-compile: $(VENV)/.installed-run ## compile locales/*.po to .mo
	@$(BIN)/pybabel compile --domain messages --directory locales --statistics 2>&1 | grep -v '^compiling' || true

translations: $(VENV)/.installed-run ## re-extract messages.pot, update every .po, compile
	$(BIN)/pybabel extract --mapping-file babel.cfg --keyword N_ --keyword ngettext:1,2 \
		--no-location --sort-output --project "My Border" --output-file locales/messages.pot . >/dev/null
	sed -i '/^"POT-Creation-Date/d' locales/messages.pot
	$(BIN)/pybabel update --input-file locales/messages.pot --output-dir locales \
		--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date >/dev/null
	$(MAKE) translations-compile

migrate: $(VENV)/.installed-run translations-compile ## apply database migrations
	$(FLASK) db upgrade

seed: migrate ## load reference data and, the first time, demo data
	$(FLASK) seed --demo --credentials-file $(CREDENTIALS)

run: seed ## development only, on 127.0.0.1: API on :$(PORT), push worker, fake FCM on :$(FAKE_FCM_PORT)
	@echo ""
	@echo "  DEVELOPMENT SERVER, on 127.0.0.1 only: do not expose it (no port forward, no"
	@echo "  BIND=0.0.0.0). Demo keys and passwords, the fake push sender, and gunicorn with"
	@echo "  no buffering front: a few slow clients stop it. For production see README.md,"
	@echo "  \"Production\" (nginx from deploy/ in front, MYBORDER_ENV=production)."
	@echo ""
	@echo "  My Border is starting on http://127.0.0.1:$(PORT)"
	@echo "  API docs:    http://127.0.0.1:$(PORT)/docs   (spec: /openapi.json)"
	@echo "  Console:     http://127.0.0.1:$(PORT)/console/  (demo logins below)"
	@echo "  Try:         curl 'http://127.0.0.1:$(PORT)/v1/checkpoints?lang=kk'"
	@echo "  Push:        a worker sends to the fake FCM server on :$(FAKE_FCM_PORT);"
	@echo "               what it receives is printed here and kept in instance/fake-fcm.log"
	@echo "  Demo border-service keys and console logins (also in $(CREDENTIALS)):"
	@sed 's/^/    /' $(CREDENTIALS)
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/python -m push.fake_fcm --port $(FAKE_FCM_PORT) --log instance/fake-fcm.log & \
	$(FLASK) push worker & \
	DATABASE_URL=$(DATABASE_URL) BIND=127.0.0.1:$(PORT) WEB_CONCURRENCY=2 $(BIN)/gunicorn \
		-c gunicorn.conf.py wsgi:app

lint: $(VENV)/.installed-dev ## ruff: the checks, and the format (`ruff format .` fixes it)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev ## mypy on the packages, bench/ and faults/ (pyproject.toml lists them)
	$(BIN)/mypy

browser-deps: ## Debian's Chromium for the browser tests (never a downloaded browser)
	@command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)

nginx-deps: ## Debian's nginx, to run the front's recipe (deploy/nginx.conf) in the tests
	@$(MAKE) --no-print-directory debian-tools TOOLS=nginx

# On PostgreSQL the suite runs at the same time as on SQLite (two cores, and much of each
# run waits on servers and sockets), in its own temporary directory and Redis database;
# its output is printed after the SQLite run's.
PG_RUN := $(CURDIR)/instance/pytest-postgres
pytest: $(VENV)/.installed-dev translations-compile browser-deps nginx-deps ## the test suite on SQLite and, side by side, on PostgreSQL when one answers
	@mkdir -p $(PG_RUN)
	@if url=$$($(BIN)/python -m tests.postgres_url); then \
		echo "== on SQLite, and on PostgreSQL ($$url) at the same time"; \
		TEST_DATABASE_URL=$$url TEST_REDIS_URL=redis://127.0.0.1:6379/14 $(BIN)/pytest -q \
			-p no:cacheprovider --basetemp=$(PG_RUN)/tmp > $(PG_RUN)/output.txt 2>&1 & \
		postgres=$$!; \
	else echo "== PostgreSQL not reachable: SQLite only"; postgres=; fi; \
	$(BIN)/pytest -q --cov --cov-report=; sqlite=$$?; \
	echo "== coverage of api/, content/, push/ (lines and branches, SQLite run): $$($(BIN)/coverage report --format=total) %"; \
	if [ -n "$$postgres" ]; then \
		wait $$postgres; postgres_status=$$?; \
		echo "== the run on PostgreSQL:"; cat $(PG_RUN)/output.txt; \
		[ $$postgres_status -eq 0 ] || exit $$postgres_status; \
	fi; \
	exit $$sqlite

# every served fact, before it reaches a phone: the seed files, the catalogs, and a
# database freshly seeded from them (content/checks.py says what is checked)
CHECK_DB := $(CURDIR)/instance/content-check.db
content-check: $(VENV)/.installed-run translations-compile ## check what travellers are told: glossary, scripts, sources, dates, places, hours, demo labels, languages
	@mkdir -p instance && rm -f $(CHECK_DB)
	@DATABASE_URL=sqlite:///$(CHECK_DB) $(BIN)/flask --app wsgi db upgrade >/dev/null
	@DATABASE_URL=sqlite:///$(CHECK_DB) $(BIN)/flask --app wsgi seed --demo >/dev/null
	DATABASE_URL=sqlite:///$(CHECK_DB) $(BIN)/flask --app wsgi content check

test: lint typecheck content-check pytest ## everything CI checks

test-fast: $(VENV)/.installed-dev translations-compile ## inner loop: ruff, then pytest on SQLite only without the slow tests, stopping at the first failure
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q -x -m "not slow"

bench: $(VENV)/.installed-dev translations-compile ## benchmarks (ratios against in-run baselines)
	@command -v wrk >/dev/null && command -v nginx >/dev/null || \
		(apt-get update -q && apt-get install -y -q wrk nginx)
	$(BIN)/python bench/http_read.py
	$(BIN)/python bench/history.py
	$(BIN)/python bench/push.py
	$(BIN)/python bench/forecast.py

# The fault scenarios (faults/, not tests/ or bench/: each restarts a database or kills a
# process for tens of seconds, and checks that nothing was lost rather than measuring
# ratios). They start a PostgreSQL cluster of their own, so they need its binaries, and
# nginx (Debian's) for the slow-clients scenario, which runs deploy/nginx.conf; the holiday
# scenario also needs pgbouncer, redis-server and wrk.
FAULT_LIMIT ?= 420
fault: $(VENV)/.installed-dev translations-compile ## fault scenarios: database restart, killed workers, FCM outage, slow clients, a small holiday on 2 nodes (results in faults/results/)
	@command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || \
		(apt-get update -q && apt-get install -y -q postgresql)
	@$(MAKE) --no-print-directory debian-tools TOOLS="nginx pgbouncer redis-server wrk"
	timeout --signal=INT --kill-after=30 $(FAULT_LIMIT) $(BIN)/python -m faults

# Debian's packages for the tools named in TOOLS (each package is named as its command),
# installed only when the command is missing
debian-tools:
	@missing=""; for tool in $(TOOLS); do \
		command -v $$tool >/dev/null || test -x /usr/sbin/$$tool || missing="$$missing $$tool"; \
	done; \
	if [ -n "$$missing" ]; then apt-get update -q && apt-get install -y -q $$missing; fi

# The service on several machines, shown on one (bench/scale.py, faults/holiday.py): a
# PostgreSQL primary and a streaming replica, PgBouncer in transaction mode, Redis, two app
# nodes behind the nginx recipe, two push workers and the fake FCM, each on its own
# loopback port in a temporary directory; a holiday closure at Kordai with 200,000
# devices. About 6 minutes on 2 cores; not part of `make test` or `make bench`.
scale: $(VENV)/.installed-dev translations-compile ## the multi-node holiday run: replica, PgBouncer, Redis, 2 nodes behind nginx, 2 push workers (bench/results/scale.md)
	@command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_basebackup >/dev/null 2>&1 || \
		(apt-get update -q && apt-get install -y -q postgresql)
	@$(MAKE) --no-print-directory debian-tools TOOLS="nginx pgbouncer redis-server wrk"
	$(BIN)/python bench/scale.py

lock: ## re-pin every dependency (needs network to PyPI)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 pyproject.toml -o requirements.lock
	$(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 --extra dev pyproject.toml -o requirements-dev.lock

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) instance/*.db* $(CREDENTIALS)
