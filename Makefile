# ChronoEdge developer commands. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make lock` keeps every pin it can (a new dependency changes only what it needs);
# `make lock UPGRADE=1` moves every pin to the newest version the ranges allow.
LOCK_UPGRADE := $(if $(UPGRADE),--upgrade,)
VAR := var
# The lock of this machine's platform: the versions the tests passed with, with hashes.
ARCH := $(shell uname -m)
LOCK := locks/dev-linux-$(ARCH)-cp311.txt
LOCK_TARGETS := linux-x86_64-cp311 linux-aarch64-cp311
# What each target's locks are resolved for: the newest glibc its wheels may need
# (ota/targets.py says why; tests/unit/test_locks.py checks the locks' headers).
PLATFORM_x86_64 := x86_64-manylinux_2_28
PLATFORM_aarch64 := aarch64-manylinux_2_36

.DEFAULT_GOAL := help
.PHONY: help install lock run test lint format bench chaos screenshots arm64-check image image-test clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml $(LOCK)
	@test -f $(LOCK) || { echo "no lock file for $(ARCH): $(LOCK) (make lock on a machine with network)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## create .venv: the locked versions (locks/), then ChronoEdge (editable)

lock: $(STAMP) ## refresh locks/ from pyproject.toml's ranges (uv, per target, with hashes; UPGRADE=1 moves every pin to the newest)
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --quiet $(LOCK_UPGRADE) \
	  --python-platform $(PLATFORM_x86_64) -o locks/linux-x86_64-cp311.txt
	# The Pi gets the versions central and the tests run (the x86-64 pins as constraints).
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --quiet $(LOCK_UPGRADE) \
	  --python-platform $(PLATFORM_aarch64) -c locks/linux-x86_64-cp311.txt \
	  -o locks/linux-aarch64-cp311.txt
	for platform in $(PLATFORM_x86_64) $(PLATFORM_aarch64); do \
	  arch=$${platform%%-*}; \
	  $(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --quiet $(LOCK_UPGRADE) \
	    --extra dev --python-platform $$platform -c locks/linux-$$arch-cp311.txt \
	    -o locks/dev-linux-$$arch-cp311.txt || exit 1; \
	done

run: $(STAMP) ## start central, a MASTER box and an emulated LLRP reader; print the URLs
	scripts/run.sh

lint: $(STAMP) ## ruff, mypy, the import contract (.importlinter), ansible-lint and shellcheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy edge central ota bench scripts image
	$(BIN)/lint-imports
	cd ansible && PATH="$(CURDIR)/$(BIN):$$PATH" ansible-lint --profile production --offline -q
	cd image/ansible && ANSIBLE_ROLES_PATH=$(CURDIR)/ansible/roles PATH="$(CURDIR)/$(BIN):$$PATH" ansible-lint --profile production --offline -q image.yml
	@command -v shellcheck >/dev/null || { echo "shellcheck is missing: apt install shellcheck (.ci/debian-packages.txt)"; exit 1; }
	shellcheck .ci/run $$(git ls-files '*.sh')

format: $(STAMP) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint ## lint, type checks, then the whole test suite
	$(BIN)/pytest

BENCHES = bench_results "bench_screen 20000" bench_crossing bench_ingest sync_backlog \
	jobs_vs_huey bench_hostile bench_live bench_exports bench_public bench_memory bench_pages \
	bench_predict bench_runner

bench: $(STAMP) ## run every benchmark under bench/, each figure next to its goal; fails if one is missed
	@failed=""; for b in $(BENCHES); do \
		echo "== $$b"; $(BIN)/python -m bench.$$b || failed="$$failed $$b"; \
	done; \
	if [ -n "$$failed" ]; then echo "over their goals:$$failed"; exit 1; fi

# `make chaos SEED=7 MINUTES=30`: as root (namespaces, WireGuard); central on PostgreSQL
# when CHRONO_TEST_POSTGRES_URL is set. docs/chaos.md says how to read and replay it.
SEED ?= 1
MINUTES ?= 5
chaos: $(STAMP) ## a seeded fault campaign over a real event network, its table (SEED=1 MINUTES=5)
	$(BIN)/python -m tests.chaos --seed $(SEED) --minutes $(MINUTES)

screenshots: $(STAMP) ## run the make run demo 4 minutes, photograph its pages into docs/screenshots/
	$(BIN)/python scripts/screenshots.py

# The Debian packages arm64-check needs beyond .ci/debian-packages.txt.
ARM64_PACKAGES := mmdebstrap qemu-user-static binfmt-support

arm64-check: $(STAMP) ## the Pi's bundle: build, verify, install offline in an arm64 rootfs (qemu-user; minutes)
	@missing=$$(for p in $(ARM64_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "arm64-check needs root and: $$missing"; exit 1; fi; \
	fi
	$(BIN)/python -m tests.e2e.arm64

# The Debian packages make image / image-test need beyond .ci/debian-packages.txt.
IMAGE_PACKAGES := mmdebstrap qemu-user-static binfmt-support genimage bmap-tools dosfstools \
  mtools e2fsprogs fdisk xz-utils qemu-system-arm

image-packages:
	@missing=$$(for p in $(IMAGE_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "make image needs root and: $$missing"; exit 1; fi; \
	fi
	$(BIN)/python -c "from tests.e2e.arm64 import enable_qemu_aarch64; enable_qemu_aarch64()"

image: $(STAMP) image-packages ## the Pi 4 SD card: build/chronoedge-<version>-pi4-arm64.img.xz (+ .sha256, .bmap; ~30 min cold)
	$(BIN)/python -m image.build

image-test: $(STAMP) image-packages ## build the image, check its boot partition, boot it in qemu-system-aarch64 (long; not in CI; IMAGE=raw.img boots an image already built)
	$(BIN)/python -m image.check $(if $(IMAGE),--image $(IMAGE))

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) $(VAR) .pytest_cache .mypy_cache .ruff_cache
