# o2o-sim: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Find a Python >= 3.12: pyenv's choice (.python-version), then python3.12, python3.13, python3.
PYTHON_CANDIDATES := $(shell command -v pyenv >/dev/null 2>&1 && pyenv which python 2>/dev/null) \
                     $(shell command -v python3.12 2>/dev/null) $(shell command -v python3.13 2>/dev/null) \
                     $(shell command -v python3 2>/dev/null)
BASE_PYTHON := $(firstword $(foreach p,$(PYTHON_CANDIDATES),$(shell $(p) -c 'import sys; print("$(p)" if sys.version_info >= (3, 12) else "")' 2>/dev/null)))

.PHONY: run test venv lint bench clean help dashboard browser

# make dashboard HOST=<address> PORT=8000 serves it beyond this machine: the page has no
# authentication (the server warns), so only on a network you trust
HOST ?= 127.0.0.1
PORT ?= 8765

help:
	@echo "make run   - set up .venv, run the default scenario, write results and figures to outputs/"
	@echo "make test  - set up .venv, run the whole test suite"
	@echo "make lint  - ruff"
	@echo "make dashboard [HOST=127.0.0.1 PORT=8765] - the browser dashboard: lessons for a class, cities side by side"
	@echo "make browser - install Debian's chromium for the browser test (make test does it)"
	@echo "make bench - measure speed and memory of every workload -> docs/PERFORMANCE.md (about 10 min; BENCH_ARGS=--quick for a smoke run)"

$(STAMP): pyproject.toml
	@if [ -z "$(BASE_PYTHON)" ]; then \
	  echo "error: Python >= 3.12 not found (tried: $(PYTHON_CANDIDATES)). Install it, e.g. 'pyenv install 3.12', and retry." >&2; exit 1; fi
	@echo "using $(BASE_PYTHON) ($$($(BASE_PYTHON) --version))"
	test -x $(PY) || $(BASE_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,cluster,viz,research]"
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) -m sim

test: $(STAMP) browser
	$(PY) -m pytest -q

# The browser test drives Debian's chromium (never a browser downloaded by playwright).
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  echo "installing chromium (apt-get)"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; \
	fi

dashboard: $(STAMP)
	$(VENV)/bin/o2o-dashboard --host $(HOST) --port $(PORT)

# make bench BENCH_ARGS=--quick: every measurement at small sizes, printed, nothing written
bench: $(STAMP)
	$(PY) experiments/bench/run.py $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check sim tests experiments

clean:
	rm -rf $(VENV) outputs multirun .pytest_cache
