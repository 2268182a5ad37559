"""The kill sweep: SIGKILL kplan at every transition of its own state (lock, journal, ownership record, and inside
each step) during an apply, a destroy, a `recover --resume` and a `recover --rollback`, recover, and check that
the cluster ends in one of the only two acceptable states.

    PYTHONPATH=dev python tests/integration/fault_sweep.py [--modes M,...] [--workers N] [--nested-k all|steps|K,...]
                                                          [--only MODE:POINT[:POINT2]] [--keep] [--json FILE]
                                                          [--findings FILE]

(`make fault-sweep` runs the whole sweep.) It prints its figures as JSON: per mode, the transitions swept and how
many ended BEFORE, AFTER or NEITHER, and how many left the lock, left resources the ownership record does not
account for, or had a crash point where `kplan plan` did not report the unfinished run.

A trial, on the real local stack, with a fresh stack name (= the prefix of all its resources) so that trials never
share anything and "resetting to before" is creating a new stack:

1. `kplan apply BASE` (topics .a with a config, .b, .c and a FileStreamSource connector -s1 writing to .a); the
   cluster's snapshot is BEFORE.
2. The run under test, killed (faulty_kplan.py --kill-at) right after one transition: `kplan apply CHANGE` (a
   config change on .a, a partition increase of .b (irreversible), .c deleted (irreversible), new topics .d and .e,
   -s1 updated to write to .e, a new connector -s2 writing to .d) or `kplan destroy BASE`.
3. Right after the kill: `kplan plan` must report the unfinished run (exit 1, naming it).
4. Recovery: `kplan recover --rollback|--resume --force --auto-approve`; in the nested modes that recovery is
   killed too (at each of its own transitions) and followed by `kplan recover --rollback --force --auto-approve`.
5. The verdict: BEFORE (the snapshot equals the one of step 1, except for irreversible effects, each of which the
   last recovery's output names), AFTER (the snapshot equals the declared state, and `kplan plan
   --detailed-exitcode` exits 0), else NEITHER. Also: every resource with the prefix that exists is in the stack's
   ownership record, no `__kplan_lock.<stack>` topic is left, and `kplan plan` reports no unfinished run.

The `subjects` scenario (Sweep(scenario="subjects"), `--scenario subjects`) sweeps a schema registration instead:
BASE has topic .a and subject .s1 (version 1); CHANGE registers version 2 of .s1 and creates subject .s2 with a
compatibility level. Its snapshot adds every registry read of the prefix's subjects (the subject list with
deleted=true, each one's versions with deleted=true, each one's raw `GET /config/<s>`), so BEFORE means those are
exactly as before too; after a BEFORE it applies CHANGE again and records .s1's versions (`[1, 2]`: the rollback
left no soft-deleted version 2 that would make the next registration version 3).

A failing undo, not only kills: in the mode `apply/rollback-undo-refused`, right after the kill (step 3) someone
deletes topic .a out of band, so the undo of the run's config change on .a is refused (the topic is gone). The
recovery must still end the run (no lock, no marker, no plan reporting it), name that undo as not done with what to
do by hand (when the run had got that far), and leave everything else as BEFORE (the deleted .a aside).

One-time requests (a consumer group's or a connector's offsets request) are swept by tests/integration/
request_sweep.py (`make request-sweep`): their state is offsets, which this snapshot does not hold, and a request's
AFTER also needs its token recorded; it uses the same kill points and the same verdicts.

The declared state (AFTER) is the snapshot of an uninterrupted apply of CHANGE over BASE (the learning run, which
also counts the apply's transitions with --count-points); names are compared with the prefix replaced by `{P}`.
The transitions of each recovery are learned by the single-kill trial that runs it (with --count-points), and the
nested trials kill it at each of them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kplan_helpers import (  # noqa: E402
    ROOT,
    Run,
    cleanup,
    forget_stack,
    killed_kplan,
    kplan,
    lock_exists,
    read_stack_ownership,
    snapshot,
    write_stack,
)
from registry_reads import registry_state  # noqa: E402

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"

# The modes: (the run under test, how it is recovered). A nested mode's first recovery is killed at each of its
# transitions, then the last recovery runs.
MODES = {
    "apply/rollback": ("apply", ["rollback"]),
    "apply/resume": ("apply", ["resume"]),
    "apply/resume-killed/rollback": ("apply", ["resume", "rollback"]),
    "apply/rollback-killed/rollback": ("apply", ["rollback", "rollback"]),
    "destroy/rollback": ("destroy", ["rollback"]),
    "destroy/resume": ("destroy", ["resume"]),
    "destroy/resume-killed/rollback": ("destroy", ["resume", "rollback"]),
    "destroy/rollback-killed/rollback": ("destroy", ["rollback", "rollback"]),
    # killed, then topic .a deleted out of band: the undo of the config change on .a is refused (see the docstring)
    "apply/rollback-undo-refused": ("apply", ["rollback"]),
}
# What is deleted out of band right after the kill, by mode (topic names, "{P}": the trial's prefix).
OUT_OF_BAND = {"apply/rollback-undo-refused": ["{P}.a"]}
SINGLE = [m for m, (_, recs) in MODES.items() if len(recs) == 1]
NESTED = [m for m, (_, recs) in MODES.items() if len(recs) == 2]
DEFAULT_MODES = list(MODES)

# What kplan says when the stack itself (not kplan) failed: such a trial is re-run.
INFRA = ("cannot reach Kafka", "answered 404 to GET /connectors", "Connection refused")
STABLE_STATES = ("RUNNING", "PAUSED", "STOPPED", "FAILED")


# -- the scenario ------------------------------------------------------------------------------------------------

def _topic(name, partitions=1, config=None):
    t = {"name": name, "partitions": partitions, "replication_factor": 1}
    if config:
        t["config"] = config
    return t


def _source(name, topic):
    # /dev/null: the source reads nothing, the connector and its task run (nothing depends on a file existing).
    return {"name": name, "class": FILE_SOURCE, "tasks_max": 1, "config": {"file": "/dev/null", "topic": topic}}


def base_doc(ep: "Endpoints", p: str) -> dict:
    return {"stack": p, "cluster": ep.cluster(),
            "topics": [_topic(f"{p}.a", config={"retention.ms": "1d"}), _topic(f"{p}.b"), _topic(f"{p}.c")],
            "connectors": [_source(f"{p}-s1", f"{p}.a")]}


def change_doc(ep: "Endpoints", p: str) -> dict:
    return {"stack": p, "cluster": ep.cluster(),
            "topics": [_topic(f"{p}.a", config={"retention.ms": "2d"}),
                       _topic(f"{p}.b", partitions=2),  # irreversible
                       # .c removed: deleted (owned; irreversible)
                       _topic(f"{p}.d"), _topic(f"{p}.e", config={"cleanup.policy": "compact"})],
            "connectors": [_source(f"{p}-s1", f"{p}.e"),  # updated
                           _source(f"{p}-s2", f"{p}.d")]}  # created


def _schema(p: str, name: str, *optional: str) -> str:
    """A record schema of the trial's own (its doc names the trial's stack): trials run at once, and Apicurio
    3.0.9 can leave a version half-written when one client deletes for good the last version holding a schema while
    another registers that same schema (docs/systems-facts.md)."""
    fields = [{"name": "id", "type": "long"}] + [{"name": f, "type": ["null", "string"], "default": None}
                                                 for f in optional]
    return json.dumps({"type": "record", "name": name, "namespace": "kplan.sweep", "doc": p, "fields": fields})


def subjects_base_doc(ep: "Endpoints", p: str) -> dict:
    return {"stack": p, "cluster": ep.cluster(registry=True), "topics": [_topic(f"{p}.a")],
            "subjects": [{"name": f"{p}.s1", "schema": _schema(p, "S1")}]}


def subjects_change_doc(ep: "Endpoints", p: str) -> dict:
    return {"stack": p, "cluster": ep.cluster(registry=True), "topics": [_topic(f"{p}.a")],
            "subjects": [{"name": f"{p}.s1", "schema": _schema(p, "S1", "email")},  # a new version of an existing one
                         {"name": f"{p}.s2", "schema": _schema(p, "S2"), "compatibility": "FORWARD"}]}  # created


SCENARIOS = {"connectors": (base_doc, change_doc), "subjects": (subjects_base_doc, subjects_change_doc)}


@dataclass
class Endpoints:
    bootstrap: str
    connect_url: str
    timeout: str = "20s"
    registry_url: str = ""

    def cluster(self, registry: bool = False) -> dict:
        out = {"bootstrap_servers": self.bootstrap, "connect_url": self.connect_url, "timeout": self.timeout}
        if registry:
            out["schema_registry"] = {"url": self.registry_url}
        return out

    @classmethod
    def default(cls) -> "Endpoints":
        try:
            import localstack  # dev/ on PYTHONPATH (pytest's pythonpath, `make fault-sweep`)

            bootstrap, connect, registry = localstack.BOOTSTRAP, localstack.CONNECT_URL, localstack.REGISTRY_URL
        except ImportError:
            bootstrap, connect = "127.0.0.1:19092", "http://127.0.0.1:18083"
            registry = "http://127.0.0.1:18081/apis/ccompat/v7"
        return cls(os.environ.get("KPLAN_BOOTSTRAP", bootstrap), os.environ.get("KPLAN_CONNECT_URL", connect),
                   registry_url=os.environ.get("KPLAN_SCHEMA_REGISTRY_URL", registry))


# -- results -----------------------------------------------------------------------------------------------------

@dataclass
class Trial:
    mode: str
    kill: str  # the run under test's kill point, "POINT:N"
    k: int  # its 1-based position in the learned sequence of kill points
    kill2: str | None = None  # nested modes: the first recovery's kill point
    j: int | None = None

    @property
    def label(self) -> str:
        return f"{self.mode} k={self.k} ({self.kill})" + (f" j={self.j} ({self.kill2})" if self.kill2 else "")


@dataclass
class Result:
    trial: Trial
    outcome: str = "ERROR"  # BEFORE | AFTER | NEITHER | NOT-REACHED (the kill never happened) | ERROR
    reasons: list[str] = field(default_factory=list)
    prefix: str = ""
    plan_missed_unfinished: list[str] = field(default_factory=list)  # crash points where plan did not report it
    unowned_at_crash: list[str] = field(default_factory=list)  # resources existing but not owned, right after a kill
    lock_left: bool = False
    unowned_left: list[str] = field(default_factory=list)
    unfinished_after: str = ""  # what the final plan / record still says about an unfinished run
    recover_points: list[str] = field(default_factory=list)  # the first recovery's transitions (learned)
    recover_steps: int = 0
    reapplied_versions: list | None = None  # subjects scenario, after a BEFORE: .s1's versions (deleted ones too)
    deleted_out_of_band: list[str] = field(default_factory=list)
    left_by_hand: list[str] = field(default_factory=list)  # the undos the last recovery left to the user, named
    recover_code: int | None = None  # the last recovery's exit code
    outputs: list[str] = field(default_factory=list)  # each command's exit code and output tail
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (self.outcome in ("BEFORE", "AFTER", "NOT-REACHED") and not self.lock_left and not self.unowned_left
                and not self.unfinished_after and not self.plan_missed_unfinished)

    def summary(self) -> dict:
        d = asdict(self)
        d["trial"] = self.trial.label
        d.pop("recover_points")
        d["outputs"] = self.outputs if not self.ok else []
        return d


# -- the sweep ---------------------------------------------------------------------------------------------------

def _points(path: Path) -> list[str]:
    """Transition names in order -> kill points "POINT:N" (N: the how-many-th of that POINT)."""
    seen: Counter[str] = Counter()
    out = []
    for line in path.read_text().split() if path.exists() else []:
        seen[line] += 1
        out.append(f"{line}:{seen[line]}")
    return out


def _steps(out: str) -> int:
    found = [int(m.group(2)) for m in re.finditer(r"^\[(\d+)/(\d+)\] ", out, re.M)]
    return max(found) if found else 0


def _norm(snap: dict, prefix: str) -> dict:
    return json.loads(json.dumps(snap).replace(prefix, "{P}"))


def _tail(r: Run, n: int = 1500) -> str:
    return f"exit {r.code}: " + (r.text[-n:] if len(r.text) > n else r.text)


def kill_points(points: list[str], steps: int) -> list[str]:
    """What to kill a run at: each transition, and inside each step (its writes done, its journal entry still
    "started")."""
    return points + [f"in-step:{i}" for i in range(1, steps + 1)]


class Sweep:
    def __init__(self, ep: Endpoints | None = None, workdir: Path | None = None, keep: bool = False,
                 log=None, scenario: str = "connectors"):
        from confluent_kafka.admin import AdminClient

        self.ep = ep or Endpoints.default()
        self.scenario = scenario
        self.docs = SCENARIOS[scenario]
        self.run_tag = uuid.uuid4().hex[:6]
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="kplan-sweep-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.env = {"KPLAN_STATE_DIR": str(self.workdir / "state"), "NO_COLOR": "1"}
        self.keep = keep
        self.log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
        self._n = 0
        self._lock = threading.Lock()
        self._admin = AdminClient({"bootstrap.servers": self.ep.bootstrap})
        self.prefixes: list[str] = []
        # learned: run -> kill points, the AFTER reference, the step count
        self.learned: dict[str, dict] = {}

    # -- plumbing --

    def new_prefix(self) -> str:
        with self._lock:
            self._n += 1
            p = f"kplansweep-{self.run_tag}-{self._n:04d}"
            self.prefixes.append(p)
        return p

    def files(self, p: str) -> tuple[Path, Path]:
        d = self.workdir / p
        d.mkdir(exist_ok=True)
        base, change = self.docs
        return (write_stack(d / "base.yaml", base(self.ep, p)), write_stack(d / "change.yaml", change(self.ep, p)))

    def kplan(self, *args) -> Run:
        return kplan(*args, env=self.env)

    def killed(self, *args, kill_at=None, count_points=None) -> Run:
        return killed_kplan(*args, kill_at=kill_at, count_points=count_points, env=self.env)

    def snap(self, p: str) -> dict:
        out = snapshot(self._admin, self.ep.connect_url, p)
        if self.scenario == "subjects":
            out["registry"] = registry_state(self.ep.registry_url, p)
        return out

    def clean_subjects(self, p: str) -> None:
        import requests

        for s in registry_state(self.ep.registry_url, p)["subjects"]:
            requests.delete(f"{self.ep.registry_url}/subjects/{s}", timeout=30)
            requests.delete(f"{self.ep.registry_url}/subjects/{s}?permanent=true", timeout=30)

    def clean(self, p: str) -> None:
        if self.keep:
            return
        try:
            cleanup(self._admin, self.ep.connect_url, p)
            if self.scenario == "subjects":
                self.clean_subjects(p)
            forget_stack(self._admin, self.ep.bootstrap, p)
            for f in (self.workdir / "state" / "journal").glob(f"{p}@*"):
                f.unlink()
        except Exception as e:  # noqa: BLE001 - best effort; report and go on
            self.log(f"cleanup of {p} failed: {e}")

    def base(self, p: str) -> tuple[Path, Path, dict]:
        base, change = self.files(p)
        r = self.kplan("apply", str(base), "--auto-approve")
        if r.code != 0:
            raise RuntimeError(f"the base apply of {p} failed: {_tail(r)}")
        return base, change, self.snap(p)

    # -- learning --

    def learn(self, run: str) -> dict:
        """Count the transitions of an uninterrupted `run` (apply of CHANGE, or destroy) over BASE; the apply's
        final snapshot is the AFTER reference."""
        if run in self.learned:
            return self.learned[run]
        p = self.new_prefix()
        try:
            base, change, before = self.base(p)
            counts = self.workdir / f"{p}.points"
            args = ("apply", str(change), "--auto-approve") if run == "apply" else ("destroy", str(base),
                                                                                  "--auto-approve")
            r = self.killed(*args, count_points=counts)
            if r.code != 0:
                raise RuntimeError(f"the uninterrupted {run} failed: {_tail(r)}")
            after = _norm(self.snap(p), p)
            steps = _steps(r.out)
            info = {"points": kill_points(_points(counts), steps), "steps": steps, "after": after,
                    "before": _norm(before, p)}
            self.learned[run] = info
            return info
        finally:
            self.clean(p)

    def resolve(self, run: str, point: str) -> str:
        """A kill point of `run` as faulty_kplan takes it: "POINT:-N" is the N-th last POINT of the learned run."""
        kind, _, n = point.rpartition(":")
        if not n.startswith("-"):
            return point
        found = [pt for pt in self.learn(run)["points"] if pt.rpartition(":")[0] == kind]
        return found[int(n)]

    def sample(self, mode: str, kill: str, kill2: str | None = None) -> Result:
        """One trial, the kill points given by name (see `resolve`)."""
        run = MODES[mode][0]
        kill = self.resolve(run, kill)
        points = self.learned[run]["points"] if run in self.learned else []
        k = points.index(kill) + 1 if kill in points else 0
        return self.trial(Trial(mode, kill, k, kill2, 0 if kill2 else None))

    # -- one trial --

    def healthy(self) -> bool:
        import requests

        try:
            self._admin.list_topics(timeout=5)
            return requests.get(f"{self.ep.connect_url}/connectors", timeout=5).status_code == 200
        except Exception:  # noqa: BLE001
            return False

    def wait_healthy(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while not self.healthy():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the stack ({self.ep.bootstrap}, {self.ep.connect_url}) is not reachable")
            time.sleep(3)

    def trial(self, t: Trial, attempts: int = 3) -> Result:
        """One trial; re-run (on a new stack name) when the shared stack itself was unreachable during it."""
        for attempt in range(attempts):
            self.wait_healthy()
            res = self._trial(t)
            disturbed = res.outcome == "ERROR" or any(s in out for out in res.outputs for s in INFRA)
            if not disturbed or attempt == attempts - 1:
                return res
            self.log(f"re-running {t.label}: the stack was unreachable during {res.prefix}")
        return res

    def _trial(self, t: Trial) -> Result:
        run, recoveries = MODES[t.mode]
        res = Result(t)
        started = time.monotonic()
        p = res.prefix = self.new_prefix()
        try:
            base, change, before = self.base(p)
            stack_file = change if run == "apply" else base
            args = ("apply", str(change), "--auto-approve") if run == "apply" else ("destroy", str(base),
                                                                                  "--auto-approve")
            r = self.killed(*args, kill_at=t.kill)
            res.outputs.append(f"{run} killed at {t.kill}: {_tail(r, 600)}")
            if r.code != -9:
                res.outcome = "NOT-REACHED"
                res.reasons.append(f"the {run} was not killed at {t.kill} (exit {r.code})")
                return res
            self.crash_checks(p, stack_file, run, t.kill, res)
            self.out_of_band(t.mode, p, res)
            last: Run | None = None
            for n, mode in enumerate(recoveries):
                counts = self.workdir / f"{p}.recover{n}.points"
                rec_args = ("recover", str(stack_file), f"--{mode}", "--force", "--auto-approve")
                if n == 0 and len(recoveries) == 2:
                    r = self.killed(*rec_args, kill_at=t.kill2)
                    res.outputs.append(f"recover --{mode} killed at {t.kill2}: {_tail(r)}")
                    if r.code != -9:
                        res.outcome = "NOT-REACHED"
                        res.reasons.append(f"recover --{mode} was not killed at {t.kill2} (exit {r.code})")
                        return res
                    self.crash_checks(p, stack_file, run, f"recover --{mode} {t.kill2}", res)
                else:
                    r = self.killed(*rec_args, count_points=counts)
                    res.outputs.append(f"recover --{mode}: {_tail(r)}")
                    if n == 0:
                        res.recover_points = kill_points(_points(counts), _steps(r.out) if mode == "resume" else 0)
                        res.recover_steps = _steps(r.out)
                last = r
            if last is not None:
                res.recover_code = last.code
                res.left_by_hand = left_by_hand(last.text)
            self.verdict(p, stack_file, run, before, last, res)
            if self.scenario == "subjects" and run == "apply" and res.outcome == "BEFORE":
                r = self.kplan("apply", str(change), "--auto-approve")
                res.outputs.append(f"apply again after the rollback: {_tail(r, 600)}")
                res.reapplied_versions = registry_state(self.ep.registry_url, p)["versions"].get(f"{p}.s1")
            if last is not None and "not retried" in last.text and not res.left_by_hand:
                res.outcome = "NEITHER"
                res.reasons.append("an undo was given up but the recovery did not say what to do by hand")
        except Exception as e:  # noqa: BLE001 - a trial that could not run is an ERROR, not a crash of the sweep
            res.outcome = "ERROR"
            res.reasons.append(f"{type(e).__name__}: {e}")
        finally:
            res.seconds = round(time.monotonic() - started, 1)
            self.clean(p)
        return res

    def out_of_band(self, mode: str, p: str, res: Result) -> None:
        """Someone deletes topics by hand while the run is dead (OUT_OF_BAND): an undo that needs them fails."""
        names = [n.replace("{P}", p) for n in OUT_OF_BAND.get(mode, [])]
        if not names:
            return
        for f in self._admin.delete_topics(names, operation_timeout=30).values():
            f.result(60)
        deadline = time.monotonic() + 30
        while set(names) & set(self._admin.list_topics(timeout=10).topics) and time.monotonic() < deadline:
            time.sleep(0.5)
        res.deleted_out_of_band = names
        res.outputs.append(f"deleted out of band: {', '.join(names)}")

    def crash_checks(self, p: str, stack_file: Path, run: str, where: str, res: Result) -> None:
        """Right after a kill: `kplan plan` reports the unfinished run; what exists is owned (recorded)."""
        args = ("plan", str(stack_file)) + (("--destroy",) if run == "destroy" else ())
        r = self.kplan(*args)
        # an error naming the unfinished run, or (a run that died before marking itself) a warning naming the lock
        reported = (r.code == 1 and any(s in r.text for s in ("did not finish", "unfinished"))) \
            or any(ln.startswith("Warning") and "is locked" in ln for ln in r.text.splitlines())
        if not reported:
            res.plan_missed_unfinished.append(f"{where}: plan exit {r.code}: {_first_line(r)}")
        unowned = self.unowned(p)
        if unowned:
            res.unowned_at_crash.append(f"{where}: {', '.join(unowned)}")

    def unowned(self, p: str) -> list[str]:
        snap = self.snap(p)
        own = read_stack_ownership(self._admin, self.ep.bootstrap, p)
        return sorted([f"topic {n}" for n in snap["topics"] if n not in own.owned("topics")]
                      + [f"connector {n}" for n in snap["connectors"] if n not in own.owned("connectors")])

    def verdict(self, p: str, stack_file: Path, run: str, before: dict, last: Run | None, res: Result) -> None:
        after_ref = self.learn("apply")["after"] if run == "apply" else {"topics": {}, "connectors": {}}
        if run != "apply" and self.scenario == "subjects":
            after_ref = {**after_ref, "registry": {"subjects": [], "versions": {}, "config": {}}}
        # a run that had completed before the kill, with topics deleted out of band since: AFTER but for those,
        # which the plan creates again (and nothing else)
        gone = {n.replace(p, "{P}", 1) for n in res.deleted_out_of_band}
        after_ref = {**after_ref, "topics": {n: v for n, v in after_ref["topics"].items() if n not in gone}}
        plan_in_sync = 0 if not gone else 2
        plan_args = ("plan", str(stack_file), "--detailed-exitcode") + (("--destroy",) if run == "destroy" else ())
        output = last.text if last else ""
        deadline = time.monotonic() + 20
        while True:
            final = self.snap(p)
            norm = _norm(final, p)
            why_not_before = before_diffs(before, final, output, outside=res.deleted_out_of_band)
            if norm == after_ref or not why_not_before or time.monotonic() > deadline \
                    or all(c["state"] in STABLE_STATES for c in final["connectors"].values()):
                break
            time.sleep(1)
        plan = self.kplan(*plan_args)
        res.outputs.append(f"plan after recovery: {_tail(plan, 800)}")
        if norm == after_ref and plan.code == plan_in_sync and (
                not gone or f"Plan: {len(gone)} to add, 0 to change, 0 to destroy." in plan.out):
            res.outcome = "AFTER"
        elif not why_not_before:
            res.outcome = "BEFORE"
        else:
            res.outcome = "NEITHER"
            res.reasons += why_not_before
            if norm == after_ref:
                res.reasons.append(f"the cluster is as declared but `kplan plan` exits {plan.code}: "
                                   f"{_first_line(plan)}")
        if any(s in plan.text for s in ("did not finish", "unfinished")):
            res.unfinished_after = _first_line(plan)
        own = read_stack_ownership(self._admin, self.ep.bootstrap, p)
        if own.run:
            res.unfinished_after = (res.unfinished_after + "; " if res.unfinished_after else "") + \
                f"the ownership record still carries run marker {dict(own.run)}"
        res.unowned_left = sorted([f"topic {n}" for n in final["topics"] if n not in own.owned("topics")]
                                  + [f"connector {n}" for n in final["connectors"] if n not in own.owned("connectors")])
        res.lock_left = lock_exists(self._admin, p, {"bootstrap.servers": self.ep.bootstrap})
        if res.lock_left:  # its deletion may still be in progress
            time.sleep(3)
            res.lock_left = lock_exists(self._admin, p, {"bootstrap.servers": self.ep.bootstrap})

    # -- the whole sweep --

    def run(self, modes: list[str], workers: int = 2, nested_k: str = "all", only: list[str] | None = None,
            progress=None) -> dict:
        t0 = time.monotonic()
        results: list[Result] = []
        runs = sorted({MODES[m][0] for m in modes})
        for run in runs:
            self.learn(run)
            self.log(f"learned {run}: {len(self.learned[run]['points'])} kill points, "
                     f"{self.learned[run]['steps']} steps")
        # a nested mode needs its first recovery's transitions: learned by the matching single mode's trials
        single_needed = {f"{MODES[m][0]}/{MODES[m][1][0]}" for m in modes if m in NESTED}
        first = [Trial(m, pt, k) for m in SINGLE if m in modes or m in single_needed
                 for k, pt in enumerate(self.learned[MODES[m][0]]["points"], 1)]
        first = _dedupe(first)
        if only:
            first = [t for t in first if _selected(t, only) or any(_selected_k(t, o) for o in only)]
        with ThreadPoolExecutor(workers) as pool:
            for res in pool.map(self.trial, first):
                results.append(res)
                self._report(res, progress)
        learned_recover = {(r.trial.mode, r.trial.k): r for r in results}
        nested: list[Trial] = []
        for m in [m for m in modes if m in NESTED]:
            run, recs = MODES[m]
            points = self.learned[run]["points"]
            for k in _pick_k(nested_k, points):
                single = learned_recover.get((f"{run}/{recs[0]}", k))
                if single is None or single.outcome in ("NOT-REACHED", "ERROR"):
                    continue
                for j, pt2 in enumerate(single.recover_points, 1):
                    nested.append(Trial(m, points[k - 1], k, pt2, j))
        if only:
            nested = [t for t in nested if _selected(t, only)]
        with ThreadPoolExecutor(workers) as pool:
            for res in pool.map(self.trial, nested):
                results.append(res)
                self._report(res, progress)
        results = [r for r in results if r.trial.mode in modes]
        return figures(results, time.monotonic() - t0, workers, self.learned)

    def _report(self, res: Result, progress) -> None:
        flag = "" if res.ok else "  <-- " + "; ".join(_problems(res))
        self.log(f"{res.outcome:11s} {res.seconds:5.1f}s {res.trial.label}{flag}")
        if progress:
            progress(res)


def before_diffs(before: dict, final: dict, output: str, outside=()) -> list[str]:
    """Why `final` is not the BEFORE state: each difference, unless it is an irreversible effect (a partition
    increase, a deleted topic) that `output` (the last recovery's) names, or a topic in `outside` (deleted out of
    band: kplan does not put back what someone else deleted)."""
    out = []
    for name in sorted(set(before["topics"]) | set(final["topics"])):
        b, f = before["topics"].get(name), final["topics"].get(name)
        if b == f or (name in outside and f is None):
            continue
        irreversible = (f is None) or (b is not None and f["partitions"] > b["partitions"]
                                       and {**f, "partitions": b["partitions"]} == b)
        if irreversible and name in output and "irreversible" in output.lower():
            continue
        what = ("deleted" if f is None else "created" if b is None
                else ", ".join(f"{k} {b[k]!r} -> {f[k]!r}" for k in b if b[k] != f[k]))
        out.append(f"topic {name} {what}" + (" (irreversible, but the output does not name it)"
                                             if irreversible else ""))
    for name in sorted(set(before["connectors"]) | set(final["connectors"])):
        b, f = before["connectors"].get(name), final["connectors"].get(name)
        if b == f:
            continue
        what = ("deleted" if f is None else "created" if b is None else
                f"config {({k: v for k, v in f['config'].items() if b['config'].get(k) != v})}"
                if b["config"] != f["config"] else f"state {b['state']} -> {f['state']}")
        out.append(f"connector {name} {what}")
    if before.get("registry") != final.get("registry"):  # a rollback leaves every registry read as it was
        b, f = before.get("registry") or {}, final.get("registry") or {}
        out += [f"registry {key}: {b.get(key)!r} -> {f.get(key)!r}" for key in ("subjects", "versions", "config")
                if b.get(key) != f.get(key)]
    return out


def left_by_hand(output: str) -> list[str]:
    """The items of a recovery's "Left for you to undo by hand" list."""
    lines = output.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith("Left for you to undo by hand")), None)
    if start is None:
        return []
    out = []
    for ln in lines[start + 1:]:
        if not ln.startswith("  - "):
            break
        out.append(ln[4:])
    return out


