"""The dynamic-config kinds' planning, written once (`KeysKind`), and the three kinds: one resource per entity, whose
attributes are its keys. The rules per key:

* a declared key is set; a key already set is adopted: kplan owns the keys it declares (the ownership record keeps
  them per entity) and undo restores the values they had (or deletes them again if they had none);
* a key of a declared entity that the stack does not declare is deleted when kplan set it, or when the entry is
  `authoritative` (and the kind lets it go: `deletable`); otherwise it is drift, shown and left alone;
* an entity no longer declared, and destroy: only the keys kplan set are deleted.

Beside the plan: its payload (each key's exact value before and after, `KeysPlanned`), the status, the ownership
record's part, the kind's part of a live-state document and `kplan import`. What differs per kind is its subclass's:
words as class attributes, refusals and checks as overrides.

- Broker configs (`broker_config.<default>`, the cluster-wide dynamic default; `broker_config.1`, broker 1's own
  overrides) are compared with the entity's dynamic values only (DYNAMIC_DEFAULT_BROKER_CONFIG for the default,
  DYNAMIC_BROKER_CONFIG for a broker): a static server.properties value is never drift and never a reason to write;
  a declared key that has one is shown with a note and an info line saying the dynamic value overrides it. Keys that
  can cut the cluster off (`model.DANGEROUS_KEYS`/`DANGEROUS_PREFIXES`) are refused unless the entry names them in
  `allow_dangerous`, and an authoritative entry deletes them only then (nor a sensitive value); password-type keys
  are refused (Kafka never shows them: no compare, no undo); read-only and unknown keys are refused with one line
  each, and the broker judges the values at plan time (`io/broker.py`'s `validate`).
- Group configs (`group_config.orders-service`, KIP-848's GROUP config resource) are a section of their own, not part
  of `consumer_groups`: a consumer-group entry is a request made once, while a group's configs are declared state,
  compared on every plan. A group need not exist to have configs (Kafka keeps them for a name), so an entry never
  waits for one; a group no longer declared falls back to the brokers' defaults. The brokers judge keys and ranges at
  plan time (`io/group.py`'s `validate`); on a cluster without group configs (Kafka 3.9; 4.0, which
  cannot list them) a stack that declares some is refused with one line at its first entry.
- Client quotas (`quota.user=orders-service`, `quota.client-id=web`, `quota.user=orders-service,client-id=web`,
  `quota.user=<default>`): a plan shows each key that is set, changed or removed as one line, e.g.
  `~ producer_byte_rate = 1048576 -> 2097152`. Values are doubles in Kafka; plans show whole numbers as integers
  (byte rates are bytes per second). No secret.
- Broker configs and quotas set outside kplan on entities the stack neither declares nor owns are named (info).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Mapping

from kplan.kinds.base import Kind, PlanContext, Scrub, TraceDict
from kplan.kinds.codec import FLAT, JsonKey
from kplan.kinds.dynamic_config.model import (
    DEFAULT_BROKER,
    KeysSpec,
    LiveBrokerConfig,
    LiveGroupConfig,
    LiveKeys,
    LiveQuota,
    QuotaEntity,
    danger_of,
    entity_name,
    secret_key,
)
from kplan.kinds.dynamic_config.section import BROKER_CONFIGS, GROUP_CONFIGS, QUOTAS, KeysShape
from kplan.kinds.importing import ImportContext, KindImporter
from kplan.kinds.live_codec import kind_slice, owning, shape
from kplan.kinds.planned import planned_of
from kplan.model.desired import freeze
from kplan.model.diagnostics import Severity
from kplan.model.live import KindState, Problem, problem_line
from kplan.model.ownership import Entry, Ownership, keys_after, keys_of
from kplan.model.plan import (
    Action,
    AttrKind,
    Flag,
    NoteKind,
    Path,
    Plan,
    PlanDiagnostic,
    PlannedPayload,
    Reason,
    ResourceChange,
    ResourceType,
    attribute_changes,
    error,
    with_planned,
)
from kplan.model.status import Difference, ResourceStatus
from kplan.words import closest, meant, plural

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Stack
    from kplan.model.live import LiveState
    from kplan.model.source import Origin

Spec = KeysSpec[Any, Any]
Live = LiveKeys[Any, Any]
Values = tuple[tuple[str, Any, Any], ...]  # (key, before, after): None for absent


def key_values(value: Callable[[Any], Any] = lambda v: v) -> JsonKey:
    """A payload's (key, before, after) triples in the plan file: [{key, before, after}]; `value`: a present value
    as the kind holds it."""
    def of(v: Any) -> Any:
        return None if v is None else value(v)

    return JsonKey(write=lambda values: [{"key": k, "before": b, "after": a} for k, b, a in values],
                   read=lambda docs: tuple((d["key"], of(d.get("before")), of(d.get("after"))) for d in docs))


@dataclass(frozen=True)
class KeysPlanned(PlannedPayload):
    """What apply does to one entity's keys: per key the exact value before (None: absent) and the value to set
    (None: delete), in the plan's order. A kind's subclass says its `type` and its JSON keys."""

    json_keys: ClassVar[Mapping[str, JsonKey]]

    entity: Any
    values: Values = ()


@dataclass(frozen=True)
class KeyStatus(ResourceStatus):
    """An entity's status: its (key, value) pairs on the cluster as the plan shows them, and the declared ones."""

    values: tuple[tuple[str, Any], ...] | None = None
    declared_values: tuple[tuple[str, Any], ...] | None = None


