# The two commands the README promises, and what CI calls. `make help` lists them.
# Both work on a stock Debian/Ubuntu: they create a virtual environment (.venv) of their own with
# python3 and install crimegraph there (the system Python refuses `pip install` outside one).
.PHONY: help venv demo test lint doctor

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --disable-pip-version-check -q

help:
	@echo "make demo    - create .venv, install crimegraph and serve a demo graph (embedded store, no server) with its API and views"
	@echo "make test    - create .venv, install the test extras, Chromium and the Neo4j jars, then run the whole test suite"
	@echo "make lint    - ruff, ruff format --check, mypy --strict, import-linter (in .venv)"
	@echo "make doctor  - what this machine has and lacks for crimegraph and its tests, with a fix for each"
	@echo "then: source $(VENV)/bin/activate   (puts the crimegraph command on your PATH)"

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or newer (Debian/Ubuntu: apt-get install python3 python3-venv)"; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "could not create $(VENV): on Debian/Ubuntu run 'apt-get install python3-venv' first"; exit 1; }
	@$(BIN)/python -m pip install --disable-pip-version-check -q --upgrade pip

venv: $(BIN)/python

demo: venv
	$(PIP) -e '.[serve,identify]'
	$(BIN)/crimegraph demo

test: venv
	$(PIP) -e '.[test,serve]'
	bash .ci/install-chromium.sh
	$(BIN)/python .ci/neo4j/neo4j_server.py fetch
	PATH="$(abspath $(BIN)):$$PATH" VIRTUAL_ENV="$(abspath $(VENV))" $(BIN)/python -m pytest

lint: venv
	$(PIP) -e '.[test,serve]'
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

doctor: venv
	$(PIP) -e '.[test,serve]'
	$(BIN)/crimegraph doctor --tests
