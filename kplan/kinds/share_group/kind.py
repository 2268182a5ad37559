"""The share-group kind: a share group's declared request (`share_group.<group id>`), planned once per token.

A share group's start offsets move all the time while it consumes, so they are not compared with anything: as a
consumer group's request, a request is a one-time action versioned by its token. The
ownership record keeps the token kplan last applied per group; a declared token that differs (or none recorded) is
one change. Only for those groups the plan reads the group (state, members, start offsets: kplan.cluster.
share_groups) and resolves a named reset to exact positions: the plan shows the current and the new start offset of
every partition, and apply sets exactly the planned ones — every one the request targets, also one Kafka shows at
its target already (`TERMS.again`): setting a start offset drops what the group acknowledged after it, which the
start offset Kafka shows may not have passed yet, so a new token with the same reset delivers those records again.
Apply refuses while the group has members (Kafka would too: NON_EMPTY_GROUP), journals the start offsets it finds,
and undo puts them back — and removes the start offsets of the topics the group had none on — as Kafka showed them
(what was acknowledged after them is delivered again). The request kind and the reset are a consumer group's too
(kplan.kinds.requests, kplan.kinds.resets); here are its words and its refusal.

On a cluster without share groups (Kafka 3.9, or share.version 0) a stack that declares a request is refused with
one line at its first entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from kplan.kinds.base import PlanContext
from kplan.kinds.codec import JsonKey
from kplan.kinds.requests import RequestKind, pending
from kplan.kinds.resets.model import OFFSETS, POSITION_LIST, Position, query
from kplan.kinds.resets.plan import (
    Terms,
    applied,
    describe_target,
    found_problems,
    group_repr,
    plan_moves,
    position_problems,
)
from kplan.kinds.share_group.live import LiveShareGroup, ShareGroupReads, share_group_of
from kplan.kinds.share_group.model import ShareGroupSpec
from kplan.model.desired import freeze
from kplan.model.diagnostics import Severity
from kplan.model.live import LiveState, Problem
from kplan.model.plan import (
    NoteKind,
    PlanDiagnostic,
    PlannedPayload,
    Reason,
    ResourceChange,
    ResourceType,
    with_planned,
)
from kplan.model.status import Difference
from kplan.words import plural

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Stack

SHARE_GROUP = ResourceType.SHARE_GROUP
TERMS = Terms(SHARE_GROUP, "share group", "share-group", "start offsets", "start offsets",
              NoteKind.SHARE_GROUP_REQUEST, NoteKind.SHARE_GROUP_OFFSET_NEW, Reason.SHARE_GROUP_APPLIED,
              Reason.SHARE_GROUP_REQUESTED, again=NoteKind.SHARE_GROUP_OFFSET_AGAIN)
PROBLEMS = {Problem.UNSUPPORTED: "the cluster has no share groups (KIP-932: Kafka 4.1 or newer, with the "
                                 "share.version feature 1; 4.2 and newer enable it by default); remove share_groups, "
                                 "or upgrade the cluster"}


@dataclass(frozen=True)
class ShareGroupPlanned(PlannedPayload):
    """What apply does with one share group's request: its token; the start offsets to set (topic, partition,
    offset: exactly the plan's); the start offsets the plan saw (shown, not used: apply journals what it finds), and
    the token recorded before."""

    type: ClassVar[ResourceType] = SHARE_GROUP
    json_keys: ClassVar[Mapping[str, JsonKey]] = {OFFSETS: POSITION_LIST, "seen": POSITION_LIST}

    request: str
    offsets: tuple[Position, ...] = ()
    seen: tuple[Position, ...] = ()
    previous_request: str | None = None


def follow_up(stack: "Stack", live: LiveState, reader: Any, destroy: bool) -> LiveState:
    """The live state with what the cluster has for every share group whose declared request is pending (not on
    destroy: a request is never applied by destroy), or the cluster's `unsupported` problem; a live-state file
    keeps what it says."""
    if destroy:
        return live
    specs = pending(stack.of("share_groups"), live.of(SHARE_GROUP).records)
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


def plan_share_group(spec: ShareGroupSpec, current: LiveShareGroup | None
                     ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
    address = f"{SHARE_GROUP.value}.{spec.name}"
    if current is None:  # the token is the one recorded: applied already
        return applied(TERMS, spec), []
    diags = found_problems(TERMS, spec, spec.reset, current, address)
    diags += position_problems(TERMS, spec, spec.reset, current, current.starts, address)
    change, moves = plan_moves(TERMS, spec, current, current.starts, diags)
    if not change.is_change:
        return change, diags
    change = with_planned(change, ShareGroupPlanned(spec.request, moves, current.starts, current.token))
    if moves:
        text = (f"apply sets {plural(len(moves), 'start offset')} of share group {spec.name!r} "
                f"{describe_target(spec.reset, current)} (request {spec.request!r}), then reads them back; its "
                "consumers are delivered the records from there when they start")
        had = {t for t, _, _ in current.starts}
        new = sorted({t for t, _, _ in moves if t not in had})
        if new:
            text += (f"; it had no start offsets on {', '.join(new)}: a rollback removes those it set there (the "
                     "group then starts there by its share.auto.offset.reset)")
        diags.append(PlanDiagnostic(Severity.INFO, text, "share-group-offsets-change", address=address,
                                    origin=spec.origin))
    return change, diags


class ShareGroupKind(RequestKind[ShareGroupSpec, LiveShareGroup]):
    type = SHARE_GROUP
    planned_type = ShareGroupPlanned
    title = "Share groups"
    section = "share_groups"
    never_deleted = "share group requests"

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

    def plan(self, spec: ShareGroupSpec, current: LiveShareGroup | None, ctx: PlanContext
             ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        return plan_share_group(spec, current)

    def live_repr(self, current: LiveShareGroup, spec: ShareGroupSpec | None = None) -> dict[str, Any]:
        return group_repr(current.name, current.token, current, current.starts)

    def request_note(self, spec: ShareGroupSpec) -> str:
        return OFFSETS

    def next_apply(self, d: Difference) -> str:
        return "moves the share group's start offsets"


KIND = ShareGroupKind()
