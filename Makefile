# Two commands matter: `make lab` and `make test`. Both set up everything they need,
# from a fresh machine, and are safe to run again (stamps in .make/ skip finished steps).

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMPS := .make
export PATH := $(BIN):$(PATH)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

JS_SOURCES := $(shell find src style schema -type f 2>/dev/null) package.json tsconfig.json

.PHONY: lab test install lint test-py test-js test-ui test-ui-after-checks bench clean

## lab: install everything and start JupyterLab with the extension
lab: install
	jupyter lab --ServerApp.allow_root=True $(LAB_ARGS)

## test: install everything and run every suite (lint, Python, TypeScript, browser)
# The independent install steps run side by side, and so do the suites: the Python tests
# beside lint and the TypeScript tests, then beside the browser tests. Each suite spends
# much of its time waiting on its own kernels, servers and browser, so together they take
# little more than the longest one. Each suite's output is printed whole when it ends.
test:
	$(MAKE) --no-print-directory -j3 --output-sync=target $(STAMPS)/install /usr/bin/chromium \
		$(STAMPS)/ui-deps
	$(MAKE) --no-print-directory -j3 --output-sync=target test-py test-ui-after-checks

# The browser tests start once lint and the TypeScript tests are done: those two take all
# the CPU for a few minutes, and a JupyterLab page starved of it misses Galata's start-up wait.
test-ui-after-checks: lint test-js
	$(MAKE) --no-print-directory test-ui

# Its steps side by side (unless a parallel make already runs this one).
install:
	$(MAKE) --no-print-directory $(if $(filter -j%,$(MAKEFLAGS)),,-j3) --output-sync=target \
		$(STAMPS)/install

$(STAMPS):
	mkdir -p $(STAMPS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The build backend's own requirements, so that the editable install needs no isolation.
$(STAMPS)/build-deps: | $(BIN)/python $(STAMPS)
	$(BIN)/pip install --quiet "hatchling>=1.5" "hatch-nodejs-version>=0.3.2" editables \
		"hatch-jupyter-builder>=0.5" "jupyterlab>=4.0,<5"
	touch $@

$(STAMPS)/js-deps: package.json yarn.lock .yarnrc.yml $(STAMPS)/build-deps
	jlpm install
	touch $@

# The package and its Python dependencies, side by side with the JavaScript steps: the
# front end is built by the rule below, not by the editable install's build hook.
$(STAMPS)/py-deps: pyproject.toml $(STAMPS)/build-deps
	SKIP_JUPYTER_BUILDER=1 $(BIN)/pip install --quiet --no-build-isolation -e ".[test,dev,collaboration]"
	touch $@

$(STAMPS)/install: $(STAMPS)/py-deps labextension/package.json
	jupyter labextension develop --overwrite .
	jupyter server extension enable --sys-prefix jupyter_codeact
	touch $@

# Rebuild the front end when its sources change.
labextension/package.json: $(JS_SOURCES) $(STAMPS)/js-deps
	jlpm build
	touch $@

lint: install
	ruff check jupyter_codeact tests benchmarks
	ruff format --check jupyter_codeact tests benchmarks
	mypy
	python -m jupyter_codeact.server.wire_ts --check
	jlpm lint:check
	jlpm typecheck

# Two processes (pytest-xdist): the tests share nothing but the machine.
PYTEST_WORKERS ?= 2

test-py: install
	pytest -n $(PYTEST_WORKERS)

test-js: install
	jlpm test

# Debian's Chromium: Playwright's own browser download does not work everywhere.
/usr/bin/chromium:
	apt-get install -y chromium || (apt-get update && apt-get install -y chromium)

$(STAMPS)/ui-deps: ui-tests/package.json ui-tests/yarn.lock ui-tests/.yarnrc.yml | $(STAMPS)/build-deps
	cd ui-tests && jlpm install
	touch $@

## test-ui: the browser tests (Galata in Chromium) and their benchmark figures
test-ui: install /usr/bin/chromium $(STAMPS)/ui-deps
	cd ui-tests && jlpm tsc -p tsconfig.json && jlpm playwright test

## bench: the benchmarks (figures, not pass/fail)
bench: install
	python benchmarks/loop_overhead.py
	python benchmarks/prompt_size.py
	python benchmarks/eval_suite.py
	python benchmarks/redaction.py
	python benchmarks/tools_overhead.py
	python benchmarks/cells.py
	python benchmarks/document_scaling.py

clean:
	rm -rf $(STAMPS) labextension lib node_modules $(VENV) .pytest_cache .mypy_cache .ruff_cache \
		ui-tests/node_modules ui-tests/test-results ui-tests/playwright-report
