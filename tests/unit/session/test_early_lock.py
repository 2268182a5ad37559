"""`kplan.session.early.EarlyLock`: the cluster opened and the lock taken in a background thread while apply loads.
Whatever happens, a lock it takes is released on every way out that does not hand it to the run, and the run sees
the same errors a direct open and acquire would raise. The cluster and the lock are fakes (the real ones:
tests/integration/test_apply.py and test_recovery.py take and contend for the lock through `kplan apply`)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

import kplan.session.early as early_mod
from kplan.errors import KplanError
from kplan.session.early import EarlyLock
from kplan.state.lock import LockHeld


class FakeLock:
    def __init__(self, gate: threading.Event | None = None, error: BaseException | None = None):
        self.gate, self.error = gate, error
        self.held = False
        self.acquired_with: str | None = None
        self.releases = 0

    def acquire(self, run_id: str) -> None:
        if self.gate is not None:
            assert self.gate.wait(5)
        if self.error is not None:
            raise self.error
        self.acquired_with, self.held = run_id, True

    def release(self) -> None:
        self.releases += 1
        self.held = False


class FakeReader:
    """Records whether the lock was held when the plan's read was made."""

    def __init__(self, lock: FakeLock, error: BaseException | None = None):
        self.lock, self.error = lock, error
        self.reads: list[tuple[str, bool]] = []

    def read(self, stack_name, topic_names=None, sections=frozenset()):
        self.reads.append((stack_name, self.lock.held))
        if self.error is not None:
            raise self.error
        return SimpleNamespace(n=len(self.reads), all_topic_names=frozenset())

    def close(self) -> None:
        pass


class FakeValidator:
    def __init__(self):
        self.ahead: list[tuple[str, int]] = []

    def validate_ahead(self, stack, live) -> None:
        self.ahead.append((stack.name, live.n))


class FakeSession:
    def __init__(self, reader: FakeReader):
        self.reader = reader
        self.validator = FakeValidator()


class FakeCluster:
    def __init__(self, lock: FakeLock, read_error: BaseException | None = None):
        self._lock = lock
        self.closed = 0
        self.session = FakeSession(FakeReader(lock, read_error))

    def lock(self) -> FakeLock:
        return self._lock

    def close(self) -> None:
        self.closed += 1


class FakeStack:
    name = "s"
    kinds = {"topics": tuple(SimpleNamespace(name=n, migrate_from=None) for n in ("there", "new"))}
    references = ()  # what it needs of others' resources (the read describes referenced topics too)

    def of(self, section):
        return self.kinds.get(section, ())


def start(monkeypatch, lock: FakeLock, open_error: BaseException | None = None,
          read_error: BaseException | None = None, creates: bool = True):
    cluster = FakeCluster(lock, read_error)

    def open_(stack, environ):
        if open_error is not None:
            raise open_error
        return cluster

    monkeypatch.setattr(early_mod.Cluster, "open", staticmethod(open_))
    return EarlyLock(FakeStack(), {}, creates=creates), cluster


def test_the_run_gets_the_held_lock_named_by_the_run_id(monkeypatch):
    lock = FakeLock()
    early, cluster = start(monkeypatch, lock)
    assert early.opened() is cluster
    assert early.locked() is lock and lock.held and lock.acquired_with == early.run_id
    assert cluster.closed == 0 and lock.releases == 0  # the run releases and closes them, not EarlyLock


def test_abandoned_while_the_lock_is_being_taken_the_thread_releases_it(monkeypatch):
    gate = threading.Event()
    lock = FakeLock(gate)
    early, cluster = start(monkeypatch, lock)
    early.abandon()  # e.g. Ctrl-C while apply's modules load: the lock is not taken yet
    assert lock.releases == 0
    gate.set()  # now it is taken ...
    early._thread.join(5)
    assert not lock.held and lock.releases == 1 and cluster.closed == 1  # ... and released at once


def test_abandoned_after_the_lock_was_taken_it_is_released_at_once(monkeypatch):
    lock = FakeLock()
    early, cluster = start(monkeypatch, lock)
    early._thread.join(5)
    assert lock.held
    early.abandon()
    assert not lock.held and lock.releases == 1 and cluster.closed == 1


