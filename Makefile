# kplan — developer entry points. `make demo` and `make test` set up everything they need.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell sha256sum pyproject.toml 2>/dev/null | cut -c1-12)

.PHONY: lint venv stack-up stack-down stack-wipe stack-status stack-logs demo test unit bench bench-peers bench-compare fault-sweep clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kplan needs Python 3.11 or newer (found %s)" % sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "could not create a virtualenv: install python3-venv (apt-get install python3-venv)"; exit 1; }
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	@rm -f $(VENV)/.installed-*; touch $@

venv: $(STAMP)

stack-up: venv
	dev/stack up

stack-down: venv
	dev/stack down

stack-wipe: venv
	dev/stack down --wipe

stack-status: venv
	dev/stack status

stack-logs: venv
	dev/stack logs

# The main job against the local stack: validate, plan and apply the CDC demo stack, then show a change event.
demo: venv
	$(PY) dev/demo.py

# The whole suite, integration tests included: the test session starts the stack (or reuses a running one)
# and stops it again if it started it.
test: lint
	$(PY) -m pytest

# Checks that keep the shape, fast, before any test: ruff (imports, unused code, style) over everything, mypy over the
# pure rooms, and the layers contract (.importlinter: which package may import which; no cycles between them).
lint: venv
	$(VENV)/bin/ruff check kplan tests bench dev
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache --no-logo

unit: venv
	$(PY) -m pytest -m 'not integration'

# Benchmarks print JSON (numbers, not pass/fail): plan at 2,000 topics / 200 connectors, apply of 1,000 topics.
# dev/ on PYTHONPATH: the benchmarks use the local stack's package (dev/localstack/).
bench: venv
	PYTHONPATH=dev $(PY) bench/plan_scale.py
	PYTHONPATH=dev $(PY) bench/apply_scale.py

# The peers bench/compare_peers.py measures kplan against, built from their Go modules at pinned versions into
# .bench-peers/bin (gitignored): topicctl and the Terraform Kafka provider (needs Go; Terraform's CLI on PATH).
bench-peers:
	bench/peers/build.sh

# kplan against topicctl, Terraform and the raw floor at 1,000 topics, interleaved, one JSON (bench/README.md).
# COMPARE_ARGS, e.g. `--topics 10000 --peer-max-topics terraform=1000 --runs 3`.
bench-compare: venv
	PYTHONPATH=dev $(PY) bench/compare_peers.py $(COMPARE_ARGS)

# The full kill sweep (issue 11): SIGKILL kplan at every transition of its state during apply, destroy, `recover
# --resume` and `recover --rollback`, recover, and classify the cluster (BEFORE / AFTER / NEITHER). Prints its figures
# as JSON (about 30-40 minutes with 2 workers; SWEEP_ARGS, e.g. `--modes apply/rollback --workers 3`, narrows it).
# `make test` runs a sampled set (tests/integration/test_fault_sweep.py).
fault-sweep: stack-up
	PYTHONPATH=dev $(PY) tests/integration/fault_sweep.py $(SWEEP_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
