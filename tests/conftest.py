"""Shared fixtures come from the local stack's pytest plugin, dev/localstack/pytest_plugin.py, which
pyproject.toml registers (`-p localstack.pytest_plugin`): `stack` (a real Kafka broker and Kafka Connect
worker, started or reused for the session) and `unique` (unique resource names).

It also schedules the parallel stage's integration tests. pytest-xdist hands out work units in collection order
(`--dist loadfile --no-loadscope-reorder`: without the latter xdist puts the units with the most tests first,
whatever they take); a unit is a whole file (module fixtures are made once), but for the files in SPLIT, whose tests
are independent tests of a minute or more each, where every test is a unit of its own (`pytest_xdist_make_scheduler`
below; the conformance kit: 1,269 s in one file on one worker in a loaded run; the pull request's workflows, on
examples/gitea and examples/github: 235 s for the one of the last CI run), and the files in JOINED, which share their
test process's second cluster and are one unit together.
Not `--dist loadgroup` with `xdist_group` marks: xdist 3.8 marks a group by rewriting `item._nodeid`, which pytest 9
does not read, so every test would be a unit and two workers would start the same second cluster on the same ports.
Units are ordered longest first, by the per-file seconds stored in tests/integration/durations.json (`make
durations` refreshes them; a test of a SPLIT file by its own seconds, or, unnamed there, an equal share of what its
file's entry leaves), so that a long unit collected last does not run alone at the end while the other workers idle.
A file the record does not know counts as the record's median."""

import json
import os
import sys
from pathlib import Path

import pytest

DURATIONS = Path(__file__).parent / "integration" / "durations.json"
_spent: dict[str, float] = {}


def _file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


# Files whose tests are independent and long (a minute or more each): each test its own work unit (see above).
SPLIT = frozenset({"tests/integration/test_conformance.py", "tests/integration/test_ci_pr_apply.py"})
# Files that need "another cluster" and use the test process's second cluster (tests/integration/second_stack.py,
# SharedSecond): one work unit, so that one worker starts one broker, Connect worker and registry for all of them.
JOINED = frozenset({"tests/integration/test_mirrors_cluster.py", "tests/integration/test_mirror_pair.py",
                    "tests/integration/test_mirror_schemas_cluster.py", "tests/integration/test_two_clusters.py"})


def _recorded(nodeid: str) -> str:
    """What durations.json keeps a test's seconds under: its file, or the test itself in a SPLIT file (whose tests
    differ tenfold: the pull request's workflow tests against its jobs' commands)."""
    file = _file_of(nodeid)
    return nodeid if file in SPLIT else file


