# Herald — the commands the README uses. Only Python >= 3.11 and make are needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(PY) -m flask --app wsgi
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test bench install lint format migrate migration clean help

help:
	@echo "make run    - install, migrate, seed the demo and start web + worker + scheduler + dev inbox"
	@echo "make test   - run the whole test suite"
	@echo "make bench  - run the benchmarks (uses DATABASE_URL / REDIS_URL, PostgreSQL and Redis)"
	@echo "make lint   - ruff check and format check"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Herald needs Python >= 3.11"'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# The gettext catalogs (webapp/translations/*/LC_MESSAGES/messages.po) are compiled on every
# install: .mo files are build output, never committed (docs/i18n.md).
install: $(STAMP)
	$(VENV)/bin/pybabel -q compile -d webapp/translations -D messages

run: install
	$(FLASK) db upgrade
	$(FLASK) herald seed-demo
	$(FLASK) herald run-dev

test: install
	$(PY) -m pytest

bench: install
	$(PY) -m benchmarks.run $(ONLY)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrate: install
	$(FLASK) db upgrade

# make migration MSG="add a column": autogenerate a migration from the models
migration: install
	$(FLASK) db migrate -m "$(MSG)"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
