"""Running apply steps with a rollback journal: journal the step (with its before-image) durably, do it, verify
it, journal the outcome. When a step fails, undo the completed steps in reverse order and report exactly what
was rolled back and what could not be.

Consecutive pipelined steps of one type (their handler has `send`, `verify` and says so in `pipelines(step)`: the
topic creates' big batches) are sent back to back and verified together after the last: each is journaled "started"
before its request and its outcome (what the controller confirmed) journaled as soon as it is answered, still
"started"; once the cluster shows them all, all are journaled done. So the controller commits every batch while the
brokers start applying the first, a kill between two sends leaves whole batches, and a rollback deletes every batch
sent, listed yet or not. A step is journaled done only once the cluster shows it.

Steps are immutable (`kplan.apply.steps`); what a run learns about a step (its outcome) and what it holds in
memory only (a step's unmasked secrets) are kept here, by step index. Each step type's run and undo are its
handler's (kplan.kinds.handler), registered here by importing the modules each kind's `UNIT` names (and the
ownership record's, which is no kind's: `RecordOwnershipHandler`).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Callable, Mapping, Protocol, Sequence, cast

from kplan.apply.steps import Step
from kplan.apply.steps.ownership import RecordOwnership
from kplan.errors import KplanError
from kplan.kinds import UNITS
from kplan.kinds.handler import StepContext, StepHandler, UndoImpossible, handler_for, handles
from kplan.kinds.unit import module_of
from kplan.model.desired import Stack
from kplan.model.ownership import Ownership
from kplan.secrets import Scrubber, SecretValues
from kplan.state.faults import NO_FAULTS, Faults
from kplan.state.journal import Journal, JournalStore, RunStatus, StepStatus
from kplan.transport import interrupts
from kplan.transport.http import RestUnavailable
from kplan.transport.reach import ClusterUnreachable, unreachable_reason
from kplan.transport.sessions import Writers

__all__ = ["ApplyResult", "Executor", "Progress", "StepContext", "UndoImpossible", "handler_for"]

for _unit in UNITS:  # the run/undo of its step types, registered by its handlers module
    import_module(module_of(_unit.handlers_ref))


@handles(RecordOwnership)
class RecordOwnershipHandler(StepHandler[RecordOwnership]):
    def run(self, step: RecordOwnership, ctx: StepContext) -> None:
        # still marked: the marker is cleared only once the journal says the run is complete
        ctx.write_ownership(step.record.marked(ctx.marker))

    def undo(self, step: RecordOwnership, ctx: StepContext) -> None:
        # everything either record names stays owned while the rollback runs (the run's resources may still
        # exist); the record before the run is written back once the rollback is over and nothing is left
        ctx.write_ownership(step.previous.merged(step.record).marked(ctx.marker))


@dataclass
class ApplyResult:
    status: RunStatus  # complete | rolled-back | rollback-incomplete
    error: str = ""
    rolled_back: list[str] = field(default_factory=list)
    not_rolled_back: list[str] = field(default_factory=list)  # irreversible, or undo failed / held back
    undo_left: list[str] = field(default_factory=list)  # of those, the undos `kplan recover --rollback` retries
    # of those, the undos `kplan recover` gave up: each step with what the user must do by hand
    left_by_hand: list[str] = field(default_factory=list)
    interrupted: bool = False  # Ctrl-C stopped a step (then the rollback's outcome is reported as usual)

    @property
    def exit_code(self) -> int:
        """0 complete; 1 a step failed and all was rolled back (130 when Ctrl-C stopped the step, the usual code for
        Ctrl-C); 3 the rollback is incomplete, however the step was stopped (what is left needs `kplan recover`)."""
        rolled_back = 130 if self.interrupted else 1
        return {RunStatus.COMPLETE: 0, RunStatus.ROLLED_BACK: rolled_back}.get(self.status, 3)


class Progress:
    """Progress lines: `[2/5] create 3 topic(s): a, b, c ... done (0.4s)`. Colours only on a terminal."""

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.color = hasattr(self.out, "isatty") and self.out.isatty()

    def start(self, i: int | str, n: int, text: str) -> float:
        """`i`: the step's number (1-based), or `first-last` for steps verified together."""
        self.line(f"[{i}/{n}] {text} ... ", end="")
        return time.monotonic()

    def sent(self, started: float) -> None:
        """A pipelined step's request was answered; it is verified with the rest of its group."""
        self._end("sent", started)

    def done(self, started: float) -> None:
        self._end("done", started, "32")

    def failed(self, started: float) -> None:
        self._end("FAILED", started, "31")

    def _end(self, word: str, started: float, color: str = "") -> None:
        word = f"\x1b[{color}m{word}\x1b[0m" if color and self.color else word
        self.line(f"{word} ({time.monotonic() - started:.1f}s)")

    def line(self, text: str, end: str = "\n") -> None:
        self.out.write(text + end)
        self.out.flush()


