# annbook: the commands the README gives.
#   make run    set up (.venv) and train a network from the command line
#   make test   set up (.venv, Chromium) and run every test: the notebooks and tests/
#   make lab    open the notebooks in JupyterLab
# Other targets: make export, make clean, make readme, make preview, make bench
.DEFAULT_GOAL := help
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# PyTorch for annbook.torch and its tests (the `torch` extra). These machines serve a CPU build under exactly
# this version; elsewhere choose your own, e.g. make test TORCH=torch TORCH_PIP="--index-url URL-of-a-CPU-build".
TORCH ?= torch==2.13.0
TORCH_PIP ?=

help:
	@sed -n '2,6p' Makefile

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(BIN)/python -m pip install -q $(TORCH_PIP) "$(TORCH)"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/annbook train --dataset parity --bits 4

lab: $(STAMP)
	$(BIN)/annbook lab

# The browser tests drive Debian's Chromium (Playwright's own browser download needs the web);
# the docs preview fetches the widget and MathJax scripts with npm, once (Node.js images ship npm).
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v npm >/dev/null || command -v node >/dev/null || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }

export: $(STAMP)
	$(BIN)/nbdev_export

clean: $(STAMP)
	$(BIN)/nbdev_clean

readme: $(STAMP)
	$(BIN)/python tools/make_readme.py

preview: $(STAMP)
	$(BIN)/python tools/preview.py

test: $(STAMP) chromium
	$(BIN)/nbdev_test --n_workers 2
	ANNBOOK_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e ".[bench]"
	$(BIN)/python benchmarks/bench_stepping.py
	$(BIN)/python benchmarks/profile_tiny.py > benchmarks/PROFILE.md
	$(BIN)/python benchmarks/run.py

.PHONY: help setup run lab chromium export clean readme preview test bench
