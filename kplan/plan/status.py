"""`kplan status`: the status report of a stack's resources, built from (Stack, LiveState, Plan), and its renderers.

Pure: no I/O. The command reads the live state (one batched read), plans, and passes both here.

For each declared resource the report says whether it exists, is missing or has drifted from the stack (any
attribute the plan found different: a change apply would make, drift it would leave alone, or a refused change),
and, for connectors, the connector's and each task's state against the declared state, with the first lines of
a FAILED connector's or task's trace. Owned resources no longer declared (the next apply deletes them) are listed
too. Connector configs are never shown: a drifted connector names the keys that differ, never a value, and every
trace is scrubbed of the secret values kplan knows of (the live values of sensitive keys, and any resolved
`${secret:...}` values the caller passes in).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, Mapping

from kplan.model.live import LiveConnector, LiveState
from kplan.model.desired import ConnectorSpec, Origin, Stack, TopicSpec
from kplan.plan.connectors import live_config, sensitive_keys
from kplan.plan.model import (Action, AttributeChange, AttrKind, Flag, Plan, PlanDiagnostic, ResourceChange,
                              address_of)
from kplan.secrets import MASK, is_reference_only

FORMAT_VERSION = "1"
TRACE_LINES = 5  # how many lines of a FAILED connector's or task's trace are shown

IN_SYNC = "in_sync"
DRIFTED = "drifted"
MISSING = "missing"
WRONG_STATE = "not_in_declared_state"  # exists and matches, but the connector or a task is not in its declared state
NOT_DECLARED = "not_declared"  # owned by the stack, no longer declared: the next apply deletes it

STATUS_LABELS = {
    IN_SYNC: "in sync",
    DRIFTED: "drifted",
    MISSING: "missing",
    WRONG_STATE: "not in declared state",
    NOT_DECLARED: "not declared",
}
STATUS_ORDER = (IN_SYNC, DRIFTED, MISSING, WRONG_STATE, NOT_DECLARED)

# Plan errors that are already shown as a resource's differences (a refused partition decrease is drift here).
_SHOWN_AS_DRIFT = frozenset({"partition-decrease", "replication-factor-change"})
# How the connectors part of the summary orders (and spells) a connector's overall state.
_CONNECTOR_STATE_ORDER = ("running", "paused", "stopped", "restarting", "unknown", "UNASSIGNED", "FAILED")


@dataclass(frozen=True)
class Trace:
    """The first lines of a Java stack trace, scrubbed of secrets; `more` lines were left out."""

    lines: tuple[str, ...] = ()
    more: int = 0


@dataclass(frozen=True)
class Difference:
    """One way a live resource differs from the stack. `live`/`declared` are display values (None: not set);
    for connectors they are always None (connector configs are never shown)."""

    path: tuple[str, ...]
    kind: str  # the plan's AttrKind value: add | update | remove | drift | refused
    live: str | int | None = None
    declared: str | int | None = None
    sensitive: bool = False
    note: str = ""  # e.g. "inherited", "needs replacement"

    @property
    def label(self) -> str:
        head, *rest = self.path
        return head + "".join(f"[{json.dumps(p)}]" for p in rest)


@dataclass(frozen=True)
class TaskStatus:
    id: int
    state: str
    worker_id: str
    in_declared_state: bool
    trace: Trace = Trace()


@dataclass(frozen=True)
class ResourceStatus:
    type: str  # topic | connector
    name: str
    status: str  # one of STATUS_ORDER
    exists: bool
    origin: Origin | None = None
    owned: bool = True  # False: exists and matches, but not yet in the stack's ownership record
    differences: tuple[Difference, ...] = ()
    # topics: live values (None when missing) and declared ones (None when not declared)
    partitions: int | None = None
    replication_factor: int | None = None
    declared_partitions: int | None = None
    declared_replication_factor: int | None = None
    # connectors
    state: str | None = None  # as Connect reports it (RUNNING, PAUSED, FAILED...); None when missing or unknown
    declared_state: str | None = None  # running | paused | stopped
    connector_type: str | None = None  # source | sink
    in_declared_state: bool = True
    trace: Trace = Trace()
    tasks: tuple[TaskStatus, ...] = ()

    @property
    def address(self) -> str:
        return address_of(self.type, self.name)

    @property
    def overall_state(self) -> str | None:
        """A connector's state for the summary: FAILED / UNASSIGNED when the connector or any task is, else the
        connector's own state (lower case); None for a topic or a missing connector."""
        if self.type != "connector" or not self.exists:
            return None
        states = [self.state or ""] + [t.state for t in self.tasks]
        for bad in ("FAILED", "UNASSIGNED"):
            if bad in states:
                return bad
        return (self.state or "unknown").lower()


