"""The delete-records kind: a topic's declared request (`records.<topic>`) to delete its records before an offset per
partition or before a time, planned once per request token (kplan.kinds.requests), like a consumer group's reset.

Only for the topics whose token is not the one recorded, the plan reads (io.py) the partitions' low and high
watermarks, resolves a time to offsets (ListOffsets by timestamp) and reads every consumer group's committed offsets
on the topic; it shows per partition the low watermark now and the new one, the records deleted and their total.
It refuses (one error at the entry) a topic another stack owns or the cluster does not have, an offset beyond a
partition's high watermark, a partition the topic does not have, a deletion of records a consumer group has not read
yet (its committed offset below the new low watermark) or a share group has not acknowledged (its start offset below
it) unless `allow_unread` names the group, and one kplan cannot check because its principal may not describe every
group, unless `allow_unread: ["*"]` lets any group lose records. A topic this plan creates has no records: the
request deletes nothing (its token is recorded). Apply deletes exactly the planned offsets (steps.py) and reads the
low watermarks back. A deletion cannot be undone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from kplan.kinds.base import PlanContext
from kplan.kinds.codec import JsonKey
from kplan.kinds.records.live import RecordReads, records_of
from kplan.kinds.records.model import CUT_LIST, Cut, LiveRecords, RecordsSpec, Watermarks
from kplan.kinds.requests import REQUEST, RequestKind, pending
from kplan.model.desired import freeze
from kplan.model.diagnostics import Severity
from kplan.model.live import LiveState
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
    address_of,
    error,
    with_planned,
)
from kplan.model.status import Difference
from kplan.rules.units import utc_text
from kplan.words import plural

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Stack

RECORDS = ResourceType.RECORDS
SECTION = "delete_records"


@dataclass(frozen=True)
class RecordsPlanned(PlannedPayload):
    """What apply deletes for one topic's request: its token, the new low watermark of each partition it moves
    (partition, offset), the records the plan counted, and the token recorded before."""

    type: ClassVar[ResourceType] = RECORDS
    json_keys: ClassVar[Mapping[str, JsonKey]] = {"lows": CUT_LIST}

    request: str
    lows: tuple[Cut, ...] = ()
    removed: int = 0
    previous_request: str | None = None


def records_repr(name: str, request: str | None, marks: tuple[Watermarks, ...] | None, after: bool = False
                 ) -> dict[str, Any]:
    """The request as a plan's before (the low watermarks now) or after (the new ones, with the records deleted)."""
    out: dict[str, Any] = {"topic": name, "request": request}
    if marks is None:
        return out
    parts = []
    for m in marks:
        new = max(m.low, m.target) if after else m.low
        parts.append({"partition": m.partition, "low": new, "high": m.high,
                      **({"removed": new - m.low} if after else {})})
    out["partitions"] = parts
    if after:
        out["removed"] = sum(p["removed"] for p in parts)
    return out


def describe_cut(spec: RecordsSpec, current: LiveRecords) -> str:
    if spec.offsets:
        return "before the declared offsets"
    if spec.ago_ms is not None:
        return f"older than {spec.text} ago ({utc_text(current.at_ms)}: before the first record at or after it)"
    return f"older than {spec.text} (before the first record at or after it)"


