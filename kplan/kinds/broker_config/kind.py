"""The broker-config kind: one resource per entity — `broker_config.<default>` (the cluster-wide dynamic default)
and `broker_config.1` (broker 1's own overrides) — whose attributes are its dynamic config keys.

Compared with the entity's dynamic values only (DYNAMIC_DEFAULT_BROKER_CONFIG for the default,
DYNAMIC_BROKER_CONFIG for a broker): a static server.properties value is never drift and never a reason to write;
a declared key that has one is shown with a note and an info line saying the dynamic value overrides it. The rules
per key:

* a declared key is set; a key already set is adopted: kplan owns the keys it declares (the ownership record keeps
  them per entity) and undo restores the values they had (or deletes them again if they had none);
* a dynamic key of a declared entity that the stack does not declare is deleted when kplan set it, or when the entry
  is `authoritative`; otherwise it is drift, shown and left alone;
* an entity no longer declared, and destroy: only the keys kplan set are deleted;
* keys that can cut the cluster off (`model.DANGEROUS_KEYS`/`DANGEROUS_PREFIXES`) are refused unless the entry
  names them in `allow_dangerous`; password-type keys are refused (Kafka never shows them: no compare, no undo);
  read-only and unknown keys are refused with one line each, and the broker judges the values at plan time
  (`kplan.cluster.broker_configs.validate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from kplan.kinds.base import Kind, PlanContext, Scrub, TraceDict
from kplan.kinds.broker_config.live import LiveBrokerConfig
from kplan.kinds.broker_config.model import DEFAULT_BROKER, BrokerConfigSpec, danger_of, entity_sort, secret_key
from kplan.kinds.owned_keys import delete_owned_keys, key_difference, key_difference_text, key_status_fields
from kplan.model.diagnostics import Severity
from kplan.model.live import Problem
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
from kplan.model.status import Difference, ResourceStatus, Status, owned
from kplan.words import closest, meant, plural

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Origin, Stack
    from kplan.model.live import LiveState
    from kplan.secrets import SecretValues

BROKER_CONFIG = ResourceType.BROKER_CONFIG
SENSITIVE = "(sensitive)"  # a value Kafka does not show
# Dynamic broker keys the brokers do not list until they are set (checked on Kafka 4.3): never "unknown".
UNLISTED = frozenset({"leader.replication.throttled.rate", "follower.replication.throttled.rate"})

PROBLEMS = {
    Problem.NOT_AUTHORIZED: "kplan's principal may not read broker configs (needs DESCRIBE_CONFIGS on the cluster; "
                            "changing them needs ALTER_CONFIGS on the cluster); grant them, or run kplan as a "
                            "principal that has them",
}


def entity_word(broker: str) -> str:
    return "the cluster-wide default" if broker == DEFAULT_BROKER else f"broker {broker}"


@dataclass(frozen=True)
class BrokerConfigStatus(ResourceStatus):
    """An entity's status: its dynamic (key, value) pairs on the cluster, and the declared ones."""

    configs: tuple[tuple[str, str], ...] | None = None
    declared_configs: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True)
class BrokerConfigPlanned(PlannedPayload):
    """What apply does to one entity's dynamic configs: per key the exact dynamic value before (None: absent) and
    the value to set (None: delete), in the plan's order."""

    type: ClassVar[ResourceType] = BROKER_CONFIG

    broker: str
    values: tuple[tuple[str, str | None, str | None], ...] = ()  # (key, before, after)

    def to_json(self) -> dict[str, Any]:
        return {"broker": self.broker, "values": [{"key": k, "before": b, "after": a} for k, b, a in self.values]}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> "BrokerConfigPlanned":
        return cls(str(doc["broker"]), tuple((v["key"], v.get("before"), v.get("after"))
                                             for v in doc.get("values") or ()))


def _shown(value: str | None) -> str:
    return SENSITIVE if value is None else value


def config_repr(broker: str, values: Mapping[str, str | None]) -> dict[str, Any]:
    """The before/after shape of an entity's dynamic configs."""
    return {"broker": broker, "configs": {k: _shown(v) for k, v in sorted(values.items())}}


def _static_text(by_broker: Mapping[str, str]) -> str:
    values = set(by_broker.values())
    if len(values) == 1:
        return f"{next(iter(values))} (on broker{'' if len(by_broker) == 1 else 's'} {', '.join(sorted(by_broker))})"
    return ", ".join(f"{v} on broker {b}" for b, v in sorted(by_broker.items()))


