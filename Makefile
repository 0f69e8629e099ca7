# The two commands a newcomer runs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
# threads of the job worker beside gunicorn (certificates, exports, mail)
JOB_WORKERS ?= 2

.PHONY: run test install install-test system-packages system-packages-test serve lint bench translations lock clean

# Certificates and emails link here; a deployment sets its own public address.
run: export LMS_PUBLIC_URL ?= http://$(HOST):$(PORT)
run: export LMS_LOG_FORMAT ?= text
run: install system-packages
	$(BIN)/lms init
	$(BIN)/lms import
	$(BIN)/lms demo
	@echo "Serving on http://$(HOST):$(PORT) with a job worker  (Ctrl-C stops both)"
	@$(BIN)/lms worker --workers $(JOB_WORKERS) & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/gunicorn -c gunicorn.conf.py --workers $(WORKERS) --bind $(HOST):$(PORT) wsgi:app

test: install-test system-packages-test
	$(BIN)/ruff check lms tests benchmarks
	$(BIN)/pytest -n auto --dist loadfile  # a worker per core; each file's tests stay on one worker

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Dependencies come from the lock files (exact versions, with hashes); the package itself on top.
$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements-test.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# After changing dependencies in pyproject.toml: pin them (the versions already locked are kept;
# UPGRADE=1 takes the newest of everything), then run `make test`.
LOCK_FLAGS = --universal --python-version 3.11 --generate-hashes --extra postgres --extra redis $(if $(UPGRADE),--upgrade)
lock: $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) --extra test -o requirements-test.lock

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

system-packages:
	@scripts/system-packages.sh

system-packages-test:
	@scripts/system-packages.sh --test

lint: install-test
	$(BIN)/ruff check lms tests benchmarks

bench: install-test
	$(BIN)/python benchmarks/run.py

# After changing UI strings: extract them, update the catalogues, then translate and compile.
translations: install-test
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o lms/translations/messages.pot --no-location --sort-output --project lms .
	$(BIN)/pybabel update -D lms -i lms/translations/messages.pot -d lms/translations -l zh_Hans_CN --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -D lms -d lms/translations

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