def problems(spec: RecordsSpec, current: LiveRecords, address: str) -> list[PlanDiagnostic]:
    """Why the request cannot be applied: a topic another stack owns, the cluster lacks, or this plan creates with an
    offset past its (empty) end; a partition it lacks, an offset beyond a high watermark, records a group has not
    read (unless allowed), or groups kplan could not see (unless any may lose records)."""
    if current.owner is not None:
        return [_refuse(spec, address, f"the topic is owned by stack {current.owner!r}; a stack deletes records only "
                        "of a topic it owns or that no stack owns: declare the request in that stack",
                        "records-owned-by-another-stack")]
    if current.created:
        past = [f"partition {p}: offset {o}" for p, o in spec.offsets if o > 0]
        if not past:
            return []
        return [_refuse(spec, address, f"this plan creates the topic, which has no records yet ({'; '.join(past)}); "
                        "apply the topic first, then ask with the offsets it has", "records-beyond-end")]
    if not current.exists:
        return [_refuse(spec, address, "the cluster has no such topic; check its name, or remove the request",
                        "records-topic-not-found")]
    out = []
    beyond = [f"{p}" for p, _ in spec.offsets if p >= current.partitions]
    if beyond:
        out.append(_refuse(spec, address, f"the topic has {plural(current.partitions, 'partition')}, so no partition "
                           f"{', '.join(beyond)}; remove it from before", "records-unknown-partition"))
    ends = [f"partition {m.partition}: offset {m.target} > {m.high}" for m in current.marks if m.target > m.high]
    if ends:
        out.append(_refuse(spec, address, "an offset is beyond the partition's high watermark (the end of its log): "
                           f"{'; '.join(ends)}; give an offset up to the high watermark", "records-beyond-end"))
    if spec.any_unread:
        return out
    new = {m.partition: max(m.low, m.target) for m in current.marks}
    unread: dict[tuple[bool, str], list[str]] = {}
    for c in current.groups:
        if c.partition in new and c.offset < new[c.partition] and c.group not in spec.allow_unread:
            unread.setdefault((c.share, c.group), []).append(f"partition {c.partition} at {c.offset} < "
                                                             f"{new[c.partition]}")
    if unread:
        out.append(_refuse(spec, address, _unread(unread), "records-unread"))
    if current.unseen is not None:
        out.append(_refuse(spec, address, f"kplan cannot tell whether every group has read the records it deletes: "
                           f"{current.unseen}; grant it the DESCRIBE it lacks, or let any group lose unread "
                           'records: allow_unread: ["*"]', "records-groups-unseen"))
    return out


_GROUP_WORDS = ((False, "consumer group(s)", "read", "committed offset", "consumer_groups"),
                (True, "share group(s)", "acknowledged", "start offset", "share_groups"))


def _unread(unread: Mapping[tuple[bool, str], list[str]]) -> str:
    """The refusal of records groups have not read: each kind of group, its positions, and the ways out."""
    said, moves = [], []
    for share, who, verb, what, section in _GROUP_WORDS:
        mine = {g: ps for (s, g), ps in unread.items() if s == share}
        if mine:
            each = "; ".join(f"{g} ({', '.join(ps)})" for g, ps in sorted(mine.items()))
            said.append(f"{who} {', '.join(sorted(mine))} have not {verb} yet ({what} below the new low watermark: "
                        f"{each})")
            moves.append(section)
    names = ", ".join(sorted({g for _, g in unread}))
    return (f"it deletes records that {' and '.join(said)}; let them read past it, move them ({', '.join(moves)}), "
            f"or allow it: allow_unread: [{names}]")


def _refuse(spec: RecordsSpec, address: str, text: str, code: str) -> PlanDiagnostic:
    return error(f"delete_records of topic {spec.name!r}: {text}", code, address=address, origin=spec.origin)


