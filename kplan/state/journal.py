"""The rollback journal: before each step, the step and the before-image needed to undo it; after it, its outcome.

Kept durably in two places: in the cluster (compacted topic `__kplan_journal`, keyed by stack, whose latest value
is the whole journal of the stack's latest run) and in a local file, written atomically, in the user's state
directory whatever directory kplan runs from (see `local_state_dir`):

    $KPLAN_STATE_DIR/journal/<stack>@<cluster id>.json         when KPLAN_STATE_DIR is set
    $XDG_STATE_HOME/kplan/journal/<stack>@<cluster id>.json    else, when XDG_STATE_HOME is set (and absolute)
    ~/.local/state/kplan/journal/<stack>@<cluster id>.json     else

A run killed on one machine (or in a CI job whose workspace is gone) is recovered from anywhere through the
cluster copy; the local copy covers a cluster that became unreachable mid-run. Reading also looks at
`./.kplan/journal/<stack>@<cluster id>.json`, where versions before this one wrote the local copy (relative to the
directory they ran from), so a run such a version left unfinished is still found when recovering from there.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Mapping

from kplan.errors import KplanError
from kplan.kinds.codec import converter
from kplan.model.ownership import Ownership
from kplan.secrets import scrubbed_json
from kplan.state import faults
from kplan.transport.reach import ClusterUnreachable, link_of

JOURNAL_TOPIC = "__kplan_journal"

class RunStatus(StrEnum):
    """A run's status (the journal's "status"). A run that is RUNNING or ROLLING_BACK when read by another process
    is unfinished, and so is a ROLLBACK_INCOMPLETE one with an undo still to retry (see `Journal.unfinished`); one
    whose undos `kplan recover` gave up (StepStatus.NOT_UNDONE) is over."""

    RUNNING = "running"
    COMPLETE = "complete"
    ROLLED_BACK = "rolled-back"
    ROLLBACK_INCOMPLETE = "rollback-incomplete"
    ROLLING_BACK = "rolling-back"
    # Written by versions whose `recover --resume` started a new run: the interrupted run's work was taken over.
    # A resume now continues the interrupted run's own journal (one run, one history), so this is only read.
    ABANDONED = "abandoned"


class StepStatus(StrEnum):
    """A journaled step's status (each entry's "status")."""

    PENDING = "pending"
    STARTED = "started"  # journaled before the step touches anything
    DONE = "done"
    FAILED = "failed"
    UNDONE = "undone"
    UNDO_FAILED = "undo-failed"  # its undo failed or was held back: `kplan recover --rollback` tries it again
    IRREVERSIBLE = "irreversible"  # it changed the cluster and can never be undone (reported, not retried)
    # `kplan recover` ended the run without undoing it: its undo was refused (or waited for one that was). What it
    # changed is left as the run made it, for the user to undo by hand (the error says what); never retried.
    NOT_UNDONE = "not-undone"


UNFINISHED = (RunStatus.RUNNING, RunStatus.ROLLING_BACK)


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def new_run_id() -> str:
    """A run's id (`Journal.run_id`): the lock's holder record names it before the journal exists, and every cluster's
    part of one run has the same."""
    return uuid.uuid4().hex[:12]


@dataclass
class Journal:
    stack: str
    environment: str | None
    cluster_id: str
    inputs_digest: str
    run_id: str = field(default_factory=new_run_id)
    status: RunStatus = RunStatus.RUNNING
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    started_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)
    # Each step: {"index", "kind", "args", "before", "irreversible", "status", "error"} and, once running it
    # produced something its undo needs, "outcome"; "kind", "args", "before" and "irreversible" are the step's
    # journal form (kplan.apply.steps), "status" a StepStatus.
    steps: list[dict[str, Any]] = field(default_factory=list)
    # The ownership record as it was before the run (restored by a rollback).
    ownership_before: Ownership = field(default_factory=Ownership)
    message: str = ""
    destroy: bool = False  # a destroy run: `recover --resume` finishes the destroy, never re-creates
    # Every recovery that worked on this run, oldest first: {"action": "resume" | "rollback", "at", "host", "pid",
    # "first_step"} ("first_step": the index of a resume's first own step). A resume appends its steps to this
    # journal, so a later rollback undoes everything the whole run did, however many recoveries died on the way.
    recoveries: list[dict[str, Any]] = field(default_factory=list)
    # A stack with several clusters (kplan.session.run): every cluster's part of one run has the same run_id and
    # says here which clusters the run spans ({"clusters": [names], "cluster": this one}), so that `recover
    # --rollback` also undoes the parts that had completed when another part was interrupted.
    group: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Its fields by name, through the one converter of kplan's documents (kplan.kinds.codec)."""
        return converter().unstructure(self)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> "Journal":
        """A journal as written (a field it lacks has its default); a required field missing, or an unknown run or
        step status (the statuses are closed), is a ValueError, as any malformed journal (a store skips such a
        local copy)."""
        try:
            journal: Journal = converter().structure(doc, cls)
            for step in journal.steps:
                step["status"] = StepStatus(step["status"])
        except KeyError as e:  # the converter's word for a required field missing, and a step's without one
            raise ValueError(f"a journal without {e}") from None
        return journal

    @property
    def unfinished(self) -> bool:
        """Running or rolling back (or died doing so), or rolled back with an undo still to retry."""
        return self.status in UNFINISHED or (self.status == RunStatus.ROLLBACK_INCOMPLETE
                                              and bool(self.steps_in(StepStatus.UNDO_FAILED)))

    def steps_in(self, status: StepStatus) -> list[dict[str, Any]]:
        """The steps in `status`: UNDO_FAILED, whose undo `kplan recover --rollback` retries; NOT_UNDONE, which
        `kplan recover` gave up undoing (for the user to undo by hand); IRREVERSIBLE, which changed the cluster for
        good (a rollback reports them)."""
        return [s for s in self.steps if s["status"] == status]

    def pending_ownership(self) -> Ownership:
        """What the stack may own while this run is unfinished: the record before it merged with every record
        its steps write (whatever it may have created, adopted or not yet deleted). Not marked."""
        record = self.ownership_before.marked(None)
        for step in self.steps:
            if step["kind"] == "record-ownership":
                record = record.merged(Ownership.from_json(step["args"]))
        return record

    def taken_over(self, action: str, first_step: int | None = None) -> None:
        """A recovery in this process works on this run from now on: it is the run's host and pid (what a
        later recovery checks for liveness), and the run's history says so."""
        entry: dict[str, Any] = {"action": action, "at": now(), "host": socket.gethostname(), "pid": os.getpid(),
                                 "previous_host": self.host, "previous_pid": self.pid}
        if first_step is not None:
            entry["first_step"] = first_step
        self.recoveries.append(entry)
        self.host, self.pid = socket.gethostname(), os.getpid()

    def last_step(self) -> dict[str, Any] | None:
        touched = [s for s in self.steps if s["status"] != StepStatus.PENDING]
        return touched[-1] if touched else None

    def marker(self) -> dict[str, Any]:
        """What the ownership record carries while this run is under way."""
        return {"run_id": self.run_id, "host": self.host, "pid": self.pid, "started_at": self.started_at}

    def describe(self) -> str:
        last = self.last_step()
        where = (f"last step {last['index'] + 1}/{len(self.steps)} {last['kind']} ({last['status']})"
                 if last else "no step started")
        return (f"run {self.run_id} of stack {self.stack!r} started {self.started_at} on {self.host} "
                f"(pid {self.pid}), status {self.status}, {where}")


