"""The status report's data: each resource's state against the stack (`ResourceStatus`, its `Difference`s), the
summary and the report. Built by `kplan.plan.status.build_status` (with each kind's part), rendered by
`kplan.render.status`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Callable, Mapping, Sequence

from kplan.model.cdc_health import CdcHealth
from kplan.model.metadata import EMPTY, Meta
from kplan.model.orphans import Orphan
from kplan.model.plan import (
    AttrKind,
    Flag,
    NotRead,
    PlanDiagnostic,
    ResourceChange,
    ResourceType,
    address_of,
    only_left_alone,
    path_label,
)
from kplan.model.source import Origin
from kplan.words import plural

FORMAT_VERSION = "1"
TRACE_LINES = 5  # how many lines of a FAILED connector's or task's trace are shown


class Status(str, Enum):
    """A resource's state against the stack; the value is the JSON word, `label` the text one. Declared in the
    order the summary counts them."""

    IN_SYNC = "in_sync"
    DRIFTED = "drifted"
    MISSING = "missing"
    # exists and matches, but the connector or a task is not in its declared state
    WRONG_STATE = "not_in_declared_state"
    NOT_DECLARED = "not_declared"  # owned by the stack, no longer declared: the next apply deletes it

    @property
    def label(self) -> str:
        """How the terminal text says it: the JSON word in words (`not in declared state`)."""
        return self.value.replace("_", " ")

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
    kind: AttrKind  # as the plan's attribute (the renderers write its value)
    live: str | int | None = None
    declared: str | int | None = None
    sensitive: bool = False
    note: str = ""  # e.g. "inherited", "needs replacement"

    @property
    def label(self) -> str:
        return path_label(self.path)


@dataclass(frozen=True)
class TaskStatus:
    id: int
    state: str
    worker_id: str
    in_declared_state: bool
    trace: Trace = Trace()


@dataclass(frozen=True)
class ResourceStatus:
    type: ResourceType
    name: str
    status: Status
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
    plugin_version: str | None = None  # the plugin version it runs, as Connect 4.1+ reports it (KIP-891)
    # CDC sources: the slot's or binlog's health at the database (read by status only; kplan.model.cdc_health)
    cdc_health: CdcHealth | None = None
    # its owner, description and labels (as declared, else as kplan's record keeps them; kplan.model.metadata)
    meta: Meta = EMPTY
    # (each other kind's own fields are on its status subclass, in its kind.py)

    @property
    def address(self) -> str:
        return address_of(self.type, self.name)

    @property
    def left_alone(self) -> bool:
        """Drifted only in ways kplan will not act on (`only_left_alone`, the test `plan` and `kplan watch` make too:
        e.g. an undeclared topic override or an undeclared binding of a non-authoritative principal): reported, but
        nothing is pending — the plan has no change for it, and status does not exit 2 for it."""
        return (self.status is Status.DRIFTED and self.in_declared_state
                and (self.cdc_health is None or self.cdc_health.healthy)
                and only_left_alone(d.kind for d in self.differences))

    @property
    def label(self) -> str:
        """How the terminal text says its status (`drifted (left alone)` for `left_alone`)."""
        return self.status.label + (" (left alone)" if self.left_alone else "")


@dataclass(frozen=True)
class StateTally:
    """How the summary counts a kind's resources by state (`connectors: 2 running, 1 FAILED`), registered by the
    kind (its Runtime's `tally`, `kplan.kinds.unit.Runtime`): so the report names no kind. Its resource type, the
    word the summary says them by, the states in the order it says them (any other after them, by name), and a
    resource's state (None: not counted, e.g. missing). A resource no longer declared is not counted."""

    type: ResourceType
    word: str
    order: tuple[str, ...]
    state: Callable[[ResourceStatus], str | None]

    def count(self, resources: Sequence[ResourceStatus]) -> tuple[tuple[str, int], ...]:
        """(state, how many), in the tally's order."""
        states: dict[str, int] = {}
        for r in resources:
            state = self.state(r) if r.type == self.type and r.status is not Status.NOT_DECLARED else None
            if state is not None:
                states[state] = states.get(state, 0) + 1
        order = {s: i for i, s in enumerate(self.order)}
        return tuple(sorted(states.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


@dataclass(frozen=True)
class StatusSummary:
    resources: int
    counts: Mapping[Status, int]  # status -> number of resources
    # each tally's word and its (state, count)s, in the tallies' order (`connectors`: the existing connectors')
    states: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    errors: int = 0  # the report's diagnostics
    left_alone: int = 0  # of the drifted ones, those drifted only in ways kplan leaves alone
    orphans: int = 0  # orphans under the stack's claims (docs/orphans.md)
    pruned: int = 0  # of them, those the next apply deletes (their claim prunes)
    # `status --allow-unreadable`: the systems not read (`Kafka Connect cluster 'analytics'`) and how many declared
    # resources they hold, which the report neither counts nor calls in sync
    not_read: tuple[str, ...] = ()
    unread: int = 0

    def line(self) -> str:
        """`12 resources: 10 in sync, 1 drifted, 1 missing; connectors: 2 running, 1 FAILED` (a drifted count says
        how many of them are left alone: `2 drifted (1 left alone)`; what was not read ends it)."""
        if not self.resources and not self.not_read:
            return ("The stack declares no resources." + (f" {self.orphans} orphan(s) under its claims." if self.orphans
                                                          else "")
                    + (f" {self.errors} error(s)." if self.errors else ""))
        parts = [f"{self.counts.get(s, 0)} {s.label}"
                 + (f" ({self.left_alone} left alone)" if s is Status.DRIFTED and self.left_alone else "")
                 for s in Status if self.counts.get(s, 0) or s is Status.IN_SYNC]
        text = f"{plural(self.resources, 'resource')}: {', '.join(parts)}"
        for word, counted in self.states:
            if counted:
                text += f"; {word}: " + ", ".join(f"{n} {state}" for state, n in counted)
        if self.orphans:
            text += f"; {plural(self.orphans, 'orphan')}"
            text += f" ({self.pruned} pruned by the next apply)" if self.pruned else ""
        if self.errors:
            text += f"; {plural(self.errors, 'error')}"
        if self.not_read:
            unknown = f" ({plural(self.unread, 'declared resource')} unknown, not reported)" if self.unread else ""
            text += f"; not read (--allow-unreadable): {', '.join(self.not_read)}{unknown}"
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
    # What exists under the stack's claimed prefixes that no stack owns or declares (docs/orphans.md).
    orphans: tuple[Orphan, ...] = ()
    # `status --allow-unreadable`: the declared systems that could not be read and that the run allowed (the
    # plan's `not_read`), the addresses of the declared resources on them (unknown: neither in sync nor not), and
    # the warning line for each. Without the option such a system is one of `diagnostics` (an error).
    not_read: tuple[NotRead, ...] = ()
    unread: tuple[str, ...] = ()
    warnings: tuple[PlanDiagnostic, ...] = ()

    def summary(self, tallies: Sequence[StateTally] = ()) -> StatusSummary:
        """Its counts, and each kind's by state for the kinds' `tallies` (kplan.render.status gives the registered
        ones)."""
        counts = {s: sum(1 for r in self.resources if r.status is s) for s in Status}
        states = tuple((t.word, t.count(self.resources)) for t in tallies)
        return StatusSummary(len(self.resources), counts, states, len(self.diagnostics),
                             sum(1 for r in self.resources if r.left_alone), len(self.orphans),
                             sum(1 for o in self.orphans if o.prune), tuple(n.words for n in self.not_read),
                             len(self.unread))

    @property
    def in_sync(self) -> bool:
        """Everything exists, matches the stack, is in its declared state, nothing kept the check from being
        complete (an error, or a system not read under --allow-unreadable), and no orphan is to be pruned (an
        orphan only listed is not the stack's)."""
        return all(r.status is Status.IN_SYNC for r in self.resources) and not self.diagnostics \
            and not self.not_read and not any(o.prune for o in self.orphans)

    @property
    def pending(self) -> bool:
        """Something kplan would act on (or cannot check): a resource missing, drifted in a way apply changes, not
        in its declared state, not declared any more, an orphan its claim prunes, or an error. Drift kplan leaves
        alone is not pending, nor is an orphan only listed: the plan has no change for them either
        (`plan --detailed-exitcode` exits 0), and the two commands agree. Nor is a system the run allowed not to
        read (`--allow-unreadable`): the exit code judges what was read, as `plan --detailed-exitcode` does."""
        return any(r.status is not Status.IN_SYNC and not r.left_alone for r in self.resources) \
            or bool(self.diagnostics) or any(o.prune for o in self.orphans)

    @property
    def exit_code(self) -> int:
        return 2 if self.pending else 0

    def resource(self, address: str) -> ResourceStatus | None:
        return next((r for r in self.resources if r.address == address), None)


def owned(change: ResourceChange | None) -> bool:
    """False for a resource that exists and matches but is not yet in the stack's ownership record."""
    return change is None or not change.has(Flag.ADOPT)
