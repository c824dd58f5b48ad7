# make help lists the targets. The first target that needs Python creates
# .venv from the pinned requirements; later runs reuse it until the
# requirements change.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
READY  := $(VENV)/.ready

.DEFAULT_GOAL := help
.PHONY: help check test lint format clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(READY): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

check: $(READY) ## check events.yaml and seeds/ (every problem, with file and line)
	$(PY) build.py check

test: $(READY) ## run the whole test suite, then lint
	$(PY) -m pytest
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

lint: $(READY) ## ruff: lint and formatting
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(READY) ## ruff: fix what can be fixed and reformat
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean: ## remove the virtual environment, build output and caches
	rm -rf $(VENV) site .pytest_cache .ruff_cache .hypothesis