def _first_line(r: Run) -> str:
    lines = [ln for ln in r.text.splitlines() if ln.startswith("Error") or "did not finish" in ln]
    return (lines[0] if lines else (r.text.strip().splitlines() or [""])[-1])[:400]


def _problems(res: Result) -> list[str]:
    out = list(res.reasons) if res.outcome not in ("BEFORE", "AFTER") else []
    if res.lock_left:
        out.append("lock left")
    if res.unowned_left:
        out.append("unowned: " + ", ".join(res.unowned_left))
    if res.unfinished_after:
        out.append("still unfinished: " + res.unfinished_after)
    if res.plan_missed_unfinished:
        out.append("plan missed the unfinished run at " + "; ".join(res.plan_missed_unfinished))
    return out


def _dedupe(trials: list[Trial]) -> list[Trial]:
    seen, out = set(), []
    for t in trials:
        key = (t.mode, t.k)
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out


def _selected(t: Trial, only: list[str]) -> bool:
    """`--only MODE:POINT[:POINT2]` e.g. apply/rollback:in-step:4 or apply/resume-killed/rollback:in-step:2:
    journal-written:3 (POINT2 may be "*": every transition of the first recovery)."""
    for o in only:
        mode, _, rest = o.partition(":")
        if mode != t.mode:
            continue
        parts = rest.split(":")
        kill = ":".join(parts[:2])
        kill2 = ":".join(parts[2:4]) if len(parts) > 2 else None
        if kill != t.kill and kill != "*":
            continue
        if t.kill2 is None or kill2 in ("*", None) or kill2 == t.kill2:
            return True
    return False