@dataclass(frozen=True)
class StatusSummary:
    resources: int
    counts: Mapping[str, int]  # status -> number of resources
    connector_states: tuple[tuple[str, int], ...]  # (overall state, count) of existing connectors
    errors: int = 0  # the report's diagnostics

    def line(self) -> str:
        """`12 resources: 10 in sync, 1 drifted, 1 missing; connectors: 2 running, 1 FAILED`."""
        if not self.resources:
            return "The stack declares no resources." + (f" {self.errors} error(s)." if self.errors else "")
        noun = "resource" if self.resources == 1 else "resources"
        parts = [f"{self.counts.get(s, 0)} {STATUS_LABELS[s]}" for s in STATUS_ORDER
                 if self.counts.get(s, 0) or s == IN_SYNC]
        text = f"{self.resources} {noun}: {', '.join(parts)}"
        if self.connector_states:
            text += "; connectors: " + ", ".join(f"{n} {state}" for state, n in self.connector_states)
        if self.errors:
            text += f"; {self.errors} error{'s' if self.errors != 1 else ''}"
        return text


@dataclass(frozen=True)
class StatusReport:
    stack: str
    environment: str | None
    cluster_id: str
    resources: tuple[ResourceStatus, ...] = ()  # topics, then connectors; each by name, undeclared ones last
    # Plan errors that keep the report from confirming the stack is in sync (an unfinished apply, an unresolvable
    # secret, a connector class the worker lacks...). Never hold a secret (the planner's messages name keys only).
    diagnostics: tuple[PlanDiagnostic, ...] = ()
    format_version: str = FORMAT_VERSION

    @property
    def summary(self) -> StatusSummary:
        counts = {s: sum(1 for r in self.resources if r.status == s) for s in STATUS_ORDER}
        states: dict[str, int] = {}
        for r in self.resources:
            if r.overall_state is not None and r.status != NOT_DECLARED:
                states[r.overall_state] = states.get(r.overall_state, 0) + 1
        order = {s: i for i, s in enumerate(_CONNECTOR_STATE_ORDER)}
        ordered = tuple(sorted(states.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
        return StatusSummary(len(self.resources), counts, ordered, len(self.diagnostics))

    @property
    def in_sync(self) -> bool:
        """Everything exists, matches the stack, is in its declared state, and nothing kept the check from being
        complete."""
        return all(r.status == IN_SYNC for r in self.resources) and not self.diagnostics

    @property
    def exit_code(self) -> int:
        return 0 if self.in_sync else 2

    def resource(self, address: str) -> ResourceStatus | None:
        return next((r for r in self.resources if r.address == address), None)


# -- building the report -----------------------------------------------------------------------------------------


def build_status(stack: Stack, live: LiveState, plan: Plan, *, secrets: Iterable[str] = ()) -> StatusReport:
    """The status of every resource `stack` declares (plus owned ones it no longer declares) on `live`.

    `plan` is `make_plan(stack, live)` (not a destroy plan). `secrets` are extra plaintext values to scrub from
    traces (e.g. resolved `${secret:...}` references); the live values of sensitive connector keys are always
    scrubbed."""
    changes = {c.address: c for c in plan.changes}
    scrub = _scrubber(stack, live, secrets)
    topics: dict[str, ResourceStatus] = {}
    connectors: dict[str, ResourceStatus] = {}
    for spec in stack.topics:
        topics[spec.name] = _topic(spec, live, changes.get(address_of("topic", spec.name)))
    for spec in stack.connectors:
        connectors[spec.name] = _connector(spec, live.connectors.get(spec.name),
                                           changes.get(address_of("connector", spec.name)), scrub)
    extra_topics, extra_connectors = [], []
    for c in plan.changes:  # owned, no longer declared: planned for deletion
        if c.action != Action.DELETE:
            continue
        if c.type == "topic" and c.name not in topics and c.name in live.topics:
            t = live.topics[c.name]
            extra_topics.append(ResourceStatus("topic", c.name, NOT_DECLARED, True, partitions=t.partitions,
                                               replication_factor=t.replication_factor))
        elif c.type == "connector" and c.name not in connectors and c.name in live.connectors:
            extra_connectors.append(_connector(None, live.connectors[c.name], c, scrub))
    resources = (tuple(topics[n] for n in sorted(topics)) + tuple(extra_topics)
                 + tuple(connectors[n] for n in sorted(connectors)) + tuple(extra_connectors))
    diagnostics = tuple(d for d in plan.diagnostics if d.is_error and d.code not in _SHOWN_AS_DRIFT)
    return StatusReport(plan.stack, plan.environment, plan.cluster_id or live.cluster_id, resources, diagnostics)


def _topic(spec: TopicSpec, live: LiveState, change: ResourceChange | None) -> ResourceStatus:
    current = live.topics.get(spec.name)
    declared = dict(declared_partitions=spec.partitions, declared_replication_factor=spec.replication_factor,
                    origin=spec.origin)
    if current is None:
        return ResourceStatus("topic", spec.name, MISSING, False, **declared)
    diffs = tuple(_topic_difference(a) for a in (change.attributes if change is not None else ()))
    return ResourceStatus("topic", spec.name, DRIFTED if diffs else IN_SYNC, True, owned=_owned(change),
                          differences=diffs, partitions=current.partitions,
                          replication_factor=current.replication_factor, **declared)


def _topic_difference(a: AttributeChange) -> Difference:
    note = ""
    if a.kind == AttrKind.ADD and a.before is not None:
        note = "inherited"
    elif a.kind == AttrKind.REFUSED or a.forces_replacement:
        note = "needs replacement"
    elif a.kind in (AttrKind.DRIFT, AttrKind.REMOVE):
        note = "not declared"
    return Difference(a.path, a.kind.value, a.before, a.after, a.sensitive, note)


def _connector(spec: ConnectorSpec | None, current: LiveConnector | None, change: ResourceChange | None,
               scrub) -> ResourceStatus:
    name = spec.name if spec is not None else current.name
    declared = spec.state.value if spec is not None else None
    origin = spec.origin if spec is not None else None
    if current is None:
        return ResourceStatus("connector", name, MISSING, False, origin=origin, declared_state=declared)
    want = declared.upper() if declared else None
    tasks = tuple(TaskStatus(t.id, t.state, t.worker_id, want is None or t.state == want,
                             _trace(t.trace, scrub) if t.state == "FAILED" else Trace())
                  for t in sorted(current.tasks, key=lambda t: t.id))
    in_state = want is None or (current.state == want and all(t.in_declared_state for t in tasks))
    diffs = () if change is None or spec is None else tuple(
        Difference(a.path, a.kind.value, sensitive=a.sensitive) for a in change.attributes if a.path[0] == "config")
    if spec is None:
        status = NOT_DECLARED
    else:
        status = DRIFTED if diffs else IN_SYNC if in_state else WRONG_STATE
    return ResourceStatus(
        "connector", name, status, True, origin=origin, owned=_owned(change), differences=diffs,
        state=current.state, declared_state=declared, connector_type=current.type, in_declared_state=in_state,
        trace=_trace(current.trace, scrub) if current.state == "FAILED" else Trace(), tasks=tasks,
    )


def _owned(change: ResourceChange | None) -> bool:
    return change is None or not change.has(Flag.ADOPT)


def _trace(text: str, scrub) -> Trace:
    lines = [line.rstrip() for line in scrub(text or "").expandtabs(4).splitlines() if line.strip()]
    return Trace(tuple(lines[:TRACE_LINES]), max(0, len(lines) - TRACE_LINES))


def secret_values(stack: Stack, live: LiveState) -> set[str]:
    """Plaintext secrets visible in the live state: the values of the sensitive keys of every live connector
    (a value that is only a `${...}` reference holds no secret)."""
    specs = {c.name: c for c in stack.connectors}
    out: set[str] = set()
    for conn in live.connectors.values():
        config = live_config(conn)
        for key in sensitive_keys(specs.get(conn.name), config):
            value = config.get(key)
            if value and not is_reference_only(value):
                out.add(value)
    return out


def _scrubber(stack: Stack, live: LiveState, extra: Iterable[str]):
    values = sorted({v for v in (*secret_values(stack, live), *extra) if v}, key=len, reverse=True)

    def scrub(text: str) -> str:
        for v in values:
            if v in text:
                text = text.replace(v, MASK)
        return text

    return scrub
