"""A several-cluster stack (`clusters:`, docs/clusters.md) run as one: each cluster is an ordinary one-cluster
run (its own lock, journal and ownership record, in that cluster), put together here.

Apply: take every cluster's lock (clusters in name order, so two runs never wait on each other) -> read and plan
every cluster -> show the combined plan and get one approval -> apply cluster by cluster in the stack's order.
When a cluster's run fails, its executor rolls it back as in any run; then the clusters this run already applied
are rolled back too, newest first, each from its own journal (kept open for that), so a failure anywhere leaves
every cluster as it was. Every lock is released at the end."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Mapping

from kplan.apply.executor import ApplyResult
from kplan.apply.steps import build
from kplan.apply.steps.ownership import ownership_of
from kplan.errors import KplanError
from kplan.model.desired import Stack
from kplan.model.plan import Plan
from kplan.plan.clusters import combine
from kplan.session.cluster import Cluster
from kplan.session.run import (
    RunOptions,
    _quietly,
    after_rollback,
    allows_active_consumers,
    approved,
    check_saved_plan,
    execute_steps,
    lock_held_message,
    refuse_unrunnable,
)
from kplan.state.journal import Journal, RunStatus
from kplan.state.lock import LockHeld, release_or_report
from kplan.transport import interrupts


@dataclass
class ClusterOutcome:
    """What one cluster's part of the run ended as."""

    name: str
    result: ApplyResult | None  # None: nothing to do there
    rolled_back_for: str = ""  # "" or why a finished cluster was rolled back (another cluster failed)
    skipped: bool = False  # the run stopped (another cluster failed) before it reached this cluster


