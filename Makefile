# kplan — developer entry points. `make demo` and `make test` set up everything they need.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell sha256sum pyproject.toml 2>/dev/null | cut -c1-12)

.PHONY: release docs durations browser-deps matrix matrix-smoke lint schemas crds venv stack-up stack-down stack-wipe stack-status stack-logs forge-up runners demo test unit unit-fast tools integration bench bench-peers bench-compare fault-sweep request-sweep scale-test clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kplan needs Python 3.11 or newer (found %s)" % sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "could not create a virtualenv: install python3-venv (apt-get install python3-venv)"; exit 1; }
	@$(PY) -m pip install -q --disable-pip-version-check 'uv>=0.13,<0.14' >/dev/null 2>&1 || echo "(uv not installed: pip installs the rest)"
	@if [ -x $(VENV)/bin/uv ]; then set -x; $(VENV)/bin/uv pip install -q --python $(PY) --compile-bytecode -e '.[test]' --config-setting editable_mode=compat; \
	else set -x; $(PY) -m pip install -q --disable-pip-version-check -e '.[test]' --config-settings editable_mode=compat; fi
	@rm -f $(VENV)/.installed-*; touch $@

# uv installs the test dependencies into the virtualenv (pip when uv cannot be had): a clean clone's install took
# 28 s with pip and 5 s with uv, the same packages at the same versions (2026-11-26), at the head of every CI run.
# The editable install is setuptools' "compat" mode: a path in a .pth file. Its default mode installs an import
# finder that every Python process imports at start-up (15-21 ms each, measured with -X importtime; an installed
# wheel has none), which the tests and the benchmarks would pay in every kplan process.
# The dependencies' bytecode is compiled as they are installed (uv's --compile-bytecode; pip compiles by default):
# uv leaves it out by default, and with PYTHONDONTWRITEBYTECODE set every kplan process then compiled click, PyYAML
# and the rest again (a fresh clone's `kplan --help`: 0.20 s of CPU instead of 0.11, medians; issue 67.7).
# tests/unit/test_install_bytecode.py checks that `kplan` compiles no module at import after this, the wheel's
# install and the Dockerfile's.
# kplan's bytecode, compiled ahead (~0.1 s when up to date): with PYTHONDONTWRITEBYTECODE set, as on CI machines and
# this project's, an editable install would otherwise compile ~140 modules in every kplan process (0.15-0.3 s of CPU
# each: the tests run kplan hundreds of times, the benchmarks time it). An installed wheel has its bytecode already.
# Then the code of every dataclass's methods (kplan.start.warm_dataclasses: ~25 % of a small command's CPU, compiled at
# every start otherwise; an installed kplan writes it on its first run unless PYTHONDONTWRITEBYTECODE is set).
venv: $(STAMP)
	@$(PY) -m compileall -q kplan >/dev/null
	@$(PY) -c 'import kplan.start as s; s.warm_dataclasses()'

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

# The local forge (Gitea, on 127.0.0.1:13000; docs/local-stack.md), built from its Go module on first use (766 CPU-s
# once per machine, kept in ~/.m2/kplan/), and the CI examples' runners (act, gitlab-ci-local), installed likewise.
forge-up: venv
	dev/stack up --only forge

runners: venv
	dev/stack runners

# The main job against the local stack: validate, plan and apply the CDC demo stack, then show a change event.
demo: venv
	$(PY) dev/demo.py

# Where stages running beside others write their output (the 3-broker cluster's serial tests, the stack's start).
TEST_LOGS ?= .test-logs