def refusals(spec: BrokerConfigSpec, live: LiveBrokerConfig | None) -> list[PlanDiagnostic]:
    """One error per declared key kplan will not write, naming the key and what to do."""
    out = []
    address = f"{BROKER_CONFIG.value}.{spec.name}"
    for key in sorted(spec.configs):
        at = spec.key_origins.get(key, spec.origin)
        if secret_key(key):
            out.append(error(f"broker config {key} of {entity_word(spec.broker)} is a password: Kafka never shows it, "
                             "so kplan could neither compare nor undo it; set it with kafka-configs.sh",
                             "broker-config-secret", address=address, origin=at, path=(key,)))
            continue
        danger = danger_of(key)
        if danger is not None and key not in spec.allow_dangerous:
            out.append(error(f"broker config {key} ({danger}) can cut the cluster off: kplan refuses to change it "
                             f"unless the entry names it in allow_dangerous: [{key}]", "broker-config-dangerous",
                             address=address, origin=at, path=(key,)))
            continue
        if live is None:
            continue
        if key in live.read_only:
            out.append(error(f"broker config {key} is read-only: only server.properties sets it (and a broker "
                             "restart applies it); remove it from broker_configs", "broker-config-read-only",
                             address=address, origin=at, path=(key,)))
        elif live.known is not None and key not in live.known and key not in UNLISTED:
            out.append(error(f"unknown broker config {key}{meant(closest(key, live.known))}: the brokers do not "
                             "list it", "broker-config-unknown", address=address, origin=at, path=(key,)))
    return out


def plan_broker_config(spec: BrokerConfigSpec, live: LiveBrokerConfig | None) -> tuple[ResourceChange,
                                                                                        list[PlanDiagnostic]]:
    address = f"{BROKER_CONFIG.value}.{spec.name}"
    diags = refusals(spec, live)
    if live is None and spec.broker != DEFAULT_BROKER:
        diags.append(error(f"broker {spec.broker} is not in the cluster; declare configs only for brokers it has",
                           "broker-config-no-such-broker", address=address, origin=spec.origin))
    refused = {d.path[0] for d in diags if d.path}
    declared = {k: v for k, v in spec.configs.items() if k not in refused}
    current = dict(live.values) if live is not None else {}
    ours = live.owned if live is not None else frozenset()
    static = live.static if live is not None else {}
    attrs: list[AttributeChange] = []
    after = dict(current)
    flags: set[Flag] = {Flag.REFUSED} if diags else set()
    unchanged = 0
    values: list[tuple[str, str | None, str | None]] = []
    for key, value in sorted(declared.items()):
        if key not in current:
            note = NoteKind.BROKER_CONFIG_OVERRIDES_STATIC if key in static else None
            attrs.append(AttributeChange((key,), AttrKind.ADD, None, value, note=note))
            values.append((key, None, value))
            if key in static:
                diags.append(PlanDiagnostic(
                    Severity.INFO, f"broker config {key}: the dynamic value {value} of {entity_word(spec.broker)} "
                    f"overrides the static server.properties value {_static_text(static[key])}",
                    "broker-config-overrides-static", address=address, origin=spec.key_origins.get(key), path=(key,)))
        elif current[key] != value:
            attrs.append(AttributeChange((key,), AttrKind.UPDATE, _shown(current[key]), value))
            values.append((key, current[key], value))
        else:
            unchanged += 1
        after[key] = value
    for key in sorted(set(current) - set(spec.configs)):
        dangerous = danger_of(key) is not None and key not in spec.allow_dangerous
        if key in ours or (spec.authoritative and not dangerous and current[key] is not None):
            note = (NoteKind.BROKER_CONFIG_NO_LONGER_DECLARED if key in ours
                    else NoteKind.BROKER_CONFIG_AUTHORITATIVE_REMOVAL)
            attrs.append(AttributeChange((key,), AttrKind.REMOVE, _shown(current[key]), None, note=note))
            values.append((key, current[key], None))
            del after[key]
        else:
            attrs.append(AttributeChange((key,), AttrKind.DRIFT, _shown(current[key]), None,
                                         note=NoteKind.BROKER_CONFIG_LEFT_ALONE))
            flags.add(Flag.DRIFT)
            if spec.authoritative:
                why = "it can cut the cluster off" if dangerous else "its value is sensitive"
                diags.append(PlanDiagnostic(
                    Severity.WARNING, f"broker config {key} of {entity_word(spec.broker)} is not declared but is "
                    f"not deleted although the entry is authoritative: {why}"
                    + (f" (name it in allow_dangerous: [{key}] to delete it)" if dangerous else ""),
                    "broker-config-kept", address=address, origin=spec.origin, path=(key,)))
    changed = any(a.changed for a in attrs)
    if not current:
        action, reason = (Action.CREATE, Reason.NOT_ON_CLUSTER) if changed else (Action.NOOP, Reason.MATCHES)
    else:
        action, reason = (Action.UPDATE, Reason.DIFFERS) if changed else (Action.NOOP, Reason.MATCHES)
        if not set(declared) & set(current) <= ours:
            flags.add(Flag.ADOPT)
    return with_planned(ResourceChange(
        address=address, type=BROKER_CONFIG, name=spec.name, action=action,
        before=config_repr(spec.broker, current) if current else None, after=config_repr(spec.broker, after),
        attributes=tuple(attrs), unchanged_attributes=unchanged, flags=frozenset(flags), reason=reason,
        origin=spec.origin), BrokerConfigPlanned(spec.broker, tuple(values))), diags


