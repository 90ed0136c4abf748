# The two commands a newcomer needs: `make demo` (the lab demo) and `make test` (every suite).
# Each target sets up what it needs itself (scripts/bootstrap).
PY := .venv/bin/python
SHELL := /bin/bash
PUPPET_FILES := manifests functions types

.PHONY: demo test checks lint spec unit images acceptance vagrant bench reference bootstrap docker clean

demo: docker
	$(PY) -m cclab demo

# The independent steps at once (lint, rspec, the unit tests, the lab images: about 2.5 minutes
# less on two cores), then the labs one at a time.
test: docker
	$(MAKE) -j4 --output-sync=target checks
	$(MAKE) acceptance

checks: lint spec unit images

bootstrap:
	@scripts/bootstrap

docker:
	@scripts/bootstrap --docker

lint: bootstrap
	puppet parser validate $(shell find $(PUPPET_FILES) -name '*.pp')
	for t in templates/*.epp; do puppet epp validate "$$t" || exit 1; done
	puppet-lint --relative --fail-on-warnings $(PUPPET_FILES)
	shellcheck files/keepalived-config-test scripts/bootstrap .ci/run vagrant/host vagrant/provision-vm.sh vagrant/validate
	$(PY) -m json.tool metadata.json >/dev/null
	$(PY) -m ruff check cclab tests
	@echo "lint: all checks passed"

spec: bootstrap
	rspec spec

unit: bootstrap
	$(PY) -m pytest tests/unit

# One lab at a time (each bring-up removes what any lab left): the one-cluster lab's suites, the
# fleet's, then the Vagrant lab's; all run even when one fails, and any failing fails the target.
acceptance: docker
	$(PY) -m pytest tests/acceptance; one=$$?; \
	  $(PY) -m pytest tests/fleet; fleet=$$?; \
	  $(MAKE) -s vagrant; vagrant=$$?; \
	  [ $$one -eq 0 ] && [ $$fleet -eq 0 ] && [ $$vagrant -eq 0 ]

# The Vagrantfile: every provider's definition validated, then the docker provider's lab up, the
# VIP and gateway suites and its own tests run on it (tests/acceptance/test_vagrant_lab.py), destroyed.
VAGRANT_SUITES := tests/acceptance/test_vip.py tests/acceptance/test_gateway.py tests/acceptance/test_vagrant_lab.py
vagrant: docker
	vagrant/validate
	$(PY) -m pytest --backend=vagrant $(VAGRANT_SUITES)

# Every image the labs run (built once, reused by tag): the role images and the Vagrant boxes.
images: docker
	$(PY) -m cclab images

bench: docker
	$(PY) -m cclab bench

# REFERENCE.md is generated from the puppet-strings comments; tests/unit/test_reference.py
# fails when it is stale.
reference: bootstrap
	puppet strings generate --format markdown --out REFERENCE.md $(shell find $(PUPPET_FILES) -name "*.pp" | LC_ALL=C sort) 2>/dev/null

clean:
	-$(PY) -m cclab down
	rm -rf .pytest_cache spec/fixtures reports