@dataclass
class MultiResult:
    outcomes: list[ClusterOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[ClusterOutcome]:
        return [o for o in self.outcomes if o.result is not None and o.result.status != RunStatus.COMPLETE]

    @property
    def exit_code(self) -> int:
        return max((o.result.exit_code for o in self.outcomes if o.result is not None), default=0)


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


def refuse_same_cluster(ids) -> None:
    """Two names for one Kafka cluster (one cluster id) are refused: their ownership records and locks would be
    one. `ids`: (cluster name, cluster id) pairs."""
    seen: dict[str, str] = {}
    for name, cluster_id in ids:
        if cluster_id in seen:
            raise KplanError(f"clusters {seen[cluster_id]} and {name} are the same Kafka cluster (id {cluster_id}); "
                             "declare it once under `clusters:`")
        seen[cluster_id] = name or "?"


def close_all(clusters: list[Cluster]) -> None:
    for c in clusters:
        _quietly(c.close)


def plan_all(sessions: list, *, destroy: bool, holding_lock: bool = False, validate: bool = True,
             one_cluster_each: bool = True, allow_active_consumers: bool = False):
    """[(live, plan)] per cluster's session (kplan.session.open.Session), read and planned concurrently (each
    cluster has its own clients), and the combined plan. `one_cluster_each`: refuse two names for one cluster id
    (not for a live-state file, which may give every cluster the same state)."""
    from kplan.session.plan import plan_stack

    def one(session):
        try:
            return plan_stack(session, destroy=destroy, holding_lock=holding_lock, validate=validate,
                              allow_active_consumers=allow_active_consumers)
        except KplanError as e:
            raise KplanError(f"cluster {session.stack.cluster_name}: {e}") from None

    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        planned = list(pool.map(one, sessions))
    if one_cluster_each:
        refuse_same_cluster([(s.stack.cluster_name, live.cluster_id) for s, (live, _) in zip(sessions, planned)])
    return planned, combine([(s.stack.cluster_name or "?", plan) for s, (_, plan) in zip(sessions, planned)])


def run_apply_all(clusters: list[Cluster], opts: RunOptions) -> tuple[MultiResult | None, Plan]:
    """Lock every cluster, plan, approve once, apply cluster by cluster; roll every cluster back on a failure.
    Returns (None when there was nothing to do or it was not approved, the combined plan)."""
    saved = opts.saved_plan
    if saved is not None and [g.cluster_name for g in saved.groups] != [c.stack.cluster_name for c in clusters]:
        made = ", ".join(str(g.cluster_name) for g in saved.groups) or "one cluster"
        raise KplanError(f"the saved plan was made for {made}, not for this stack's clusters "
                         f"({', '.join(str(c.stack.cluster_name) for c in clusters)}); run `kplan plan` again")
    stores = {id(c): c.journal_store() for c in clusters}
    locks = {id(c): c.lock() for c in clusters}
    journals: dict[int, Journal] = {}
    run_id = Journal("", None, "", "").run_id  # one run: every cluster's part has the same id
    names = [c.stack.cluster_name for c in clusters]
    try:
        for c in sorted(clusters, key=lambda c: c.stack.cluster_name or ""):
            journal = Journal(c.stack.name, c.stack.environment, c.cluster_id, c.stack.inputs_digest,
                              run_id=run_id, destroy=opts.destroy,
                              group={"clusters": names, "cluster": c.stack.cluster_name})
            journals[id(c)] = journal
            try:
                locks[id(c)].acquire(journal.run_id)
            except LockHeld as e:
                raise KplanError(f"cluster {c.stack.cluster_name}: "
                                 f"{lock_held_message(e, stores[id(c)])}") from None
        planned, plan = plan_all([c.session for c in clusters], destroy=opts.destroy, holding_lock=True,
                                 allow_active_consumers=allows_active_consumers(opts))
        if saved is not None:  # every cluster's part must still be what was reviewed, and runs as reviewed
            for n, (c, (live, fresh), part) in enumerate(zip(clusters, planned, saved.groups)):
                try:
                    planned[n] = (live, check_saved_plan(part, fresh, live, c.stack, c.cluster_id))
                except KplanError as e:
                    raise KplanError(f"cluster {c.stack.cluster_name}: {e}") from None
            plan = combine([(c.stack.cluster_name or "?", p) for c, (_, p) in zip(clusters, planned)])
        refuse_unrunnable(plan, opts)
        builts = [build(p, c.stack, live) for c, (live, p) in zip(clusters, planned)]
        if not any(b.steps for b in builts) or not approved(plan, opts):
            return None, plan
        return _execute_all(clusters, planned, builts, stores, journals, opts), plan
    finally:
        for store in stores.values():
            _quietly(store.close)
        for lock in locks.values():
            release_or_report(lock)


def _execute_all(clusters, planned, builts, stores, journals, opts: RunOptions) -> MultiResult:
    out = opts.out or sys.stdout
    result = MultiResult()
    done: list[tuple[Cluster, Journal, object, ClusterOutcome]] = []
    for n, (c, (live, _), built) in enumerate(zip(clusters, planned, builts)):
        name = c.stack.cluster_name or "?"
        if result.failed:
            result.outcomes.append(ClusterOutcome(name, None, skipped=bool(built.steps)))
            continue
        if not built.steps:
            result.outcomes.append(ClusterOutcome(name, None))
            continue
        print(f"── cluster {name} ({c.cluster_id}):", file=out, flush=True)
        store, journal = stores[id(c)], journals[id(c)]
        store.ensure_topic(c.broker_count)
        journal.ownership_before = ownership_of(live)
        outcome = ClusterOutcome(name, execute_steps(c, store, journal, built, live, out=opts.out,
                                                     faults=opts.faults))
        result.outcomes.append(outcome)
        if outcome.result is not None and outcome.result.status == RunStatus.COMPLETE:
            done.append((c, journal, built, outcome))
            # Ctrl-C during its bookkeeping (kplan.transport.interrupts): no later cluster starts (after the last
            # one, the command reports the run complete and the interrupt after it)
            if any(b.steps for b in builts[n + 1:]) and interrupts.undefer():
                raise KeyboardInterrupt
            continue
        why = f"cluster {name} failed: {outcome.result.error if outcome.result else ''}"
        for prev, prev_journal, prev_built, prev_outcome in reversed(done):
            print(f"── cluster {prev_outcome.name}: rolling back this run's changes ({why})", file=out, flush=True)
            prev_outcome.result, prev_outcome.rolled_back_for = _roll_back(prev, prev_journal, prev_built, why), why
    return result


def _roll_back(c: Cluster, journal: Journal, built, why: str) -> ApplyResult:
    """Undo a cluster's finished run from its journal (newest step first), as `recover --rollback` would."""
    ex = c.executor
    c.write_ownership(journal.pending_ownership().marked(ex.marker))
    undone = ex.rollback(journal, built.steps, f"rolled back: {why}")
    _quietly(lambda: c.write_ownership(after_rollback(journal, undone)))
    return undone


def report_lines(result: MultiResult) -> list[str]:
    """Per cluster: what failed, what was rolled back and what could not be."""
    from kplan.session.run import report_failure

    lines: list[str] = []
    for o in result.outcomes:
        if o.result is None:
            lines.append(f"Cluster {o.name}: " + ("not applied (the run stopped before it)." if o.skipped
                                                  else "nothing to do (not touched)."))
            continue
        if o.result.status == RunStatus.COMPLETE:
            lines.append(f"Cluster {o.name}: applied.")
            continue
        head = f"Cluster {o.name}: " + ("rolled back because " + o.rolled_back_for if o.rolled_back_for
                                        else "failed")
        lines.append(head)
        body = report_failure(o.result)
        if o.rolled_back_for:
            body = body[1:]  # its own "apply failed" line is the other cluster's error
        lines += ["  " + x for x in body]
    return lines


def recover_all(stack: Stack, mode: str, *, force: bool, opts: RunOptions, environ: Mapping[str, str],
                out=None, allow_unreadable: frozenset[str] = frozenset()
                ) -> tuple[list[tuple[str, ApplyResult | None, str]], int]:
    """`kplan recover` for a stack with several clusters: each cluster's unfinished run is recovered; with
    --rollback, the parts of an interrupted several-cluster run that had completed on other clusters are rolled
    back too (the same run id; newest cluster first), so the clusters end as they were before that run.
    `allow_unreadable`: --allow-unreadable (a resume plans again). Returns [(cluster, result or None, message)]
    and the worst exit status."""
    from kplan.session.run import recover, recovered

    clusters = open_all(stack, environ)
    for c in clusters:
        c.session.allow_unreadable = allow_unreadable
    try:
        last: dict[int, str | None] = {}  # the run id of each cluster's last journal
        interrupted: set[str] = set()
        if mode == "rollback":
            for c in clusters:
                store = c.journal_store()
                journal = store.read()
                store.close()
                last[id(c)] = journal.run_id if journal is not None else None
                # a run to undo everywhere: one cluster's part is unfinished, or was rolled back (also by an
                # earlier `recover --rollback` that died before it reached this cluster's completed part)
                if journal is not None and journal.group and (journal.unfinished or journal.status in (
                        RunStatus.ROLLED_BACK, RunStatus.ROLLBACK_INCOMPLETE)):
                    interrupted.add(journal.run_id)
        outcomes: list[tuple[str, ApplyResult | None, str]] = []
        worst = 0
        for c in reversed(clusters) if mode == "rollback" else clusters:
            name = c.stack.cluster_name or "?"
            print(f"── cluster {name}:", file=out or sys.stdout, flush=True)
            part_of = last.get(id(c)) if last.get(id(c)) in interrupted else None
            result, message = recover(c, mode, force=force, opts=opts, completed_part_of=part_of)
            outcomes.append((name, result, message))
            if result is not None and result.status != recovered(mode):
                worst = max(worst, result.exit_code)
        return outcomes, worst
    finally:
        close_all(clusters)