def not_authorized(what: str, read_on: str = "on the cluster", alter_on: str = "on the cluster") -> str:
    """Why a kind's keys could not be read when kplan's principal lacks the rights to describe them."""
    return (f"kplan's principal may not read {what} (needs DESCRIBE_CONFIGS {read_on}; changing them needs "
            f"ALTER_CONFIGS {alter_on}); grant them, or run kplan as a principal that has them")


class KeysKind(Kind[Spec, Live, KeyStatus]):
    """A dynamic-config kind. Its words: `entries`, its stack section's (`KeysShape`); its notes on an undeclared
    key: kplan set it and deletes it (`no_longer_declared`), the entry is authoritative and deletes it
    (`authoritative_removal`; None: the kind has no authoritative entries), or it stays as drift (`left_alone`);
    `problems`, why its keys could not be read; `values_word`, a value in a step's description ("dynamic config");
    `not_declared`, the info line on an entity with keys the stack neither declares nor owns ({entity}, {values};
    None: none); `adopt_unset`: a declared entity is adopted by any declared key not kplan's, not only one already
    set. The status's: `field`, the keys' field in the status JSON; `removed`/`removes`, how an undeclared key kplan
    set goes; `present`/`absent`, where a key is or is not; `missing`, the text's opening for a missing entity;
    `sep`, `word`: a value list's separator and its word when empty."""

    planned_type: type[KeysPlanned]
    entries: ClassVar[KeysShape]
    no_longer_declared: ClassVar[NoteKind]
    left_alone: ClassVar[NoteKind]
    authoritative_removal: ClassVar[NoteKind | None] = None
    problems: ClassVar[Mapping[Problem, str]]
    values_word: ClassVar[str]
    not_declared: ClassVar[str | None] = None
    adopt_unset: ClassVar[bool] = False
    live_type: ClassVar[Any]  # its LiveKeys, with its parameters
    field: ClassVar[str] = "configs"
    removed: ClassVar[str] = "deleted"
    removes: ClassVar[str] = "deletes"
    present: ClassVar[str]
    absent: ClassVar[str]
    missing: ClassVar[str]
    sep: ClassVar[str] = "="
    word: ClassVar[str] = "config"

    status_type = KeyStatus

    def __init__(self) -> None:
        self.unread = (self.entries.what, self.problems)  # keys that cannot be read cannot be planned
        self.difference_notes = {AttrKind.ADD: "missing", AttrKind.UPDATE: "differs", AttrKind.DRIFT: "not declared",
                                 AttrKind.REMOVE: f"not declared ({self.removed} by the next apply)"}
        self._read = shape(self.live_type, self.live_before)
        self.live_from_json = kind_slice(resources=(self.section, self._resources),
                                         problem=f"{self.type.value}_problem", after=owning)

    def entity_word(self, name: str) -> str:
        return name

    def shown(self, value: Any) -> Any:
        return self.entries.shown(value)

    # -- planning ----------------------------------------------------------------------------------------------

    def plan(self, spec: Spec, current: Live | None, ctx: PlanContext) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        return self.change(spec, current), []

    def change(self, spec: Spec, live: Live | None, declared: Mapping[str, Any] | None = None, *,
               deletable: Callable[[str], bool] = lambda key: True,
               added_note: Callable[[str], NoteKind | None] = lambda key: None, flags: Iterable[Flag] = ()
               ) -> ResourceChange:
        """The entity's `declared` keys (by default the entry's) against the current ones: a declared key is set
        (`added_note`: a note on one that is not set yet); a current key the entry does not name is deleted when
        kplan set it or the entry is authoritative and the key `deletable`, else it is drift, left alone. Adopted
        (Flag.ADOPT) when a declared key already set is not kplan's. `flags`: the kind's own (Flag.REFUSED)."""
        declared = spec.values if declared is None else declared
        current = live.values if live is not None else {}
        ours = live.owned if live is not None else frozenset()
        changes = {k: v for k, v in sorted(declared.items()) if k not in current or current[k] != v}
        undeclared = sorted(set(current) - set(spec.values))
        removed = [k for k in undeclared if k in ours or (spec.authoritative and deletable(k))]
        path_notes: dict[Path, NoteKind | None] = {
            **{(k,): added_note(k) for k in changes if k not in current},
            **{(k,): self.no_longer_declared if k in ours else self.authoritative_removal for k in removed}}
        attrs = attribute_changes({(k,): self.shown(current[k]) for k in [*changes, *undeclared] if k in current},
                                  {(k,): self.shown(v) for k, v in changes.items()}, sort=False, compare=False,
                                  drift={(k,) for k in undeclared if k not in removed}, path_notes=path_notes,
                                  notes={AttrKind.DRIFT: self.left_alone})
        after = {**{k: v for k, v in current.items() if k not in removed}, **dict(sorted(declared.items()))}
        values = [*((k, current.get(k), v) for k, v in changes.items()), *((k, current[k], None) for k in removed)]
        unchanged = len(declared) - len(changes)
        out_flags = set(flags) | ({Flag.DRIFT} if len(removed) < len(undeclared) else set())
        changed = any(a.changed for a in attrs)
        if not current:
            action, reason = (Action.CREATE, Reason.NOT_ON_CLUSTER) if changed else (Action.NOOP, Reason.MATCHES)
        else:
            action, reason = (Action.UPDATE, Reason.DIFFERS) if changed else (Action.NOOP, Reason.MATCHES)
            if not (set(declared) if self.adopt_unset else set(declared) & set(current)) <= ours:
                out_flags.add(Flag.ADOPT)
        return with_planned(ResourceChange(
            address=self.address(spec.name), type=self.type, name=spec.name, action=action,
            before=self.entries.entity_image(spec.entity, current) if current else None,
            after=self.entries.entity_image(spec.entity, after), attributes=tuple(attrs),
            unchanged_attributes=unchanged,
            flags=frozenset(out_flags), reason=reason, origin=spec.origin),
            self.planned_type(spec.entity, tuple(values)))

    def delete(self, current: Live, spec: Spec | None, reason: Reason, origin: Origin | None = None
               ) -> ResourceChange:
        """Delete the keys kplan set for this entity; any other key stays (shown as drift)."""
        values = current.values
        ours = {k for k in values if k in current.owned}
        others = {k: v for k, v in values.items() if k not in ours}
        attrs = attribute_changes({(k,): self.shown(v) for k, v in values.items()}, {}, drift={(k,) for k in others},
                                  notes={AttrKind.DRIFT: self.left_alone})
        action = Action.NOOP if not ours else (Action.UPDATE if others else Action.DELETE)
        return ResourceChange(
            address=self.address(current.name), type=self.type, name=current.name, action=action,
            before=self.entries.entity_image(current.entity, values),
            after=self.entries.entity_image(current.entity, others) if others else None, attributes=tuple(attrs),
            flags=frozenset({Flag.DRIFT}) if others else frozenset(), reason=reason, origin=origin,
            planned=self.planned_type(current.entity, tuple((k, values[k], None) for k in sorted(ours)))
            if ours else None)

    def live_repr(self, current: Live, spec: Spec | None = None) -> dict[str, Any]:
        return self.entries.entity_image(current.entity, current.values)

    def checks(self, stack: Stack, changes: Mapping[str, ResourceChange],
               all_changes: Mapping[str, ResourceChange], live: LiveState) -> list[PlanDiagnostic]:
        """Keys set outside kplan on entities the stack neither declares nor owns: named, never touched."""
        if self.not_declared is None or live.of(self.type).problem is not None:
            return []
        code = f"{self.type.value.replace('_', '-')}-not-declared"
        return [PlanDiagnostic(Severity.INFO, self.not_declared.format(entity=self.entity_word(name),
                                                                       values=self.values_text(c.values)),
                               code, address=self.address(name))
                for name, c in sorted(self.live(live).items(), key=lambda kv: self.entries.order(kv[0]))
                if name not in changes and c.values]

    def canonical(self, current: Live, secret: frozenset[str]) -> dict[str, Any]:
        return {"type": self.type.value, self.entries.entity_key: self.entries.entity_json(current.entity),
                "values": {k: current.values[k] for k in sorted(current.values)}}

    def payloads(self, plan: Plan) -> list[KeysPlanned]:
        """What the plan does to the kind's entities (each change's planned payload)."""
        return [planned_of(c, self.planned_type) for c in plan.changes if c.type == self.type and c.is_change]

    # -- status ------------------------------------------------------------------------------------------------

    def missing_when_absent(self, spec: Spec) -> bool:
        """A declared entity the cluster does not show is missing (not one without keys)."""
        return True

    def status(self, spec: Spec, current: Live | None, change: ResourceChange | None, scrub: Scrub) -> KeyStatus:
        """One the cluster does not show that need not be (`missing_when_absent`) has no keys there."""
        absent = current is None and not self.missing_when_absent(spec)
        return super().status(spec, self.live_type(spec.entity) if absent else current, change, scrub)

    def status_declared(self, spec: Spec) -> dict[str, Any]:
        return {"declared_values": self.pairs(spec.values)}

    def status_live(self, current: Live) -> dict[str, Any]:
        return {"values": self.pairs(current.values)}

    def pairs(self, values: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
        """An entity's (key, value) pairs as the plan shows them, by key."""
        return tuple((k, self.shown(v)) for k, v in sorted(values.items()))

    def values_text(self, values: Mapping[str, Any]) -> str:
        """`log.cleaner.threads=2, log.retention.ms=604800000`; `no configs` when none."""
        return ", ".join(f"{k}{self.sep}{self.shown(v)}" for k, v in sorted(values.items())) or plural(0, self.word)

    def status_detail(self, r: KeyStatus) -> str:
        if not r.exists:
            return f"{self.missing}declared {self.values_text(dict(r.declared_values or ()))}"
        return self.values_text(dict(r.values or ()))

    def difference_text(self, r: KeyStatus, d: Difference) -> str:
        key = d.path[0]
        return {AttrKind.ADD: f"+ {key} = {d.declared}: declared, {self.absent}",
                AttrKind.UPDATE: f"~ {key} = {d.live}: the stack declares {d.declared}",
                AttrKind.REMOVE: f"- {key} = {d.live}: {self.present}, not declared (the next apply {self.removes} it)",
                }.get(d.kind, f"~ {key} = {d.live}: {self.present}, not declared (left alone)")

    def status_fields(self, r: KeyStatus, trace_dict: TraceDict) -> dict[str, Any]:
        """Its fields in the status JSON: its live (key, value) pairs, the declared ones, its differences by key."""
        return {self.field: dict(r.values) if r.values is not None else None,
                "declared": {self.field: dict(r.declared_values or ())},
                "differences": [{"key": d.path[0], "kind": d.kind.value, "live": d.live, "declared": d.declared}
                                for d in r.differences]}

    # -- its part of the ownership record: per entity, the keys kplan set --------------------------------------

    def record_after(self, plan: Plan, stack: Stack, live: LiveState, destroy: bool, parts: Ownership
                     ) -> dict[str, Entry]:
        """The keys kplan owns once the plan is applied, per entity: those it set before that still exist, plus
        every key the stack declares (set now, or adopted as it is), minus those the plan deletes."""
        state = live.of(self.type)
        declared = [] if destroy or state.problem is not None else stack.of(self.section)
        return keys_after({n: {k for k in c.owned if k in c.values} for n, c in state.resources.items()},
                          [*((s.name, s.values, ()) for s in declared),
                           *((entity_name(p.entity), (), (k for k, _, a in p.values if a is None))
                             for p in self.payloads(plan))])

    def record_of(self, live: LiveState) -> dict[str, Entry]:
        return keys_of(live.of(self.type).resources)

    # -- the live state: the cluster's answer, or a live-state document ----------------------------------------

    def live_before(self, doc: Mapping[str, Any]) -> Mapping[str, Any]:
        """An entity's part of the document before it is read (by default as it is)."""
        return doc

    def _resources(self, entries: Mapping[str, Mapping[str, Any]] | None) -> Mapping[str, Live]:
        """{name: entry} -> each entity read with its name as its entity, by the name it reads as."""
        return freeze({r.name: r for r in (self._read({**e, "entity": n}) for n, e in (entries or {}).items())})

    def kind_state(self, found: Mapping[str, Mapping[str, Any]], part: Mapping[str, Any], problem: Problem | None
                   ) -> KindState:
        """The slice from the cluster's answer (name -> its entity's keys, and what the read says of them) and the
        stack's part of the ownership record (name -> the keys kplan set)."""
        return KindState(self._resources({n: {**doc, "owned": part.get(n, ())} for n, doc in found.items()}),
                         frozenset(part), problem=problem)

    # -- kplan import: one entry per entity with keys --------------------------------------------------------

    def imported(self, live: LiveState, ctx: ImportContext) -> list[dict[str, Any]]:
        state = live.of(self.type)
        if state.problem is not None:
            ctx.notes.append(f"{self.entries.what} not imported: {problem_line(state.problem)}")
        out = []
        for name in sorted(state.resources, key=self.entries.order):
            c = state.resources[name]
            if not c.values or not self.selected(c, ctx) or ctx.owned_elsewhere(self.type.value, name):
                continue
            values = self.importable(c, ctx.notes)
            if values:
                out.append(self.entries.import_entry(c.entity, values))
        return out

    def selected(self, c: Live, ctx: ImportContext) -> bool:
        return ctx.selects(c.name)

    def importable(self, c: Live, notes: list[str]) -> Mapping[str, Any]:
        """The values an entry can declare (a note on those it cannot)."""
        return c.values


# -- broker configs ------------------------------------------------------------------------------------------------

# Dynamic broker keys the brokers do not list until they are set (checked on Kafka 4.3): never "unknown".
UNLISTED = frozenset({"leader.replication.throttled.rate", "follower.replication.throttled.rate"})


def entity_word(name: str) -> str:
    return "the cluster-wide default" if name == DEFAULT_BROKER else f"broker {name}"


@dataclass(frozen=True)
class BrokerConfigPlanned(KeysPlanned):
    type = ResourceType.BROKER_CONFIG
    json_keys = {"entity": JsonKey("broker"), "values": key_values()}


def _static_text(by_broker: Mapping[str, str]) -> str:
    values = set(by_broker.values())
    if len(values) == 1:
        return f"{next(iter(values))} (on broker{'' if len(by_broker) == 1 else 's'} {', '.join(sorted(by_broker))})"
    return ", ".join(f"{v} on broker {b}" for b, v in sorted(by_broker.items()))


def _dangerous(spec: Spec, key: str) -> bool:
    """A key that can cut the cluster off and that the entry does not name in allow_dangerous."""
    return danger_of(key) is not None and key not in spec.allow_dangerous


class BrokerConfigKind(KeysKind):
    type, title, section = ResourceType.BROKER_CONFIG, "Broker configs", "broker_configs"
    planned_type, live_type, entries = BrokerConfigPlanned, LiveBrokerConfig, BROKER_CONFIGS
    no_longer_declared, left_alone = NoteKind.BROKER_CONFIG_NO_LONGER_DECLARED, NoteKind.BROKER_CONFIG_LEFT_ALONE
    authoritative_removal = NoteKind.BROKER_CONFIG_AUTHORITATIVE_REMOVAL
    problems = {Problem.NOT_AUTHORIZED: not_authorized("broker configs")}
    values_word = "dynamic broker config"
    not_declared = "{entity} has dynamic configs ({values}) this stack does not declare; left alone"
    present, absent, missing = "set dynamically", "not set dynamically", "not in the cluster; "
    flag_notes = {Flag.DRIFT: "drift: dynamic configs the stack does not declare and kplan did not set (left alone)"}
    entity_word = staticmethod(entity_word)

    def refusals(self, spec: Spec, live: Live | None) -> list[PlanDiagnostic]:
        """One error per declared key kplan will not write, naming the key and what to do."""
        out = []
        address = self.address(spec.name)
        for key in sorted(spec.values):
            at = spec.key_origins.get(key, spec.origin)
            if secret_key(key):
                out.append(error(f"broker config {key} of {entity_word(spec.entity)} is a password: Kafka never shows "
                                 "it, so kplan could neither compare nor undo it; set it with kafka-configs.sh",
                                 "broker-config-secret", address=address, origin=at, path=(key,)))
            elif _dangerous(spec, key):
                out.append(error(f"broker config {key} ({danger_of(key)}) can cut the cluster off: kplan refuses to "
                                 f"change it unless the entry names it in allow_dangerous: [{key}]",
                                 "broker-config-dangerous", address=address, origin=at, path=(key,)))
            elif live is not None and key in live.read_only:
                out.append(error(f"broker config {key} is read-only: only server.properties sets it (and a broker "
                                 "restart applies it); remove it from broker_configs", "broker-config-read-only",
                                 address=address, origin=at, path=(key,)))
            elif live is not None and live.known is not None and key not in live.known and key not in UNLISTED:
                out.append(error(f"unknown broker config {key}{meant(closest(key, live.known))}: the brokers do not "
                                 "list it", "broker-config-unknown", address=address, origin=at, path=(key,)))
        return out

    def plan(self, spec: Spec, current: Live | None, ctx: PlanContext) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        address = self.address(spec.name)
        diags = self.refusals(spec, current)
        if current is None and spec.entity != DEFAULT_BROKER:
            diags.append(error(f"broker {spec.entity} is not in the cluster; declare configs only for brokers it has",
                               "broker-config-no-such-broker", address=address, origin=spec.origin))
        refused = {d.path[0] for d in diags if d.path}
        values = current.values if current is not None else {}
        static = current.static if current is not None else {}
        change = self.change(
            spec, current, {k: v for k, v in spec.values.items() if k not in refused},
            deletable=lambda key: not _dangerous(spec, key) and values[key] is not None,  # a sensitive value: kept
            added_note=lambda key: NoteKind.BROKER_CONFIG_OVERRIDES_STATIC if key in static else None,
            flags={Flag.REFUSED} if diags else ())
        for a in change.attributes:  # the added keys come first, the undeclared ones after them
            key = a.path[0]
            if a.kind is AttrKind.ADD and key in static:
                diags.append(PlanDiagnostic(
                    Severity.INFO, f"broker config {key}: the dynamic value {a.after} of {entity_word(spec.entity)} "
                    f"overrides the static server.properties value {_static_text(static[key])}",
                    "broker-config-overrides-static", address=address, origin=spec.key_origins.get(key), path=(key,)))
            elif a.kind is AttrKind.DRIFT and spec.authoritative:
                dangerous = _dangerous(spec, key)
                why = "it can cut the cluster off" if dangerous else "its value is sensitive"
                diags.append(PlanDiagnostic(
                    Severity.WARNING, f"broker config {key} of {entity_word(spec.entity)} is not declared but is "
                    f"not deleted although the entry is authoritative: {why}"
                    + (f" (name it in allow_dangerous: [{key}] to delete it)" if dangerous else ""),
                    "broker-config-kept", address=address, origin=spec.origin, path=(key,)))
        return change, diags

    def checks(self, stack: Stack, changes: Mapping[str, ResourceChange],
               all_changes: Mapping[str, ResourceChange], live: LiveState) -> list[PlanDiagnostic]:
        """Only for a stack with a broker_configs section: the others never look at brokers."""
        return super().checks(stack, changes, all_changes, live) if stack.of(self.section) else []

    def missing_when_absent(self, spec: Spec) -> bool:
        return spec.name != DEFAULT_BROKER  # the default always is: without a key, it has none

    def importable(self, c: Live, notes: list[str]) -> Mapping[str, Any]:
        """Its dynamic values as Kafka shows them: static server.properties values are not the stack's, nor are
        sensitive values (Kafka never shows them). An entity is selected by its name like any resource (`<default>`,
        `1`): an import of a team's prefix takes none."""
        hidden = sorted(k for k, v in c.values.items() if v is None)
        if hidden:
            notes.append(f"broker configs of {c.name}: {', '.join(hidden)} left out (sensitive: Kafka does not show "
                         "the value)")
        return {k: v for k, v in c.values.items() if v is not None}


# -- group configs -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupConfigPlanned(KeysPlanned):
    type = ResourceType.GROUP_CONFIG
    json_keys = {"entity": JsonKey("group"), "values": key_values()}


class GroupConfigKind(KeysKind):
    type, title, section = ResourceType.GROUP_CONFIG, "Group configs", "group_configs"
    planned_type, live_type, entries = GroupConfigPlanned, LiveGroupConfig, GROUP_CONFIGS
    no_longer_declared, left_alone = NoteKind.GROUP_CONFIG_NO_LONGER_DECLARED, NoteKind.GROUP_CONFIG_LEFT_ALONE
    authoritative_removal = NoteKind.GROUP_CONFIG_AUTHORITATIVE_REMOVAL
    problems = {
        Problem.NOT_AUTHORIZED: not_authorized("group configs", "on the cluster and on the groups", "on the groups"),
        Problem.UNSUPPORTED: "the cluster does not support them: group configs need Kafka 4.1 or newer (KIP-848's "
                             "GROUP config resources, which kplan lists through KIP-1142's ListConfigResources); "
                             "remove group_configs, or upgrade the cluster",
    }
    values_word = "dynamic config"
    present, absent, missing = "set for the group", "not set for the group", "no dynamic configs; "
    flag_notes = {Flag.DRIFT: "drift: group configs the stack does not declare and kplan did not set (left alone)"}
    # none of the declared groups is planned when the cluster could not show group configs (or has none)
    refuses_unread = True

    def entity_word(self, name: str) -> str:
        return f"group {name}"

    def missing_when_absent(self, spec: Spec) -> bool:
        return bool(spec.values)  # a group none of whose keys is set runs on the brokers' defaults


# -- client quotas -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuotaPlanned(KeysPlanned):
    type = ResourceType.QUOTA
    json_keys = {"entity": FLAT, "values": key_values(float)}  # its entity's user and client_id

    entity: QuotaEntity


class QuotaKind(KeysKind):
    type, title, section = ResourceType.QUOTA, "Client quotas", "quotas"
    planned_type, live_type, entries = QuotaPlanned, LiveQuota, QUOTAS
    no_longer_declared, left_alone = NoteKind.QUOTA_NO_LONGER_DECLARED, NoteKind.QUOTA_LEFT_ALONE
    problems = {Problem.NOT_AUTHORIZED: not_authorized("client quotas")}
    values_word = "client quota"
    not_declared = "client quota {entity} ({values}) is set on the cluster but not declared by this stack; left alone"
    adopt_unset = True
    field, removed, removes, sep, word = "quotas", "removed", "removes", " ", "quota"
    present, absent, missing = "on the cluster", "not on the cluster", ""
    flag_notes = {Flag.DRIFT: "drift: the entity has quotas the stack does not declare and kplan did not set "
                              "(left alone)"}

    def live_before(self, doc: Mapping[str, Any]) -> Mapping[str, Any]:
        """An entry's entity is its own `user` and `client_id`, one of them at least (the document's key is not
        read)."""
        if doc.get("user") is None and doc.get("client_id") is None:
            raise ValueError("a quota entity needs a user or a client_id")
        return {**doc, "entity": doc}

    def selected(self, c: Live, ctx: ImportContext) -> bool:
        return any(ctx.selects(n) for n in (c.entity.user, c.entity.client_id) if n is not None)

    def importable(self, c: Live, notes: list[str]) -> Mapping[str, Any]:
        values = {k: v for k, v in c.values.items() if k in QUOTAS.flat}
        if len(values) < len(c.values):
            other = ", ".join(sorted(set(c.values) - set(values)))
            notes.append(f"quota {c.name}: {other} left out (a stack can declare {', '.join(QUOTAS.flat)})")
        return values


BROKER_CONFIG, GROUP_CONFIG, QUOTA = BrokerConfigKind(), GroupConfigKind(), QuotaKind()
BROKER_IMPORTER = KindImporter("broker config set(s)", BROKER_CONFIG.imported,
                               skip_help="Import no dynamic broker configs.")
GROUP_IMPORTER = KindImporter("group config set(s)", GROUP_CONFIG.imported, skip_help="Import no group configs.")
QUOTA_IMPORTER = KindImporter("quota entit(y/ies)", QUOTA.imported, skip_help="Import no client quotas.",
                              name_of=lambda entry: QuotaEntity(entry.get("user"), entry.get("client_id")).name)
