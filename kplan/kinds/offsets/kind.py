"""The connector offsets kind: a connector's declared offsets request (`offsets.<connector>`), planned once per
request token.

Connect's offsets move all the time while a connector runs, so they are not compared with anything: a request is
a one-time action, versioned by its token (`request`), like a SCRAM user's `rotation`. The ownership record keeps
the token kplan last applied per connector; a declared token that differs (or none recorded) is one change, whose
plan shows the offsets Connect has now (read at the edge for those connectors only, `pending`) and the new ones.
Apply stops the connector, resets or alters its offsets, restores its declared state (kinds/offsets/steps.py).
What it shares with a consumer group's and a share group's request is written once (kplan.kinds.requests); here are
its words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Protocol, Sequence

from kplan.kinds.base import PlanContext
from kplan.kinds.connect_features import Feature, connect_facts, connect_version_checks
from kplan.kinds.offsets.live import OffsetReads
from kplan.kinds.requests import REQUEST, RequestKind
from kplan.kinds.requests import pending as pending_requests
from kplan.model.desired import ConnectorState, freeze
from kplan.model.diagnostics import Severity
from kplan.model.live import LiveState
from kplan.model.offsets import LiveOffsets, OffsetsSpec, canonical, label, partition_key, value
from kplan.model.ownership import Entry, Ownership
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
from kplan.model.status import Difference

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Stack
    from kplan.model.plan import Plan
    from kplan.model.source import Origin

OFFSETS = ResourceType.OFFSETS
# An offsets request is its connector's: the connector kind's section (and record word) and live slice, named here
# only (the record part asks `requests` and `CONNECTORS`).
CONNECTORS = "connectors"
CONNECTOR = ResourceType.CONNECTOR
# The Connect feature a request needs (kplan.kinds.connect_features): GET/PATCH/DELETE /connectors/<name>/offsets
OFFSETS_API: Feature = ((3, 6), "the connector offsets API (KIP-875)", ", or remove the offsets request")
# Debezium snapshot modes that read no table when the connector has no offsets
NO_SNAPSHOT_MODES = ("never", "no_data", "schema_only", "recovery", "schema_only_recovery")


class RequestingConnector(Protocol):
    """What an offsets request reads of its connector (the connector kind's ConnectorSpec, whose section and steps
    import this kind's: named by what it is asked, not imported back)."""

    @property
    def origin(self) -> Origin | None: ...
    @property
    def state(self) -> ConnectorState: ...
    @property
    def config(self) -> Mapping[str, str]: ...
    @property
    def captured_tables(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class OffsetsRequest:
    """A declared offsets request and the connector it is for (the planner's spec of this kind)."""

    name: str  # the connector's
    spec: OffsetsSpec
    connector: RequestingConnector

    @property
    def origin(self) -> Origin | None:
        return self.spec.origin or self.connector.origin

    @property
    def request(self) -> str:
        """Its token (`kplan.kinds.requests.Request`)."""
        return self.spec.request


@dataclass(frozen=True)
class OffsetsPlanned(PlannedPayload):
    """What apply does with one connector's offsets request: its token, reset or the positions to set (Connect's
    form; positions, never secrets), the connector state to restore after, and the token recorded before."""

    type: ClassVar[ResourceType] = OFFSETS

    request: str
    reset: bool
    offsets: tuple[Mapping[str, Any], ...]
    state: str
    previous_request: str | None = None


def requests(stack: "Stack") -> list[OffsetsRequest]:
    return [OffsetsRequest(c.name, c.offsets, c) for c in stack.of(CONNECTORS) if c.offsets is not None]


def pending(stack: "Stack", live: LiveState) -> list[str]:
    """The connectors whose declared request token differs from the one recorded: the only ones whose offsets the
    plan reads (and only those Connect has: a new connector has none to read)."""
    return [r.name for r in pending_requests(requests(stack), live.of(OFFSETS).records)]


def attach(stack: "Stack", live: LiveState, read: Mapping[str, list[dict[str, Any]]]) -> LiveState:
    """`live` with what Connect has for every pending request (`read`: connector -> its offsets, from one GET per
    existing pending connector); a request read nothing for keeps what `live` already holds (a live-state file)."""
    out = dict(live.of(OFFSETS).resources)
    for name in pending(stack, live):
        conn = live.of(CONNECTOR).resources.get(name)
        known = live.of(OFFSETS).resources.get(name)
        if name in read:
            offsets = tuple(sorted(canonical(o) for o in read[name]))
        else:
            offsets = known.offsets if known is not None else ()
        token = live.of(OFFSETS).records.get(name)
        out[name] = LiveOffsets(name, token, conn is not None, offsets if conn else (),
                                conn.type if conn is not None else None)
    return live.with_kind(OFFSETS, resources=freeze(out))


def offsets_repr(name: str, request: str | None, offsets: list[dict[str, Any]] | None,
                 reset: bool | None = None) -> dict[str, Any]:
    return {"connector": name, "request": request, "offsets": offsets, **({} if reset is None else {"reset": reset})}


def after_offsets(spec: OffsetsSpec, current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What Connect shows once the request is applied: nothing after a reset; after a set, every partition it
    had, the declared ones moved (Connect's PATCH leaves the partitions it is not given alone)."""
    if spec.reset:
        return []
    merged = {partition_key(o): o for o in current}
    merged.update({partition_key(o): o for o in spec.offsets})
    return [merged[k] for k in sorted(merged)]


def _words(req: OffsetsRequest, current: LiveOffsets, address: str) -> list[PlanDiagnostic]:
    """What apply will do, in words (and what it cannot do)."""
    spec, conn, name = req.spec, req.connector, req.name
    diags: list[PlanDiagnostic] = []
    kind = current.connector_type
    if spec.sink is not None and kind in ("sink", "source") and spec.sink != (kind == "sink"):
        form = "sink positions (topic, partition, offset)" if spec.sink else "source positions (partition maps)"
        diags.append(error(f"connector {name!r} is a {kind} connector, but its offsets.set gives {form}",
                           "offsets-wrong-form", address=address, origin=req.origin))
    how = (f"apply creates connector {name!r} stopped, " if not current.exists else
           f"apply stops connector {name!r}, ")
    what = ("deletes its offsets" if spec.reset else
            f"moves {len(spec.positions)} partition offset(s) to the declared positions")
    back = "starts it" if conn.state is ConnectorState.RUNNING else f"leaves it {conn.state.value}"
    text = f"{how}{what} (request {spec.request!r}), then {back}"
    if spec.reset and conn.captured_tables:
        mode = conn.config.get("snapshot.mode", "initial")
        tables = conn.captured_tables
        if mode in NO_SNAPSHOT_MODES:
            text += (f": Debezium takes no snapshot (snapshot.mode {mode}), so none of its {len(tables)} captured "
                     "table(s) is re-read; it streams changes from its current position")
        else:
            text += (f": Debezium re-reads (re-snapshots) all {len(tables)} captured table(s) from scratch — "
                     f"{', '.join(tables)} — writing every row to their topics again as snapshot records "
                     "(op 'r'), then streams changes")
        slot = conn.config.get("slot.name")
        if slot:
            text += f"; it keeps its replication slot {slot!r} (not dropped or re-created)"
        diags.append(warning(text, "cdc-resnapshot", address=address, origin=req.origin))
        return diags
    if spec.reset:
        text += ("; a sink then reads its topics from the start (the consumer's auto.offset.reset, earliest unless "
                 "configured), a source from its beginning" if kind is None else
                 "; it then reads its topics from the start (the consumer's auto.offset.reset, earliest unless "
                 "configured)" if kind == "sink" else "; it then starts from its beginning")
    diags.append(PlanDiagnostic(Severity.INFO, text, "offsets-change", address=address, origin=req.origin))
    return diags


def needed(change: ResourceChange) -> Feature | None:
    """The Connect feature a request's change needs: the offsets API (none when nothing is applied)."""
    return OFFSETS_API if change.is_change else None


class OffsetsKind(RequestKind[OffsetsRequest, LiveOffsets]):
    type = OFFSETS
    planned_type = OffsetsPlanned
    owned_on_its_own = False  # an offsets request goes with its connector
    title = "Connector offsets"
    section = "offsets"
    never_deleted = "offsets requests"
    declared = staticmethod(requests)

    def plan(self, req: OffsetsRequest, current: LiveOffsets | None, ctx: PlanContext
             ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        spec, address = req.spec, f"{OFFSETS.value}.{req.name}"
        if current is None:  # the token is the one recorded: applied already
            shown = offsets_repr(req.name, spec.request, None)
            return ResourceChange(address, OFFSETS, req.name, Action.NOOP, before=shown, after=shown,
                                  unchanged_attributes=1, reason=Reason.OFFSETS_APPLIED, origin=req.origin), []
        now = current.decoded
        attrs = [AttributeChange(REQUEST, AttrKind.UPDATE if current.token else AttrKind.ADD, current.token,
                                 spec.request, note=NoteKind.OFFSETS_REQUEST)]
        have = {partition_key(o): o for o in now}
        unchanged = 0
        if spec.reset:
            attrs += [AttributeChange(("offsets", label(o)), AttrKind.REMOVE, value(o), None,
                                      note=NoteKind.OFFSET_RESET) for o in sorted(now, key=label)]
        else:
            for o in sorted(spec.offsets, key=label):
                before = have.get(partition_key(o))
                if before is not None and canonical(before) == canonical(o):
                    unchanged += 1
                    continue
                attrs.append(AttributeChange(("offsets", label(o)), AttrKind.ADD if before is None else AttrKind.UPDATE,
                                             None if before is None else value(before), value(o),
                                             note=NoteKind.OFFSET_SET))
        change = ResourceChange(
            address, OFFSETS, req.name, Action.UPDATE,
            before=offsets_repr(req.name, current.token, now if current.exists else None),
            after=offsets_repr(req.name, spec.request, after_offsets(spec, now), spec.reset),
            attributes=tuple(attrs), unchanged_attributes=unchanged, reason=Reason.OFFSETS_REQUESTED,
            origin=req.origin)
        change = with_planned(change, OffsetsPlanned(spec.request, spec.reset,
                                                     tuple(spec.offsets) if not spec.reset else (),
                                                     req.connector.state.value, current.token))
        return change, _words(req, current, address)

    def record_after(self, plan: Plan, stack: "Stack", live: LiveState, destroy: bool, parts: Ownership
                     ) -> dict[str, Entry]:
        """Its part of the ownership record once the plan is applied: the offsets request token per connector, the
        recorded ones of connectors still owned (`parts`: the connectors owned once the plan is applied) and the
        declared token of every request the plan applies."""
        connectors = parts.owned(CONNECTORS)
        tokens: dict[str, Entry] = {n: t for n, t in live.of(OFFSETS).records.items() if n in connectors}
        declared = {r.name: r for r in requests(stack)}
        for c in plan.changes:  # the requests the plan applies
            if c.type == OFFSETS and c.is_change and c.name in declared and c.name in connectors:
                tokens[c.name] = declared[c.name].spec.request
        return dict(sorted(tokens.items()))

    def version_checks(self, changes: Sequence[ResourceChange], live: LiveState) -> list[PlanDiagnostic]:
        return connect_version_checks(changes, connect_facts(live.of(CONNECTOR)).versions, needed)

    def live_repr(self, current: LiveOffsets, spec: OffsetsRequest | None = None) -> dict[str, Any]:
        return offsets_repr(current.name, current.token, current.decoded if current.exists else None)

    def request_note(self, spec: OffsetsRequest) -> str:
        return "reset" if spec.spec.reset else "set"

    def next_apply(self, d: Difference) -> str:
        return "resets the connector's offsets" if d.note == "reset" else "sets the connector's offsets"


KIND = OffsetsKind()


def follow_up(stack: "Stack", live: LiveState, reader: OffsetReads, destroy: bool) -> LiveState:
    """The live state with what Connect has for every connector whose declared offsets request is pending (one GET
    each; not on destroy: a request goes with its connector); a live-state file keeps what it says."""
    if destroy:
        return live
    names = [n for n in pending(stack, live) if n in live.of(CONNECTOR).resources]
    return attach(stack, live, reader.connector_offsets(names) if names and isinstance(reader, OffsetReads) else {})
