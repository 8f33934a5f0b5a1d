# Two entry points: `make demo` (the main job) and `make test` (what CI runs).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: setup cli demo test lint bench stress-test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

PULUMI_CLI := tools/pulumi-offline/pulumi-cli.sh

cli: setup
	$(PULUMI_CLI) >/dev/null

demo: cli
	tools/demo.sh

lint: setup
	$(VENV)/bin/ruff check .   # every tracked room; git-ignored caches are skipped

PYTEST := REQUIRE_PULUMI_CLI=1 REQUIRE_PULUMI_YAML=1 $(VENV)/bin/python -m pytest

test: cli lint
	eval "$$($(PULUMI_CLI))" && $(PYTEST)

# Not CI: `make test`'s pytest N times (default 10) under a 2-core load; prints the pass count.
# PYTEST_ARGS narrows it, e.g. `make stress-test N=1 PYTEST_ARGS=tests/test_deadline.py`.
N ?= 10
stress-test: cli lint
	eval "$$($(PULUMI_CLI))" && tools/stress-test.sh $(N) env $(PYTEST) $(PYTEST_ARGS)

bench: cli
	$(VENV)/bin/pip install --quiet -e '.[test,bench]' && eval "$$($(PULUMI_CLI))" && $(VENV)/bin/python -m benchmarks.run $(if $(QUICK),--quick)
