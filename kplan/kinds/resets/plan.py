"""Planning a pending reset request against what the follow-up read found: each partition's current and new
position, the change (or none: at the positions already, for a kind that needs nothing there) and the problems the
plan can see. Pure.

`Terms` is what differs between the kinds that plan a reset: their resource type, nouns, diagnostic codes, notes
and reasons; a kind adds its own words (what apply will do) and payload to the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from kplan.kinds.requests import REQUEST, Found, Request
from kplan.kinds.resets.model import AGO, AT_TIME, OFFSETS, POSITIONS, GroupReset, Position
from kplan.model.plan import (
    Action,
    AttributeChange,
    AttrKind,
    NoteKind,
    PlanDiagnostic,
    Reason,
    ResourceChange,
    ResourceType,
    error,
    warning,
)
from kplan.words import plural


@dataclass(frozen=True)
class Terms:
    """A kind's words for a reset: `noun` ("consumer group"), `code` (its diagnostics' prefix: "group"), `held`
    (what the group has: "committed offsets"), `moves` (what a reset moves: `OFFSETS`); its notes (a new token, a
    partition that had no position) and reasons (applied already, not applied yet). `again`: the note of a
    partition shown at its target already that apply sets all the same (a share group's start offset: setting it
    drops what was acknowledged after it), or None when such a partition needs nothing (a consumer group's
    committed offset: setting it again changes nothing)."""

    type: ResourceType
    noun: str
    code: str
    held: str
    moves: str
    request_note: NoteKind
    new_note: NoteKind
    applied: Reason
    requested: Reason
    again: NoteKind | None = None


class ResetSpec(Request, Protocol):
    """A declared reset request (the kinds' specs)."""

    @property
    def reset(self) -> GroupReset | None: ...


class FoundGroup(Found, Protocol):
    """What the follow-up read found of a group with a pending reset (the kinds' live types)."""

    @property
    def state(self) -> str: ...
    @property
    def members(self) -> int: ...
    @property
    def targets(self) -> tuple[Position, ...]: ...
    @property
    def at_ms(self) -> int | None: ...
    @property
    def missing_topics(self) -> tuple[str, ...]: ...
    @property
    def partitions(self) -> tuple[tuple[str, int], ...]: ...


def label(t: str, p: int) -> str:
    return f"{t}/{p}"


def group_repr(name: str, request: str | None, live: FoundGroup | None,
               offsets: tuple[Position, ...] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"group": name, "request": request}
    if live is not None:
        out["state"] = live.state
        out["members"] = live.members
    out[OFFSETS] = None if offsets is None else [{"topic": t, "partition": p, "offset": o} for t, p, o in offsets]
    return out


def targets_of(r: GroupReset | None, current: FoundGroup) -> tuple[Position, ...]:
    if r is None:
        return ()
    return r.positions if r.to == POSITIONS else current.targets


def describe_target(r: GroupReset, current: FoundGroup) -> str:
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


def applied(terms: Terms, spec: ResetSpec) -> ResourceChange:
    """No change: the declared token is the one recorded (the group was not read)."""
    shown = group_repr(spec.name, spec.request, None, None)
    return ResourceChange(f"{terms.type.value}.{spec.name}", terms.type, spec.name, Action.NOOP, before=shown,
                          after=shown, unchanged_attributes=1, reason=terms.applied, origin=spec.origin)


def token_change(terms: Terms, spec: ResetSpec, current: FoundGroup) -> AttributeChange:
    return AttributeChange(REQUEST, AttrKind.UPDATE if current.token else AttrKind.ADD, current.token, spec.request,
                           note=terms.request_note)


def plan_moves(terms: Terms, spec: ResetSpec, current: FoundGroup, had: tuple[Position, ...],
               diags: list[PlanDiagnostic]) -> tuple[ResourceChange, tuple[Position, ...]]:
    """The change that moves the group from `had` to the reset's targets, and the moves (those not there already,
    and, for a kind that sets them `again`, those there already); no change when none moves and `diags` has no
    error."""
    address = f"{terms.type.value}.{spec.name}"
    before = group_repr(spec.name, current.token, current, had if current.exists else None)
    have = {(t, p): o for t, p, o in had}
    targets = targets_of(spec.reset, current)
    attrs, moves, unchanged = [token_change(terms, spec, current)], [], 0
    for t, p, o in targets:
        was = have.get((t, p))
        if was == o and terms.again is None:
            unchanged += 1
            continue
        moves.append((t, p, o))
        note = terms.new_note if was is None else NoteKind.GROUP_OFFSET_MOVED if was != o else terms.again
        attrs.append(AttributeChange((OFFSETS, label(t, p)), AttrKind.ADD if was is None else AttrKind.UPDATE, was,
                                     o, note=note))
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


def members_warning(terms: Terms, spec: ResetSpec, current: FoundGroup, address: str,
                    verb: str) -> list[PlanDiagnostic]:
    """Apply refuses to `verb` while the group has members (Kafka would too): a warning now."""
    if current.members <= 0:
        return []
    return [warning(f"{terms.noun} {spec.name!r} has {plural(current.members, 'live member')} (state "
                    f"{current.state}): apply refuses to {verb} while it has members, as Kafka does; stop its "
                    f"consumers first", f"{terms.code}-has-members", address=address, origin=spec.origin)]


def found_problems(terms: Terms, spec: ResetSpec, r: GroupReset, current: FoundGroup,
                   address: str) -> list[PlanDiagnostic]:
    """Its members (a warning), and the topics it names that the cluster does not have."""
    out = members_warning(terms, spec, current, address, f"move its {terms.moves}")
    if current.missing_topics:
        where = f"{OFFSETS}.reset" if r.to == POSITIONS else f"{OFFSETS}.topics"
        out.append(error(f"{terms.noun} {spec.name!r}: {where} names {', '.join(current.missing_topics)}, which the "
                         f"cluster does not have; create the topic first or remove it from {where}",
                         f"{terms.code}-unknown-topic", address=address, origin=spec.origin))
    return out


def position_problems(terms: Terms, spec: ResetSpec, r: GroupReset, current: FoundGroup, had: tuple[Position, ...],
                      address: str) -> list[PlanDiagnostic]:
    """Explicit positions on partitions the topic does not have; a named reset of no topics on a group with none."""
    counts = dict(current.partitions)
    beyond = [f"{t}/{p}" for t, p, _ in (r.positions if r.to == POSITIONS else ()) if t in counts and p >= counts[t]]
    if beyond:
        return [error(f"{terms.noun} {spec.name!r}: {OFFSETS}.reset names partition(s) {', '.join(beyond)}, which "
                      "the topic does not have", f"{terms.code}-unknown-partition", address=address,
                      origin=spec.origin)]
    if r.to != POSITIONS and not r.topics and not had:
        return [error(f"{terms.noun} {spec.name!r} has no {terms.held}, so a reset without topics moves nothing: "
                      f"name the topics to reset ({OFFSETS}.topics)", f"{terms.code}-no-offsets", address=address,
                      origin=spec.origin)]
    return []