# pytest's exit code 5 ("no tests collected") passes a stage that has none (e.g. after a filter).
STAGE := sh -c '"$$@"; rc=$$?; [ $$rc -eq 5 ] && exit 0; exit $$rc' stage
# Integration tests run in parallel with this many workers: they mostly wait on the stack (measured on 2 cores: the
# parallel stage took 7:14 with 3 workers and 6:18 with 4, 2026-11-24). With 4, a test's own read of Connect once met
# a rebalance caused by another file's connectors: the tests' GETs now ride out rebalance answers
# (tests/integration/conftest.py). With 4, a core was still idle 12 % of the parallel stage (clean-clone CI runs,
# 2026-11-26: the tests wait on Connect and on the broker's metadata), hence 5. Once the stack ran without fsync
# (dev/localstack/nosync.py), 6: the parallel stage of a clean clone's run took 611 s with 5 workers and 534 s with 6
# (2026-11-29, one run each, the workers ending within 3 s of one another in both; with fsync, 6 had saved 21 s).
INTEGRATION_WORKERS ?= 6

# The whole suite in stages, stopping at the first that fails. The local stack starts in the background at once (its
# JVMs mostly wait on each other while lint and the unit tests run: ~1 min off the wall time); lint (its output in
# $(TEST_LOGS)/lint.log, shown when it fails) and the documentation site (`docs`: ~2 CPU-s, $(TEST_LOGS)/docs.log) are
# built beside the unit tests (stopping at the first failure; lint alone first left a core idle ~20 s, its
# mypy the only busy process), then the integration tests (`integration`) with the tools tests and the version
# matrix's smoke beside their serial stage. The stack is stopped at the end unless it was up before.
test: venv
	@if dev/stack status >/dev/null 2>&1; then was_up=1; else was_up=; fi; mkdir -p $(TEST_LOGS); \
	dev/stack up --secured >$(TEST_LOGS)/stack-up.log 2>&1 & up=$$!; \
	$(DOCS_BUILD) >$(TEST_LOGS)/docs.log 2>&1 & docs=$$!; \
	$(MAKE) --no-print-directory lint >$(TEST_LOGS)/lint.log 2>&1 & lint=$$!; \
	rc=0; $(MAKE) --no-print-directory unit-fast || rc=1; \
	if wait $$lint; then echo "lint passed ($(TEST_LOGS)/lint.log)"; \
	else echo "lint failed ($(TEST_LOGS)/lint.log):"; cat $(TEST_LOGS)/lint.log; rc=1; fi; \
	if wait $$docs; then echo "documentation site built (site/)"; \
	else echo "the documentation site did not build ($(TEST_LOGS)/docs.log):"; cat $(TEST_LOGS)/docs.log; rc=1; fi; \
	if [ $$rc -ne 0 ]; then kill $$up 2>/dev/null; wait $$up; \
	elif wait $$up; then tail -2 $(TEST_LOGS)/stack-up.log; else cat $(TEST_LOGS)/stack-up.log; rc=1; fi; \
	if [ $$rc -eq 0 ]; then $(MAKE) --no-print-directory integration MATRIX_SMOKE=1 WITH_TOOLS=1 || rc=$$?; fi; \
	if [ -z "$$was_up" ] && [ -z "$$KPLAN_KEEP_STACK" ]; then dev/stack down; fi; \
	exit $$rc

# Checks that keep the shape, fast, before any test: ruff (imports, unused code, style) over everything, mypy over all of
# kplan/, and the layers contract (.importlinter: which package may import which; no cycles between them).
lint: venv
	$(VENV)/bin/ruff check kplan tests bench dev
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache --no-logo

# The documentation site (mkdocs.yml: the pages are docs/*.md) built into site/, no server needed. --strict: a warning
# (a dead link or #anchor, a page missing from the nav) fails the build.
# The Reference pages are generated at each build (mkdocs.yml's hook, dev/docs_reference.py); a key of the stack or
# plan schema without a description fails it. (MkDocs' notice about its successor is silenced: it is not about this site.)
# Then dev/site_check.py reads the built pages for what --strict lets through: a literal \| in code, a Markdown list
# that is no list on the page or a nested list flattened (as CommonMark reads the source), a docs/NAME.md path in
# the text instead of a link; one line each, and the build fails.
DOCS_BUILD := NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet && $(PY) dev/site_check.py site
docs: venv
	$(DOCS_BUILD)

