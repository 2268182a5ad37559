"""Opening the cluster and taking the stack's lock while apply's own machinery loads.

Once the stack has loaded, apply imports the planner, every kind's steps and handlers and the executor (~110-170
ms on the 2-core machine) before it talks to the cluster; opening the cluster and taking the lock (~90 ms) are
mostly waiting on the network, and so is the plan's read of the cluster that follows (~40 ms). `EarlyLock` does
those three in a background thread, started only after the stack loaded without errors (a bad stack never takes
the lock), while the command's thread imports the rest; the read is made only once the lock is held, as the run
would make it. The run then goes on exactly as if it had opened, locked and read itself: the same errors, raised
where they would have been (a failed read by the plan's first read, kplan.cluster.prefetch.Handed), and the lock
released on every way out (`abandon`).
"""

from __future__ import annotations

import importlib
import threading
from typing import Mapping

from kplan.cluster.prefetch import _READ_IMPORTS, Handed, importing_kinds
from kplan.session.cluster import Cluster
from kplan.session.plan import read_request
from kplan.state.journal import new_run_id
from kplan.state.lock import StackLock, release_or_report

# What the thread imports lazily, imported by the command's thread: two threads importing parts of one import cycle
# at once is a deadlock (kplan.cluster.prefetch). Opening the cluster and taking the lock need these, imported
# before the thread starts; the read needs kplan.cluster.prefetch's _READ_IMPORTS too, imported while the thread
# opens and locks (it waits for them before reading). kplan.transport.http_session (the Connect client's, stdlib
# only: it imports nothing that could import back) is left to the thread.
_OPEN_IMPORTS = (
    "confluent_kafka", "confluent_kafka.admin", "kplan.session.open", "kplan.session.systems",
    "kplan.stackfile.references", "kplan.transport.admin", "kplan.transport.sessions",
    "kplan.transport.connect", "kplan.transport.wire.client", "kplan.cluster.pin",
    "kplan.state.records", "kplan.transport.reach", "kplan.transport.retry", "kplan.transport.permissions")


class EarlyLock:
    """`Cluster.open(stack)` then `lock.acquire(run_id)`, in a background thread started at construction."""

    def __init__(self, stack, environ: Mapping[str, str], creates: bool = True):
        for name in _OPEN_IMPORTS:
            importlib.import_module(name)
        self.run_id = new_run_id()
        self._stack, self._environ = stack, environ
        self._creates = creates  # whether the run may create topics (not a destroy): see _read
        self.cluster: Cluster | None = None
        self.lock: StackLock | None = None
        self._open_error: BaseException | None = None
        self._lock_error: BaseException | None = None
        self._guard = threading.Lock()
        self._abandoned = False
        # what was handed over: "cluster" by opened() to the caller (who closes it), "lock" by locked(), held, to the
        # run (which releases it)
        self._handed: set[str] = set()
        # not a daemon: a lock it takes after the run was abandoned is released by the thread itself, and the
        # interpreter waits for that before it exits
        self._thread = threading.Thread(target=self._run, name="kplan-lock", daemon=False)
        # the read waits at its end (where it needs the kinds) until the command's thread has imported them
        self._kinds_imported = importing_kinds()
        self._read_imports = threading.Event()
        self._done = threading.Event()  # set once the thread has opened, locked and read (or failed to)
        try:
            self._thread.start()
            for name in _READ_IMPORTS:
                importlib.import_module(name)
        except BaseException:  # e.g. Ctrl-C here: nobody will get this object, so it cleans up after itself
            self.abandon()
            raise
        finally:
            self._read_imports.set()

    def _run(self) -> None:
        try:
            self.cluster = Cluster.open(self._stack, self._environ)
            self.lock = self.cluster.lock()
            if not self._is_abandoned():  # the run ended while the cluster was opening: no lock to take
                try:
                    self.lock.acquire(self.run_id)
                except BaseException as e:  # noqa: BLE001 - raised in the command's thread by locked()
                    self._lock_error = e
                else:
                    if not self._is_abandoned():  # else released at once below, unread
                        self._read(self.cluster)
        except BaseException as e:  # noqa: BLE001 - raised in the command's thread by opened()
            self._open_error = e
        with self._guard:  # done and abandoned: whichever comes second cleans up (here or in abandon)
            self._done.set()
            abandoned = self._abandoned
        if abandoned:
            self._clean_up()

    def _is_abandoned(self) -> bool:
        with self._guard:
            return self._abandoned

    def _read(self, cluster: Cluster) -> None:
        """The plan's read (kplan.session.plan.plan_stack makes the same), handed to its first read."""
        stack, session = self._stack, cluster.session
        self._read_imports.wait()
        if self._is_abandoned():
            return
        names, sections = read_request(stack)
        live = error = None
        try:
            live = session.reader.read(stack.name, topic_names=names, sections=sections)
        except BaseException as e:  # noqa: BLE001 - raised by the plan's first read, as a direct read would
            error = e
        session.reader = Handed(session.reader, stack.name, names, sections).handed(live, error)
        if live is None or not self._creates:
            return
        # What the plan's validation can ask of the real systems before the plan is made — the creates of the declared
        # topics the cluster lacks — asked now, while the command's thread plans; the plan's validation takes those
        # answers if it validates the same (kplan.cluster.validator.RealValidator.validate_ahead). A saving only:
        # whatever goes wrong here leaves the validation to ask itself, and never fails the run.
        try:
            session.validator.validate_ahead(stack, live)
        except Exception:  # noqa: BLE001
            pass

    def opened(self) -> Cluster:
        """The open cluster, once the thread is done (the command's thread has imported the kinds by now); what
        Cluster.open raised, if it failed."""
        self._kinds_imported()
        if not self._done.is_set():  # while the thread waits on the cluster: what the run's first journal write
            from kplan.kinds.codec import converter  # needs, the steps' codec (cattrs' import: ~90 ms)

            converter()
        # Not Thread.join(): on Python 3.11, a join interrupted by Ctrl-C marks the thread as stopped although it
        # runs on, and the interpreter then exits without waiting for it to release the lock it takes (bpo-45274's
        # fix). An event's wait is interrupted cleanly, and the interpreter still waits for the thread at exit.
        self._done.wait()
        return self._hand_over("cluster", self._open_error)

    def locked(self) -> StackLock:
        """The held lock; what acquiring it raised (e.g. LockHeld), if that failed."""
        self.opened()
        return self._hand_over("lock", self._lock_error)

    def _hand_over(self, what: str, error: BaseException | None):
        if error is not None:
            raise error
        self._handed.add(what)
        return getattr(self, what)

    def abandon(self) -> None:
        """The run ends before it holds the lock (Ctrl-C while apply loads or waits for the lock, a failure
        before the run): release a lock taken, and close the cluster unless `opened()` handed it over — now if
        the thread is done, else by the thread once it is (it takes no lock and makes no read once abandoned).
        Nothing once `locked()` has handed the lock to the run: the run releases it. Never raises: a lock that
        cannot be released is reported with what to do."""
        self._kinds_imported()
        with self._guard:
            self._abandoned = True
            finished = self._done.is_set()
        if finished:
            self._clean_up()

    def _clean_up(self) -> None:
        if self.lock is not None and "lock" not in self._handed:
            release_or_report(self.lock)
        if self.cluster is not None and "cluster" not in self._handed:
            try:
                self.cluster.close()
            except Exception:  # noqa: BLE001 - closing clients of a run that is over
                pass
