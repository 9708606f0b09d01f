# ecsops.fargate - the two commands a new user needs:
#   make demo    a deploy against the local AWS sandbox: publish, roll out, upgrade, a bad release rolled back
#   make test    every test suite and check
# Both do all the set-up first: apt packages (when missing), .venv from the pinned
# requirement files, the in-place collection link. Run `make help` for the rest.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# Tools from the venv win over anything else on PATH (ansible-test, molecule and
# ansible-lint call each other by name).
export PATH := $(abspath $(BIN)):$(PATH)

SANDBOX_PORT ?= 4566
# inventories/local reads it, so Molecule and playbooks follow `make SANDBOX_PORT=...`.
export ECSOPS_SANDBOX_PORT := $(SANDBOX_PORT)
SANDBOX_PIDFILE ?= .sandbox/sandbox.pid

# docker-registry, skopeo, buildah: the sandbox's real OCI registry and image tools;
# apache2-utils: htpasswd for the registry; shellcheck: lets ansible-test's shellcheck
# sanity test run instead of being skipped once shell scripts ship.
APT_PACKAGES := docker-registry skopeo buildah apache2-utils shellcheck
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := build/ecsops-fargate-$(VERSION).tar.gz
COLLECTION_LINK := .collections/ansible_collections/ecsops/fargate

.PHONY: help setup apt-packages venv collection-link test lint sanity unit sandbox-test molecule \
        demo sandbox sandbox-stop build changelog clean

help:
	@echo "make demo          start the sandbox and deploy the example app with playbooks/deploy.yml -i inventories/local"
	@echo "make test          all suites: ansible-lint, ansible-test sanity, unit, sandbox, molecule"
	@echo "make lint | sanity | unit | sandbox-test | molecule   one suite"
	@echo "make sandbox       start the sandbox on 127.0.0.1:$(SANDBOX_PORT) (pidfile $(SANDBOX_PIDFILE))"
	@echo "make sandbox-stop  stop it"
	@echo "make build         build $(TARBALL) and check it holds collection content only"
	@echo "make changelog     lint the changelog fragments and render CHANGELOG.rst"

# --- set-up ---------------------------------------------------------------------

setup: apt-packages venv collection-link

apt-packages:
	@command -v dpkg-query >/dev/null || { echo "apt-packages: needs Debian or Ubuntu (dpkg/apt)"; exit 1; }
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing apt packages:$$missing $(if $(SUDO),(with sudo))"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

venv: $(VENV)/.installed

$(PY):
	@test -n "$(PYTHON)" || { echo "venv: python3.11 not found"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "venv: $(PYTHON) is not Python 3.11 (ansible-core 2.19 and the pins need 3.11); set PYTHON=..."; exit 1; }
	@# Debian's python3 needs python3.11-venv for ensurepip.
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3.11-venv
	$(PYTHON) -m venv $(VENV)

# Reinstalls whenever a requirement file changes; otherwise the venv is reused as is.
$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt -c constraints.txt
	@touch $@

# Committed to git; recreated here in case a checkout lost it (e.g. an archive without symlinks).
collection-link:
	@test -L $(COLLECTION_LINK) || { mkdir -p $(dir $(COLLECTION_LINK)) && ln -sfn ../../.. $(COLLECTION_LINK); }

# --- tests ----------------------------------------------------------------------
# tools/run_suites.py runs every suite to the end, then prints one line per suite
# (passed/failed counts) and exits non-zero if any failed or ran no test.
#   lint     ansible-lint, profile production (.ansible-lint)
#   sanity   ansible-test sanity --local --python 3.11 on a copy of the collection at
#            <tmp>/ansible_collections/ecsops/fargate with amazon.aws and community.aws
#            beside it. No test is skipped: ansible-test creates a venv per test and
#            would download pip's bootstrap from ci-files.testing.ansible.com (not
#            reachable here), so run_suites seeds ansible-test's cache with the pip wheel
#            from PyPI and tools/sanity_get_pip.py. Tests with nothing to check yet
#            (e.g. validate-modules before the first module) are listed in the summary;
#            a test skipped for any other reason (a missing tool) counts as a failure.
#   unit     pytest tests/unit
#   sandbox  pytest -n 2 tests/sandbox (the sandbox's own suite)
#   molecule molecule test --all (extensions/molecule; the default scenario owns the sandbox)

test: setup
	$(PY) tools/run_suites.py

lint sanity unit molecule: setup
	$(PY) tools/run_suites.py $@

sandbox-test: setup
	$(PY) tools/run_suites.py sandbox

# --- sandbox and demo -------------------------------------------------------------

sandbox: setup
	$(PY) -m sandbox start --port $(SANDBOX_PORT) --profile fast --pidfile $(SANDBOX_PIDFILE)

sandbox-stop:
	$(PY) -m sandbox stop --pidfile $(SANDBOX_PIDFILE)

# The realistic profile: AWS-like durations, ten times faster (see sandbox/README.md). The sandbox
# keeps running afterwards (pidfile $(SANDBOX_PIDFILE)) for a look around; `make sandbox-stop` stops it.
demo: setup
	@$(PY) -m sandbox start --port $(SANDBOX_PORT) --profile realistic --pidfile $(SANDBOX_PIDFILE) || \
	  { echo "demo: could not start the sandbox on port $(SANDBOX_PORT) (already running? make sandbox-stop)"; exit 1; }
	@BIN=$(BIN) SANDBOX_PIDFILE=$(SANDBOX_PIDFILE) tools/demo.sh

# --- packaging --------------------------------------------------------------------

build: setup
	@rm -f $(TARBALL)
	$(BIN)/ansible-galaxy collection build --force --output-path build .
	@if tar -tzf $(TARBALL) | grep -E '^(\.venv|\.sandbox|\.collections|\.ansible|\.git|sandbox|tests|benchmarks|build|extensions|inventories|tools|ee|migration)(/|$$)'; then \
	  echo "build: $(TARBALL) holds the files above, which are not collection content"; exit 1; fi
	@echo "build: $(TARBALL) ($$(tar -tzf $(TARBALL) | wc -l) entries, collection content only)"

changelog: setup
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-changelog generate
	@rm -f changelogs/.plugin-cache.yaml

clean:
	rm -rf build tests/output .pytest_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