def delete_broker_config(live: LiveBrokerConfig, reason: Reason, origin: Origin | None = None) -> ResourceChange:
    """Delete the dynamic keys kplan set for this entity; any other key stays (shown as drift)."""
    return delete_owned_keys(
        BROKER_CONFIG, live.name, live.values, live.owned, shown=_shown, left_alone=NoteKind.BROKER_CONFIG_LEFT_ALONE,
        shape=lambda values: config_repr(live.broker, values), reason=reason, origin=origin,
        planned=lambda removals: BrokerConfigPlanned(live.broker, removals))


def _difference(a: AttributeChange) -> Difference:
    return key_difference(a, "deleted")


class BrokerConfigKind(Kind[BrokerConfigSpec, LiveBrokerConfig, BrokerConfigStatus]):
    type = BROKER_CONFIG
    planned_type = BrokerConfigPlanned
    title = "Broker configs"
    section = "broker_configs"
    flag_notes = {Flag.DRIFT: "drift: dynamic configs the stack does not declare and kplan did not set (left alone)"}

    def plan(self, spec: BrokerConfigSpec, current: LiveBrokerConfig | None, ctx: PlanContext
             ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        return plan_broker_config(spec, current)

    def delete(self, current: LiveBrokerConfig, spec: BrokerConfigSpec | None, reason: Reason,
               origin: Origin | None = None) -> ResourceChange:
        return delete_broker_config(current, reason, origin)

    def live_repr(self, current: LiveBrokerConfig, spec: BrokerConfigSpec | None = None) -> dict[str, Any]:
        return config_repr(current.broker, current.values)

    def checks(self, stack: Stack, changes: Mapping[str, ResourceChange],
               all_changes: Mapping[str, ResourceChange], live: LiveState) -> list[PlanDiagnostic]:
        """Dynamic configs set outside kplan on entities the stack neither declares nor owns: named, never
        touched (only for a stack with a broker_configs section: the others never look at brokers)."""
        if live.of(BROKER_CONFIG).problem is not None or not stack.of(self.section):
            return []
        return [PlanDiagnostic(Severity.INFO, f"{entity_word(name)} has dynamic configs ({_values_text(c.values)}) "
                               "this stack does not declare; left alone", "broker-config-not-declared",
                               address=self.address(name))
                for name, c in sorted(self.live(live).items(), key=lambda kv: entity_sort(kv[0]))
                if name not in changes and c.values]

    def deletion_notes(self, stack: Stack, changes: Mapping[str, ResourceChange],
                       all_changes: Mapping[str, ResourceChange], live: LiveState,
                       secrets: SecretValues | None = None) -> list[PlanDiagnostic]:
        return self.unreadable(live, stack.of(self.section), "broker configs", PROBLEMS)

    def canonical(self, current: LiveBrokerConfig, secret: frozenset[str]) -> dict[str, Any]:
        return {"type": "broker_config", "broker": current.broker,
                "values": {k: current.values[k] for k in sorted(current.values)}}

    def status(self, spec: BrokerConfigSpec, current: LiveBrokerConfig | None, change: ResourceChange | None,
               scrub: Scrub) -> BrokerConfigStatus:
        declared = tuple(sorted(spec.configs.items()))
        if current is None and spec.broker != DEFAULT_BROKER:
            return BrokerConfigStatus(BROKER_CONFIG, spec.name, Status.MISSING, False, origin=spec.origin,
                                      declared_configs=declared)
        diffs = tuple(_difference(a) for a in (change.attributes if change is not None else ()))
        values = current.values if current is not None else {}
        return BrokerConfigStatus(BROKER_CONFIG, spec.name, Status.DRIFTED if diffs else Status.IN_SYNC, True,
                                  origin=spec.origin, owned=owned(change), differences=diffs,
                                  configs=_pairs(values), declared_configs=declared)

    def status_undeclared(self, current: LiveBrokerConfig, change: ResourceChange, scrub: Scrub) -> BrokerConfigStatus:
        return BrokerConfigStatus(BROKER_CONFIG, current.name, Status.NOT_DECLARED, True,
                                  configs=_pairs(current.values),
                                  differences=tuple(_difference(a) for a in change.attributes))

    def status_detail(self, r: BrokerConfigStatus) -> str:
        if not r.exists:
            return f"not in the cluster; declared {_values_text(dict(r.declared_configs or ()))}"
        return _values_text(dict(r.configs or ()))

    def difference_text(self, r: BrokerConfigStatus, d: Difference) -> str:
        return key_difference_text(d, present="set dynamically", absent="not set dynamically", goes="deletes")

    def status_fields(self, r: BrokerConfigStatus, trace_dict: TraceDict) -> dict[str, Any]:
        return key_status_fields("configs", r.configs, r.declared_configs, r.differences)


def _pairs(values: Mapping[str, str | None]) -> tuple[tuple[str, str], ...]:
    return tuple((k, _shown(v)) for k, v in sorted(values.items()))


def _values_text(values: Mapping[str, str | None]) -> str:
    """`log.cleaner.threads=2, log.retention.ms=604800000`."""
    return ", ".join(f"{k}={_shown(v)}" for k, v in sorted(values.items())) or plural(0, "config")


KIND = BrokerConfigKind()