def test_a_cluster_handed_over_is_left_to_its_new_owner(monkeypatch):
    """The run failed waiting for the lock (or was interrupted there): the lock is released, the cluster is the
    caller's to close (closing it twice would flush and dispose of its producer twice)."""
    lock = FakeLock()
    early, cluster = start(monkeypatch, lock)
    early.opened()
    early.abandon()
    assert lock.releases == 1 and cluster.closed == 0


def test_a_lock_held_by_another_run_is_raised_in_the_run_and_nothing_is_released(monkeypatch):
    lock = FakeLock(error=LockHeld("stack 's' is locked by another run", None))
    early, cluster = start(monkeypatch, lock)
    assert early.opened() is cluster
    with pytest.raises(LockHeld):
        early.locked()
    early.abandon()
    assert lock.releases == 0 and cluster.closed == 0


def test_a_cluster_that_cannot_be_opened_raises_from_opened(monkeypatch):
    early, _ = start(monkeypatch, FakeLock(), open_error=KplanError("cannot reach Kafka at 127.0.0.1:1"))
    with pytest.raises(KplanError, match="cannot reach Kafka"):
        early.opened()
    with pytest.raises(KplanError, match="cannot reach Kafka"):
        early.locked()
    early.abandon()  # nothing was taken: nothing to release or close


def test_the_plans_read_is_made_once_the_lock_is_held_and_handed_to_the_first_read(monkeypatch):
    lock = FakeLock()
    early, cluster = start(monkeypatch, lock)
    early.opened()
    early.locked()
    reader = cluster.session.reader  # the hand-over (kplan.cluster.prefetch.Handed) around the real reader
    assert reader.reads == [("s", True)]  # made by the thread, under the lock
    assert reader.read("s", [], frozenset({"topics"})).n == 1
    assert reader.read("s", [], frozenset({"topics"})).n == 2  # re-planning reads anew


def test_a_read_that_failed_is_raised_by_the_plans_first_read(monkeypatch):
    lock = FakeLock()
    early, cluster = start(monkeypatch, lock, read_error=KplanError("cannot reach Kafka"))
    early.opened()
    early.locked()
    with pytest.raises(KplanError, match="cannot reach Kafka"):
        cluster.session.reader.read("s", [], frozenset({"topics"}))


def test_no_read_without_the_lock(monkeypatch):
    lock = FakeLock(error=LockHeld("stack 's' is locked by another run", None))
    early, cluster = start(monkeypatch, lock)
    early.opened()
    with pytest.raises(LockHeld):
        early.locked()
    assert cluster.session.reader.reads == []


def test_the_plans_validation_is_started_ahead_from_the_read(monkeypatch):
    early, cluster = start(monkeypatch, FakeLock())
    early.locked()
    # sent once the read is in, from its answer (what it sends: tests/unit/cluster/test_creates_ahead.py)
    assert cluster.session.validator.ahead == [("s", 1)]


def test_nothing_is_validated_ahead_by_a_destroy_or_after_a_failed_read(monkeypatch):
    early, cluster = start(monkeypatch, FakeLock(), creates=False)
    early.locked()
    assert cluster.session.validator.ahead == []
    early, cluster = start(monkeypatch, FakeLock(), read_error=KplanError("cannot reach Kafka"))
    early.locked()
    assert cluster.session.validator.ahead == []


def test_a_failure_to_validate_ahead_does_not_fail_the_run(monkeypatch):
    gate = threading.Event()
    early, cluster = start(monkeypatch, FakeLock(gate))
    del cluster.session.validator.ahead  # validate_ahead now raises AttributeError in the thread, once it reads
    gate.set()
    assert early.opened() is cluster
    assert early.locked().held
    assert cluster.session.reader.reads == [("s", True)]


# -- every way out before the run holds the lock (review of issue 31's lock thread) ----------------------------------