# A release (docs/releasing.md): `make release VERSION=X.Y.Z` in a clean checkout stamps the version (kplan/__init__.py,
# the pins in the docs and CI examples, CHANGELOG.md's Unreleased section) and commits it, builds the wheel, the sdist
# and the container image's build context into dist/ from that commit, writes the tag's notes and makes the annotated
# tag vX.Y.Z locally. It pushes nothing. tests/unit/test_release.py makes one in a clean clone.
release: venv
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=X.Y.Z (now: $$($(PY) -c 'import kplan; print(kplan.__version__)'))"; exit 2; }
	$(PY) dev/release.py $(VERSION)

# The two schemas kplan ships, kplan/schemas/stack.schema.json and plan.schema.json, are generated: assembled from the
# base (kplan/schemas/parts/) and each kind's shape (its table of keys, kplan/kinds/shape.py) by
# kplan/kinds/schema_parts.py; dev/build_schemas.py reads and writes the files. A unit test fails while they are out
# of date.
schemas: venv
	$(PY) dev/build_schemas.py
	$(PY) dev/build_crds.py

# The KafkaStack CRD (deploy/kubernetes/crds/), generated from the stack schema (`make schemas` writes it too).
crds: venv
	$(PY) dev/build_crds.py

# Every test that needs no stack (the tools ones included).
unit: venv
	$(STAGE) $(PY) -m pytest -m 'not integration'

# The unit tests without the external tools, stopping at the first failure: what `make test` runs first, on two
# workers. Beside them the local stack starts (~41 s from nothing on an idle machine), then a core was idle: a clean
# clone's CI run measured 31-41 % idle over those minutes with the tests in one process (129 s, ~80 CPU-s).
UNIT_WORKERS ?= 2
unit-fast: venv
	$(STAGE) $(PY) -m pytest -m 'not integration and not tools' -x -q -n $(UNIT_WORKERS)

# The unit tests that only run external tools (hadolint, actionlint, pre-commit, check-jsonschema, a fake forge, and
# the HTML plan page in a headless Chromium: `browser-deps` installs Debian's chromium and chromedriver first).
tools: venv browser-deps
	$(STAGE) $(PY) -m pytest tests/unit -m 'tools and not integration' -q

# Debian's Chromium and its WebDriver for the `browser` tests (tests/unit/render/test_html_browser.py): installed with
# apt-get when missing (as root; ~80 s the first time), else the command to run is printed and the tests skip.
browser-deps:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium and chromium-driver (apt-get) for the browser tests"; \
	  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null; \
	else echo "the browser tests will skip: install Chromium and its driver (Debian: apt-get install chromium chromium-driver)"; fi

