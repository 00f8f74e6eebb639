# The two commands the README promises, and what CI calls. `make help` lists them.
.PHONY: help demo test lint

help:
	@echo "make demo  - install crimegraph and serve a demo graph (embedded store, no server) with its API and views"
	@echo "make test  - install the test extras, Chromium and the Neo4j jars, then run the whole test suite"
	@echo "make lint  - ruff, ruff format --check, mypy --strict, import-linter"

demo:
	python -m pip install --disable-pip-version-check -q -e .
	crimegraph demo

test:
	python -m pip install --disable-pip-version-check -q -e '.[test]'
	bash .ci/install-chromium.sh
	python .ci/neo4j/neo4j_server.py fetch
	python -m pytest

lint:
	ruff check .
	ruff format --check .
	mypy
	lint-imports