def _selected_k(t: Trial, o: str) -> bool:
    """A nested selection needs the single trial of the same run, recovery and kill point (it learns the
    recovery's transitions)."""
    mode, _, rest = o.partition(":")
    if mode not in NESTED:
        return False
    run, recs = MODES[mode]
    kill = ":".join(rest.split(":")[:2])
    return t.mode == f"{run}/{recs[0]}" and (kill in ("*", t.kill))


def _pick_k(spec: str, points: list[str]) -> list[int]:
    """Which kill points of the run under test get a nested sweep: all, the steps' (in-step) ones, or a list of
    positions / point names."""
    if spec == "all":
        return list(range(1, len(points) + 1))
    if spec == "steps":
        return [k for k, pt in enumerate(points, 1) if pt.startswith("in-step:")]
    out = []
    for item in spec.split(","):
        out += [int(item)] if item.isdigit() else [k for k, pt in enumerate(points, 1) if pt == item]
    return out


def figures(results: list[Result], seconds: float, workers: int, learned: dict) -> dict:
    """The sweep's figures: per mode and in total."""
    def count(rs: list[Result]) -> dict:
        swept = [r for r in rs if r.outcome not in ("NOT-REACHED",)]
        return {
            "transitions_swept": len(swept),
            "BEFORE": sum(r.outcome == "BEFORE" for r in rs),
            "AFTER": sum(r.outcome == "AFTER" for r in rs),
            "NEITHER": sum(r.outcome == "NEITHER" for r in rs),
            "ERROR": sum(r.outcome == "ERROR" for r in rs),
            "not_reached": sum(r.outcome == "NOT-REACHED" for r in rs),
            "plan_missed_unfinished": sum(bool(r.plan_missed_unfinished) for r in rs),
            "lock_left": sum(r.lock_left for r in rs),
            "unowned_left": sum(bool(r.unowned_left) for r in rs),
            "unfinished_after": sum(bool(r.unfinished_after) for r in rs),
            "unowned_at_crash": sum(bool(r.unowned_at_crash) for r in rs),
        }

    modes = {}
    for m in MODES:
        rs = [r for r in results if r.trial.mode == m]
        if rs:
            modes[m] = count(rs)
    secs = [r.seconds for r in results if r.outcome != "NOT-REACHED"]
    return {
        "kplan_commit": _commit(),
        "kill_points": {run: info["points"] for run, info in learned.items()},
        "duration_s": round(seconds, 1),
        "workers": workers,
        "trials": len(results),
        "trial_s": {"median": round(statistics.median(secs), 1) if secs else None,
                    "mean": round(statistics.mean(secs), 1) if secs else None,
                    "max": max(secs) if secs else None},
        "modes": modes,
        "total": count(results),
        "failures": [r.summary() for r in results if not r.ok],
    }


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=ROOT).stdout.strip()
    except OSError:
        return ""