# The integration tests (all of them live in tests/integration: each stage collects that folder alone, ~8 CPU-s less
# per process and xdist worker than collecting the whole suite; the local stack's pytest plugin refuses one elsewhere).
# The local stack is started once for both runs (reused if it runs, and then left running;
# stopped at the end otherwise, unless KPLAN_KEEP_STACK is set). First the `serial` ones alone (outages, restarts,
# extra clusters, the demo, whose stack test_examples_cdc.py applies and destroys too), then the independent tests in
# parallel (pytest-xdist: a test file per work unit but for the kill trials in tests/conftest.py's SPLIT, a unit each;
# longest first). The sessions reuse the stack started here, so they stop only what they start themselves (the
# 3-broker cluster).
# Beside the serial stage (its tests mostly wait): the OIDC provider (Keycloak, ~1 min) starts for test_oidc.py of
# the parallel stage (`dev/stack up --only keycloak`: it touches nothing the serial tests restart; `dev/stack down`
# stops it); so do the forge (Gitea, seconds once built: its first build on a machine takes 766 CPU-s) and the runners'
# install (cached too) for the parallel stage's `forge` tests, and the Kubernetes API server for its `kubernetes` tests
# (`dev/stack up --only forge`, `dev/stack runners`, `dev/stack up --only kubernetes`: seconds once built), and the
# peers the parallel stage's import and watch tests run (`bench/peers/build.sh`: topicctl, the Terraform provider, or
# OpenTofu where Terraform's CLI is missing, promtool; a copy once built; a fresh machine built them inside those tests'
# setup before, holding a worker 15-17 minutes at load 12) (output in $(TEST_LOGS)/forge-up.log); the serial tests of the 3-broker cluster (marker `cluster3`: its own JVMs, not
# the main stack) run, serial among themselves (their output in $(TEST_LOGS)/cluster3.log); WITH_TOOLS=1 (what `make
# test` sets) runs the tools tests (`tools`, in $(TEST_LOGS)/tools.log); MATRIX_SMOKE=1 (what `make test` sets) runs
# the version matrix's smoke on the other Kafka versions, on ports and stack directories of its own. Each fails the
# target when it fails. The parallel stage starts as soon as the main stack's serial tests are done (and Keycloak and
# the forge are up): the 3-broker cluster's tests, the tools tests and the smoke touch nothing of the main stack, so
# they go on beside it and their results are told after it. (Waiting for all of them first left a core idle for the
# last ~45 s of the serial stage, the 3-broker cluster's tests being the longest of the four.)
integration: venv
	@if dev/stack status >/dev/null 2>&1; then was_up=1; else was_up=; fi; \
	dev/stack up --secured || exit 1; \
	mkdir -p $(TEST_LOGS); \
	dev/stack up --only keycloak >$(TEST_LOGS)/keycloak-up.log 2>&1 & kc=$$!; \
	{ dev/stack up --only forge && dev/stack runners && dev/stack up --only kubernetes && \
	  bench/peers/build.sh topicctl terraform-provider-kafka promtool $$(command -v terraform >/dev/null || echo tofu); \
	} >$(TEST_LOGS)/forge-up.log 2>&1 & fg=$$!; \
	smoke=; if [ -n "$(MATRIX_SMOKE)" ]; then mkdir -p $(MATRIX_STACK_DIR); \
	  $(MAKE) --no-print-directory matrix-smoke >$(MATRIX_STACK_DIR)/smoke.log 2>&1 & smoke=$$!; fi; \
	tools=; if [ -n "$(WITH_TOOLS)" ]; then $(MAKE) --no-print-directory tools >$(TEST_LOGS)/tools.log 2>&1 & tools=$$!; fi; \
	rc=0; \
	$(STAGE) $(PY) -m pytest tests/integration -m 'integration and serial and cluster3' -q -p no:cacheprovider \
	  >$(TEST_LOGS)/cluster3.log 2>&1 & c3=$$!; \
	$(STAGE) $(PY) -m pytest tests/integration -m 'integration and serial and not cluster3' -q --durations=10 || rc=$$?; \
	if ! wait $$kc; then echo "Keycloak did not start:"; tail -30 $(TEST_LOGS)/keycloak-up.log; rc=1; fi; \
	if ! wait $$fg; then echo "the forge, the runners, the Kubernetes API server or the peers did not start or build:"; tail -30 $(TEST_LOGS)/forge-up.log; rc=1; fi; \
	if [ $$rc -eq 0 ]; then $(STAGE) $(PY) -m pytest tests/integration -m 'integration and not serial' -n $(INTEGRATION_WORKERS) \
	  --dist loadfile --no-loadscope-reorder -q --durations=10 || rc=$$?; fi; \
	if wait $$c3; then tail -2 $(TEST_LOGS)/cluster3.log; else echo "the 3-broker cluster's serial tests failed:"; \
	  tail -80 $(TEST_LOGS)/cluster3.log; rc=1; fi; \
	if [ -n "$$tools" ]; then if wait $$tools; then echo "tools tests: $$(tail -1 $(TEST_LOGS)/tools.log)"; \
	  else echo "the tools tests failed ($(TEST_LOGS)/tools.log):"; tail -60 $(TEST_LOGS)/tools.log; rc=1; fi; fi; \
	if [ -n "$$smoke" ]; then if wait $$smoke; then sed -n '/^== version matrix/,$$p' $(MATRIX_STACK_DIR)/smoke.log; \
	  else echo "the version matrix's smoke failed ($(MATRIX_STACK_DIR)/smoke.log):"; tail -60 $(MATRIX_STACK_DIR)/smoke.log; \
	  rc=1; fi; fi; \
	if [ -z "$$was_up" ] && [ -z "$$KPLAN_KEEP_STACK" ]; then dev/stack down; fi; \
	exit $$rc

