"""A stack with several clusters (`clusters:`, docs/clusters.md): its clusters opened as one (`open_all`), what one
run over them ended as, cluster by cluster (`report_lines`; the run itself is kplan.session.run.run_apply_all's),
and the recovery of each cluster's part of an interrupted run (`recover_all`)."""

from __future__ import annotations

import sys
from typing import Mapping

from kplan.apply.executor import ApplyResult
from kplan.errors import KplanError
from kplan.model.desired import Stack
from kplan.session.cluster import Cluster
from kplan.session.plan import refuse_same_cluster
from kplan.session.run import MultiResult, RunOptions, _quietly
from kplan.state.journal import RunStatus


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
    from kplan.session.run import report_failure

    first = next((o for o in result.failed if not o.rolled_back_for), result.failed[-1])  # the one that failed
    lines = [f"Error: apply failed in cluster {first.name}: {first.result.error if first.result else ''}"]
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
                allow_unreadable: frozenset[str] = frozenset()
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
            print(f"── cluster {name}:", file=opts.out or sys.stdout, flush=True)
            part_of = last.get(id(c)) if last.get(id(c)) in interrupted else None
            result, message = recover(c, mode, force=force, opts=opts, completed_part_of=part_of)
            outcomes.append((name, result, message))
            if result is not None and result.status != recovered(mode):
                worst = max(worst, result.exit_code)
        return outcomes, worst
    finally:
        close_all(clusters)