# Where versions before the per-user state directory wrote the local copy: relative to the working directory.
LEGACY_STATE_DIR = ".kplan"


def local_state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """kplan's local state directory: `$KPLAN_STATE_DIR`, else `$XDG_STATE_HOME/kplan` (the XDG Base Directory
    spec ignores a relative XDG_STATE_HOME), else `~/.local/state/kplan`; `./.kplan` only when no home directory
    can be determined. Never relative to where kplan runs unless KPLAN_STATE_DIR says so."""
    env = os.environ if environ is None else environ
    if env.get("KPLAN_STATE_DIR"):
        return Path(env["KPLAN_STATE_DIR"]).expanduser()
    xdg = env.get("XDG_STATE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "kplan"
    home = env.get("HOME")
    if not home:
        try:
            home = str(Path.home())
        except (RuntimeError, KeyError):
            return Path(LEGACY_STATE_DIR)
    return Path(home) / ".local" / "state" / "kplan"


def local_path(stack: str, cluster_id: str, state_dir: str | os.PathLike | None = None) -> Path:
    """One local journal per stack and cluster: a dev run's journal never stands for a prod cluster's.
    `state_dir`: instead of the state directory the environment gives (`local_state_dir`)."""
    base = Path(state_dir) if state_dir else local_state_dir()
    return base / "journal" / f"{stack}@{cluster_id}.json"


def write_atomically(path: str | os.PathLike, data: bytes, prefix: str) -> None:
    """`data` written to `path` whole or not at all (a reader never sees half of it; a temporary file `prefix...`
    beside it, fsynced, then renamed over it), readable by the owner only (mkstemp's mode)."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=prefix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class JournalStore:
    """Writes the journal durably to a local file and to the cluster; reads the newest of the two.

    The local copy is written first, always. When the cluster does not answer (kplan.transport.reach), a write
    after the run's first one keeps the journal in the local copy only and returns: the run goes on (its rollback
    included) without waiting for the cluster again, and the cluster copy is brought up to date by the next write
    that reaches it (each write holds the whole journal), by `close`, or by any later `read` of a store that can
    write (`kplan recover` from this machine), so that a recovery from another machine sees it."""

    def __init__(self, producer, consumer_conf: dict[str, Any] | None,
                 admin, stack: str, cluster_id: str, timeout_s: float, state_dir: str | os.PathLike | None = None):
        self.producer = producer  # None: read-only (planning)
        self.cluster_id = cluster_id
        self.consumer_conf = consumer_conf
        self.admin = admin
        self.stack = stack
        self.timeout_s = timeout_s
        self.path = local_path(stack, cluster_id, state_dir)
        # Kafka's link (the writer's, carried by its admin client): journal writes share the run's deadlines.
        self.link = link_of(admin)
        # Runs this store has written to the cluster at least once; a run's first write must reach it.
        self._in_cluster: set[str] = set()
        # The local copy's payload while the cluster copy is behind it (None: the cluster copy is current).
        self.pending: bytes | None = None
        self._warned = False

    # -- writing -------------------------------------------------------------------------------------

    def ensure_topic(self, broker_count: int) -> None:
        from kplan.state.ownership import RECORD_TOPIC_CONFIG
        from kplan.state.records import RECORD_MAX_BYTES, ensure_internal_topic

        # a journal holds before-images of whole batches (thousands of topic configs): its records may be large
        ensure_internal_topic(self.admin, JOURNAL_TOPIC, broker_count, self.timeout_s,
                              {"max.message.bytes": str(RECORD_MAX_BYTES), **RECORD_TOPIC_CONFIG})

    def write(self, journal: Journal) -> None:
        """Durable before returning: the local file fsynced, and the cluster record acknowledged by all replicas —
        or, when the cluster does not answer and this store has written the run to the cluster before, the local
        file alone (`pending`; see the class). Raises when the local write fails, when the cluster refuses the
        record, and when the run's first write cannot reach the cluster (a run never starts with a journal only
        this machine knows of)."""
        journal.updated_at = now()
        payload = scrubbed_json(journal.to_json()).encode()  # never a known secret
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, payload, ".journal-")
        if self.producer is not None:
            try:
                self._write_cluster(payload)
            except ClusterUnreachable as e:
                if journal.run_id not in self._in_cluster:
                    raise
                self.pending = payload
                if not self._warned:
                    self._warned = True
                    print(f"Warning: {e}; the journal goes on in the local copy only, and is written to the cluster "
                          "once it answers again (later in this run, or by `kplan recover` from this machine)",
                          file=sys.stderr)
            else:
                self._in_cluster.add(journal.run_id)
                self.pending = None
        faults.at("journal-written")

    def _write_cluster(self, payload: bytes) -> None:
        from kplan.state.records import write_record

        try:
            write_record(self.producer, JOURNAL_TOPIC, self.stack.encode(), payload, self._timeout(), "the journal",
                         link=self.link)
        except ClusterUnreachable as e:
            raise ClusterUnreachable(f"{e} (the local copy is at {self.path})") from None
        except KplanError as e:
            raise KplanError(f"{e} (the local copy is at {self.path})") from None

    def _timeout(self) -> float:
        return self.link.budget() if self.link is not None else self.timeout_s

    def replay(self) -> bool:
        """Write the local copy to the cluster if the cluster copy is behind it; True when the cluster copy is
        current afterwards. Quiet: a cluster that does not answer leaves it for later."""
        if self.pending is None or self.producer is None:
            return self.pending is None
        try:
            self._write_cluster(self.pending)
        except KplanError:
            return False
        self.pending = None
        return True

    # -- reading -------------------------------------------------------------------------------------

    def read(self) -> Journal | None:
        """The stack's latest journal: the local copy when it is the newer one (or as new: it is written first)
        or the only one, else the cluster's. A store that can write brings the cluster copy up to date when the
        local one is newer (see the class)."""
        local: list[tuple[Journal, bytes]] = []
        for path in self.local_paths():
            try:
                raw = path.read_bytes()
                local.append((Journal.from_json(json.loads(raw)), raw))
            except (OSError, ValueError, TypeError):
                pass
        in_cluster: Journal | None = None
        known = False  # whether the cluster's copy (or that it has none) is known
        if self.consumer_conf is not None:
            try:
                in_cluster, known = self._read_cluster()
            except ClusterUnreachable:
                pass  # the local copy stands; it is replayed once the cluster answers
        # Only this cluster's runs: recovering another cluster's journal here would undo the wrong thing. On a tie
        # the local copy wins: it is written before the cluster's.
        candidates = [j for j, _ in local] + ([in_cluster] if in_cluster is not None else [])
        candidates = [j for j in candidates if j.cluster_id == self.cluster_id]
        if not candidates:
            return None
        # then the one further on: more steps touched, over before unfinished
        best = max(candidates, key=lambda j: (j.updated_at, sum(s["status"] != StepStatus.PENDING for s in j.steps)
                                              + (100000 if not j.unfinished else 0)))
        if self.producer is not None and known and best is not in_cluster and (
                in_cluster is None or in_cluster.to_json() != best.to_json()):
            self.pending = next(raw for j, raw in local if j is best)
            if self.replay():
                self._in_cluster.add(best.run_id)
        return best

    def _read_cluster(self) -> tuple[Journal | None, bool]:
        """The cluster's copy, and whether the cluster answered (False: its metadata could not be read)."""
        from kplan.state.records import read_compacted

        assert self.consumer_conf is not None
        if self.link is not None:
            self.link.gate("reading the journal")
        try:
            md = self.admin.list_topics(JOURNAL_TOPIC, timeout=self._timeout())
        except Exception as e:  # noqa: BLE001
            if self.link is not None and self.link.is_down:
                raise ClusterUnreachable(f"reading the journal: {e}") from None
            return None, False
        if JOURNAL_TOPIC not in md.topics or md.topics[JOURNAL_TOPIC].error is not None:
            return None, True
        value = read_compacted(self.consumer_conf, JOURNAL_TOPIC, self._timeout(), link=self.link).get(
            self.stack.encode())
        return (Journal.from_json(json.loads(value)) if value else None), True

    def local_paths(self) -> list[Path]:
        """The local copies to read: this version's, and the one an older version left in `./.kplan/journal/`."""
        paths = [self.path]
        legacy = local_path(self.stack, self.cluster_id, LEGACY_STATE_DIR)
        if legacy.exists() and not (self.path.exists() and os.path.samefile(legacy, self.path)):
            paths.append(legacy)
        return [p for p in paths if p.exists()]

    def close(self) -> None:
        """A last try to bring the cluster copy up to date, then what the producer still holds (at most the
        stack's timeout; nothing at all while the cluster is known to be unreachable)."""
        if self.producer is None:
            return
        self.replay()
        self.producer.flush(0 if self.link is not None and self.link.is_down else self._timeout())