def _unit_of(nodeid: str) -> str:
    file = _file_of(nodeid)
    if file in SPLIT:
        return nodeid
    return "second-cluster" if file in JOINED else file


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile`, but a test of a SPLIT file is a unit of its own and the JOINED files are one."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Units(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit_of(nodeid)

    return Units(config, log)


def pytest_collection_modifyitems(config, items):
    for item in items:  # the local stack's plugin has marked the tests that use it (its hook runs first)
        if item.get_closest_marker("integration") and not item.nodeid.startswith("tests/integration/"):
            raise pytest.UsageError(f"{item.nodeid} uses the local stack, but the integration stages of `make test` "
                                    "collect tests/integration/ alone (Makefile): move it there")
    integration = [item for item in items if _file_of(item.nodeid).startswith("tests/integration/")]
    try:
        known = json.loads(DURATIONS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if not known:
        return
    median = sorted(known.values())[len(known) // 2]
    counts: dict[str, int] = {}
    for item in integration:
        counts[_file_of(item.nodeid)] = counts.get(_file_of(item.nodeid), 0) + 1

    joined = sum(known.get(file, median) for file in counts if file in JOINED)
    # a SPLIT file's test the record does not name weighs an equal share of what its file's entry leaves
    unnamed: dict[str, list[str]] = {}
    for item in integration:
        if _file_of(item.nodeid) in SPLIT and item.nodeid not in known:
            unnamed.setdefault(_file_of(item.nodeid), []).append(item.nodeid)
    named = {file: sum(known.get(item.nodeid, 0.0) for item in integration if _file_of(item.nodeid) == file)
             for file in unnamed}
    share = {file: max(known.get(file, median) - named[file], 0.0) / len(ids) for file, ids in unnamed.items()}

    def weight(item) -> float:
        file = _file_of(item.nodeid)
        if not file.startswith("tests/integration/"):
            return 0.0
        if file in JOINED:
            return joined
        if file in SPLIT:
            return known.get(item.nodeid, share.get(file, 0.0))
        return known.get(file, median)

    # a stable sort: each file's tests keep their order, and units of equal weight theirs
    items.sort(key=lambda item: -weight(item))


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """A test module's import writes its bytecode (pytest's rewrite of its asserts, and the helpers it imports) even
    under PYTHONDONTWRITEBYTECODE, as on CI machines and this project's: otherwise every pytest process and xdist
    worker rewrote every test module again (collecting the unit tests: 24 CPU-s without the cache, 7.8 with it; the
    integration tests: 10.7 and 3.3; `make test` starts ~12 of them). Only the import: kplan's own runs, in the tests'
    process or another, write as the environment says."""
    if not isinstance(collector, pytest.Module) or not sys.dont_write_bytecode:
        return (yield)
    sys.dont_write_bytecode = False
    try:
        return (yield)
    finally:
        sys.dont_write_bytecode = True


def pytest_runtest_logreport(report):
    """Setup, call and teardown of every test, per file (under xdist the controller gets every worker's reports)."""
    if os.environ.get("KPLAN_STORE_DURATIONS"):
        _spent[_recorded(report.nodeid)] = _spent.get(_recorded(report.nodeid), 0.0) + report.duration


def pytest_sessionfinish(session):
    """With KPLAN_STORE_DURATIONS=FILE, the integration files this session ran are written (merged) into FILE."""
    target = os.environ.get("KPLAN_STORE_DURATIONS")
    if not target or hasattr(session.config, "workerinput"):
        return
    path = Path(target)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stored = {}
    stored.update({f: round(s, 1) for f, s in _spent.items() if f.startswith("tests/integration/")})
    path.write_text(json.dumps(dict(sorted(stored.items())), indent=1) + "\n", encoding="utf-8")


def _tree_cpu() -> float:
    """CPU seconds (user + system) of this process and every descendant: the live ones' own and what each has
    reaped of its children (a kplan run forked by the zygote, a cold faulty_kplan.py, a Java client)."""
    procs: dict[int, tuple[int, int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            procs[int(d)] = (int(fields[1]), sum(int(x) for x in fields[11:15]))  # ppid; utime stime cutime cstime
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [os.getpid()]
    while todo:
        pid = todo.pop()
        total += procs.get(pid, (0, 0))[1]
        todo.extend(children.get(pid, ()))
    return total / os.sysconf("SC_CLK_TCK")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """With KPLAN_TEST_CPU_LOG=FILE, each test's wall and CPU seconds (its process tree's, `_tree_cpu`: setup, call
    and teardown) are appended to FILE.<pid> as a JSON line: where a CI run's CPU goes, test by test."""
    target = os.environ.get("KPLAN_TEST_CPU_LOG")
    if not target:
        yield
        return
    import time

    wall, cpu = time.monotonic(), _tree_cpu()
    yield
    line = {"test": item.nodeid, "wall": round(time.monotonic() - wall, 2), "cpu": round(_tree_cpu() - cpu, 2)}
    with open(f"{target}.{os.getpid()}", "a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")


@pytest.fixture(autouse=True)
def _forget_known_secrets():
    """The run-wide known secret values (kplan.secrets.KNOWN) are per process: each test starts with none."""
    from kplan.secrets import KNOWN
    from kplan.stackfile.secret_run import _RAN

    KNOWN.clear()
    _RAN.clear()  # and the secret commands' values, cached per process (one run)
    yield
    KNOWN.clear()
    _RAN.clear()


@pytest.fixture(autouse=True)
def _end_ctrl_c_deferral():
    """A run executed in the test's process defers Ctrl-C once its last step is done (kplan.transport.interrupts);
    kplan.cli ends that deferral, a test that runs the executor itself does not: pytest's own handler comes back."""
    yield
    from kplan.transport import interrupts

    interrupts.undefer()


@pytest.fixture(autouse=True)
def _no_ctrl_c_left():
    """Ctrl-C's record (kplan.transport.interrupts: `came`, `ending`) is per process: a test's stays its own (left
    recorded, the next test's run in this process would stop before its first step, or take no Ctrl-C at all)."""
    yield
    from kplan.transport import interrupts

    interrupts.came = interrupts.ending = False
