# Two entry points: `make demo` (the main job) and `make test` (what CI runs).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: setup cli tofu demo test lint bench sdk dist stress-test

# pip's output goes to a log; a line every 20 s says how many packages it has reached.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@echo "setup: installing Python packages into $(VENV) (log: $(VENV)/setup.log)"
	@PROGRESS_PATTERN='^(Collecting|Requirement already)' tools/progress.sh "setup: pip install" \
	    packages $(VENV)/setup.log -- sh -c "$(VENV)/bin/pip install --progress-bar off --upgrade pip \
	    && $(VENV)/bin/pip install --progress-bar off -e '.[test,dist]'" \
	    || { tail -n 30 $(VENV)/setup.log; exit 1; }
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

# The SDKs in sdk/, regenerated from the plugin's schema (tests/test_sdks.py keeps them in sync).
sdk: setup
	$(VENV)/bin/python -m github_app_token.plugin.schema > provider/github_app_token/plugin/schema.json
	"$$(tools/sdkgen/build.sh)" generate -schema provider/github_app_token/plugin/schema.json -out sdk
	cd sdk/go && GOWORK=off go mod tidy

# Every release artifact into dist/ (docs/releasing.md); the tests of tests/dist/ use them.
dist: setup
	tools/dist.sh

PYTEST := REQUIRE_PULUMI_CLI=1 REQUIRE_PULUMI_YAML=1 REQUIRE_DIST=1 REQUIRE_TOFU=1 $(VENV)/bin/python -m pytest

test: cli tofu lint dist
	eval "$$($(PULUMI_CLI))" && eval "$$($(TOFU_CLI) --exports)" && $(PYTEST)

# Not CI: `make test`'s pytest N times (default 10) under a 2-core load; prints the pass count.
# PYTEST_ARGS narrows it, e.g. `make stress-test N=1 PYTEST_ARGS=tests/test_deadline.py`.
N ?= 10
stress-test: cli tofu lint dist
	eval "$$($(PULUMI_CLI))" && eval "$$($(TOFU_CLI) --exports)" && tools/stress-test.sh $(N) env $(PYTEST) $(PYTEST_ARGS)

bench: cli tofu
	$(VENV)/bin/pip install --quiet -e '.[test,bench]' && eval "$$($(PULUMI_CLI))" && eval "$$($(TOFU_CLI) --exports)" && $(VENV)/bin/python -m benchmarks.run $(if $(QUICK),--quick)
