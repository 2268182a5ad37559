"""The consumer-group kind: a group's declared request (`consumer_group.<group id>`), planned once per token.

A group's committed offsets move all the time while it consumes, so they are not compared with anything: like a
connector's offsets request (kinds/offsets), a request is a one-time action versioned by its token. The ownership
record keeps the token kplan last applied per group; a declared token that differs (or none recorded) is one change.
Only for those groups the plan reads the group (state, members, committed offsets) and resolves a named reset to
exact positions (kplan.cluster.groups): the plan shows the current and the new offset of every partition, and
apply sets exactly the planned ones. Apply refuses while the group has members (Kafka would too), journals the
offsets it finds, and undo puts them back; a delete request deletes the group (irreversible).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from kplan.kinds.base import Kind, PlanContext, Scrub, TraceDict
from kplan.kinds.consumer_group.live import GroupQuery, GroupReads, LiveGroup, group_of, positions
from kplan.kinds.consumer_group.model import AGO, AT_TIME, MIRRORED, POSITIONS, GroupSpec, Position
from kplan.model.desired import freeze
from kplan.model.diagnostics import Severity
from kplan.model.live import LiveState
from kplan.model.plan import (
    Action,
    AttributeChange,
    AttrKind,
    Flag,
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

GROUP = ResourceType.CONSUMER_GROUP
REQUEST = ("request",)


@dataclass(frozen=True)
class GroupPlanned(PlannedPayload):
    """What apply does with one group's request: its token; delete the group, or set these offsets (topic,
    partition, offset: exactly the plan's); the offsets the plan saw (shown, not used: apply journals what it
    finds), and the token recorded before."""

    type: ClassVar[ResourceType] = GROUP

    request: str
    delete: bool
    offsets: tuple[Position, ...] = ()
    seen: tuple[Position, ...] = ()
    previous_request: str | None = None

    def to_json(self) -> dict[str, Any]:
        def items(ps: tuple[Position, ...]) -> list[dict[str, Any]]:
            return [{"topic": t, "partition": p, "offset": o} for t, p, o in ps]

        return {"request": self.request, "delete": self.delete, "offsets": items(self.offsets),
                "seen": items(self.seen), "previous_request": self.previous_request}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> "GroupPlanned":
        return cls(doc["request"], bool(doc["delete"]), positions(doc.get("offsets")), positions(doc.get("seen")),
                   doc.get("previous_request"))


def pending(stack: "Stack", live: LiveState) -> list[GroupSpec]:
    """The declared requests whose token differs from the one recorded: the only groups the plan reads."""
    applied = live.of(GROUP).records
    return sorted((g for g in stack.of("consumer_groups") if applied.get(g.name) != g.request), key=lambda g: g.name)


def query(spec: GroupSpec) -> GroupQuery:
    """What the follow-up read resolves for one pending request."""
    r = spec.reset
    if r is None:
        return {"topics": None, "to": None, "ms": None}
    if r.to == POSITIONS:  # nothing to resolve: the read checks the topics and partitions exist
        return {"topics": sorted({t for t, _, _ in r.positions}), "to": None, "ms": None}
    ms = r.timestamp_ms if r.to == AT_TIME else r.ago_ms if r.to == AGO else None
    return {"topics": list(r.topics) or None, "to": r.to, "ms": ms}


def follow_up(stack: "Stack", live: LiveState, reader: Any, destroy: bool) -> LiveState:
    """The live state with what the cluster has for every group whose declared request is pending (not on destroy:
    a request is never applied by destroy); a live-state file keeps what it says."""
    if destroy:
        return live
    specs = pending(stack, live)
    if not specs or not isinstance(reader, GroupReads):
        return live
    from kplan.kinds.consumer_group.failover import failover_query, translated

    failovers = {g.name: translated(g, stack, live) for g in specs if g.reset is not None and g.reset.to == MIRRORED}
    answers = reader.consumer_groups({g.name: failover_query(failovers[g.name][0]) if g.name in failovers
                                      else query(g) for g in specs})
    groups = dict(live.of(GROUP).resources)
    tokens = live.of(GROUP).records
    for n, doc in answers.items():  # a failover's targets: the mirror's translated offsets (or why there are none)
        if n in failovers:
            doc = {**doc, "targets": [list(x) for x in failovers[n][0]], "unresolved": failovers[n][1]}
        groups[n] = group_of(n, tokens.get(n), doc)
    return live.with_kind(GROUP, resources=freeze(groups))


def label(t: str, p: int) -> str:
    return f"{t}/{p}"


def group_repr(name: str, request: str | None, live: LiveGroup | None,
               offsets: tuple[Position, ...] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"group": name, "request": request}
    if live is not None:
        out["state"] = live.state
        out["members"] = live.members
    out["offsets"] = None if offsets is None else [{"topic": t, "partition": p, "offset": o} for t, p, o in offsets]
    return out


def targets_of(spec: GroupSpec, current: LiveGroup) -> tuple[Position, ...]:
    r = spec.reset
    if r is None:
        return ()
    return r.positions if r.to == POSITIONS else current.targets


def describe_target(spec: GroupSpec, current: LiveGroup) -> str:
    r = spec.reset
    assert r is not None
    if r.to == POSITIONS:
        return "to the declared positions"
    if r.to == MIRRORED:
        return f"to the offsets mirror {r.mirror!r} translated"
    if r.to in (AT_TIME, AGO):
        when = f" ({_iso(current.at_ms)})" if current.at_ms is not None else ""
        return (f"to the first offset at or after {r.text}" if r.to == AT_TIME else
                f"to the first offset at or after {r.text} ago{when}")
    return f"to the {r.to} offset"


def _iso(ms: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def plan_group(spec: GroupSpec, current: LiveGroup | None) -> tuple[ResourceChange, list[PlanDiagnostic]]:
    address = f"{GROUP.value}.{spec.name}"
    if current is None:  # the token is the one recorded: applied already
        shown = group_repr(spec.name, spec.request, None, None)
        return ResourceChange(address, GROUP, spec.name, Action.NOOP, before=shown, after=shown,
                              unchanged_attributes=1, reason=Reason.GROUP_APPLIED, origin=spec.origin), []
    token = AttributeChange(REQUEST, AttrKind.UPDATE if current.token else AttrKind.ADD, current.token, spec.request,
                            note=NoteKind.GROUP_REQUEST)
    before = group_repr(spec.name, current.token, current, current.committed if current.exists else None)
    if spec.delete:
        return _plan_delete(spec, current, before, address)
    diags = _reset_problems(spec, current, address)
    have = {(t, p): o for t, p, o in current.committed}
    targets = targets_of(spec, current)
    attrs, moves, unchanged = [token], [], 0
    for t, p, o in targets:
        was = have.get((t, p))
        if was == o:
            unchanged += 1
            continue
        moves.append((t, p, o))
        attrs.append(AttributeChange(("offsets", label(t, p)), AttrKind.ADD if was is None else AttrKind.UPDATE, was,
                                     o, note=NoteKind.GROUP_OFFSET_NEW if was is None else NoteKind.GROUP_OFFSET_MOVED))
    merged = dict(have)
    merged.update({(t, p): o for t, p, o in targets})
    after = group_repr(spec.name, spec.request, None, tuple((t, p, o) for (t, p), o in sorted(merged.items())))
    if not moves and not any(d.is_error for d in diags):
        shown = {**before, "request": spec.request}
        return ResourceChange(address, GROUP, spec.name, Action.NOOP, before=shown, after=shown,
                              unchanged_attributes=unchanged, reason=Reason.GROUP_AT_TARGET, origin=spec.origin), diags
    change = ResourceChange(address, GROUP, spec.name, Action.UPDATE if current.exists else Action.CREATE,
                            before=before if current.exists else None, after=after, attributes=tuple(attrs),
                            unchanged_attributes=unchanged, reason=Reason.GROUP_REQUESTED, origin=spec.origin)
    change = with_planned(change, GroupPlanned(spec.request, False, tuple(moves), current.committed, current.token))
    if moves:
        new = [m for m in moves if (m[0], m[1]) not in have]
        text = (f"apply moves {plural(len(moves), 'partition offset')} of consumer group {spec.name!r} "
                f"{describe_target(spec, current)} (request {spec.request!r}), then reads them back; its consumers "
                "read from there when they start")
        if new:
            text += (f"; {plural(len(new), 'partition')} had no committed offset: a rollback cannot remove the "
                     "offsets set there (it puts back only the offsets the group had)")
        diags.append(PlanDiagnostic(Severity.INFO, text, "group-offsets-change", address=address, origin=spec.origin))
    return change, diags


def _plan_delete(spec: GroupSpec, current: LiveGroup, before: dict[str, Any],
                 address: str) -> tuple[ResourceChange, list[PlanDiagnostic]]:
    if not current.exists:
        shown = {**before, "request": spec.request}
        return ResourceChange(address, GROUP, spec.name, Action.NOOP, before=shown, after=shown,
                              reason=Reason.GROUP_ABSENT, origin=spec.origin), []
    attrs = [AttributeChange(("offsets", label(t, p)), AttrKind.REMOVE, o, None, note=NoteKind.GROUP_OFFSET_DELETED)
             for t, p, o in current.committed]
    change = ResourceChange(address, GROUP, spec.name, Action.DELETE, before=before, after=None,
                            attributes=tuple(attrs), flags=frozenset({Flag.IRREVERSIBLE}),
                            reason=Reason.GROUP_REQUESTED, origin=spec.origin)
    change = with_planned(change, GroupPlanned(spec.request, True, (), current.committed, current.token))
    diags = _members(spec, current, address, "delete it")
    diags.append(PlanDiagnostic(
        Severity.INFO, f"apply deletes consumer group {spec.name!r} and its committed offsets on "
        f"{plural(len({t for t, _, _ in current.committed}), 'topic')} (request {spec.request!r}); this cannot be "
        "undone: a consumer of that group then starts from its auto.offset.reset", "group-delete",
        address=address, origin=spec.origin))
    return change, diags


def _members(spec: GroupSpec, current: LiveGroup, address: str, verb: str) -> list[PlanDiagnostic]:
    if current.members <= 0:
        return []
    return [warning(f"consumer group {spec.name!r} has {plural(current.members, 'live member')} (state "
                    f"{current.state}): apply refuses to {verb} while it has members, as Kafka does; stop its "
                    "consumers first", "group-has-members", address=address, origin=spec.origin)]


def _reset_problems(spec: GroupSpec, current: LiveGroup, address: str) -> list[PlanDiagnostic]:
    out = _members(spec, current, address, "move its offsets")
    r = spec.reset
    assert r is not None
    if current.missing_topics:
        where = "offsets.reset" if r.to == POSITIONS else "offsets.topics"
        out.append(error(f"consumer group {spec.name!r}: {where} names {', '.join(current.missing_topics)}, "
                         f"which the cluster does not have; create the topic first or remove it from {where}",
                         "group-unknown-topic", address=address, origin=spec.origin))
    if r.to == MIRRORED:
        if current.unresolved is not None:
            out.append(error(f"consumer group {spec.name!r}: {current.unresolved}", "group-failover-unresolved",
                             address=address, origin=spec.origin))
        return out
    counts = dict(current.partitions)
    beyond = [f"{t}/{p}" for t, p, _ in (r.positions if r.to == POSITIONS else ()) if t in counts and p >= counts[t]]
    if beyond:
        out.append(error(f"consumer group {spec.name!r}: offsets.reset names partition(s) {', '.join(beyond)}, which "
                         "the topic does not have", "group-unknown-partition", address=address, origin=spec.origin))
    elif r.to != POSITIONS and not r.topics and not current.committed:
        out.append(error(f"consumer group {spec.name!r} has no committed offsets, so a reset without topics moves "
                         "nothing: name the topics to reset (offsets.topics)", "group-no-offsets", address=address,
                         origin=spec.origin))
    return out


class GroupKind(Kind[GroupSpec, LiveGroup, ResourceStatus]):
    type = GROUP
    planned_type = GroupPlanned
    title = "Consumer groups"
    section = "consumer_groups"
    flag_notes = {Flag.IRREVERSIBLE: "IRREVERSIBLE: a deleted group's committed offsets cannot be put back"}

    def checks(self, stack: "Stack", changes: Mapping[str, ResourceChange],
               all_changes: Mapping[str, ResourceChange], live: LiveState) -> list[PlanDiagnostic]:
        """A failover request's drill (kplan.kinds.consumer_group.failover)."""
        from kplan.kinds.consumer_group.failover import drill_notes

        return drill_notes(stack, all_changes, live)

    def owned(self, live: LiveState) -> frozenset[str]:
        return frozenset()  # a request is never undone by removing it from the stack: nothing is deleted for it

    def protected(self, live: LiveState) -> frozenset[str]:
        return frozenset()

    def plan(self, spec: GroupSpec, current: LiveGroup | None, ctx: PlanContext
             ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        return plan_group(spec, current)

    def delete(self, current: LiveGroup, spec: GroupSpec | None, reason: Reason,
               origin: Origin | None = None) -> ResourceChange:
        raise ValueError("consumer group requests are never deleted")  # owned() is empty: never asked

    def live_repr(self, current: LiveGroup, spec: GroupSpec | None = None) -> dict[str, Any]:
        return group_repr(current.name, current.token, current, current.committed)

    def canonical(self, current: LiveGroup, secret: frozenset[str]) -> dict[str, Any]:
        # not the offsets: a consuming group moves them all the time, so a saved plan would always be stale; the
        # recorded token (another apply applied the request meanwhile) and whether the group exists are
        return {"type": GROUP.value, "name": current.name, "token": current.token, "exists": current.exists}

    def status(self, spec: GroupSpec, current: LiveGroup | None, change: ResourceChange | None,
               scrub: Scrub) -> ResourceStatus:
        if change is None or not change.is_change:
            return ResourceStatus(GROUP, spec.name, Status.IN_SYNC, True, origin=spec.origin)
        token = current.token if current is not None else None
        return ResourceStatus(GROUP, spec.name, Status.DRIFTED, True, origin=spec.origin,
                              differences=(Difference(REQUEST, AttrKind.UPDATE, token, spec.request,
                                                      note=spec.what),))

    def status_undeclared(self, current: LiveGroup, change: ResourceChange, scrub: Scrub) -> ResourceStatus:
        return ResourceStatus(GROUP, current.name, Status.NOT_DECLARED, True)

    def status_detail(self, r: ResourceStatus) -> str:
        d = r.differences[0] if r.differences else None
        if d is None:
            return "declared request applied"
        return f"request {d.declared!r} not applied yet" + (f" (last applied: {d.live!r})" if d.live else "")

    def difference_text(self, r: ResourceStatus, d: Difference) -> str:
        what = "deletes the group" if d.note == "delete" else "moves the group's offsets"
        last = repr(d.live) if d.live else "(none applied)"
        return f"~ request {last} -> {d.declared!r}: the next apply {what}"

    def status_fields(self, r: ResourceStatus, trace_dict: TraceDict) -> dict[str, Any]:
        d = r.differences[0] if r.differences else None
        return {"applied": d is None, "request": d.declared if d else None, "last_applied": d.live if d else None}


KIND = GroupKind()
