"""The share-group kind: a share group's declared request (`share_group.<group id>`), planned once per token.

A share group's start offsets move all the time while it consumes, so they are not compared with anything: as a
consumer group's request, a request is a one-time action versioned by its token. The
ownership record keeps the token kplan last applied per group; a declared token that differs (or none recorded) is
one change. Only for those groups the plan reads the group (state, members, start offsets: kplan.cluster.
share_groups) and resolves a named reset to exact positions: the plan shows the current and the new start offset of
every partition, and apply sets exactly the planned ones. Apply refuses while the group has members (Kafka would
too: NON_EMPTY_GROUP), journals the start offsets it finds, and undo puts them back — and removes the start offsets
of the topics the group had none on, so a rollback leaves the group exactly as it was.

On a cluster without share groups (Kafka 3.9, or share.version 0) a stack that declares a request is refused with
one line at its first entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from kplan.kinds.base import Kind, PlanContext, Scrub, TraceDict
from kplan.kinds.share_group.live import LiveShareGroup, ShareGroupReads, share_group_of
from kplan.kinds.share_group.model import ShareGroupSpec
from kplan.kinds.share_group.shared import AGO, AT_TIME, OFFSETS, POSITIONS, Position, positions, query
from kplan.model.desired import freeze
from kplan.model.diagnostics import Severity
from kplan.model.live import LiveState, Problem
from kplan.model.plan import (
    Action,
    AttributeChange,
    AttrKind,
    NoteKind,
    PlanDiagnostic,
    PlannedPayload,
    Reason,
    ResourceChange,
    ResourceType,
    error,
    warning,
    with_planned,
)
from kplan.model.status import Difference, ResourceStatus, Status
from kplan.words import plural

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Origin, Stack

SHARE_GROUP = ResourceType.SHARE_GROUP
REQUEST = ("request",)
PROBLEMS = {Problem.UNSUPPORTED: "the cluster has no share groups (KIP-932: Kafka 4.1 or newer, with the "
                                 "share.version feature 1; 4.2 and newer enable it by default); remove share_groups, "
                                 "or upgrade the cluster"}


@dataclass(frozen=True)
class ShareGroupPlanned(PlannedPayload):
    """What apply does with one share group's request: its token; the start offsets to set (topic, partition,
    offset: exactly the plan's); the start offsets the plan saw (shown, not used: apply journals what it finds), and
    the token recorded before."""

    type: ClassVar[ResourceType] = SHARE_GROUP

    request: str
    offsets: tuple[Position, ...] = ()
    seen: tuple[Position, ...] = ()
    previous_request: str | None = None

    def to_json(self) -> dict[str, Any]:
        def items(ps: tuple[Position, ...]) -> list[dict[str, Any]]:
            return [{"topic": t, "partition": p, "offset": o} for t, p, o in ps]

        return {"request": self.request, OFFSETS: items(self.offsets), "seen": items(self.seen),
                "previous_request": self.previous_request}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> "ShareGroupPlanned":
        return cls(doc["request"], positions(doc.get(OFFSETS)), positions(doc.get("seen")),
                   doc.get("previous_request"))


def pending(stack: "Stack", live: LiveState) -> list[ShareGroupSpec]:
    """The declared requests whose token differs from the one recorded: the only groups the plan reads."""
    applied = live.of(SHARE_GROUP).records
    return sorted((g for g in stack.of("share_groups") if applied.get(g.name) != g.request), key=lambda g: g.name)


def follow_up(stack: "Stack", live: LiveState, reader: Any, destroy: bool) -> LiveState:
    """The live state with what the cluster has for every share group whose declared request is pending (not on
    destroy: a request is never applied by destroy), or the cluster's `unsupported` problem; a live-state file
    keeps what it says."""
    if destroy:
        return live
    specs = pending(stack, live)
    if not specs or not isinstance(reader, ShareGroupReads):
        return live
    answers, unsupported = reader.share_groups({g.name: query(g.reset) for g in specs})
    if unsupported is not None:
        return live.with_kind(SHARE_GROUP, problem=Problem.UNSUPPORTED, problem_detail=unsupported)
    groups = dict(live.of(SHARE_GROUP).resources)
    tokens = live.of(SHARE_GROUP).records
    for n, doc in answers.items():
        groups[n] = share_group_of(n, tokens.get(n), doc)
    return live.with_kind(SHARE_GROUP, resources=freeze(groups))


def label(t: str, p: int) -> str:
    return f"{t}/{p}"


def group_repr(name: str, request: str | None, live: LiveShareGroup | None,
               offsets: tuple[Position, ...] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"group": name, "request": request}
    if live is not None:
        out["state"] = live.state
        out["members"] = live.members
    out[OFFSETS] = None if offsets is None else [{"topic": t, "partition": p, "offset": o} for t, p, o in offsets]
    return out


def targets_of(spec: ShareGroupSpec, current: LiveShareGroup) -> tuple[Position, ...]:
    return spec.reset.positions if spec.reset.to == POSITIONS else current.targets


def describe_target(spec: ShareGroupSpec, current: LiveShareGroup) -> str:
    r = spec.reset
    if r.to == POSITIONS:
        return "to the declared positions"
    if r.to in (AT_TIME, AGO):
        when = f" ({_iso(current.at_ms)})" if current.at_ms is not None else ""
        return (f"to the first offset at or after {r.text}" if r.to == AT_TIME else
                f"to the first offset at or after {r.text} ago{when}")
    return f"to the {r.to} offset"


def _iso(ms: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def plan_share_group(spec: ShareGroupSpec, current: LiveShareGroup | None
                     ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
    address = f"{SHARE_GROUP.value}.{spec.name}"
    if current is None:  # the token is the one recorded: applied already
        shown = group_repr(spec.name, spec.request, None, None)
        return ResourceChange(address, SHARE_GROUP, spec.name, Action.NOOP, before=shown, after=shown,
                              unchanged_attributes=1, reason=Reason.SHARE_GROUP_APPLIED, origin=spec.origin), []
    token = AttributeChange(REQUEST, AttrKind.UPDATE if current.token else AttrKind.ADD, current.token, spec.request,
                            note=NoteKind.SHARE_GROUP_REQUEST)
    before = group_repr(spec.name, current.token, current, current.starts if current.exists else None)
    diags = _reset_problems(spec, current, address)
    have = {(t, p): o for t, p, o in current.starts}
    attrs, moves, unchanged = [token], [], 0
    for t, p, o in targets_of(spec, current):
        was = have.get((t, p))
        if was == o:
            unchanged += 1
            continue
        moves.append((t, p, o))
        attrs.append(AttributeChange((OFFSETS, label(t, p)), AttrKind.ADD if was is None else AttrKind.UPDATE, was,
                                     o, note=NoteKind.SHARE_GROUP_OFFSET_NEW if was is None
                                     else NoteKind.GROUP_OFFSET_MOVED))
    merged = dict(have)
    merged.update({(t, p): o for t, p, o in targets_of(spec, current)})
    after = group_repr(spec.name, spec.request, None, tuple((t, p, o) for (t, p), o in sorted(merged.items())))
    if not moves and not any(d.is_error for d in diags):
        shown = {**before, "request": spec.request}
        return ResourceChange(address, SHARE_GROUP, spec.name, Action.NOOP, before=shown, after=shown,
                              unchanged_attributes=unchanged, reason=Reason.GROUP_AT_TARGET, origin=spec.origin), diags
    change = ResourceChange(address, SHARE_GROUP, spec.name, Action.UPDATE if current.exists else Action.CREATE,
                            before=before if current.exists else None, after=after, attributes=tuple(attrs),
                            unchanged_attributes=unchanged, reason=Reason.SHARE_GROUP_REQUESTED, origin=spec.origin)
    change = with_planned(change, ShareGroupPlanned(spec.request, tuple(moves), current.starts, current.token))
    if moves:
        text = (f"apply moves {plural(len(moves), 'start offset')} of share group {spec.name!r} "
                f"{describe_target(spec, current)} (request {spec.request!r}), then reads them back; its consumers "
                "are delivered the records from there when they start")
        new = sorted({t for t, p, _ in moves if not any(x == t for x, _ in have)})
        if new:
            text += (f"; it had no start offsets on {', '.join(new)}: a rollback removes those it set there (the "
                     "group then starts there by its share.auto.offset.reset)")
        diags.append(PlanDiagnostic(Severity.INFO, text, "share-group-offsets-change", address=address,
                                    origin=spec.origin))
    return change, diags


def _reset_problems(spec: ShareGroupSpec, current: LiveShareGroup, address: str) -> list[PlanDiagnostic]:
    out = []
    if current.members > 0:
        out.append(warning(f"share group {spec.name!r} has {plural(current.members, 'live member')} (state "
                           f"{current.state}): apply refuses to move its start offsets while it has members, as Kafka "
                           "does; stop its consumers first", "share-group-has-members", address=address,
                           origin=spec.origin))
    r = spec.reset
    if current.missing_topics:
        where = f"{OFFSETS}.reset" if r.to == POSITIONS else f"{OFFSETS}.topics"
        out.append(error(f"share group {spec.name!r}: {where} names {', '.join(current.missing_topics)}, which the "
                         f"cluster does not have; create the topic first or remove it from {where}",
                         "share-group-unknown-topic", address=address, origin=spec.origin))
    counts = dict(current.partitions)
    beyond = [f"{t}/{p}" for t, p, _ in (r.positions if r.to == POSITIONS else ()) if t in counts and p >= counts[t]]
    if beyond:
        out.append(error(f"share group {spec.name!r}: {OFFSETS}.reset names partition(s) {', '.join(beyond)}, which "
                         "the topic does not have", "share-group-unknown-partition", address=address,
                         origin=spec.origin))
    elif r.to != POSITIONS and not r.topics and not current.starts:
        out.append(error(f"share group {spec.name!r} has no start offsets, so a reset without topics moves nothing: "
                         f"name the topics to reset ({OFFSETS}.topics)", "share-group-no-offsets", address=address,
                         origin=spec.origin))
    return out


class ShareGroupKind(Kind[ShareGroupSpec, LiveShareGroup, ResourceStatus]):
    type = SHARE_GROUP
    planned_type = ShareGroupPlanned
    title = "Share groups"
    section = "share_groups"

    def readable(self, declared: Mapping[str, ShareGroupSpec], live: LiveState,
                 allowed: frozenset[str] = frozenset()) -> tuple[dict[str, ShareGroupSpec], list[PlanDiagnostic]]:
        """None of the declared requests when the cluster has no share groups: one error at the first entry."""
        state = live.of(SHARE_GROUP)
        if state.problem is None or not declared:
            return dict(declared), []
        # the reader's own words when it gave them (which of Kafka's version and share.version it lacks)
        problems = PROBLEMS if state.problem_detail is None else {
            Problem.UNSUPPORTED: f"{state.problem_detail}; remove share_groups, or make the cluster take them"}
        return {}, self.unreadable(live, [declared[n] for n in sorted(declared)], "share group requests", problems)

    def owned(self, live: LiveState) -> frozenset[str]:
        return frozenset()  # a request is never undone by removing it from the stack: nothing is deleted for it

    def protected(self, live: LiveState) -> frozenset[str]:
        return frozenset()

    def plan(self, spec: ShareGroupSpec, current: LiveShareGroup | None, ctx: PlanContext
             ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        return plan_share_group(spec, current)

    def delete(self, current: LiveShareGroup, spec: ShareGroupSpec | None, reason: Reason,
               origin: Origin | None = None) -> ResourceChange:
        raise ValueError("share group requests are never deleted")  # owned() is empty: never asked

    def live_repr(self, current: LiveShareGroup, spec: ShareGroupSpec | None = None) -> dict[str, Any]:
        return group_repr(current.name, current.token, current, current.starts)

    def canonical(self, current: LiveShareGroup, secret: frozenset[str]) -> dict[str, Any]:
        # not the start offsets: a consuming group moves them all the time, so a saved plan would always be stale;
        # the recorded token (another apply applied the request meanwhile) and whether the group exists are
        return {"type": SHARE_GROUP.value, "name": current.name, "token": current.token, "exists": current.exists}

    def status(self, spec: ShareGroupSpec, current: LiveShareGroup | None, change: ResourceChange | None,
               scrub: Scrub) -> ResourceStatus:
        if change is None or not change.is_change:
            return ResourceStatus(SHARE_GROUP, spec.name, Status.IN_SYNC, True, origin=spec.origin)
        token = current.token if current is not None else None
        return ResourceStatus(SHARE_GROUP, spec.name, Status.DRIFTED, True, origin=spec.origin,
                              differences=(Difference(REQUEST, AttrKind.UPDATE, token, spec.request,
                                                      note=OFFSETS),))

    def status_undeclared(self, current: LiveShareGroup, change: ResourceChange, scrub: Scrub) -> ResourceStatus:
        return ResourceStatus(SHARE_GROUP, current.name, Status.NOT_DECLARED, True)

    def status_detail(self, r: ResourceStatus) -> str:
        d = r.differences[0] if r.differences else None
        if d is None:
            return "declared request applied"
        return f"request {d.declared!r} not applied yet" + (f" (last applied: {d.live!r})" if d.live else "")

    def difference_text(self, r: ResourceStatus, d: Difference) -> str:
        last = repr(d.live) if d.live else "(none applied)"
        return f"~ request {last} -> {d.declared!r}: the next apply moves the share group's start offsets"

    def status_fields(self, r: ResourceStatus, trace_dict: TraceDict) -> dict[str, Any]:
        d = r.differences[0] if r.differences else None
        return {"applied": d is None, "request": d.declared if d else None, "last_applied": d.live if d else None}


KIND = ShareGroupKind()
