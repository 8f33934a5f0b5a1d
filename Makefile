# Two entry points: `make demo` (the main job) and `make test` (what CI runs).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: setup cli tofu demo test lint bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

PULUMI_CLI := tools/pulumi-offline/pulumi-cli.sh

cli: setup
	$(PULUMI_CLI) >/dev/null

# OpenTofu for the Terraform face, built once from the Go module proxy into .cache/opentofu.
TOFU_CLI := tools/opentofu/tofu.sh

tofu:
	$(TOFU_CLI) >/dev/null

demo: cli tofu
	tools/demo.sh

lint: setup
	$(VENV)/bin/ruff check .   # every tracked room; git-ignored caches are skipped

test: cli tofu lint
	eval "$$($(PULUMI_CLI))" && eval "$$($(TOFU_CLI) --exports)" && REQUIRE_PULUMI_CLI=1 REQUIRE_PULUMI_YAML=1 REQUIRE_TOFU=1 $(VENV)/bin/python -m pytest

bench: cli tofu
	$(VENV)/bin/pip install --quiet -e '.[test,bench]' && eval "$$($(PULUMI_CLI))" && eval "$$($(TOFU_CLI) --exports)" && $(VENV)/bin/python -m benchmarks.run $(if $(QUICK),--quick)
