# ChronoEdge developer commands. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VAR := var

.DEFAULT_GOAL := help
.PHONY: help install run test lint format bench screenshots clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install ChronoEdge (editable) with the dev tools

run: $(STAMP) ## start central, a MASTER box and an emulated LLRP reader; print the URLs
	scripts/run.sh

lint: $(STAMP) ## ruff (lint + format check), mypy and the import contract (.importlinter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy edge central ota bench scripts
	$(BIN)/lint-imports

format: $(STAMP) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint ## lint, type checks, then the whole test suite
	$(BIN)/pytest

bench: $(STAMP) ## run the benchmarks under bench/ and print their figures
	$(BIN)/python -m bench.bench_results
	$(BIN)/python -m bench.bench_screen
	$(BIN)/python -m bench.bench_crossing
	$(BIN)/python -m bench.bench_ingest
	$(BIN)/python -m bench.sync_backlog
	$(BIN)/python -m bench.jobs_vs_huey

screenshots: $(STAMP) ## run the make run demo 4 minutes, photograph its pages into docs/screenshots/
	$(BIN)/python scripts/screenshots.py

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) $(VAR) .pytest_cache .mypy_cache .ruff_cache
