"""The dynamic-config kinds' step, written once: set and delete a kind's keys of entities, and the pure builder that
makes it from a plan (its handler: handlers.py). Reversible exactly: the step holds each key's value before (None: it
was absent), so undo sets those values back and deletes the keys that were absent. A kind's subclasses say its step's
`kind`, `phase` and its io's call (`writer`) and its changes' JSON keys: broker configs, one IncrementalAlterConfigs
request per entity; group configs, one per group; client quotas, one AlterClientQuotas batch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from kplan.kinds.codec import FLAT, JsonKey
from kplan.kinds.dynamic_config.kind import BROKER_CONFIG, GROUP_CONFIG, QUOTA, KeysKind
from kplan.kinds.dynamic_config.model import QuotaEntity, entity_name
from kplan.kinds.step import Phase, Planned, StepBase, name_list
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Plan

if TYPE_CHECKING:  # pragma: no cover  (the io reaches a client library: the planning contract, .importlinter)
    from kplan.kinds.dynamic_config.io import DynamicConfigWrites


@dataclass(frozen=True)
class KeyChange:
    """One key of one entity: its value before the run and after it (None: absent)."""

    json_keys: ClassVar[Mapping[str, JsonKey]]

    entity: Any
    key: str
    before: Any
    after: Any


@dataclass(frozen=True)
class AlterKeys(StepBase):
    """Set and delete keys of entities. Undo: every key back to its value before (deleted when it had none)."""

    before_says: ClassVar[Mapping[str, Any]] = {"in_changes": True}  # each change holds its key's value before
    keys: ClassVar[KeysKind]  # the kind, and its words
    change_type: ClassVar[type[KeyChange]]
    writer: ClassVar[str]

    changes: tuple[KeyChange, ...]

    def describe(self) -> str:
        names = sorted({entity_name(c.entity) for c in self.changes}, key=self.keys.entries.order)
        return f"alter {len(self.changes)} {self.keys.values_word} value(s) of " \
               f"{name_list([self.keys.entity_word(n) for n in names])}"

    def by_entity(self, undo: bool = False) -> list[tuple[Any, dict[str, Any]]]:
        """The writer's form: per entity, key -> value to set (None: delete); `undo` gives the before-values."""
        out: dict[Any, dict[str, Any]] = {}
        for c in self.changes:
            out.setdefault(c.entity, {})[c.key] = c.before if undo else c.after
        return sorted(out.items(), key=lambda kv: self.keys.entries.order(entity_name(kv[0])))

    def write(self, io: DynamicConfigWrites, undo: bool) -> None:
        """The kind's io call (its `DynamicConfigWrites` method named `writer`), with `by_entity(undo)`."""
        getattr(io, self.writer)(self.by_entity(undo))

    @classmethod
    def build(cls, plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
        """The keys the plan sets or deletes, with their exact values before (each change's planned payload)."""
        changes = tuple(cls.change_type(p.entity, *v) for p in cls.keys.payloads(plan) for v in p.values)
        return [Planned(cls(changes))] if changes else []


@dataclass(frozen=True)
class BrokerConfigChange(KeyChange):
    json_keys = {"entity": JsonKey("broker")}


@dataclass(frozen=True)
class AlterBrokerConfigs(AlterKeys):
    kind, phase = "alter-broker-configs", Phase.ALTER_BROKER_CONFIGS
    keys, change_type, writer = BROKER_CONFIG, BrokerConfigChange, "alter_broker_configs"

    changes: tuple[BrokerConfigChange, ...]


@dataclass(frozen=True)
class GroupConfigChange(KeyChange):
    json_keys = {"entity": JsonKey("group")}


@dataclass(frozen=True)
class AlterGroupConfigs(AlterKeys):
    kind, phase = "alter-group-configs", Phase.ALTER_GROUP_CONFIGS
    keys, change_type, writer = GROUP_CONFIG, GroupConfigChange, "alter_group_configs"

    changes: tuple[GroupConfigChange, ...]


@dataclass(frozen=True)
class QuotaChange(KeyChange):
    json_keys = {"entity": FLAT}  # its user and client_id

    entity: QuotaEntity


@dataclass(frozen=True)
class AlterQuotas(AlterKeys):
    kind, phase = "alter-quotas", Phase.ALTER_QUOTAS
    keys, change_type, writer = QUOTA, QuotaChange, "alter_quotas"

    changes: tuple[QuotaChange, ...]