class Executor:
    def __init__(self, writer: Writers, store: JournalStore, secret_values: SecretValues, progress: Progress,
                 write_ownership: Callable[[Ownership], None], *, faults: Faults = NO_FAULTS,
                 secrets: tuple[str, ...] = (), stack: Stack | None = None):
        self.w = writer
        self.stack = stack  # the stack applied: an undo from the journal alone resolves masked values from it
        self.store = store
        self.secret_values = secret_values
        self.progress = progress
        self.write_ownership = write_ownership
        self.faults = faults  # tests only: where to break or stall the run (kplan.state.faults)
        # True for a run `kplan recover --resume` continues: its rollback, if any, is final (see `rollback`).
        self.final = False
        self._journal: Journal | None = None
        self._steps: list[Step] = []
        # Called once the steps are journaled, before the first runs (the caller records pending ownership).
        self.journaled: Callable[[], None] = lambda: None
        # By step index: what running a step produced that its undo needs (journaled with its status) ...
        self._outcomes: dict[int, dict] = {}
        # ... and its unmasked values (e.g. a connector config with plaintext secrets), for this process only.
        self._unmasked: Mapping[int, object] = {}
        # The run's marker in the ownership record: kept by an undo of the record until the rollback is over.
        self.marker: dict | None = None
        # Secret values this run handles: scrubbed from every message (a task's trace may quote a JDBC URL).
        self.scrub = Scrubber(secrets)

    # -- the run -------------------------------------------------------------------------------------

    def execute(self, journal: Journal, steps: Sequence[Step], unmasked: Mapping[int, object] | None = None
                ) -> ApplyResult:
        """Run `steps` in order; `unmasked`: step index (in `steps`) -> the values its journal form masks (never
        journaled). The steps are appended to the journal: a resumed run keeps the steps it journaled before,
        and a rollback undoes those too (one run, one history)."""
        first = self._journal_steps(journal, steps, unmasked)
        n = len(steps)
        sent: list[int] = []  # the pipelined steps sent and not yet verified (local indexes), oldest first
        for local, step in enumerate(steps):
            i = first + local
            entry = journal.steps[i]
            handler = handler_for(step)
            t0 = None
            done = [local]  # the steps this one's end journals done
            failing = f"step {local + 1}"  # what failed, if something does
            try:
                interrupts.check()  # a Ctrl-C lost in a C extension's callback still stops the run here
                # The journal says "started" durably before the step touches anything.
                entry["status"] = StepStatus.STARTED
                self.store.write(journal)
                self.faults.step_started(local)
                t0 = self.progress.start(local + 1, n, step.describe())
                overlaps = _overlaps_next(steps, local)  # the next step is the next batch of this one
                if sent or overlaps:
                    sent.append(local)
                    cast(Pipelined, handler).send(step, self._context(i))
                    # "sent": what the controller confirmed is journaled before anything else is sent or verified,
                    # so that a rollback deletes it even while the cluster does not list it yet (still "started")
                    self._journal_outcome_now(i)
                    self.progress.sent(t0)
                else:
                    handler.run(step, self._context(i))
                    self._journal_outcome(i)
                self.faults.in_step(local)
                self.faults.after_step_ran(local)
                if sent:
                    if overlaps:
                        continue  # the next batch goes out at once: the brokers apply this one meanwhile
                    t0 = self.progress.start(f"{sent[0] + 1}-{local + 1}", n, "verify")
                    failing = f"steps {sent[0] + 1}-{local + 1}"
                    cast(Pipelined, handler).verify([steps[j] for j in sent], [self._context(first + j) for j in sent])
                    done = sent
                for j in done:
                    journal.steps[first + j]["status"] = StepStatus.DONE
                self.store.write(journal)
                sent = []
                if local == n - 1:
                    # Every step is done: Ctrl-C now waits until the run's bookkeeping is (journal, record, lock),
                    # and the command reports the apply complete and the interrupt after it (kplan.cli); a second
                    # Ctrl-C forces. Before this point, Ctrl-C rolls the run back.
                    interrupts.defer()
                self.progress.done(t0)
            except BaseException as e:  # any failure, a lost journal write or Ctrl-C: roll back
                self._journal_outcome(i)
                if t0 is not None:
                    self.progress.failed(t0)
                # the batches sent before this one and not verified fail with it (and are undone with it)
                return self._rolled_back(journal, e, [first + j for j in dict.fromkeys((*sent, local))],
                                         f"{failing} ({step.kind})")
            for j in done:
                self.faults.after_step(j)
        interrupts.defer()  # (no step: nothing to undo either)
        journal.status = RunStatus.COMPLETE
        self._write_quietly(journal)
        return ApplyResult(RunStatus.COMPLETE)

    def _journal_steps(self, journal: Journal, steps: Sequence[Step], unmasked: Mapping[int, object] | None) -> int:
        """Append `steps` to the journal, pending, and write it (after each step's preflight); then `journaled`.
        Returns the index in the journal of the first of them."""
        self._preflight(steps, len(journal.steps))
        interrupts.check()  # a Ctrl-C that came before (and was lost on its way): nothing is started
        first = len(journal.steps)
        journal.steps = list(journal.steps) + [{"index": first + i, **s.to_json(), "status": StepStatus.PENDING,
                                                "error": ""} for i, s in enumerate(steps)]
        journal.status = RunStatus.RUNNING
        self.store.write(journal)  # nothing has been done yet: a failure here simply stops the run
        try:
            self.journaled()  # e.g. record as owned what the steps may create, before any of them runs
        except BaseException as e:
            if not journal.recoveries:  # a new run that did nothing: it is over
                journal.status, journal.message = RunStatus.ROLLED_BACK, f"not started: {self._msg(e)}"
                self._write_quietly(journal)
            raise
        self._journal = journal
        self._steps = [Step.from_json(e) for e in journal.steps[:first]] + list(steps)
        self._outcomes.update({i: dict(e["outcome"]) for i, e in enumerate(journal.steps[:first])
                               if e.get("outcome")})
        self._unmasked = {first + i: v for i, v in (unmasked or {}).items()}
        return first

    def _rolled_back(self, journal: Journal, e: BaseException, failed: list[int], failing: str) -> ApplyResult:
        """The run rolled back after `e` ended it: the journal's steps `failed` (indexes) marked failed with its
        reason (those already done keep their status), `failing` (what failed) in the run's message."""
        interrupted = isinstance(e, KeyboardInterrupt) or interrupts.came  # (or the error it came out as)
        reason = "interrupted (Ctrl-C)" if interrupted else self._msg(e)
        for j in failed:
            entry = journal.steps[j]
            if entry["status"] != StepStatus.DONE:
                entry["status"] = StepStatus.FAILED
            entry["error"] = reason
        journal.status = RunStatus.ROLLING_BACK
        journal.message = f"{failing} failed: {reason}"
        self._write_quietly(journal)
        result = self.rollback(journal, self._steps, reason, final=self.final)
        result.interrupted = interrupted
        return result

    def _preflight(self, steps: Sequence[Step], first: int) -> None:
        """Each step's own check that it could be done now (`StepHandler.preflight`), before anything is journaled
        or done: a failure stops the run with nothing changed (as does a step type without a handler)."""
        for local, step in enumerate(steps):
            handler = handler_for(step)
            try:
                handler.preflight(step, self._context(first + local))
            except Exception as e:  # noqa: BLE001 - any failure of a check: the run does not start
                raise KplanError(f"{step.describe()}: cannot be done now: {self._msg(e)}; apply stopped before its "
                                 "first step: nothing was deleted or changed") from None

    def _context(self, index: int) -> StepContext:
        return StepContext(index, self.w, self.secret_values, self.write_ownership, self.marker,
                           self._unmasked.get(index), self._outcomes,
                           lambda: self._journal_outcome_now(index), self.stack)

    def _journal_outcome(self, index: int) -> None:
        """The step's outcome into its journal entry (written with the entry's next status)."""
        outcome = self._outcomes.get(index)
        if outcome and self._journal is not None:
            self._journal.steps[index]["outcome"] = dict(outcome)

    def _journal_outcome_now(self, index: int) -> None:
        """The step's outcome into the journal, durably, before the step goes on (e.g. an irreversible request)."""
        if self._journal is not None:
            self._journal_outcome(index)
            self.store.write(self._journal)

    def _write_quietly(self, journal: Journal) -> None:
        """Journal writes during a rollback or after the last step must not stop the undo: report and go on."""
        try:
            self.store.write(journal)
        except Exception as e:  # noqa: BLE001
            self.progress.line(f"Warning: could not update the journal: {self._msg(e)}")

    def _msg(self, e: BaseException | str) -> str:
        if isinstance(e, BaseException):
            e = unreachable_reason(e) or _one_line(e)  # a raw no-answer error of the admin client, in kplan's words
        return self.scrub(str(e))

    def rollback(self, journal: Journal, steps: Sequence[Step] | None, error: str, *,
                 final: bool = False) -> ApplyResult:
        """Undo every started, done or failed step (and retry every undo that failed before), newest first.
        Idempotent: undone steps are skipped, irreversible ones reported again. `steps`: every step of the
        journal as objects (None: decoded from the journal, as by `kplan recover`; then only the outcomes it
        journaled are known and no unmasked secret is).

        A failed undo holds back the undo of the steps it still needs (`StepBase.undo_holds_back`: a connector
        that could not be deleted or restored may still use the topics the run created, so they stay); both are
        left "undo-failed" for `kplan recover --rollback` to retry once the systems are reachable.

        `final` (a rollback by `kplan recover`): an undo its system refused is not retried again, so that no run
        stays unfinished for good: it is left "not-undone", named with what the user must do by hand, and so are
        the undos it holds back. Only an undo whose system did not answer stays "undo-failed" (retried once it
        answers)."""
        if steps is None:
            steps = [Step.from_json(e) for e in journal.steps]
            self._outcomes = {i: dict(e["outcome"]) for i, e in enumerate(journal.steps) if e.get("outcome")}
            self._unmasked = {}
        self._journal = journal
        self.marker = self.marker or journal.marker()
        result = ApplyResult(RunStatus.ROLLED_BACK, error)
        touched = [i for i, e in enumerate(journal.steps)
                   if e["status"] in (StepStatus.STARTED, StepStatus.DONE, StepStatus.FAILED, StepStatus.UNDO_FAILED)]
        journal.status = RunStatus.ROLLING_BACK
        self._write_quietly(journal)
        if touched:
            self.progress.line(f"Rolling back {len(touched)} step(s):")
        held: dict[str, HeldBack] = {}  # step kind -> why its undo waits
        for n, i in enumerate(reversed(touched), 1):
            entry, step = journal.steps[i], steps[i]
            t0 = self.progress.start(n, len(touched), "undo: " + step.describe())
            try:
                if step.kind in held:
                    raise held[step.kind]
                self.undo_step(i, step)
            except UndoImpossible as e:
                self.progress.failed(t0)
                entry["status"], entry["error"] = StepStatus.IRREVERSIBLE, self._msg(str(e))
                result.not_rolled_back.append(f"{step.describe()}: {self._msg(str(e))}")
            except Exception as e:  # noqa: BLE001 - left to retry, or (final) to the user
                self.progress.failed(t0)
                what = "held back" if isinstance(e, HeldBack) else "undo failed"
                given_up = final and (e.given_up if isinstance(e, HeldBack) else not self._unanswered(e))
                if given_up:
                    by_hand = step.undo_by_hand()
                    entry["status"], entry["error"] = StepStatus.NOT_UNDONE, f"{self._msg(e)}; to do: {by_hand}"
                    result.not_rolled_back.append(f"{step.describe()}: {what}, not retried: {self._msg(e)}")
                    result.left_by_hand.append(f"{step.describe()}: {by_hand}")
                else:
                    entry["status"], entry["error"] = StepStatus.UNDO_FAILED, self._msg(e)
                    result.not_rolled_back.append(f"{step.describe()}: {what}: {self._msg(e)}")
                    result.undo_left.append(step.describe())
                for kind in step.undo_holds_back:
                    held.setdefault(kind, HeldBack(f"the undo of '{step.describe()}' failed, and what it left may "
                                                   "still need this", given_up=given_up))
            else:
                self.progress.done(t0)
                entry["status"], entry["error"] = StepStatus.UNDONE, ""
                result.rolled_back.append(step.describe())
            self._write_quietly(journal)
        # irreversible steps an earlier rollback reported, and undos an earlier recovery gave up: still not as before
        for i, entry in enumerate(journal.steps):
            if entry["status"] == StepStatus.IRREVERSIBLE and i not in touched:
                result.not_rolled_back.append(f"{steps[i].describe()}: {entry['error'] or 'irreversible'}")
            elif entry["status"] == StepStatus.NOT_UNDONE and i not in touched:
                result.not_rolled_back.append(f"{steps[i].describe()}: not undone: {entry['error']}")
                result.left_by_hand.append(f"{steps[i].describe()}: {steps[i].undo_by_hand()}")
        if result.not_rolled_back:
            result.status = RunStatus.ROLLBACK_INCOMPLETE
        journal.status = result.status
        self._write_quietly(journal)
        return result

    def _unanswered(self, e: BaseException) -> bool:
        """Whether an undo failed because its system did not answer (worth retrying later), not a refusal."""
        if isinstance(e, (ClusterUnreachable, RestUnavailable)):
            return True
        links = (getattr(self.w, "link", None), getattr(self.w.connect, "link", None))
        return any(link is not None and link.is_down for link in links)

    def undo_step(self, index: int, step: Step) -> None:
        """Undo one step. An irreversible one cannot be: unless its request was never accepted (or takes effect
        within its answer: `StepHandler.effect_within_answer`) and its handler sees that it changed nothing, that is
        reported (UndoImpossible)."""
        handler = handler_for(step)
        ctx = self._context(index)
        if step.irreversible:
            outcome = ctx.outcome or {}
            accepted = outcome.get("requested") and outcome.get("accepted", True)
            if (not accepted or handler.effect_within_answer) and handler.left_no_trace(step, ctx):
                return  # it failed (or was cut short) before changing anything: nothing to undo
            raise UndoImpossible("irreversible (cannot be undone)")
        handler.undo(step, ctx)


