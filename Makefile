# make help lists the targets. The first target that needs Python creates
# .venv from the pinned requirements, and installs the pinned test tools of
# tests/node (TimelineJS, the Nu HTML Checker, ...) with npm ci; later runs
# reuse both until their requirements or lock file change.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
READY  := $(VENV)/.ready
NODE   := tests/node
# npm writes this copy of the lock file into node_modules on every install.
NODE_READY := $(NODE)/node_modules/.package-lock.json

.DEFAULT_GOAL := help
.PHONY: help serve site check test fuzz golden bench lint format clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# Order-only: a new lock file reruns npm ci but does not rebuild the venv.
$(READY): requirements.txt requirements-dev.txt | $(NODE_READY)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# Without npm the tests that need these tools skip (and fail under CI=true),
# so an editor with only Python can still run make check.
$(NODE_READY): $(NODE)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		echo "npm ci --prefix $(NODE) --no-audit --no-fund"; \
		npm ci --prefix $(NODE) --no-audit --no-fund && touch $@; \
	else \
		echo "npm not found: the tests that need $(NODE) will skip"; \
	fi

serve: $(READY) ## build and preview at http://127.0.0.1:8000/, rebuilding on every save (PORT=8000)
	$(PY) build.py serve --port $(or $(PORT),8000)

site: $(READY) ## build the site into site/
	$(PY) build.py build

check: $(READY) ## check events.yaml and seeds/ (every problem, with file and line)
	$(PY) build.py check

test: $(READY) ## run the whole test suite, then lint
	$(PY) -m pytest
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fuzz: $(READY) ## fuzz the loader and the check with 5,000 generated inputs per test (a few minutes)
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest tests/test_fuzz.py -q --hypothesis-show-statistics

golden: $(READY) ## rebuild tests/golden/ after an intended change; then review git diff tests/golden/
	$(PY) tests/golden.py

bench: $(READY) ## time our build against MkDocs at 100 to 10,000 events, then the preview's reload (SIZES=100,1000)
	$(PY) bench/run.py $(if $(SIZES),--sizes $(SIZES))
	$(PY) bench/serve_latency.py

lint: $(READY) ## ruff: lint and formatting
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(READY) ## ruff: fix what can be fixed and reformat
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean: ## remove the virtual environment, build output and caches (bench/.cache too)
	rm -rf $(VENV) $(NODE)/node_modules site .pytest_cache .ruff_cache .hypothesis bench/.cache