def test_interrupted_while_it_is_being_made_it_releases_the_lock_itself_and_nothing_waits(monkeypatch):
    """Ctrl-C in EarlyLock() itself (while the command's thread imports what the read needs): nobody gets the
    object to abandon it, so it abandons itself; the thread neither hangs on the imports it waits for nor on the
    kinds, and releases what it took."""
    import kplan.cluster.prefetch as prefetch

    lock = FakeLock()
    cluster = FakeCluster(lock)
    monkeypatch.setattr(early_mod.Cluster, "open", staticmethod(lambda stack, environ: cluster))
    real = early_mod.importlib.import_module

    last = [n for n in early_mod._READ_IMPORTS if n not in early_mod._OPEN_IMPORTS][-1]  # after the thread starts

    def interrupted(name, *a):
        if name == last:
            raise KeyboardInterrupt
        return real(name, *a)

    monkeypatch.setattr(early_mod.importlib, "import_module", interrupted)
    with pytest.raises(KeyboardInterrupt):
        EarlyLock(FakeStack(), {})
    for thread in [t for t in threading.enumerate() if t.name == "kplan-lock"]:  # none left once it is done
        thread.join(5)
        assert not thread.is_alive()
    assert not lock.held and cluster.closed == 1 and cluster.session.reader.reads == []
    assert prefetch._KINDS_LOADED.is_set()  # a later read in this process does not wait for the kinds


def test_abandoned_while_the_cluster_opens_no_lock_is_taken(monkeypatch):
    opening = threading.Event()
    go_on = threading.Event()
    lock = FakeLock()
    cluster = FakeCluster(lock)

    def slow_open(stack, environ):
        opening.set()
        assert go_on.wait(5)
        return cluster

    monkeypatch.setattr(early_mod.Cluster, "open", staticmethod(slow_open))
    early = EarlyLock(FakeStack(), {})
    assert opening.wait(5)
    early.abandon()  # e.g. Ctrl-C while apply's modules load
    go_on.set()
    early._thread.join(5)
    assert lock.acquired_with is None and lock.releases == 0 and cluster.closed == 1


def test_abandoned_while_the_lock_is_taken_the_cluster_is_not_read(monkeypatch):
    gate = threading.Event()
    lock = FakeLock(gate)
    early, cluster = start(monkeypatch, lock)
    early.abandon()
    gate.set()
    early._thread.join(5)
    assert lock.releases == 1 and cluster.session.reader.reads == []


def test_a_lock_handed_to_the_run_is_the_runs_to_release(monkeypatch):
    """abandon() after locked(): the run's own `finally` releases it (or reports that it could not): abandon does not
    release it a second time."""
    lock = FakeLock()
    early, cluster = start(monkeypatch, lock)
    early.locked()
    early.abandon()
    assert lock.held and lock.releases == 0


def test_a_lock_that_cannot_be_released_is_reported_not_raised(monkeypatch, capsys):
    class Stuck(FakeLock):
        def release(self) -> None:
            self.releases += 1
            raise KplanError("could not release the apply lock __kplan_lock.s: timed out")

    lock = Stuck()
    early, cluster = start(monkeypatch, lock)
    early._thread.join(5)
    early.abandon()  # raising here would hide the run's own error (or the Ctrl-C)
    assert lock.releases == 1
    err = capsys.readouterr().err
    assert "could not release the apply lock" in err and "kplan unlock" in err


def test_a_failure_between_the_open_and_the_run_releases_the_lock(monkeypatch):
    """run_apply: anything raised before it holds the lock (here: the journal store) abandons what the thread took."""
    from kplan.session.run import RunOptions, run_apply

    lock = FakeLock()
    early, cluster = start(monkeypatch, lock)
    opened = early.opened()

    def no_store():
        raise KeyboardInterrupt

    opened.journal_store = no_store
    opened.stack = FakeStack()
    with pytest.raises(KeyboardInterrupt):
        run_apply(opened, RunOptions(destroy=False, max_deletions=None, confirm=lambda p: True, show=lambda p: None),
                  early=early)
    early._thread.join(5)
    assert lock.releases == 1 and not lock.held
