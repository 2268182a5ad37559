"""Running apply steps with a rollback journal: journal the step (with its before-image) durably, do it, verify
it, journal the outcome. When a step fails, undo the completed steps in reverse order and report exactly what
was rolled back and what could not be.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from kplan.apply import steps as S
from kplan.cluster.interface import ClusterWriter
from kplan.errors import KplanError
from kplan.state.journal import Journal, JournalStore, RunStatus, StepStatus
from kplan.model.desired import ConnectorState, TopicSpec, freeze
from kplan.secrets import Scrubber, SecretValues


class UndoImpossible(Exception):
    """This step cannot be undone (irreversible, or its before-image holds a secret that was never journaled)."""


@dataclass
class ApplyResult:
    status: RunStatus  # complete | rolled-back | rollback-incomplete
    error: str = ""
    rolled_back: list[str] = field(default_factory=list)
    not_rolled_back: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return {RunStatus.COMPLETE: 0, RunStatus.ROLLED_BACK: 1}.get(self.status, 3)


class Progress:
    """Progress lines: `[2/5] create 3 topic(s): a, b, c ... done (0.4s)`. Colours only on a terminal."""

    def __init__(self, out=None, color: bool | None = None):
        self.out = out or sys.stdout
        self.tty = hasattr(self.out, "isatty") and self.out.isatty()
        self.color = self.tty if color is None else color

    def _c(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def start(self, i: int, n: int, text: str) -> float:
        self.out.write(f"[{i}/{n}] {text} ... ")
        self.out.flush()
        return time.monotonic()

    def done(self, started: float) -> None:
        self.out.write(self._c("32", "done") + f" ({time.monotonic() - started:.1f}s)\n")
        self.out.flush()

    def failed(self, started: float) -> None:
        self.out.write(self._c("31", "FAILED") + f" ({time.monotonic() - started:.1f}s)\n")
        self.out.flush()

    def line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


def _topic_spec(args: Mapping[str, Any]) -> TopicSpec:
    return TopicSpec(args["name"], int(args["partitions"]), int(args["replication_factor"]), freeze(args["config"]))


class Executor:
    def __init__(self, writer: ClusterWriter, store: JournalStore, secret_values: SecretValues, progress: Progress,
                 write_ownership: Callable[[dict], None],
                 fail_at: str | None = None, secrets: tuple[str, ...] = ()):
        self.w = writer
        self.store = store
        self.secret_values = secret_values
        self.progress = progress
        self.write_ownership = write_ownership
        # Test hook: "step:<n>" makes step n (1-based) fail after it ran, to prove the rollback.
        self.fail_at = fail_at
        self._journal: Journal | None = None
        self._entry: dict | None = None
        # The run's marker in the ownership record: kept by an undo of the record until the rollback is over.
        self.marker: dict | None = None
        # Secret values this run handles: scrubbed from every message (a task's trace may quote a JDBC URL).
        self.scrub = Scrubber(secrets)

    # -- the run -------------------------------------------------------------------------------------

    def execute(self, journal: Journal, steps: list[S.Step]) -> ApplyResult:
        journal.steps = [{"index": i, **s.to_json(), "status": StepStatus.PENDING, "error": ""}
                         for i, s in enumerate(steps)]
        self.store.write(journal)  # nothing has been done yet: a failure here simply stops the run
        n = len(steps)
        self._journal = journal
        for i, step in enumerate(steps):
            entry = journal.steps[i]
            self._entry = entry
            t0 = None
            try:
                # The journal says "started" durably before the step touches anything.
                entry["status"] = StepStatus.STARTED
                self.store.write(journal)
                t0 = self.progress.start(i + 1, n, step.describe())
                outcome = self.run_step(step)
                if outcome:
                    entry["outcome"] = outcome
                _test_pause(f"in-step:{i + 1}")
                if self.fail_at == f"step:{i + 1}":
                    raise KplanError(f"injected failure after step {i + 1} (KPLAN_TEST_FAIL_AT)")
                entry["status"] = StepStatus.DONE
                self.store.write(journal)
                self.progress.done(t0)
            except BaseException as e:  # any failure, a lost journal write or Ctrl-C: roll back
                if step.outcome:
                    entry["outcome"] = step.outcome
                if t0 is not None:
                    self.progress.failed(t0)
                reason = "interrupted (Ctrl-C)" if isinstance(e, KeyboardInterrupt) else self._msg(e)
                if entry["status"] != StepStatus.DONE:
                    entry["status"] = StepStatus.FAILED
                entry["error"] = reason
                journal.status = RunStatus.ROLLING_BACK
                journal.message = f"step {i + 1} ({step.kind}) failed: {reason}"
                self._write_quietly(journal)
                return self.rollback(journal, steps, reason)
            _test_pause(f"after-step:{i + 1}")
        journal.status = RunStatus.COMPLETE
        self._write_quietly(journal)
        return ApplyResult(RunStatus.COMPLETE)

    def _write_quietly(self, journal: Journal) -> None:
        """Journal writes during a rollback or after the last step must not stop the undo: report and go on."""
        try:
            self.store.write(journal)
        except Exception as e:  # noqa: BLE001
            self.progress.line(f"Warning: could not update the journal: {self._msg(e)}")

    def _msg(self, e: BaseException | str) -> str:
        return self.scrub(_one_line(e) if isinstance(e, BaseException) else str(e))

    def rollback(self, journal: Journal, steps: list[S.Step] | None, error: str) -> ApplyResult:
        """Undo every started, done or failed step, newest first. Idempotent: undone steps are skipped."""
        steps = steps or [S.Step(e["kind"], e["args"], e["before"], outcome=e.get("outcome"))
                          for e in journal.steps]
        self.marker = self.marker or journal.marker()
        result = ApplyResult(RunStatus.ROLLED_BACK, error)
        touched = [i for i, e in enumerate(journal.steps)
                   if e["status"] in (StepStatus.STARTED, StepStatus.DONE, StepStatus.FAILED, StepStatus.UNDO_FAILED)]
        if touched:
            self.progress.line(f"Rolling back {len(touched)} step(s):")
        for i in reversed(touched):
            entry, step = journal.steps[i], steps[i]
            t0 = self.progress.start(len(touched) - touched[::-1].index(i), len(touched), "undo: " + step.describe())
            try:
                self.undo_step(step)
            except UndoImpossible as e:
                self.progress.failed(t0)
                entry["status"], entry["error"] = StepStatus.UNDO_FAILED, self._msg(str(e))
                result.not_rolled_back.append(f"{step.describe()}: {self._msg(str(e))}")
            except Exception as e:  # noqa: BLE001
                self.progress.failed(t0)
                entry["status"], entry["error"] = StepStatus.UNDO_FAILED, self._msg(e)
                result.not_rolled_back.append(f"{step.describe()}: undo failed: {self._msg(e)}")
            else:
                self.progress.done(t0)
                entry["status"] = StepStatus.UNDONE
                result.rolled_back.append(step.describe())
            self._write_quietly(journal)
        if result.not_rolled_back:
            result.status = RunStatus.ROLLBACK_INCOMPLETE
        journal.status = result.status
        self._write_quietly(journal)
        return result

    # -- doing ---------------------------------------------------------------------------------------

    def run_step(self, step: S.Step) -> dict | None:
        """Do one step; returns what the journal should remember of its outcome (e.g. which topics it created)."""
        a = step.args
        if step.kind == S.CREATE_TOPICS:
            specs = [_topic_spec(t) for t in a["topics"]]
            found: set[str] = set()  # topics that turned out to be someone else's: never ours to delete
            created: set[str] = set()  # creations the controller confirmed (metadata may not show them yet)
            try:
                self.w.create_topics(specs, found, created)
            finally:
                step.outcome = {"created": [t.name for t in specs if t.name not in found],
                                "confirmed": sorted(created)}
            self.w.wait_topics({t.name: (t.partitions, t.replication_factor, dict(t.config)) for t in specs})
            return step.outcome
        elif step.kind == S.ALTER_TOPIC_CONFIGS:
            self.w.alter_topic_configs({n: (c["set"], c["delete"]) for n, c in a["topics"].items()})
            self.w.wait_topics({n: (None, None, {**c["set"], **{k: None for k in c["delete"]}})
                                for n, c in a["topics"].items()})
        elif step.kind == S.PUT_CONNECTOR:
            self._put_connector({**a, **step.secret_args}, step)
            return step.outcome
        elif step.kind == S.DELETE_CONNECTOR:
            self.w.delete_connector(a["name"])
            self.w.wait_connector_gone(a["name"])
        elif step.kind == S.INCREASE_PARTITIONS:
            self._requested(step)
            self._refusable(lambda: self.w.create_partitions(a["partitions"]), step)
            self.w.wait_topics({n: (p, None, {}) for n, p in a["partitions"].items()})
        elif step.kind == S.REPLACE_TOPICS:
            specs = [_topic_spec(t) for t in a["topics"]]
            self._requested(step)
            self.w.delete_topics([t.name for t in specs])
            self.w.wait_topics_gone([t.name for t in specs])
            self.w.create_topics(specs)
            self.w.wait_topics({t.name: (t.partitions, t.replication_factor, dict(t.config)) for t in specs})
        elif step.kind == S.DELETE_TOPICS:
            self._requested(step)
            self._refusable(lambda: self.w.delete_topics(a["names"]), step)
            self.w.wait_topics_gone(a["names"])
        elif step.kind == S.RECORD_OWNERSHIP:
            self.write_ownership(a)
        elif step.kind == S.SNAPSHOT_SIGNAL:
            self.w.send_snapshot_signal(a["connector"], a["tables"], a["topic"], a["key"], a.get("table_topic"))
        else:  # pragma: no cover - the kinds are closed
            raise KplanError(f"unknown step kind {step.kind}")
        return None

    def _requested(self, step: S.Step) -> None:
        """Before an irreversible request: journal that it is being made. If the run dies or fails after this,
        its effect cannot be ruled out by looking (deletions finish asynchronously), so it is reported."""
        step.outcome = {"requested": True}
        if self._entry is not None:
            self._entry["outcome"] = step.outcome
            self.store.write(self._journal)

    @staticmethod
    def _refusable(call, step: S.Step) -> None:
        """An irreversible request the cluster refused outright (a write error, not a lost answer) changed
        nothing: say so, so the rollback can check that by looking."""
        from kplan.cluster.writer import WriteError

        try:
            call()
        except WriteError:
            step.outcome = {"requested": True, "accepted": False}
            raise

    def _put_connector(self, a: Mapping[str, Any], step: S.Step) -> None:
        name, state = a["name"], ConnectorState(a["state"])
        missing = sorted(set(a.get("requires_topics") or ()) - self.w.topic_names())
        if missing:  # the seeds' rule: a connector never runs without its topics
            raise KplanError(f"connector {name} needs topics that do not exist: {', '.join(missing)}")
        config = ({k: self.secret_values.substitute(v) for k, v in a["config"].items()}
                  if a["config"] is not None else None)
        if a["create"]:
            step.outcome = {"created": False}  # until Connect confirms the connector is ours
            self.w.create_connector(name, config, state)
            step.outcome = {"created": True}
        else:
            if config is not None:
                self.w.put_connector_config(name, config)
            if a["restart"]:
                self.w.restart_connector(name)
            if a["set_state"]:
                self.w.set_connector_state(name, state)
        self.w.wait_connector(name, state)

    # -- undoing -------------------------------------------------------------------------------------

    def undo_step(self, step: S.Step) -> None:
        a, b = step.args, step.before
        if step.irreversible:
            if self._irreversible_step_left_no_trace(step):
                return  # it failed (or was cut short) before changing anything: nothing to undo
            raise UndoImpossible("irreversible (cannot be undone)")
        if step.kind == S.CREATE_TOPICS:
            existing = self.w.topic_names()
            # what this run created (known once the create returned); a crash inside the create leaves only the
            # before-image: every topic that was absent at plan time. A creation the controller confirmed is
            # deleted even if metadata does not list it yet.
            outcome = step.outcome or {}
            ours = outcome.get("created", b.get("absent", []))
            confirmed = set(outcome.get("confirmed", ()))
            names = [t["name"] for t in a["topics"]
                     if t["name"] in ours and (t["name"] in existing or t["name"] in confirmed)]
            if names:
                self.w.delete_topics(names)
                self.w.wait_topics_gone(names)
        elif step.kind == S.ALTER_TOPIC_CONFIGS:
            changes = {}
            for topic, keys in b["overrides"].items():
                sets = {k: v for k, v in keys.items() if v is not None}
                deletes = [k for k, v in keys.items() if v is None]
                changes[topic] = (sets, deletes)
            self.w.alter_topic_configs(changes)
            self.w.wait_topics({t: (None, None, dict(keys)) for t, keys in b["overrides"].items()})
        elif step.kind == S.PUT_CONNECTOR:
            self._undo_put_connector(step)
        elif step.kind == S.DELETE_CONNECTOR:
            existing, _ = self.w.get_connector(a["name"])
            if existing is None:
                config, state = self._restorable_config(step, a["name"], None, changed=None)
                self.w.create_connector(a["name"], config, steady_state(state))
            else:
                state = (step.secret_before or b)["state"]
            self.w.wait_connector(a["name"], steady_state(state))
        elif step.kind == S.RECORD_OWNERSHIP:
            # the record as before, still marked while the rollback runs (cleared when it is over)
            self.write_ownership({**(b.get("ownership") or {}), **({"run": self.marker} if self.marker else {})})
        elif step.kind == S.SNAPSHOT_SIGNAL:
            pass  # a snapshot request cannot be taken back; it only re-reads existing rows
        else:  # pragma: no cover
            raise UndoImpossible(f"no undo for {step.kind}")

    def _irreversible_step_left_no_trace(self, step: S.Step) -> bool:
        """Whether an irreversible step that failed or was cut short changed nothing (then there is nothing that
        could not be rolled back): its request was never made — or was made, refused, and nothing changed."""
        a, b = step.args, step.before
        outcome = step.outcome or {}
        if outcome.get("requested") and outcome.get("accepted", True):
            return False
        if step.kind == S.INCREASE_PARTITIONS:
            return all(self.w.topic_partitions(n) == p for n, p in b.get("partitions", {}).items())
        if step.kind == S.DELETE_TOPICS:
            return set(a["names"]) <= self.w.topic_names()
        return False  # a replacement may have deleted and re-created: report it

    def _restorable_config(self, step: S.Step, name: str, live_config: Mapping[str, str] | None,
                           changed: set[str] | None) -> tuple[dict[str, str], str]:
        """The connector config and state to put back. Secrets are never journaled: in this process the
        unmasked before-image is at hand; from a journal alone, a masked key is taken from the live connector when
        the step did not change it (`changed`: the keys it wrote; None: it replaced everything)."""
        if step.secret_before:
            return dict(step.secret_before["config"]), step.secret_before["state"]
        config = dict(step.before["config"])
        lost = []
        for key, value in config.items():
            if not isinstance(value, dict):
                continue
            if changed is not None and key not in changed and live_config is not None and key in live_config:
                config[key] = live_config[key]
            else:
                lost.append(key)
        if lost:
            raise UndoImpossible(
                f"connector {name}'s previous values of {', '.join(sorted(lost))} are secrets, which kplan never "
                "writes to its journal; restore the connector by applying the previous version of the stack")
        return config, step.before["state"]

    def _undo_put_connector(self, step: S.Step) -> None:
        a, b = step.args, step.before
        name = a["name"]
        existing, _ = self.w.get_connector(name)
        if b.get("absent"):
            # ours to delete only if this run created it (a crash leaves no outcome: then it is the run's)
            if existing is not None and (step.outcome or {}).get("created", True):
                self.w.delete_connector(name)
                self.w.wait_connector_gone(name)
            return
        changed = set(a.get("changed_keys") or ())
        current = {k: v for k, v in (existing or {}).items() if k != "name"}
        if existing is None:
            config, state = self._restorable_config(step, name, None, None)
            self.w.create_connector(name, config, steady_state(state))
        else:
            state = (step.secret_before or b)["state"]
            if a["config"] is not None:
                config, state = self._restorable_config(step, name, current, changed)
                if current != config:  # never write an unchanged config (Connect restarts on every write)
                    self.w.put_connector_config(name, config)
            self.w.set_connector_state(name, steady_state(state))
        if b.get("state") in ("running", "paused", "stopped"):  # a connector that had FAILED may fail again
            self.w.wait_connector(name, steady_state(b["state"]))


def steady_state(state: str | None) -> ConnectorState:
    """The declared state to restore from a live one: FAILED/UNASSIGNED/unknown connectors were meant to run."""
    try:
        return ConnectorState((state or "running").lower())
    except ValueError:
        return ConnectorState.RUNNING


def _test_pause(point: str) -> None:
    """Crash-recovery tests: KPLAN_TEST_PAUSE_AT=in-step:N (the step's writes are done, the journal still says
    started) or after-step:N makes the run announce itself and wait there to be killed."""
    import os

    if os.environ.get("KPLAN_TEST_PAUSE_AT") == point:
        sys.stdout.write(f"\nKPLAN-TEST-PAUSED {point}\n")
        sys.stdout.flush()
        time.sleep(float(os.environ.get("KPLAN_TEST_PAUSE_S", "120")))


def _one_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    lines = text.splitlines()
    return lines[0] if len(lines) == 1 else lines[0] + " | " + " | ".join(lines[1:4])
