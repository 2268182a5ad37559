"""Reading the cluster while the stack is still loading.

A plan's critical path is the cluster read: the metadata request, `describe_configs` of the declared topics,
Connect and the ownership record are mostly waiting on the network. As soon as the stack loader knows the
cluster settings for certain (`kplan.stackfile.pipeline.ClusterPreview`), `Prefetch` starts the whole read in a
background thread, and the loader goes on checking and expanding the resources meanwhile. `read()` then hands
over that result — topped up with any topic the finished stack declares beyond the preview's names (CDC
topics) — or, if the loaded stack turned out to differ from the preview, reads again from scratch. `Handed` is the
hand-over alone, for a read made by another thread (apply's: kplan.session.early reads once it holds the lock).
"""

from __future__ import annotations

import threading
from typing import Iterable

from kplan.model.live import LiveState


def _unit_reads() -> tuple[str, ...]:
    """The modules of the kinds' reads with a client of their own (kplan.cluster.kind_io's OWN_READS, each imported
    when first run) and of their validations started ahead (by apply's lock thread), by their UNITs."""
    from kplan.kinds import UNITS
    from kplan.kinds.unit import OWN, module_of

    hooks = [(u.io.read_ref if u.io.read_via == OWN else None, u.io.validation_ref if u.io.validation_ahead else None)
             for u in UNITS]
    return tuple(module_of(hook) for pair in hooks for hook in pair if hook)


# What the read imports lazily, imported by the loading thread before the read starts: two threads importing
# parts of one import cycle at once (the read's kplan.kinds.* against the loader's) is a deadlock Python reports as
# `_DeadlockError` (seen in the fault sweep).
_READ_IMPORTS = (*_unit_reads(), "kplan.transport.permissions",
                 "kplan.cluster.validator", "kplan.state.ownership", "kplan.state.lock", "kplan.state.records",
                 "kplan.transport.reach", "kplan.transport.retry", "kplan.transport.acls",
                 "kplan.transport.wire.configs", "kplan.transport.wire.connection", "confluent_kafka",
                 "confluent_kafka.admin")


def _kind_modules() -> tuple[str, ...]:
    """Every kind's planning module (its UNIT's `kind_ref`), in the kinds' order; the units are imported here, by
    the thread importing this module, before any read starts."""
    from kplan.kinds import UNITS
    from kplan.kinds.unit import module_of

    return tuple(module_of(u.kind_ref) for u in UNITS)


# What planning imports beside them — every kind's unit and planning module, the planner — imported by the loading
# thread once the read has started, while its requests are on the wire (~70 ms of imports on the 2-core machine,
# out of a 1,000-topic plan's critical path). The read touches the kinds only at its end (`kinds_loaded`), after
# its answers are in, and waits there until the loading thread is done with them.
_PLAN_IMPORTS = ("kplan.model.plan", "kplan.kinds.base", *_kind_modules(), "kplan.plan.planner")
_KINDS_LOADED = threading.Event()
_KINDS_LOADED.set()  # nothing is importing them unless a Prefetch is starting


def kinds_loaded(timeout_s: float = 120.0) -> None:
    """Return once no Prefetch is still importing the kinds (at once when none is starting)."""
    _KINDS_LOADED.wait(timeout_s)


def _import(names: tuple[str, ...]) -> None:
    import importlib

    for name in names:
        importlib.import_module(name)


def importing_kinds():
    """Reads started from now on wait at their end (`kinds_loaded`) until the returned function is called: the
    caller's thread is about to import the kinds (kplan.session.early)."""
    _KINDS_LOADED.clear()
    return _KINDS_LOADED.set


def _reading(sections: frozenset[str]) -> frozenset[str]:
    """The sections that change what the batched read asks (kplan.cluster.reader: only the kinds read with a client
    of their own, `OWN_READS`, are read for a declared section): the preview's (the sections a file names) and the
    loaded stack's (those its entries fill: a CDC source's topics and connectors) differ in others alone."""
    from kplan.cluster.kind_io import OWN_READS

    return frozenset(sections & OWN_READS.keys())


class Handed:
    """A reader (KafkaReader) whose first read for (stack, topics, sections) was made ahead (`handed`, or by
    Prefetch's thread): the first matching `read()` hands that result over. Everything else is the wrapped
    reader's."""

    def __init__(self, reader, stack_name: str, topic_names: Iterable[str], sections: frozenset[str], close=None):
        self._reader = reader
        self._close = reader.close if close is None else close
        self._key = (stack_name, _reading(sections))
        self._names = frozenset(topic_names)
        self._result: LiveState | None = None
        self._error: BaseException | None = None

    def handed(self, result: LiveState | None, error: BaseException | None) -> "Handed":
        """The read made ahead: its result, or what it raised (raised by the first read, as a direct read would)."""
        self._result, self._error = result, error
        return self

    def _wait(self) -> None:
        """Until the read made ahead is done."""

    def read(self, stack_name: str, topic_names: Iterable[str] | None = None,
             sections: frozenset[str] = frozenset()) -> LiveState:
        self._wait()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        live, self._result = self._result, None  # handed over once: a second read (re-planning) reads anew
        if (live is None or (stack_name, _reading(sections)) != self._key or topic_names is None
                or live.all_topic_names is None):
            return self._reader.read(stack_name, topic_names=topic_names, sections=sections)
        from kplan.cluster.claimed import undescribed_topics, with_topics_described

        missing = undescribed_topics(live, set(topic_names) - self._names)
        if not missing:
            return live
        if not hasattr(self._reader, "describe_topic_configs"):
            return self._reader.read(stack_name, topic_names=topic_names, sections=sections)
        return with_topics_described(live, self._reader, missing)

    def close(self) -> None:
        self._close()

    def __getattr__(self, name: str):
        return getattr(self._reader, name)


class Prefetch(Handed):
    """A reader whose read for (stack, topics, sections) has already started, in a thread of its own."""

    def __init__(self, reader, stack_name: str, topic_names: Iterable[str], sections: frozenset[str], close=None):
        super().__init__(reader, stack_name, topic_names, sections, close)
        self._sections = sections
        self._abandoned = False
        self._done = False
        self._lock = threading.Lock()
        _import(_READ_IMPORTS)
        getattr(reader, "admin", None)  # made here, not lazily by two threads (the plan-time validator shares it)
        # a daemon thread: a stack found invalid meanwhile must not wait for an unreachable cluster to answer
        self._thread = threading.Thread(target=self._run, name="kplan-prefetch", daemon=True)
        _KINDS_LOADED.clear()
        try:
            self._thread.start()
            _import(_PLAN_IMPORTS)
        finally:
            _KINDS_LOADED.set()

    def _run(self) -> None:
        try:
            self._result = self._reader.read(self._key[0], topic_names=sorted(self._names), sections=self._sections)
        except BaseException as e:  # noqa: BLE001 - handed to whoever reads (raised there, as a direct read would)
            self._error = e
        with self._lock:
            self._done = True
            if self._abandoned:  # the caller is gone: the clients are closed here, by the thread that used them
                self._close()

    def _wait(self) -> None:
        self._thread.join()

    def close(self) -> None:
        with self._lock:
            if not self._done:
                self._abandoned = True
                return
        self._close()
