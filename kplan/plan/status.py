"""`kplan status`: the status report of a stack's resources, built from (Stack, LiveState, Plan), and its renderers.

Pure: no I/O. The command reads the live state (one batched read), plans, and passes both here.

For each declared resource the report says whether it exists, is missing or has drifted from the stack (any attribute
the plan found different: a change apply would make, drift it would leave alone, or a refused change), and, for
connectors, the connector's and each task's state against the declared state, with the first lines of a FAILED
connector's or task's trace. Owned resources no longer declared (the next apply deletes them) are listed too, and the
orphans under the stack's claims (docs/orphans.md). Connector configs are never shown: a drifted connector names the
keys that differ, never a value, and every trace is scrubbed of the secret values kplan knows of (the live values of
sensitive keys, and any resolved `${secret:...}` values the caller passes in). With owner-total policy rules, each
owner's totals are notes of the report (docs/policy.md): they change neither the summary nor the exit status."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.metadata import Meta
from kplan.model.plan import SHOWN_AS_DRIFT, Action, Plan, PlanDiagnostic, Reason, ResourceChange
from kplan.model.status import ResourceStatus, StatusReport
from kplan.plan.orphans import find_orphans
from kplan.policy.owner_totals import NOTE_CODE as OWNER_TOTALS
from kplan.secrets import Scrubber

# -- building the report -----------------------------------------------------------------------------------------


def build_status(stack: Stack, live: LiveState, plan: Plan, *, secrets: Iterable[str] = ()) -> StatusReport:
    """The status of every resource `stack` declares (plus owned ones it no longer declares) on `live`, kind by
    kind (`kplan.kinds`).

    `plan` is `make_plan(stack, live)` (not a destroy plan). `secrets` are extra plaintext values to scrub from
    traces (e.g. resolved `${secret:...}` references); the live values of every kind's secret keys are always
    scrubbed."""
    from kplan.kinds import KINDS

    changes = {c.address: _cluster_part(c) for c in plan.changes}
    scrub = Scrubber(v for kind in KINDS for v in kind.live_secrets(stack, live)).extended(secrets)
    resources: list[ResourceStatus] = []
    unknown: list[PlanDiagnostic] = []  # what could not be read (a Connect cluster of several): an error, not "missing"
    unread: list[str] = []  # the addresses of the declared resources on it
    allowed = frozenset(n.system for n in plan.not_read)  # --allow-unreadable: warnings, the rest reported
    for kind in KINDS:
        current_of = kind.live(live)
        every = {spec.name: spec for spec in kind.declared(stack)}
        declared, lines = kind.readable(every, live, allowed)
        unknown += lines
        unread += [kind.address(n) for n in sorted(every) if n not in declared]
        resources += [_with_meta(kind.status(declared[n], current_of.get(n), changes.get(kind.address(n)), scrub),
                                 stack.meta(kind.section, n)) for n in sorted(declared)]
        # owned, no longer declared: planned for deletion
        resources += [_with_meta(kind.status_undeclared(current_of[c.name], c, scrub), c.meta) for c in plan.changes
                      if c.type == kind.type and c.reason == Reason.REMOVED_FROM_STACK and c.is_change
                      and c.name not in declared
                      and c.name in current_of]
    # policy violations are the stack's to fix (validate, plan), not a state of the cluster
    diagnostics = tuple(d for d in plan.diagnostics if d.is_error and d.code not in SHOWN_AS_DRIFT
                        and not d.code.startswith("policy:"))
    diagnostics += tuple(d for d in unknown if d.is_error and d not in diagnostics)  # the plan says it already
    # each owner's totals under the policy's owner-total rules (Info): shown, never counted as drift or an error
    # and the kinds' notes on the state of what they run (a mirror's replication lag)
    shown = {OWNER_TOTALS}.union(*(k.status_note_codes for k in KINDS))
    totals = tuple(d for d in plan.diagnostics if d.code in shown)
    return StatusReport(plan.stack, plan.environment, plan.cluster_id or live.cluster_id, tuple(resources), diagnostics,
                        orphans=tuple(find_orphans(stack, live)), not_read=plan.not_read,
                        unread=tuple(unread) if plan.not_read else (),
                        warnings=tuple(d for d in unknown if not d.is_error) + totals)


def _cluster_part(c: ResourceChange) -> ResourceChange:
    """A change as the kinds' status judges it: an update of metadata only (kplan's record) is no difference on the
    cluster; the report shows the declared metadata itself."""
    if c.action != Action.METADATA:
        return c
    return replace(c, action=Action.NOOP, attributes=tuple(a for a in c.attributes if a.path[:1] != ("metadata",)))


def _with_meta(r: ResourceStatus, meta: Meta) -> ResourceStatus:
    return r if meta.empty else replace(r, meta=meta)