# The integration tests' per-file seconds (tests/integration/durations.json), by which tests/conftest.py orders them
# longest first for the parallel stage: this runs `integration` and records what each file it ran took.
durations: venv
	KPLAN_STORE_DURATIONS=$(CURDIR)/tests/integration/durations.json $(MAKE) --no-print-directory integration

# The version matrix (issue 29; docs/compatibility.md): the `compat` integration tests on each Kafka version in
# MATRIX_VERSIONS, one after the other, each on a bare broker + Connect worker (`dev/stack up --kafka-version X`) in a
# stack directory of its own ($(MATRIX_STACK_DIR)-<version>) and on ports from MATRIX_PORT_BASE (20 per version).
# `matrix-smoke` runs only the smoke (tests/integration/test_compat_smoke.py) on SMOKE_VERSIONS: .ci/run's part.
MATRIX_VERSIONS ?= 3.9.2 4.3.1 4.4.0
SMOKE_VERSIONS ?= 3.9.2 4.4.0
MATRIX_PORT_BASE ?= 29150
MATRIX_STACK_DIR ?= $(CURDIR)/.stack-matrix
export MATRIX_PORT_BASE MATRIX_STACK_DIR

matrix: venv
	dev/matrix/run compat $(MATRIX_VERSIONS)

matrix-smoke: venv
	MATRIX_WORKERS=1 dev/matrix/run smoke $(SMOKE_VERSIONS)

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
# as JSON (about 95 minutes with 2 workers, 1,259 trials at a74a18d; SWEEP_ARGS, e.g. `--modes apply/rollback --workers 3`, narrows it).
# `make test` runs a sampled set (tests/integration/test_fault_sweep.py). First, every kill trial of every kind (the
# conformance kit, issue 42: tests/integration/conformance_sweep.py; KIT_SWEEP_ARGS, e.g. `--kinds topic,acl`), on the
# stack and the 3-broker cluster, which writes its figures into docs/fault-sweep.md (about 17 minutes): the per-kind
# figures come first, so that a defect in any kind's steps fails long before the whole sweep's end.
fault-sweep: stack-up
	dev/stack up --brokers 3 >/dev/null
	PYTHONPATH=dev $(PY) tests/integration/conformance_sweep.py --docs docs/fault-sweep.md $(KIT_SWEEP_ARGS)
	PYTHONPATH=dev $(PY) tests/integration/fault_sweep.py $(SWEEP_ARGS)

request-sweep: stack-up
	PYTHONPATH=dev $(PY) tests/integration/request_sweep.py $(SWEEP_ARGS)

# The 25,000-partition apply killed between its create batches, rolled back and resumed (issue 46;
# tests/integration/test_batched_topics.py), on the 3-broker cluster it starts: minutes long, so `make test` skips it
# (its CI-sized twin forces small batches).
scale-test: venv
	KPLAN_SCALE_TESTS=1 $(PY) -m pytest tests/integration/test_batched_topics.py -k 25000 -q -p no:cacheprovider \
	  --durations=1

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
