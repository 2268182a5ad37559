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

from kplan.kinds.base import PlanContext, Scrub
from kplan.kinds.broker_config.live import LiveBrokerConfig
from kplan.kinds.broker_config.model import DEFAULT_BROKER, BrokerConfigSpec, danger_of, entity_sort, secret_key
from kplan.kinds.codec import JsonKey
from kplan.kinds.owned_keys import (
    KeyNotes,
    KeysKind,
    KeyStatus,
    delete_owned_keys,
    key_values,
    plan_owned_keys,
)
from kplan.model.diagnostics import Severity
from kplan.model.live import Problem
from kplan.model.plan import (
    AttrKind,
    Flag,
    NoteKind,
    PlanDiagnostic,
    PlannedPayload,
    Reason,
    ResourceChange,
    ResourceType,
    error,
)
from kplan.words import closest, meant

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Stack
    from kplan.model.live import LiveState
    from kplan.model.source import Origin
    from kplan.secrets import SecretValues

BROKER_CONFIG = ResourceType.BROKER_CONFIG
SENSITIVE = "(sensitive)"  # a value Kafka does not show
# Dynamic broker keys the brokers do not list until they are set (checked on Kafka 4.3): never "unknown".
UNLISTED = frozenset({"leader.replication.throttled.rate", "follower.replication.throttled.rate"})

NOTES = KeyNotes(NoteKind.BROKER_CONFIG_NO_LONGER_DECLARED, NoteKind.BROKER_CONFIG_LEFT_ALONE,
                 NoteKind.BROKER_CONFIG_AUTHORITATIVE_REMOVAL)

PROBLEMS = {
    Problem.NOT_AUTHORIZED: "kplan's principal may not read broker configs (needs DESCRIBE_CONFIGS on the cluster; "
                            "changing them needs ALTER_CONFIGS on the cluster); grant them, or run kplan as a "
                            "principal that has them",
}


def entity_word(broker: str) -> str:
    return "the cluster-wide default" if broker == DEFAULT_BROKER else f"broker {broker}"


@dataclass(frozen=True)
class BrokerConfigPlanned(PlannedPayload):
    """What apply does to one entity's dynamic configs: per key the exact dynamic value before (None: absent) and
    the value to set (None: delete), in the plan's order."""

    type: ClassVar[ResourceType] = BROKER_CONFIG
    json_keys: ClassVar[Mapping[str, JsonKey]] = {"values": key_values()}

    broker: str
    values: tuple[tuple[str, str | None, str | None], ...] = ()  # (key, before, after)


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
    current = live.values if live is not None else {}
    static = live.static if live is not None else {}
    change = plan_owned_keys(
        BROKER_CONFIG, spec.name, {k: v for k, v in spec.configs.items() if k not in refused}, current,
        live.owned if live is not None else frozenset(), notes=NOTES, shown=_shown,
        shape=lambda values: config_repr(spec.broker, values), origin=spec.origin, entry_keys=spec.configs,
        authoritative=spec.authoritative,
        deletable=lambda key: not _dangerous(spec, key) and current[key] is not None,  # a sensitive value: kept
        added_note=lambda key: NoteKind.BROKER_CONFIG_OVERRIDES_STATIC if key in static else None,
        flags={Flag.REFUSED} if diags else (), planned=lambda values: BrokerConfigPlanned(spec.broker, values))
    for a in change.attributes:  # the added keys come first, the undeclared ones after them
        key = a.path[0]
        if a.kind is AttrKind.ADD and key in static:
            diags.append(PlanDiagnostic(
                Severity.INFO, f"broker config {key}: the dynamic value {a.after} of {entity_word(spec.broker)} "
                f"overrides the static server.properties value {_static_text(static[key])}",
                "broker-config-overrides-static", address=address, origin=spec.key_origins.get(key), path=(key,)))
        elif a.kind is AttrKind.DRIFT and spec.authoritative:
            dangerous = _dangerous(spec, key)
            why = "it can cut the cluster off" if dangerous else "its value is sensitive"
            diags.append(PlanDiagnostic(
                Severity.WARNING, f"broker config {key} of {entity_word(spec.broker)} is not declared but is "
                f"not deleted although the entry is authoritative: {why}"
                + (f" (name it in allow_dangerous: [{key}] to delete it)" if dangerous else ""),
                "broker-config-kept", address=address, origin=spec.origin, path=(key,)))
    return change, diags


def _dangerous(spec: BrokerConfigSpec, key: str) -> bool:
    """A key that can cut the cluster off and that the entry does not name in allow_dangerous."""
    return danger_of(key) is not None and key not in spec.allow_dangerous


def delete_broker_config(live: LiveBrokerConfig, reason: Reason, origin: Origin | None = None) -> ResourceChange:
    """Delete the dynamic keys kplan set for this entity; any other key stays (shown as drift)."""
    return delete_owned_keys(
        BROKER_CONFIG, live.name, live.values, live.owned, shown=_shown, left_alone=NoteKind.BROKER_CONFIG_LEFT_ALONE,
        shape=lambda values: config_repr(live.broker, values), reason=reason, origin=origin,
        planned=lambda removals: BrokerConfigPlanned(live.broker, removals))


class BrokerConfigKind(KeysKind[BrokerConfigSpec, LiveBrokerConfig]):
    type = BROKER_CONFIG
    present, absent, missing = "set dynamically", "not set dynamically", "not in the cluster; "
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
        return [PlanDiagnostic(Severity.INFO, f"{entity_word(name)} has dynamic configs ({self.values_text(c.values)}) "
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
               scrub: Scrub) -> KeyStatus:
        values = None if current is None and spec.broker != DEFAULT_BROKER else current.values if current else {}
        return self.status_of(spec, values, spec.configs, change)

    def shown(self, value: str | None) -> str:
        return _shown(value)


KIND = BrokerConfigKind()
