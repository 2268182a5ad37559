"""Apply, destroy and recover: the lock, the journal, the plan and the executor put together.

One run: take the stack's lock on the cluster -> read the live state and plan (an unfinished earlier run, marked
in the ownership record, is a plan error; a saved plan must still be current) -> show it and get approval -> mark
the run, journal and execute the steps (rolling back on failure) -> record ownership -> release the lock.

A stack with several clusters (`clusters:`, docs/clusters.md) is one run over all of them (`run_apply_all`; a
one-cluster run is the same over a list of one, `run_apply`), each cluster's part an ordinary one-cluster run (its
own lock, journal and ownership record, in that cluster): take every cluster's lock (clusters in name order, so two
runs never wait on each other) -> read and plan every cluster -> show the combined plan and get one approval ->
apply cluster by cluster in the stack's order. When a cluster's run fails, its executor rolls it back as in any
run; then the clusters this run already applied are rolled back too, newest first, each from its own journal (kept
open for that), so a failure anywhere leaves every cluster as it was. Every lock is released at the end.
`recover_all` recovers each cluster's part of an interrupted one.
"""

from __future__ import annotations

import socket
import sys
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Mapping, TextIO

from kplan.apply.executor import ApplyResult, Executor, Progress
from kplan.apply.steps import Built, Step, build
from kplan.apply.steps.ownership import RecordOwnership, ownership_of
from kplan.errors import KplanError
from kplan.model.desired import Stack
from kplan.model.ownership import Ownership
from kplan.model.plan import Plan
from kplan.plan.clusters import combine
from kplan.session.cluster import Cluster
from kplan.session.plan import plan_all, refuse_same_cluster, run_secrets
from kplan.state.faults import Faults, installed
from kplan.state.journal import Journal, JournalStore, RunStatus, StepStatus, new_run_id
from kplan.state.lock import LockHeld, StackLock, release_or_report
from kplan.state.ownership import OWNERSHIP_TOPIC
from kplan.transport import interrupts

if TYPE_CHECKING:
    from kplan.session.early import EarlyLock


def _resume_args(resume_of: Journal | None, saved: Plan | None) -> dict:
    """`plan_stack`'s arguments for a one-cluster run: a resume plans the requests its journal has not done against
    the tokens recorded before the run, not the merged record that already carries them (kplan.apply.resume). A
    saved plan's rebalance, or an interrupted run's, is asked for again with the same replica lists
    (kplan.kinds.rebalancing)."""
    from kplan.apply.resume import renames_in_flight, unapplied_requests
    from kplan.kinds import rebalancing

    if resume_of is None:
        return {"rebalance": rebalancing().of_plan(saved)}
    steps = resume_of.steps
    return {"resuming": True, "requests_before": unapplied_requests(steps), "renames_before": renames_in_flight(steps),
            "rebalance": rebalancing().of_journal(steps)}


def refuse_unrunnable(plan, opts: "RunOptions") -> None:
    """The plan shown (`opts.show`); then a plan with errors, or one deleting more than --max-deletions allows, is
    not run (KplanError). A plan that was shown has shown its errors: the refusal counts them instead of repeating
    the first one."""
    from kplan.model.plan import Action

    if opts.show is not None:
        opts.show(plan)
    if plan.has_errors:
        n = len(plan.errors)
        if opts.show is not None:
            raise KplanError(f"the plan has {n} error{'s' if n != 1 else ''}, listed above; nothing was applied")
        more = f" (and {n - 1} more)" if n > 1 else ""
        raise KplanError(f"the plan has errors: {plan.errors[0].message}{more}; nothing was applied")
    deleting = sum(1 for c in plan.changes if c.action in (Action.DELETE, Action.REPLACE))
    if opts.max_deletions is not None and deleting > opts.max_deletions:
        raise KplanError(f"the plan deletes {deleting} resource(s), more than --max-deletions "
                         f"{opts.max_deletions}; nothing was applied")


@dataclass
class RunOptions:
    destroy: bool = False
    max_deletions: int | None = None
    confirm: Callable[[object], bool] = lambda plan: True  # shows nothing; the command shows the plan first
    show: Callable[[object], None] | None = None  # None: the plan is not shown
    out: TextIO | None = None
    saved_plan: Plan | None = None  # loaded from a file: must still be current
    faults: Faults | None = None  # tests only (kplan.state.faults); None: those a test installed, if any
    allow_active_consumers: bool = False  # --allow-active-consumers (kplan.kinds.consumer_guard)