class RecordsKind(RequestKind[RecordsSpec, LiveRecords]):
    type = RECORDS
    planned_type = RecordsPlanned
    owned_on_its_own = False  # a request goes with its topic: the topic's owner is checked (`problems`)
    title = "Delete records"
    section = SECTION
    never_deleted = "delete-records requests"

    def change_flag_note(self, change: ResourceChange, flag: Flag) -> str | None:
        removed = (change.after or {}).get("removed")
        if flag is Flag.IRREVERSIBLE and removed is not None:
            return f"IRREVERSIBLE: deletes {plural(removed, 'record')}, which cannot be put back"
        return super().change_flag_note(change, flag)

    def plan(self, spec: RecordsSpec, current: LiveRecords | None, ctx: PlanContext
             ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        address = self.address(spec.name)
        if current is None:  # the token is the one recorded: applied already (not read)
            shown = records_repr(spec.name, spec.request, None)
            return ResourceChange(address, RECORDS, spec.name, Action.NOOP, before=shown, after=shown,
                                  unchanged_attributes=1, reason=Reason.RECORDS_APPLIED, origin=spec.origin), []
        diags = problems(spec, current, address)
        if current.created and not diags:
            shown = records_repr(spec.name, spec.request, None)
            return ResourceChange(address, RECORDS, spec.name, Action.NOOP, before=shown, after=shown,
                                  reason=Reason.RECORDS_TOPIC_CREATED, origin=spec.origin), []
        marks = current.marks
        moves = tuple((m.partition, m.target) for m in marks if m.target > m.low)
        removed = sum(m.target - m.low for m in marks if m.target > m.low)
        before = records_repr(spec.name, current.token, marks)
        if not moves and not diags:
            shown = {**before, "request": spec.request}
            return ResourceChange(address, RECORDS, spec.name, Action.NOOP, before=shown, after=shown,
                                  reason=Reason.RECORDS_NONE_BEFORE, origin=spec.origin), diags
        attrs = [AttributeChange(REQUEST, AttrKind.UPDATE if current.token else AttrKind.ADD, current.token,
                                 spec.request, note=NoteKind.RECORDS_REQUEST)]
        attrs += [AttributeChange(("low_watermark", str(m.partition)), AttrKind.UPDATE, m.low, m.target,
                                  note=NoteKind.RECORDS_DELETED) for m in marks if m.target > m.low]
        change = ResourceChange(address, RECORDS, spec.name, Action.UPDATE, before=before,
                                after=records_repr(spec.name, spec.request, marks, after=True),
                                attributes=tuple(attrs), unchanged_attributes=len(marks) - len(moves),
                                flags=frozenset({Flag.IRREVERSIBLE} if moves else set()) | (
                                    {Flag.REFUSED} if any(d.is_error for d in diags) else set()),
                                reason=Reason.RECORDS_REQUESTED, origin=spec.origin)
        if not diags:
            each = ", ".join(f"partition {m.partition}: {m.target - m.low}" for m in marks if m.target > m.low)
            diags.append(PlanDiagnostic(
                Severity.INFO, f"apply deletes {plural(removed, 'record')} of topic {spec.name!r} "
                f"{describe_cut(spec, current)} ({each}; request {spec.request!r}), then reads the low watermarks "
                "back; this cannot be undone: a rollback cannot bring them back", "records-delete",
                address=address, origin=spec.origin))
        return with_planned(change, RecordsPlanned(spec.request, moves, removed, current.token)), diags

    def live(self, live: LiveState) -> Mapping[str, LiveRecords]:
        """The requests as read, each on a topic another stack owns with that stack (`owner`: the plan refuses it)."""
        owners = live.foreign_owners
        return {n: replace(r, owner=o) if (o := owners.get(address_of(ResourceType.TOPIC, n))) else r
                for n, r in live.of(RECORDS).resources.items()}

    def live_repr(self, current: LiveRecords, spec: RecordsSpec | None = None) -> dict[str, Any]:
        return records_repr(current.name, current.token, current.marks)

    def request_note(self, spec: RecordsSpec) -> str:
        return "delete records"

    def next_apply(self, d: Difference) -> str:
        return "deletes the records before the requested offsets"

    def record_after(self, plan: Plan, stack: "Stack", live: LiveState, destroy: bool,
                     parts: Ownership) -> dict[str, Entry]:
        """Every declared request's token once the plan is applied (a pending one is applied by this run, or deletes
        nothing); destroy forgets them (a request is never undone)."""
        if destroy:
            return {}
        return {s.name: s.request for s in sorted(stack.of(SECTION), key=lambda s: s.name)}


KIND = RecordsKind()


def follow_up(stack: "Stack", live: LiveState, reader: Any, destroy: bool) -> LiveState:
    """The live state with what the cluster has for every topic whose declared request is pending (not on destroy);
    a live-state file keeps what it says. A topic another stack owns (`RecordsKind.live` says which), or one this
    plan creates, is not read: what the plan says of it follows from that alone."""
    specs = [] if destroy else pending(stack.of(SECTION), live.of(RECORDS).records)
    if not specs:
        return live
    tokens = live.of(RECORDS).records
    topics = live.of(ResourceType.TOPIC).resources
    declared = {t.name for t in stack.of("topics")}
    said: dict[str, LiveRecords] = {}
    for s in specs:
        owner = live.foreign_owners.get(address_of(ResourceType.TOPIC, s.name))
        if owner is not None or (s.name in declared and s.name not in topics):
            said[s.name] = LiveRecords(s.name, tokens.get(s.name), created=owner is None)
    asked = [s for s in specs if s.name not in said]
    answers = reader.delete_records({s.name: s.query() for s in asked}) if asked and isinstance(
        reader, RecordReads) else {}
    found = {**live.of(RECORDS).resources, **{n: records_of(n, tokens.get(n), doc) for n, doc in answers.items()},
             **said}
    return live.with_kind(RECORDS, resources=freeze(found))
