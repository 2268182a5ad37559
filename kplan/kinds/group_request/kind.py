"""The group-request kinds, planned once per token: a consumer group's request (`consumer_group.<group id>`: move
its committed offsets, or delete the group) and a share group's (`share_group.<group id>`, KIP-932: move its start
offsets), one class (`GroupRequestKind`) in each kind's words (`model.Terms`), with what only one has as small
overrides (`ConsumerGroupKind`: its delete and failover; `ShareGroupKind`: its refusal on a cluster without share
groups).

A group's positions move all the time while it consumes, so they are not compared with anything: like a connector's
offsets request (kinds/offsets), a request is a one-time action versioned by its token (kplan.kinds.requests). The
ownership record keeps the token kplan last applied per group (`record_after`, `record_of`); a declared token that
differs (or none recorded) is one change. Only for those groups the plan reads the group (state, members,
positions: io.py) and resolves a named reset to exact positions: the plan shows the
current and the new position of every partition, and apply sets exactly the planned ones — every target, also one
at its target already: setting a committed offset again changes nothing, and a share group's start offset is set
again (`Terms.again`: it drops what the group acknowledged after it, which the start offset Kafka shows may not have
passed yet, so a new token with the same reset delivers those records again); a saved plan's are applied as
reviewed, when the group may have moved since. Apply refuses while the group has members (Kafka would too), journals
the positions it finds, and undo puts them back (a share group's: removing those of the topics it had none on); a
delete request deletes the group (irreversible). On a cluster without share groups (Kafka 3.9, or share.version 0)
a stack that declares a share-group request is refused with one line at its first entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from kplan.kinds.base import PlanContext
from kplan.kinds.codec import UNSET_OMITTED, JsonKey
from kplan.kinds.group_request import model
from kplan.kinds.group_request.live import CONSUMER_PART, SHARE_PART, GroupReads, LiveGroup, group_of
from kplan.kinds.group_request.model import (
    AGO,
    AT_TIME,
    MIRRORED,
    OFFSETS,
    POSITION_LIST,
    POSITIONS,
    GroupReset,
    GroupSpec,
    Position,
    Terms,
    query,
)
from kplan.kinds.requests import REQUEST, RequestKind, pending, token_state
from kplan.model.desired import freeze
from kplan.model.diagnostics import Severity
from kplan.model.live import LiveState, Problem
from kplan.model.ownership import Entry, Ownership
from kplan.model.plan import (
    Action,
    AttributeChange,
    AttrKind,
    Flag,
    NoteKind,
    Plan,
    PlanDiagnostic,
    PlannedPayload,
    Reason,
    ResourceChange,
    ResourceType,
    error,
    warning,
    with_planned,
)
from kplan.model.status import Difference
from kplan.rules.units import utc_text
from kplan.words import plural

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Stack

Answers = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class GroupPlanned(PlannedPayload):
    """What apply does with one consumer group's request: its token; delete the group, or set these offsets (topic,
    partition, offset: every target the plan resolved, those the group is at already too); the offsets the plan saw
    (shown, not used: apply journals what it finds), and the token recorded before."""

    type: ClassVar[ResourceType] = ResourceType.CONSUMER_GROUP
    json_keys: ClassVar[Mapping[str, JsonKey]] = {OFFSETS: POSITION_LIST, "seen": POSITION_LIST}

    request: str
    delete: bool = False
    offsets: tuple[Position, ...] = ()
    seen: tuple[Position, ...] = ()
    previous_request: str | None = None


@dataclass(frozen=True)
class ShareGroupPlanned(GroupPlanned):
    """What apply does with one share group's request, as a consumer group's: its start offsets to set (exactly the
    plan's), never a delete (not in its JSON)."""

    type: ClassVar[ResourceType] = ResourceType.SHARE_GROUP
    json_keys: ClassVar[Mapping[str, JsonKey]] = {**GroupPlanned.json_keys, "delete": UNSET_OMITTED}


def group_repr(name: str, request: str | None, live: LiveGroup | None,
               offsets: tuple[Position, ...] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"group": name, "request": request}
    if live is not None:
        out["state"] = live.state
        out["members"] = live.members
    out[OFFSETS] = None if offsets is None else [{"topic": t, "partition": p, "offset": o} for t, p, o in offsets]
    return out


def targets_of(r: GroupReset | None, current: LiveGroup) -> tuple[Position, ...]:
    if r is None:
        return ()
    return r.positions if r.to == POSITIONS else current.targets


def describe_target(r: GroupReset, current: LiveGroup) -> str:
    if r.to == MIRRORED:
        return f"to the offsets mirror {r.mirror!r} translated"
    if r.to == POSITIONS:
        return "to the declared positions"
    if r.to in (AT_TIME, AGO):
        when = f" ({utc_text(current.at_ms)})" if current.at_ms is not None else ""
        return (f"to the first offset at or after {r.text}" if r.to == AT_TIME else
                f"to the first offset at or after {r.text} ago{when}")
    return f"to the {r.to} offset"


def plan_moves(terms: Terms, spec: GroupSpec, current: LiveGroup, diags: list[PlanDiagnostic]
               ) -> tuple[ResourceChange, tuple[Position, ...]]:
    """The change that moves the group from its positions to the reset's targets, and the moves (those not there
    already, and, for a kind that sets them `again`, those there already); no change when none moves and `diags`
    has no error."""
    address = f"{terms.type.value}.{spec.name}"
    had = current.committed
    before = group_repr(spec.name, current.token, current, had if current.exists else None)
    have = {(t, p): o for t, p, o in had}
    targets = targets_of(spec.reset, current)
    attrs = [AttributeChange(REQUEST, AttrKind.UPDATE if current.token else AttrKind.ADD, current.token, spec.request,
                             note=terms.request_note)]
    moves, unchanged = [], 0
    for t, p, o in targets:
        was = have.get((t, p))
        if was == o and terms.again is None:
            unchanged += 1
            continue
        moves.append((t, p, o))
        note = terms.new_note if was is None else NoteKind.GROUP_OFFSET_MOVED if was != o else terms.again
        attrs.append(AttributeChange((OFFSETS, f"{t}/{p}"), AttrKind.ADD if was is None else AttrKind.UPDATE, was, o,
                                     note=note))
    merged = dict(have)
    merged.update({(t, p): o for t, p, o in targets})
    after = group_repr(spec.name, spec.request, None, tuple((t, p, o) for (t, p), o in sorted(merged.items())))
    if not moves and not any(d.is_error for d in diags):
        shown = {**before, "request": spec.request}
        return ResourceChange(address, terms.type, spec.name, Action.NOOP, before=shown, after=shown,
                              unchanged_attributes=unchanged, reason=Reason.GROUP_AT_TARGET,
                              origin=spec.origin), ()
    return ResourceChange(address, terms.type, spec.name, Action.UPDATE if current.exists else Action.CREATE,
                          before=before if current.exists else None, after=after, attributes=tuple(attrs),
                          unchanged_attributes=unchanged, reason=terms.requested, origin=spec.origin), tuple(moves)


def members_warning(terms: Terms, spec: GroupSpec, current: LiveGroup, address: str,
                    verb: str) -> list[PlanDiagnostic]:
    """Apply refuses to `verb` while the group has members (Kafka would too): a warning now."""
    if current.members <= 0:
        return []
    return [warning(f"{terms.noun} {spec.name!r} has {plural(current.members, 'live member')} (state "
                    f"{current.state}): apply refuses to {verb} while it has members, as Kafka does; stop its "
                    f"consumers first", f"{terms.code}-has-members", address=address, origin=spec.origin)]


def reset_problems(terms: Terms, spec: GroupSpec, r: GroupReset, current: LiveGroup,
                   address: str) -> list[PlanDiagnostic]:
    """Its members (a warning); the topics it names that the cluster does not have; a failover with nothing to move
    to; explicit positions on partitions the topic does not have; a named reset of no topics on a group with none."""
    t, name, origin = terms, spec.name, spec.origin
    out = members_warning(t, spec, current, address, f"move its {t.moves}")
    if current.missing_topics:
        where = f"{OFFSETS}.reset" if r.to == POSITIONS else f"{OFFSETS}.topics"
        out.append(error(f"{t.noun} {name!r}: {where} names {', '.join(current.missing_topics)}, which the cluster "
                         f"does not have; create the topic first or remove it from {where}", f"{t.code}-unknown-topic",
                         address=address, origin=origin))
    if r.to == MIRRORED:
        if current.unresolved is not None:
            out.append(error(f"{t.noun} {name!r}: {current.unresolved}", f"{t.code}-failover-unresolved",
                             address=address, origin=origin))
        return out
    counts = dict(current.partitions)
    beyond = [f"{tp}/{p}" for tp, p, _ in (r.positions if r.to == POSITIONS else ()) if tp in counts
              and p >= counts[tp]]
    if beyond:
        out.append(error(f"{t.noun} {name!r}: {OFFSETS}.reset names partition(s) {', '.join(beyond)}, which the "
                         "topic does not have", f"{t.code}-unknown-partition", address=address, origin=origin))
    elif r.to != POSITIONS and not r.topics and not current.committed:
        out.append(error(f"{t.noun} {name!r} has no {t.held}, so a reset without topics moves nothing: name the "
                         f"topics to reset ({OFFSETS}.topics)", f"{t.code}-no-offsets", address=address,
                         origin=origin))
    return out


class GroupRequestKind(RequestKind[GroupSpec, LiveGroup]):
    """A group-request kind, in its words (`terms`), with apply's payload (`planned_type`). A kind says how its
    follow-up read asks (`read`) and what apply does, in words (`apply_note`)."""

    terms: ClassVar[Terms]
    planned_type: type[GroupPlanned]
    kind_state = staticmethod(token_state)  # the follow-up read adds what the cluster has

    def __init__(self) -> None:
        noun = self.terms.noun  # its type, section and title from its terms ("consumer group": consumer_groups)
        self.type = self.terms.type
        self.section = noun.replace(" ", "_") + "s"
        self.title = noun.capitalize() + "s"
        self.never_deleted = f"{noun} requests"

    def read(self, reader: GroupReads, stack: "Stack", live: LiveState, specs: list[GroupSpec]
             ) -> tuple[Answers, str | None]:
        """What the cluster has for these groups (kplan.kinds.group_request.live), or why the cluster has none."""
        raise NotImplementedError

    def apply_note(self, spec: GroupSpec, current: LiveGroup, moves: tuple[Position, ...]) -> str:
        raise NotImplementedError

    def follow_up(self, stack: "Stack", live: LiveState, reader: Any, destroy: bool) -> LiveState:
        """The live state with what the cluster has for every group whose declared request is pending (not on
        destroy: a request is never applied by destroy), or the cluster's `unsupported` problem; a live-state file
        keeps what it says."""
        specs = [] if destroy else pending(stack.of(self.section), live.of(self.type).records)
        if not specs or not isinstance(reader, GroupReads):
            return live
        answers, unsupported = self.read(reader, stack, live, specs)
        if unsupported is not None:
            return live.with_kind(self.type, problem=Problem.UNSUPPORTED, problem_detail=unsupported)
        tokens = live.of(self.type).records
        groups = {**live.of(self.type).resources, **{n: group_of(n, tokens.get(n), doc) for n, doc in answers.items()}}
        return live.with_kind(self.type, resources=freeze(groups))

    def plan(self, spec: GroupSpec, current: LiveGroup | None, ctx: PlanContext
             ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        t = self.terms
        if current is None:  # the token is the one recorded: applied already: the group was not read
            shown = group_repr(spec.name, spec.request, None, None)
            return ResourceChange(self.address(spec.name), t.type, spec.name, Action.NOOP, before=shown, after=shown,
                                  unchanged_attributes=1, reason=t.applied, origin=spec.origin), []
        assert spec.reset is not None
        diags = reset_problems(t, spec, spec.reset, current, self.address(spec.name))
        change, moves = plan_moves(t, spec, current, diags)
        if not change.is_change:
            return change, diags
        if moves:
            diags.append(PlanDiagnostic(Severity.INFO, self.apply_note(spec, current, moves),
                                        f"{t.code}-offsets-change", address=self.address(spec.name),
                                        origin=spec.origin))
        return with_planned(change, self.planned_type(request=spec.request, offsets=targets_of(spec.reset, current),
                                                      seen=current.committed, previous_request=current.token)), diags

    def live_repr(self, current: LiveGroup, spec: GroupSpec | None = None) -> dict[str, Any]:
        return group_repr(current.name, current.token, current, current.committed)

    def request_note(self, spec: GroupSpec) -> str:
        return "delete" if spec.delete else OFFSETS

    def next_apply(self, d: Difference) -> str:
        return "deletes the group" if d.note == "delete" else f"moves the {self.terms.short}'s {self.terms.moves}"

    def record_after(self, plan: Plan, stack: "Stack", live: LiveState, destroy: bool,
                     parts: Ownership) -> dict[str, Entry]:
        """Its part of the ownership record once the plan is applied: every declared group's token (a pending request
        is applied by this run, or needs nothing: the group is at the positions already, or a group to delete is
        gone; an applied one stays recorded). A group no longer declared is forgotten; destroy forgets them all (a
        request is never undone); on a cluster without share groups nothing is recorded (the plan refused them)."""
        if destroy or live.of(self.type).problem is not None:
            return {}
        return {g.name: g.request for g in sorted(stack.of(self.section), key=lambda g: g.name)}


class ConsumerGroupKind(GroupRequestKind):
    """A consumer group's request: also its delete (irreversible) and a failover to the offsets a mirror translated
    (failover.py)."""

    terms = model.CONSUMER
    planned_type = GroupPlanned
    live_from_json = staticmethod(CONSUMER_PART)
    flag_notes = {Flag.IRREVERSIBLE: "IRREVERSIBLE: a deleted group's committed offsets cannot be put back"}

    def read(self, reader: GroupReads, stack: "Stack", live: LiveState, specs: list[GroupSpec]
             ) -> tuple[Answers, str | None]:
        from kplan.kinds.group_request.failover import translated

        failovers = {g.name: translated(g, stack, live) for g in specs if g.reset and g.reset.to == MIRRORED}
        answers = reader.consumer_groups({g.name: query(GroupReset(POSITIONS, OFFSETS, positions=failovers[g.name][0]))
                                          if g.name in failovers else query(g.reset) for g in specs})
        # a failover's targets: the mirror's translated offsets (or why there are none)
        return {n: {**doc, "targets": [list(x) for x in failovers[n][0]], "unresolved": failovers[n][1]}
                if n in failovers else doc for n, doc in answers.items()}, None

    def checks(self, stack: "Stack", changes: Mapping[str, ResourceChange],
               all_changes: Mapping[str, ResourceChange], live: LiveState) -> list[PlanDiagnostic]:
        """A failover request's drill (failover.py)."""
        from kplan.kinds.group_request.failover import drill_notes

        return drill_notes(stack, all_changes, live)

    def plan(self, spec: GroupSpec, current: LiveGroup | None, ctx: PlanContext
             ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        if current is None or not spec.delete:
            return super().plan(spec, current, ctx)
        address = self.address(spec.name)
        before = group_repr(spec.name, current.token, current, current.committed if current.exists else None)
        if not current.exists:
            shown = {**before, "request": spec.request}
            return ResourceChange(address, self.type, spec.name, Action.NOOP, before=shown, after=shown,
                                  reason=Reason.GROUP_ABSENT, origin=spec.origin), []
        attrs = [AttributeChange((OFFSETS, f"{t}/{p}"), AttrKind.REMOVE, o, None, note=NoteKind.GROUP_OFFSET_DELETED)
                 for t, p, o in current.committed]
        change = ResourceChange(address, self.type, spec.name, Action.DELETE, before=before, after=None,
                                attributes=tuple(attrs), flags=frozenset({Flag.IRREVERSIBLE}),
                                reason=Reason.GROUP_REQUESTED, origin=spec.origin)
        change = with_planned(change, GroupPlanned(spec.request, True, (), current.committed, current.token))
        diags = members_warning(self.terms, spec, current, address, "delete it")
        diags.append(PlanDiagnostic(
            Severity.INFO, f"apply deletes consumer group {spec.name!r} and its committed offsets on "
            f"{plural(len({t for t, _, _ in current.committed}), 'topic')} (request {spec.request!r}); this cannot be "
            "undone: a consumer of that group then starts from its auto.offset.reset", "group-delete",
            address=address, origin=spec.origin))
        return change, diags

    def apply_note(self, spec: GroupSpec, current: LiveGroup, moves: tuple[Position, ...]) -> str:
        assert spec.reset is not None
        have = {(t, p) for t, p, _ in current.committed}
        new = [m for m in moves if (m[0], m[1]) not in have]
        text = (f"apply moves {plural(len(moves), 'partition offset')} of consumer group {spec.name!r} "
                f"{describe_target(spec.reset, current)} (request {spec.request!r}), then reads them back; its "
                "consumers read from there when they start")
        if new:
            text += (f"; {plural(len(new), 'partition')} had no committed offset: a rollback cannot remove the "
                     "offsets set there (it puts back only the offsets the group had)")
        return text


# Why a cluster has no share groups, when its reader did not say
UNSUPPORTED = ("the cluster has no share groups (KIP-932: Kafka 4.1 or newer, with the share.version feature 1; 4.2 "
               "and newer enable it by default); remove share_groups, or upgrade the cluster")


def share_declared(stack: "Stack") -> bool | None:
    """Whether the stack's `features` turn share groups on (share.version at latest or 1 and above: the feature's
    step runs before any share group's) or off (0); None: it does not declare share.version."""
    level = next((f.level for f in stack.of("features") if f.name == "share.version"), None)
    return None if level is None else level == "latest" or level >= 1


class ShareGroupKind(GroupRequestKind):
    """A share group's request: refused on a cluster without share groups."""

    terms = model.SHARE
    planned_type = ShareGroupPlanned
    live_from_json = staticmethod(SHARE_PART)

    def read(self, reader: GroupReads, stack: "Stack", live: LiveState, specs: list[GroupSpec]
             ) -> tuple[Answers, str | None]:
        return reader.share_groups({g.name: query(g.reset) for g in specs}, share_declared(stack))

    def readable(self, declared: Mapping[str, GroupSpec], live: LiveState,
                 allowed: frozenset[str] = frozenset()) -> tuple[dict[str, GroupSpec], list[PlanDiagnostic]]:
        """None of the declared requests when the cluster has no share groups: one error at the first entry."""
        state = live.of(self.type)
        if state.problem is None or not declared:
            return dict(declared), []
        # the reader's own words when it gave them (which of Kafka's version and share.version it lacks)
        why = UNSUPPORTED if state.problem_detail is None else (
            f"{state.problem_detail}; remove share_groups, or make the cluster take them")
        return {}, self.unreadable(live, [declared[n] for n in sorted(declared)], "share group requests",
                                   {Problem.UNSUPPORTED: why})

    def apply_note(self, spec: GroupSpec, current: LiveGroup, moves: tuple[Position, ...]) -> str:
        assert spec.reset is not None
        text = (f"apply sets {plural(len(moves), 'start offset')} of share group {spec.name!r} "
                f"{describe_target(spec.reset, current)} (request {spec.request!r}), then reads them back; its "
                "consumers are delivered the records from there when they start")
        had = {t for t, _, _ in current.committed}
        new = sorted({t for t, _, _ in moves if t not in had})
        if new:
            text += (f"; it had no start offsets on {', '.join(new)}: a rollback removes those it set there (the "
                     "group then starts there by its share.auto.offset.reset)")
        return text


CONSUMER, SHARE = ConsumerGroupKind(), ShareGroupKind()