def findings_markdown(fig: dict) -> str:
    lines = [f"## Sweep at {fig['kplan_commit']} ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}): "
             f"{fig['trials']} trials in {fig['duration_s']}s ({fig['workers']} workers, median trial "
             f"{fig['trial_s']['median']}s)", "",
             "| mode | swept | BEFORE | AFTER | NEITHER | ERROR | plan missed unfinished | lock left | unowned left "
             "| still unfinished | unowned at crash |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for m, c in {**fig["modes"], "total": fig["total"]}.items():
        lines.append(f"| {m} | {c['transitions_swept']} | {c['BEFORE']} | {c['AFTER']} | {c['NEITHER']} | "
                     f"{c['ERROR']} | {c['plan_missed_unfinished']} | {c['lock_left']} | {c['unowned_left']} | "
                     f"{c['unfinished_after']} | {c['unowned_at_crash']} |")
    lines += ["", "Kill points learned: " + "; ".join(f"{run}: {len(p)} ({', '.join(p)})"
                                                     for run, p in fig["kill_points"].items()), ""]
    if fig["failures"]:
        lines += ["### Failing trials", ""]
        for f in fig["failures"]:
            probs = f["reasons"] if f["outcome"] not in ("BEFORE", "AFTER") else []
            extra = []
            if f["lock_left"]:
                extra.append("lock left")
            if f["unowned_left"]:
                extra.append("unowned left: " + ", ".join(f["unowned_left"]))
            if f["unfinished_after"]:
                extra.append("still unfinished: " + f["unfinished_after"])
            if f["plan_missed_unfinished"]:
                extra.append("plan missed the unfinished run: " + " / ".join(f["plan_missed_unfinished"]))
            lines.append(f"- **{f['trial']}** -> {f['outcome']}: " + "; ".join(probs + extra))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="fault_sweep.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--modes", default=",".join(DEFAULT_MODES), help="comma-separated, of: " + ", ".join(MODES))
    ap.add_argument("--workers", type=int, default=2, help="trials run at once (each on its own stack)")
    ap.add_argument("--nested-k", default="all",
                    help="which kill points of the run get a nested sweep: all, steps, or positions/point names")
    ap.add_argument("--only", action="append", help="MODE:POINT[:POINT2] (repeatable; * for any)")
    ap.add_argument("--scenario", default="connectors", choices=sorted(SCENARIOS),
                    help="what the swept apply changes: topics and connectors, or schema subjects")
    ap.add_argument("--keep", action="store_true", help="leave each trial's resources (to inspect them)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures (with every failing trial) here")
    ap.add_argument("--findings", metavar="FILE", help="append a markdown summary here")
    ap.add_argument("--full", action="store_true", help="print every failing trial in the JSON on stdout")
    opts = ap.parse_args(argv)
    modes = [m.strip() for m in opts.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        ap.error(f"unknown mode(s) {unknown}; known: {', '.join(MODES)}")
    sweep = Sweep(keep=opts.keep, scenario=opts.scenario)
    fig = sweep.run(modes, workers=opts.workers, nested_k=opts.nested_k, only=opts.only)
    if opts.json:
        Path(opts.json).write_text(json.dumps(fig, indent=2) + "\n")
    if opts.findings:
        with open(opts.findings, "a") as f:
            f.write(findings_markdown(fig))
    shown = fig if opts.full else {**fig, "failures": [f["trial"] for f in fig["failures"]]}
    print(json.dumps(shown, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
