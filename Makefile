# The two commands: `make run` and `make test`. Both create .venv and install.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
POS_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export POS_TEST_DATABASE_URL

# Debian packages: a CJK font for PDFs (run and test); Chromium and poppler for the tests.
RUN_DEBS := fonts-noto-cjk
TEST_DEBS := fonts-noto-cjk chromium poppler-utils postgresql-client

.PHONY: run test install install-dev debs-run debs-test print-fonts translations messages lint pytest pytest-pg bench clean

run: install debs-run print-fonts translations
	$(BIN)/pos init
	POS_PORT=$(PORT) $(BIN)/pos demo --if-empty
	@# the print spooler runs next to the web server and stops with it
	@$(BIN)/pos print-worker & worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  $(BIN)/pos serve --port $(PORT)

test: install-dev debs-test print-fonts translations lint pytest pytest-pg

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Install missing Debian packages when we are root with apt; otherwise say how.
define ensure_debs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages:$$missing"; \
	    echo "Install them with:  sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
endef

debs-run:
	$(call ensure_debs,$(RUN_DEBS))

debs-test:
	$(call ensure_debs,$(TEST_DEBS))

# The print font: a GB 2312 subset of Noto Sans CJK SC (from fonts-noto-cjk) into .venv/share/pos-print-fonts,
# which PDFs embed instead of the 20 MB system font: an A5 invoice renders in half the time (printing/print_fonts.py).
# About 15 s the first time; afterwards it only checks that sources, character set and builder are unchanged.
# Without fonts-noto-cjk it builds nothing and PDFs use the system font.
print-fonts: | $(VENV)/.installed
	@$(BIN)/python -m printing.print_fonts

# Compiled catalogues (.mo) are built here, not committed.
translations: | $(BIN)/python
	@$(BIN)/pybabel compile -d pos/translations >/dev/null

# For developers: refresh the .pot and the catalogues after changing UI strings.
messages: install-dev
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location --omit-header --sort-output -o pos/translations/messages.pot .
	$(BIN)/python -m pos.testing.translate

lint:
	$(BIN)/ruff check .

pytest:
	$(BIN)/pytest -m "not pg" -q --durations=15

# The PostgreSQL part: concurrency, locks, migrations and backups on a real server.
pytest-pg:
	@if $(BIN)/python -m pos.testing.pgcheck; then \
	  $(BIN)/pytest -m pg -q --durations=5; \
	else \
	  echo "PostgreSQL at $$POS_TEST_DATABASE_URL is not reachable: the PostgreSQL tests were NOT run."; \
	  if [ -n "$$CI" ]; then exit 1; fi; \
	fi

bench: install-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