@dataclass
class ClusterOutcome:
    """What one cluster's part of the run ended as."""

    name: str
    result: ApplyResult | None  # None: nothing to do there
    rolled_back_for: str = ""  # "" or why a finished cluster was rolled back (another cluster failed)
    skipped: bool = False  # the run stopped (another cluster failed) before it reached this cluster


class Interrupted(KeyboardInterrupt):
    """Ctrl-C between two clusters' parts of a run: what the run had done (`result`, the clusters it ran) and its
    plan, so that each cluster's audit event says how its own part ended."""

    def __init__(self, result: "MultiResult") -> None:
        super().__init__()
        self.result, self.plan = result, None


@dataclass
class MultiResult:
    outcomes: list[ClusterOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[ClusterOutcome]:
        return [o for o in self.outcomes if o.result is not None and o.result.status != RunStatus.COMPLETE]

    @property
    def cause(self) -> ClusterOutcome:
        """The cluster whose failure ended the run (the others failed were rolled back because of it)."""
        return next((o for o in self.failed if not o.rolled_back_for), self.failed[-1])

    @property
    def exit_code(self) -> int:
        return max((o.result.exit_code for o in self.outcomes if o.result is not None), default=0)


def run_apply(cluster: Cluster, opts: RunOptions, *, resume_of: Journal | None = None,
              early: EarlyLock | None = None) -> tuple[ApplyResult | None, Plan]:
    """Lock, plan, approve, execute: one cluster's run, `run_apply_all` over a list of one.
    Returns (result or None when there was nothing to do / not approved, plan). `resume_of`: an unfinished run to
    continue (`recover --resume`): its journal goes on with the steps that are left, so the run keeps one history.
    `early`: the lock is being taken already, for `cluster` (kplan.session.early)."""
    result, plan = run_apply_all([cluster], opts, several=False, resume_of=resume_of, early=early)
    return (result.outcomes[0].result if result is not None else None), plan


def run_apply_all(clusters: list[Cluster], opts: RunOptions, *, several: bool = True,
                  resume_of: Journal | None = None, early: EarlyLock | None = None,
                  run_id: str = "") -> tuple[MultiResult | None, Plan]:
    """Lock every cluster, plan, approve once, apply cluster by cluster; roll every cluster back on a failure.
    Returns (None when there was nothing to do or it was not approved, the plan: several clusters' combined).
    Not `several`: one cluster's run (kplan.session.run.run_apply): its plan and errors are that cluster's own,
    its journal is new or `resume_of` (`recover --resume`), its lock taken here or by `early`. `run_id`: the run's
    id (the command's, for its audit events), else early's or a new one."""
    saved = opts.saved_plan
    if several and saved is not None and [g.cluster_name for g in saved.groups] != [c.stack.cluster_name
                                                                                    for c in clusters]:
        made = ", ".join(str(g.cluster_name) for g in saved.groups) or "one cluster"
        raise KplanError(f"the saved plan was made for {made}, not for this stack's clusters "
                         f"({', '.join(str(c.stack.cluster_name) for c in clusters)}); run `kplan plan` again")
    # one run: every cluster's part has the same id (the lock's holder record names it before the journal exists)
    run_id = early.run_id if early is not None else run_id or new_run_id()
    parts: list[_Part] = []  # in the order they were locked
    try:
        for c in sorted(clusters, key=lambda c: c.stack.cluster_name or "") if several else clusters:
            group = {"clusters": [x.stack.cluster_name for x in clusters], "cluster": c.stack.cluster_name} \
                if several else {}
            part = _Part(c, c.journal_store(), resume_of or Journal(
                c.stack.name, c.stack.environment, c.cluster_id, c.stack.inputs_digest, run_id=run_id,
                destroy=opts.destroy, group=group))
            parts.append(part)
            try:
                part.lock = early.locked() if early is not None else c.lock()
                if early is None:
                    part.lock.acquire(part.journal.run_id)
            except LockHeld as e:
                raise _error(c, several, lock_held_message(e, part.store)) from None
        ordered = [next(p for p in parts if p.cluster is c) for c in clusters]
        planned, plan = _plan_run(clusters, opts, several, resume_of)
        refuse_unrunnable(plan, opts)
        builts = [build(p, c.stack, live) for c, (live, p) in zip(clusters, planned)]
        if not any(b.steps for b in builts):
            if resume_of is not None:  # the interrupted run had done it all: close it and clear its marker
                _finish_resumed(clusters[0], ordered[0].store, resume_of, ownership_of(planned[0][0]))
            return None, plan
        if not approved(plan, opts):
            return None, plan
        return _execute_all(ordered, planned, builts, opts, several, resume_of), plan
    except BaseException as e:
        if isinstance(e, Interrupted):
            e.plan = plan
        if early is not None:  # e.g. Ctrl-C while it was being taken: released once taken (kplan.session.early)
            early.abandon()
        raise
    finally:
        for part in parts:
            _quietly(part.store.close)
        for part in parts:
            if part.lock is not None:
                release_or_report(part.lock)  # never masks the run's own outcome


@dataclass
class _Part:
    """One cluster's part of a run: its journal's store, its journal, and its lock once taken."""

    cluster: Cluster
    store: JournalStore
    journal: Journal
    lock: StackLock | None = None


def _plan_run(clusters: list[Cluster], opts: RunOptions, several: bool, resume_of: Journal | None):
    """([(live, plan)] per cluster, the run's plan), under the locks. An unfinished earlier run shows as a plan
    error (its marker in the ownership record); a saved plan must still be current, each cluster's part."""
    from kplan.model.consumers import ALLOWED_CODE

    saved = opts.saved_plan
    # deleting topics live consumers read: --allow-active-consumers, or a saved plan made with it (as reviewed)
    allow = opts.allow_active_consumers or any(d.code == ALLOWED_CODE for d in (saved.diagnostics if saved else ()))
    planned, plan = plan_all([c.session for c in clusters], several=several, destroy=opts.destroy, holding_lock=True,
                             allow_active_consumers=allow,
                             **({} if several else _resume_args(resume_of, saved)))
    if saved is None:
        return planned, plan
    for n, (c, (live, fresh), part) in enumerate(zip(clusters, planned, saved.groups if several else [saved])):
        try:  # and runs as reviewed
            planned[n] = (live, check_saved_plan(part, fresh, live, c.stack, c.cluster_id))
        except KplanError as e:
            raise _error(c, several, e) from None
    return planned, combine([(c.stack.cluster_name or "?", p) for c, (_, p) in zip(clusters, planned)]) if several \
        else planned[0][1]


def _error(c: Cluster, several: bool, message) -> KplanError:
    """An error of one cluster's part of the run, naming the cluster when the run has several."""
    return KplanError(f"cluster {c.stack.cluster_name}: {message}" if several else str(message))


def _execute_all(parts: list[_Part], planned, builts, opts: RunOptions, several: bool,
                 resume_of: Journal | None) -> MultiResult:
    out = opts.out or sys.stdout
    result = MultiResult()
    done: list[tuple[Cluster, Journal, Built, ClusterOutcome]] = []
    for n, (part, (live, _), built) in enumerate(zip(parts, planned, builts)):
        c, store, journal = part.cluster, part.store, part.journal
        name = c.stack.cluster_name or "?"
        if result.failed or not built.steps:  # skipped: the run stopped (a cluster failed) before its steps
            result.outcomes.append(ClusterOutcome(name, None, skipped=bool(result.failed and built.steps)))
            continue
        if several:
            print(f"── cluster {name} ({c.cluster_id}):", file=out, flush=True)
        store.ensure_topic(c.broker_count)
        if resume_of is None:
            journal.ownership_before = ownership_of(live)
        else:  # its journal goes on with the steps that are left
            journal.taken_over("resume", first_step=len(journal.steps))
        outcome = ClusterOutcome(name, execute_steps(c, store, journal, built, live, out=opts.out,
                                                     faults=opts.faults))
        result.outcomes.append(outcome)
        if outcome.result is not None and outcome.result.status == RunStatus.COMPLETE:
            done.append((c, journal, built, outcome))
            # Ctrl-C during its bookkeeping (kplan.transport.interrupts): no later cluster starts (after the last
            # one, the command reports the run complete and the interrupt after it)
            if any(b.steps for b in builts[n + 1:]) and interrupts.undefer():
                raise Interrupted(result)
            continue
        why = f"cluster {name} failed: {outcome.result.error if outcome.result else ''}"
        for prev, prev_journal, prev_built, prev_outcome in reversed(done):
            print(f"── cluster {prev_outcome.name}: rolling back this run's changes ({why})", file=out, flush=True)
            prev_outcome.result = roll_back(prev, prev.executor, prev_journal, prev_built.steps, f"rolled back: {why}")
            prev_outcome.rolled_back_for = why
    return result


def roll_back(c: Cluster, executor: Executor, journal: Journal, steps, error: str, final: bool = False) -> ApplyResult:
    """Undo a run from its journal (newest step first; `steps`: kplan.apply.executor.Executor.rollback's): a cluster's
    finished run another cluster's failure undoes, or `recover --rollback`. Everything the run may have created is
    owned (and the run marked) while the rollback runs; then the record is `after_rollback`'s."""
    c.write_ownership(journal.pending_ownership().marked(executor.marker))
    result = executor.rollback(journal, steps, error, final=final)
    _quietly(lambda: c.write_ownership(after_rollback(journal, result)))
    return result


def lock_held_message(e: LockHeld, store: JournalStore) -> str:
    """What the loser of a race for the lock is told: who holds it, and to recover only when that run is dead."""
    holder = e.holder
    if holder is not None and holder.released:
        return str(e)
    if holder is not None and not holder.provably_dead():
        elsewhere = holder.host != socket.gethostname()
        return (f"{e}; wait for it to finish" + ("" if not elsewhere else
                " (if that process is dead, `kplan recover --rollback` or `--resume` takes over its run)"))
    if holder is None:
        return (f"{e}: its taker died before naming itself, or is slow to; if no run is under way, "
                "`kplan recover --rollback` releases it")
    unfinished = store.read()
    if unfinished is not None and unfinished.unfinished:
        return (f"{e}, which is dead. an earlier apply did not finish (or is still running): {unfinished.describe()}. "
                "Nothing more is applied until it is recovered: `kplan recover --rollback` puts the cluster back as "
                "it was before that run, `kplan recover --resume` finishes it")
    return f"{e}, which is dead; `kplan recover --rollback` releases it (it left nothing to undo)"


def execute_steps(cluster: Cluster, store: JournalStore, journal: Journal, built: Built, live, *, out=None,
                  faults: Faults | None = None) -> ApplyResult:
    """Mark the run in the ownership record, then journal and execute the steps (rolling back on failure). The
    caller holds the stack's lock and has approved the steps.

    The record, step by step: marked (as it was) before anything is journaled; once the steps are journaled,
    everything they may create is recorded as owned (pending), still marked, before any step runs; the record
    step writes the new record, still marked; the marker is cleared only after the journal says the run is
    complete. A run rolled back completely leaves the record as before (unmarked); one whose undo is left to
    retry leaves it pending and marked, so every later plan shows the unfinished run and what it may have left."""
    executor = _executor(cluster, store, live, out, faults)
    executor.marker = journal.marker()
    executor.final = bool(journal.recoveries)  # a resumed run: `kplan recover` ends it, whatever its undos do
    cluster.executor = executor  # a several-cluster run may roll this cluster back after another one fails
    executor.journaled = lambda: cluster.write_ownership(journal.pending_ownership().marked(executor.marker))
    try:
        if not journal.steps:  # a new run (a resumed one is marked already)
            cluster.write_ownership(journal.ownership_before.marked(executor.marker))
        result = executor.execute(journal, built.steps, built.secrets)
    except BaseException:
        # The marker's write or the journal's start failed (or Ctrl-C came there): nothing was done, so the marker
        # goes (it may have been written although its write did not return). Once a step has started (Ctrl-C
        # again during a rollback), the marker stays: the run is unfinished.
        if not journal.recoveries and journal.last_step() is None:
            _quietly(lambda: cluster.write_ownership(journal.ownership_before))
        raise
    if result.status == RunStatus.COMPLETE:
        records = [s.record for s in built.steps if isinstance(s, RecordOwnership)]
        final = records[-1] if records else ownership_of(live)
        _quietly(lambda: cluster.write_ownership(final.marked(None)))
    else:
        _quietly(lambda: cluster.write_ownership(after_rollback(journal, result)))
    return result


def _executor(cluster: Cluster, store: JournalStore, live, out, faults: Faults | None) -> Executor:
    """The run's executor (`faults`: a test's; None: those a test installed, if any)."""
    return Executor(cluster.writer, store, cluster.secrets, Progress(out), cluster.write_ownership,
                    faults=faults if faults is not None else installed(),
                    secrets=run_secrets(cluster.stack, live, cluster.secrets), stack=cluster.stack)


def after_rollback(journal: Journal, result: ApplyResult) -> Ownership:
    """The ownership record once a rollback is over: as before the run, unmarked; or, while undos are left to
    retry, everything the run may have created still owned and the run still marked."""
    if result.undo_left:
        return journal.pending_ownership().marked(journal.marker())
    return rolled_back_record(journal)


def rolled_back_record(journal: Journal) -> Ownership:
    """The record before the run, unmarked, with the token of each request whose irreversible step was done (a
    group deleted: applied, never to be applied again; kplan.apply.resume.applied_for_good)."""
    from kplan.apply.resume import applied_for_good
    from kplan.kinds import kind_of

    tokens = {kind_of(t).section: names for t, names in applied_for_good(journal.steps).items()}
    if not tokens:
        return journal.ownership_before.marked(None)
    return Ownership(kinds=tokens).merged(journal.ownership_before).marked(None)


def _quietly(action) -> None:
    try:
        action()
    except Exception as e:  # noqa: BLE001 - reported; the run's own outcome stands
        print(f"Warning: {e}", file=sys.stderr)


def approved(plan, opts: RunOptions) -> bool:
    """Whether the run goes on: approved (`opts.confirm`), or nothing to approve. Adopting existing resources into the
    ownership record needs approval too: from then on, removing them from the stack deletes them."""
    from kplan.model.plan import Flag

    return not (plan.has_changes or any(c.has(Flag.ADOPT) for c in plan.changes)) or opts.confirm(plan)


def _finish_resumed(cluster: Cluster, store: JournalStore, journal: Journal, record: Ownership) -> None:
    """A resumed run with nothing left to do is complete: journal it, then clear its marker."""
    journal.taken_over("resume", first_step=len(journal.steps))
    journal.status = RunStatus.COMPLETE
    journal.message = "finished by `kplan recover --resume` (nothing was left to do)"
    store.write(journal)
    cluster.write_ownership(record.marked(None))


def check_saved_plan(saved, fresh, live, stack: Stack, cluster_id: str) -> Plan:
    """A saved plan applies only to the stack, environment and cluster it was made for, and only while the live
    state it was computed from is unchanged. Returns the plan to run: the fresh one, with the requests' changes as
    saved (the positions they resolved: kplan.plan.fingerprint.as_reviewed). A stale plan is refused naming what
    moved: the resource, the attribute, its value when planned and now (kplan.plan.stale)."""
    from kplan.plan.fingerprint import as_reviewed, stack_sensitive_keys, stale_addresses, what_changes
    from kplan.plan.stale import live_moved, plan_moved, said

    if saved.stack != stack.name:
        raise KplanError(f"the saved plan is for stack {saved.stack!r}, not {stack.name!r}")
    if (saved.environment or None) != (stack.environment or None):
        raise KplanError(f"the saved plan is for environment {saved.environment or '(none)'!r}, "
                         f"not {stack.environment or '(none)'!r}")
    if saved.cluster_id != cluster_id:
        raise KplanError(f"the saved plan was made for cluster {saved.cluster_id}, but "
                         f"{stack.cluster.bootstrap_servers} is cluster {cluster_id}")
    if saved.inputs_digest != stack.inputs_digest:
        raise KplanError("the stack files changed since the plan was saved; run `kplan plan` again")
    sensitive = stack_sensitive_keys(stack)
    changed = stale_addresses(saved, live, sensitive)
    if changed:
        raise KplanError("the saved plan is stale: the cluster changed since it was made ("
                         f"{said(live_moved(saved, live, changed, sensitive))}); run `kplan plan` again")
    if saved.destroy != fresh.destroy:
        raise KplanError(f"the saved plan is {'' if saved.destroy else 'not '}a destroy plan, this run is "
                         f"{'not ' if saved.destroy else ''}one; run `kplan plan` again")
    if what_changes(saved) != what_changes(fresh):
        moved = plan_moved(saved, fresh, live) or ["its changes are the same, in another order"]
        raise KplanError(f"the saved plan no longer matches what kplan would do now ({said(moved)}); "
                         "run `kplan plan` again")
    return as_reviewed(saved, fresh)


def recover(cluster: Cluster, mode: str, *, force: bool, opts: RunOptions,
            completed_part_of: str | None = None) -> tuple[ApplyResult | None, str]:
    """`kplan recover --rollback | --resume`. Idempotent and convergent: run again after it died (or after the
    systems an undo needed came back), it carries on where it stopped; with no unfinished run it only clears
    what a dead run left (its marker, its lock) and says so. `completed_part_of` (rollback, several clusters): a
    run id whose part on this cluster completed while its part on another cluster was interrupted: that
    completed part is rolled back too."""
    store = cluster.journal_store()
    journal = store.read()
    lock = cluster.lock()
    completed_part = (mode == "rollback" and completed_part_of is not None and journal is not None
                      and journal.run_id == completed_part_of and journal.status == RunStatus.COMPLETE)
    if journal is None or not (journal.unfinished or completed_part):
        return None, _nothing_to_recover(cluster, journal, lock, force)
    holder = _holder_waiting(lock)
    # the interrupted run's own lock (or that of a recovery of it, which works under the run's id; versions
    # before that used "recover-...")
    if holder is not None and holder.run_id != journal.run_id and not holder.run_id.startswith("recover-"):
        raise KplanError(f"another run holds the lock ({holder.describe()}); wait for it to finish")
    if holder is not None and not force and not holder.provably_dead():
        raise KplanError(f"the interrupted run's lock holder may still be alive ({holder.describe()}); "
                         "if it is not, run again with --force")
    if lock.exists():
        lock.release()
    if mode == "resume":
        if journal.inputs_digest != cluster.stack.inputs_digest:
            raise KplanError("the stack files changed since the interrupted run; restore them to resume, or use "
                             "`kplan recover --rollback`")
        # finish what the run set out to do: a destroy stays a destroy
        result, plan = run_apply(cluster, replace(opts, destroy=journal.destroy), resume_of=journal)
        if result is None and plan.has_changes:
            return None, f"Run {journal.run_id} was not resumed (not approved); it is still unfinished."
        from kplan.render.common import not_read_note

        note = not_read_note(plan)  # --allow-unreadable: what the resume did not read, so did not finish
        if result is None:
            return None, (f"Resumed run {journal.run_id}: nothing was left to do"
                          f"{' in what was read' if note else ''}; it is complete.{note}")
        return result, f"Resumed run {journal.run_id}."
    try:
        lock.acquire(journal.run_id)
    except LockHeld as e:
        raise KplanError(f"{e}; wait for it to finish") from None
    try:
        live = cluster.session.reader.read(cluster.stack.name, topic_names=[])
        executor = _executor(cluster, store, live, opts.out, opts.faults)
        journal.taken_over("rollback")
        executor.marker = journal.marker()
        # final: an undo that is refused is left to the user (named), so that the run ends and the stack is free
        result = roll_back(cluster, executor, journal, None, journal.message or "interrupted", final=True)
        return result, _rollback_summary(journal, result)
    finally:
        store.close()
        release_or_report(lock)  # never masks the run's own outcome


def recovered(mode: str) -> RunStatus:
    """The status a recovery in `mode` ("rollback" or "resume") ends its run with when it works."""
    return RunStatus.ROLLED_BACK if mode == "rollback" else RunStatus.COMPLETE


def _rollback_summary(journal: Journal, result: ApplyResult) -> str:
    left, by_hand = len(result.undo_left), len(result.left_by_hand)
    kept = len(result.not_rolled_back) - left - by_hand
    parts = [f"{len(result.rolled_back)} step(s) undone", *([f"{kept} irreversible"] if kept else [])]
    if by_hand:
        parts.append(f"{by_hand} not undone: refused, left as the run made them for you to undo by hand (see "
                     "below); the run is over and the stack released")
    if left:
        parts.append(f"{left} still to undo (run `kplan recover --rollback` again once the cluster and Connect are "
                     "reachable; until then the stack keeps owning what the run may have created)")
    return f"Rolled back run {journal.run_id}: " + ", ".join(parts) + "."


def _nothing_to_recover(cluster: Cluster, journal: Journal | None, lock: StackLock, force: bool) -> str:
    """No unfinished run: clear the marker and the lock a dead run left, and say what the last run left."""
    if journal is None:
        status = "no run is journaled"
    else:
        status = f"the last run ({journal.run_id}) is {journal.status}"
        kept = journal.steps_in(StepStatus.IRREVERSIBLE)
        if kept:
            status += " (irreversible: " + ", ".join(Step.from_json(e).describe() for e in kept) + ")"
        for e in journal.steps_in(StepStatus.NOT_UNDONE):
            status += f"; not undone, to undo by hand: {Step.from_json(e).describe()} ({e['error']})"
    notes = []
    if _clear_stale_marker(cluster, journal):
        notes.append("cleared the run marker it left in the ownership record")
    if lock.exists():
        holder = _holder_waiting(lock)
        if holder is None or holder.released or holder.provably_dead() or force:
            lock.release()
            who = holder.describe() if holder else "a run that died before naming itself"
            notes.append(f"released the lock left by a dead run ({who})")
        else:
            notes.append(f"the stack is locked by a run that may still be alive ({holder.describe()}); if it is "
                         "dead, `kplan recover --force` releases its lock")
    return f"Nothing to recover: {status}" + "".join(f"; {n}" for n in notes) + "."


def _holder_waiting(lock: StackLock):
    """The lock's holder; a lock without one yet is looked at again for a few seconds (its taker names itself
    right after creating it)."""
    import time

    deadline = time.monotonic() + 5
    while True:
        holder = lock.holder()
        if holder is not None or time.monotonic() > deadline or not lock.exists():
            return holder
        time.sleep(0.5)


def _clear_stale_marker(cluster: Cluster, journal: Journal | None) -> bool:
    """A run that died after its last journal write but before its last record write left its marker: the
    record becomes what the journal says the run ended with (complete: the record as written; rolled back:
    the record before the run; never journaled: the record as it is, which is still the one before)."""
    from kplan.state.ownership import read_ownership

    record = read_ownership(cluster.conf, cluster.stack.name, cluster.stack.cluster.timeout_s) \
        if OWNERSHIP_TOPIC in cluster.writer.kafka.topic_names() else None
    if record is None or not record.run:
        return False
    if journal is not None and record.run.get("run_id") == journal.run_id and journal.status in (
            RunStatus.ROLLED_BACK, RunStatus.ROLLBACK_INCOMPLETE):
        cluster.write_ownership(rolled_back_record(journal))
    else:
        cluster.write_ownership(record.marked(None))
    return True


def report_failure(result: ApplyResult) -> list[str]:
    lines = [f"Error: apply failed: {result.error}"]
    if result.rolled_back:
        lines.append("Rolled back:")
        lines += [f"  - {r}" for r in result.rolled_back]
    if result.status == RunStatus.COMPLETE:
        return lines
    if result.not_rolled_back:
        lines.append("Could NOT be rolled back (the cluster is not as before):")
        lines += [f"  - {r}" for r in result.not_rolled_back]
        if result.left_by_hand:
            lines.append("Left for you to undo by hand (kplan will not retry these; the run is over and the stack "
                         "is released, so `kplan plan` shows the cluster as it is now):")
            lines += [f"  - {r}" for r in result.left_by_hand]
        if result.undo_left:
            lines.append(f"{len(result.undo_left)} undo(s) are left to retry: run `kplan recover --rollback` (once "
                         "Kafka and Connect are reachable, if they were not). It ends the run: what it still cannot "
                         "undo, it names for you to undo by hand. Until then the stack keeps owning what the run may "
                         "have created, and every plan reports the unfinished run.")
        elif not result.left_by_hand:
            lines.append("Check these resources by hand, then run `kplan plan` to see what differs from the stack.")
    else:
        lines.append("The cluster is as it was before this apply.")
    return lines


def open_all(stack: Stack, environ: Mapping[str, str]) -> list[Cluster]:
    """One open `Cluster` per member stack (closed again if any cannot be opened); two names for one Kafka
    cluster are refused: their ownership records and locks would be one."""
    opened: list[Cluster] = []
    try:
        for member in stack.members:
            try:
                opened.append(Cluster.open(member, environ))
            except KplanError as e:
                raise KplanError(f"cluster {member.cluster_name}: {e}") from None
        refuse_same_cluster([(c.stack.cluster_name, c.cluster_id) for c in opened])
    except BaseException:
        close_all(opened)
        raise
    return opened


def close_all(clusters: list[Cluster]) -> None:
    for c in clusters:
        _quietly(c.close)


def report_lines(result: MultiResult) -> list[str]:
    """The cluster that failed, then per cluster: what failed, what was rolled back and what could not be."""
    first = result.cause
    lines = [f"Error: apply failed in cluster {first.name}: {first.result.error if first.result else ''}"]
    for o in result.outcomes:
        if o.result is None:
            said = "not applied (the run stopped before it)." if o.skipped else "nothing to do (not touched)."
        elif o.result.status == RunStatus.COMPLETE:
            said = "applied."
        else:
            said = "rolled back because " + o.rolled_back_for if o.rolled_back_for else "failed"
        lines.append(f"Cluster {o.name}: {said}")
        if o.result is not None and o.result.status != RunStatus.COMPLETE:
            # rolled back for another cluster's failure: its own "apply failed" line is the other cluster's error
            lines += ["  " + x for x in report_failure(o.result)[1 if o.rolled_back_for else 0:]]
    return lines


def recover_all(stack: Stack, mode: str, *, force: bool, opts: RunOptions, environ: Mapping[str, str],
                allow_unreadable: frozenset[str] = frozenset(),
                each: Callable[[Cluster, Callable[[], tuple[ApplyResult | None, str]]],
                               tuple[ApplyResult | None, str]] = lambda cluster, call: call()
                ) -> list[tuple[str, ApplyResult | None, str]]:
    """`kplan recover` for a stack with several clusters: each cluster's unfinished run is recovered; with
    --rollback, the parts of an interrupted several-cluster run that had completed on other clusters are rolled
    back too (the same run id; newest cluster first), so the clusters end as they were before that run.
    `allow_unreadable`: --allow-unreadable (a resume plans again). `each(cluster, call)` runs a cluster's recovery,
    `call()` (the command's: with its audit event, kplan.commands.apply.audited). Returns [(cluster, result or
    None, message)]."""
    clusters = open_all(stack, environ)
    for c in clusters:
        c.session.allow_unreadable = allow_unreadable
    try:
        last: list[str | None] = [None] * len(clusters)  # the run id of each cluster's last journal
        interrupted: set[str] = set()
        if mode == "rollback":
            for n, c in enumerate(clusters):
                store = c.journal_store()
                journal = store.read()
                store.close()
                last[n] = journal.run_id if journal is not None else None
                # a run to undo everywhere: one cluster's part is unfinished, or was rolled back (also by an
                # earlier `recover --rollback` that died before it reached this cluster's completed part)
                if journal is not None and journal.group and (journal.unfinished or journal.status in (
                        RunStatus.ROLLED_BACK, RunStatus.ROLLBACK_INCOMPLETE)):
                    interrupted.add(journal.run_id)
        outcomes: list[tuple[str, ApplyResult | None, str]] = []
        pairs = list(zip(clusters, last))
        for c, last_run in reversed(pairs) if mode == "rollback" else pairs:
            name = c.stack.cluster_name or "?"
            print(f"── cluster {name}:", file=opts.out or sys.stdout, flush=True)
            part_of = last_run if last_run in interrupted else None
            result, message = each(c, lambda: recover(c, mode, force=force, opts=opts, completed_part_of=part_of))
            outcomes.append((name, result, message))
        return outcomes
    finally:
        close_all(clusters)
