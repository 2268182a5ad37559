"""The consumer-group kind: a group's declared request (`consumer_group.<group id>`), planned once per token.

A group's committed offsets move all the time while it consumes, so they are not compared with anything: like a
connector's offsets request (kinds/offsets), a request is a one-time action versioned by its token. The ownership
record keeps the token kplan last applied per group; a declared token that differs (or none recorded) is one change.
Only for those groups the plan reads the group (state, members, committed offsets) and resolves a named reset to
exact positions (kplan.cluster.groups): the plan shows the current and the new offset of every partition, and
apply sets exactly the planned ones. Apply refuses while the group has members (Kafka would too), journals the
offsets it finds, and undo puts them back; a delete request deletes the group (irreversible).

What it shares with a share group's request is written once: the token-versioned request kind (kplan.kinds.requests)
and the reset's forms, planning and handler (kplan.kinds.resets); here are its words, its delete and its failover.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from kplan.kinds.base import PlanContext
from kplan.kinds.codec import JsonKey
from kplan.kinds.consumer_group.live import GroupReads, LiveGroup, group_of
from kplan.kinds.consumer_group.model import MIRRORED, GroupSpec
from kplan.kinds.requests import RequestKind, pending
from kplan.kinds.resets.model import OFFSETS, POSITION_LIST, Position
from kplan.kinds.resets.model import query as reset_query
from kplan.kinds.resets.plan import (
    Terms,
    applied,
    found_problems,
    group_repr,
    label,
    members_warning,
    plan_moves,
    position_problems,
    targets_of,
)
from kplan.kinds.resets.plan import describe_target as describe_reset
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
    with_planned,
)
from kplan.model.status import Difference
from kplan.words import plural

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.resets.model import GroupQuery
    from kplan.model.desired import Stack

GROUP = ResourceType.CONSUMER_GROUP
TERMS = Terms(GROUP, "consumer group", "group", "committed offsets", OFFSETS, NoteKind.GROUP_REQUEST,
              NoteKind.GROUP_OFFSET_NEW, Reason.GROUP_APPLIED, Reason.GROUP_REQUESTED)


@dataclass(frozen=True)
class GroupPlanned(PlannedPayload):
    """What apply does with one group's request: its token; delete the group, or set these offsets (topic,
    partition, offset: every target the plan resolved, those the group is at already too); the offsets the plan saw
    (shown, not used: apply journals what it finds), and the token recorded before."""

    type: ClassVar[ResourceType] = GROUP
    json_keys: ClassVar[Mapping[str, JsonKey]] = {OFFSETS: POSITION_LIST, "seen": POSITION_LIST}

    request: str
    delete: bool
    offsets: tuple[Position, ...] = ()
    seen: tuple[Position, ...] = ()
    previous_request: str | None = None


def query(spec: GroupSpec) -> "GroupQuery":
    """What the follow-up read resolves for one pending request."""
    return reset_query(spec.reset)


def follow_up(stack: "Stack", live: LiveState, reader: Any, destroy: bool) -> LiveState:
    """The live state with what the cluster has for every group whose declared request is pending (not on destroy:
    a request is never applied by destroy); a live-state file keeps what it says."""
    if destroy:
        return live
    specs = pending(stack.of("consumer_groups"), live.of(GROUP).records)
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


def describe_target(spec: GroupSpec, current: LiveGroup) -> str:
    r = spec.reset
    assert r is not None
    if r.to == MIRRORED:
        return f"to the offsets mirror {r.mirror!r} translated"
    return describe_reset(r, current)


def plan_group(spec: GroupSpec, current: LiveGroup | None) -> tuple[ResourceChange, list[PlanDiagnostic]]:
    address = f"{GROUP.value}.{spec.name}"
    if current is None:  # the token is the one recorded: applied already
        return applied(TERMS, spec), []
    if spec.delete:
        return _plan_delete(spec, current, address)
    diags = _reset_problems(spec, current, address)
    change, moves = plan_moves(TERMS, spec, current, current.committed, diags)
    if not change.is_change:
        return change, diags
    # every target, those at it already too (setting a committed offset again changes nothing): a saved plan's
    # payload is applied as reviewed, when the group may have moved since (kplan.kinds.requests)
    change = with_planned(change, GroupPlanned(spec.request, False, targets_of(spec.reset, current), current.committed,
                                               current.token))
    if moves:
        have = {(t, p) for t, p, _ in current.committed}
        new = [m for m in moves if (m[0], m[1]) not in have]
        text = (f"apply moves {plural(len(moves), 'partition offset')} of consumer group {spec.name!r} "
                f"{describe_target(spec, current)} (request {spec.request!r}), then reads them back; its consumers "
                "read from there when they start")
        if new:
            text += (f"; {plural(len(new), 'partition')} had no committed offset: a rollback cannot remove the "
                     "offsets set there (it puts back only the offsets the group had)")
        diags.append(PlanDiagnostic(Severity.INFO, text, "group-offsets-change", address=address, origin=spec.origin))
    return change, diags


def _plan_delete(spec: GroupSpec, current: LiveGroup, address: str) -> tuple[ResourceChange, list[PlanDiagnostic]]:
    before = group_repr(spec.name, current.token, current, current.committed if current.exists else None)
    if not current.exists:
        shown = {**before, "request": spec.request}
        return ResourceChange(address, GROUP, spec.name, Action.NOOP, before=shown, after=shown,
                              reason=Reason.GROUP_ABSENT, origin=spec.origin), []
    attrs = [AttributeChange((OFFSETS, label(t, p)), AttrKind.REMOVE, o, None, note=NoteKind.GROUP_OFFSET_DELETED)
             for t, p, o in current.committed]
    change = ResourceChange(address, GROUP, spec.name, Action.DELETE, before=before, after=None,
                            attributes=tuple(attrs), flags=frozenset({Flag.IRREVERSIBLE}),
                            reason=Reason.GROUP_REQUESTED, origin=spec.origin)
    change = with_planned(change, GroupPlanned(spec.request, True, (), current.committed, current.token))
    diags = members_warning(TERMS, spec, current, address, "delete it")
    diags.append(PlanDiagnostic(
        Severity.INFO, f"apply deletes consumer group {spec.name!r} and its committed offsets on "
        f"{plural(len({t for t, _, _ in current.committed}), 'topic')} (request {spec.request!r}); this cannot be "
        "undone: a consumer of that group then starts from its auto.offset.reset", "group-delete",
        address=address, origin=spec.origin))
    return change, diags


def _reset_problems(spec: GroupSpec, current: LiveGroup, address: str) -> list[PlanDiagnostic]:
    r = spec.reset
    assert r is not None
    out = found_problems(TERMS, spec, r, current, address)
    if r.to == MIRRORED:
        if current.unresolved is not None:
            out.append(error(f"consumer group {spec.name!r}: {current.unresolved}", "group-failover-unresolved",
                             address=address, origin=spec.origin))
        return out
    return out + position_problems(TERMS, spec, r, current, current.committed, address)


class GroupKind(RequestKind[GroupSpec, LiveGroup]):
    type = GROUP
    planned_type = GroupPlanned
    title = "Consumer groups"
    section = "consumer_groups"
    flag_notes = {Flag.IRREVERSIBLE: "IRREVERSIBLE: a deleted group's committed offsets cannot be put back"}
    never_deleted = "consumer group requests"

    def checks(self, stack: "Stack", changes: Mapping[str, ResourceChange],
               all_changes: Mapping[str, ResourceChange], live: LiveState) -> list[PlanDiagnostic]:
        """A failover request's drill (kplan.kinds.consumer_group.failover)."""
        from kplan.kinds.consumer_group.failover import drill_notes

        return drill_notes(stack, all_changes, live)

    def plan(self, spec: GroupSpec, current: LiveGroup | None, ctx: PlanContext
             ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        return plan_group(spec, current)

    def live_repr(self, current: LiveGroup, spec: GroupSpec | None = None) -> dict[str, Any]:
        return group_repr(current.name, current.token, current, current.committed)

    def request_note(self, spec: GroupSpec) -> str:
        return spec.what

    def next_apply(self, d: Difference) -> str:
        return "deletes the group" if d.note == "delete" else "moves the group's offsets"


KIND = GroupKind()
