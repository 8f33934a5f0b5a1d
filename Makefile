# Two entry points: `make demo` (the main job) and `make test` (what CI runs).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: setup cli demo test lint bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

cli: setup
	scripts/pulumi-cli.sh >/dev/null

demo: cli
	scripts/demo.sh

lint: setup
	$(VENV)/bin/ruff check provider tests examples scripts __main__.py

test: cli lint
	eval "$$(scripts/pulumi-cli.sh)" && REQUIRE_PULUMI_CLI=1 $(VENV)/bin/python -m pytest

bench: setup
	$(VENV)/bin/python scripts/bench.py
