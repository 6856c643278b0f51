# KAM: `make run` starts the app on an embedded default, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DEMO_PASSWORD ?= kam-demo
STAMP := $(VENV)/.installed-stamp
# Dummy values that only let `check --deploy` import the production settings.
DEPLOY_ENV := DJANGO_SETTINGS_MODULE=kam.settings.production \
	DJANGO_SECRET_KEY=ci-dummy-5f0c8e2a9b7d4c1e8f3a6b2d9c7e1f4a0b8d6c3e2f1a9b7c \
	DJANGO_ALLOWED_HOSTS=kam.example.com DATABASE_URL=postgres://kam@127.0.0.1:5432/kam \
	CELERY_BROKER_URL=redis://127.0.0.1:6379/0 DEFAULT_FROM_EMAIL=kam@kam.example.com \
	KAM_BASE_URL=https://kam.example.com ANYMAIL_WEBHOOK_SECRET=ci:dummy-webhook-secret \
	OUTBOX_DELIVERY_BACKEND=anymail.backends.postmark.EmailBackend

.PHONY: run install test test-calendar test-year install-smoke lint format checks ci \
	messages bench bench-deps clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "KAM needs Python 3.11 or newer; set PYTHON=python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PY) -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Run the app with SQLite, a filesystem Celery broker, a worker and beat.
## Every step knows the port: links in the demo's and the app's e-mails point at it.
RUN_ENV = KAM_PORT=$(PORT)
run: $(STAMP)
	@mkdir -p var/celery/queue var/celery/processed var/mail
	@$(RUN_ENV) $(PY) manage.py migrate --noinput -v0
	@$(RUN_ENV) $(PY) manage.py seed_demo --if-empty --password '$(DEMO_PASSWORD)'
	@$(RUN_ENV) $(PY) manage.py setup_periodic_tasks
	@$(RUN_ENV) $(PY) manage.py collectstatic --noinput -v0
	PORT=$(PORT) $(RUN_ENV) DEMO_PASSWORD='$(DEMO_PASSWORD)' $(VENV)/bin/honcho -f Procfile.dev start -p $(PORT)

# The suite starts some forty Python processes (the calendar's days, Celery workers,
# commands in a subprocess): each one reads the bytecode the first one wrote instead
# of compiling every module of the project and the tests again, also where the
# environment asks Python to write none (PYTHONDONTWRITEBYTECODE, e.g. in a container).
test test-calendar test-year: export PYTHONDONTWRITEBYTECODE :=

## The whole suite against PostgreSQL and Redis (DATABASE_URL / CELERY_BROKER_URL override).
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

## The date-sensitive tests again on chosen days (pytest --today; tests/clock.py).
## CI runs the edge days; `make test-calendar DAYS="2027-03-31 2027-10-31"` any others.
EDGE_DAYS := 2027-01-31 2028-02-29 2027-04-30 2026-12-31
DAYS ?= $(EDGE_DAYS)
test-calendar: $(STAMP)
	@PY=$(PY) bash .ci/calendar $(DAYS)

## The first, 15th and last day of every month of YEAR (not in CI: about 30 minutes).
YEAR ?= 2027
test-year: $(STAMP)
	@PY=$(PY) bash .ci/calendar $$($(PY) -c 'import calendar, sys; y = int(sys.argv[1]); \
		print(" ".join(f"{y}-{m:02}-{d:02}" for m in range(1, 13) \
		for d in (1, 15, calendar.monthrange(y, m)[1])))' $(YEAR))

## Build the wheel, install it in a fresh venv elsewhere and serve it (production).
install-smoke:
	PYTHON=$(PYTHON) bash .ci/install-smoke

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

checks: $(STAMP)
	DATABASE_URL=sqlite:///:memory: $(PY) manage.py makemigrations --check --dry-run
	$(DEPLOY_ENV) $(PY) manage.py check --deploy --fail-level WARNING

ci: test lint checks

## Extract and compile the translations (needs GNU gettext).
messages: $(STAMP)
	$(PY) manage.py makemessages -l de --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	$(PY) manage.py compilemessages -l de --ignore '.venv/*'

## Benchmarks (never in CI): all of them, or one with make bench-<name>
## (pages, reports, renewals, offer_pdf, outbox); results in bench/results/.
BENCHES := pages reports renewals offer_pdf outbox
bench: $(addprefix bench-,$(BENCHES))

bench-deps: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'

bench-%: bench-deps
	$(PY) bench/$*.py

clean:
	rm -rf var/celery var/mail var/staticfiles
