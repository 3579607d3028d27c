# Honk: `make run` installs and starts Honk; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
OPENAPI_PIN   := tests/fakes/github/openapi
OPENAPI_DIR   := .honk-tools/openapi
OPENAPI_STAMP := $(OPENAPI_DIR)/.installed

.PHONY: run install install-dev test lint typecheck pytest bench system-deps system-tools clean

run: install
	$(BIN)/honk serve

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

install-dev: $(DEVSTAMP)

$(DEVSTAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP) $@

# Tools the tests use for real: git, bubblewrap (the agent's sandbox), prlimit, python3; socat
# (setup's bridge to the egress proxy), curl, node and npm (the setup tests' commands), gcc and
# make (the C tasks of `honk eval --builtin`).
# Each tool as `command:package`; only the missing ones are installed (a machine whose node
# and npm come from elsewhere must not get Debian's npm, which conflicts with them).
SYSTEM_TOOLS = git:git bwrap:bubblewrap prlimit:util-linux /usr/bin/python3:python3 \
  /usr/bin/python3:python3-venv socat:socat curl:curl node:nodejs npm:npm chromium:chromium \
  gcc:gcc make:make
system-deps: system-tools $(OPENAPI_STAMP)

system-tools:
	@missing=""; for pair in $(SYSTEM_TOOLS); do \
	  command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      (apt-get install -y -qq $$missing >/dev/null 2>&1 || \
	       (apt-get update -qq && apt-get install -y -qq $$missing >/dev/null)); \
	    else echo "note: install$$missing for the sandbox and browser tests" \
	      "(python3 in /usr/bin: the editor escape test runs it in the sandbox)"; fi; fi

# GitHub's REST API description (the npm package @octokit/openapi, the version pinned in
# tests/fakes/github/openapi/): the fake GitHub judges every request it receives against it.
# Installed once into the git-ignored .honk-tools/openapi; again only when the pin changes.
$(OPENAPI_STAMP): $(OPENAPI_PIN)/package.json $(OPENAPI_PIN)/package-lock.json | system-tools
	@if command -v npm >/dev/null 2>&1; then \
	  mkdir -p $(OPENAPI_DIR) && cp $^ $(OPENAPI_DIR)/ && \
	  (cd $(OPENAPI_DIR) && npm ci --silent --no-audit --no-fund --ignore-scripts) && touch $@ || \
	  echo "note: npm could not install @octokit/openapi: the tests that judge GitHub requests skip"; \
	else echo "note: install npm for GitHub's API description (the tests that judge requests skip)"; fi

test: install-dev system-deps lint typecheck pytest

lint:
	$(BIN)/ruff check app tests
	$(BIN)/ruff format --check app tests

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/pytest -q

bench: install-dev system-deps
	$(BIN)/python -m tests.bench $(BENCH)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