class Pipelined(Protocol):
    """A handler whose consecutive steps may be sent back to back and verified together (`_pipelined`)."""

    def pipelines(self, step: Any) -> bool: ...

    def send(self, step: Any, ctx: StepContext) -> None: ...

    def verify(self, steps: Sequence[Any], ctxs: Sequence[StepContext]) -> None: ...


class HeldBack(Exception):
    """This step's undo waits for another's that failed (it is retried with it; `given_up`: that one will not be
    retried, so neither is this one)."""

    def __init__(self, message: str, given_up: bool = False):
        super().__init__(message)
        self.given_up = given_up


def _one_line(e: BaseException) -> str:
    """Its first four lines, on one line."""
    return " | ".join((str(e).strip() or type(e).__name__).splitlines()[:4])


def _pipelined(step: Step) -> bool:
    """Whether `step` is sent ahead of its verification (its handler has `send`, `verify` and says so for it in
    `pipelines(step)`: the topic creates' big batches); its `run` is then the two."""
    handler = handler_for(step)
    pipelines = getattr(handler, "pipelines", None)
    return callable(pipelines) and bool(pipelines(step))


def _overlaps_next(steps: Sequence[Step], local: int) -> bool:
    """Whether the step after `local` is sent before `local` is verified: of one type (the next batch of the same
    request), either of them pipelined (a small last batch goes with the big ones before it)."""
    return (local + 1 < len(steps) and type(steps[local + 1]) is type(steps[local])
            and (_pipelined(steps[local]) or _pipelined(steps[local + 1])))
