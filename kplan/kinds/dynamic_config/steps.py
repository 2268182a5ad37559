"""The dynamic-config kinds' step, written once: set and delete a kind's keys of entities, and the pure builder that
makes it from a plan (its handler: handlers.py). Reversible exactly: the step holds each key's value before (None: it
was absent), so undo sets those values back and deletes the keys that were absent. A kind's subclasses say its step's
`kind`, `phase` and its io's call (`writer`) and its changes' JSON keys: broker configs, one IncrementalAlterConfigs
request per entity; group configs, one per group; client quotas, one AlterClientQuotas batch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from kplan.kinds.codec import JsonKey
from kplan.kinds.dynamic_config.kind import BROKER_CONFIG, GROUP_CONFIG, QUOTA, KeysKind
from kplan.kinds.dynamic_config.model import QuotaEntity, entity_name
from kplan.kinds.step import Phase, Planned, StepBase, name_list
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Plan


@dataclass(frozen=True)
class KeyChange:
    """One key of one entity: its value before the run and after it (None: absent)."""

    entity: Any
    key: str
    before: Any
    after: Any


def key_changes(entity: str, entity_type: Any = Any) -> JsonKey:
    """A step's changes in the journal: [{<entity>, key, before, after}], the entity under the kind's key (`entity`;
    "": its own keys there, a quota's user and client_id), read back as `entity_type`."""
    from kplan.kinds.codec import converter

    def write(changes: tuple[KeyChange, ...]) -> list[dict[str, Any]]:
        entities = [converter().unstructure(c.entity) for c in changes]
        return [{**(e if entity == "" else {entity: e}), "key": c.key, "before": c.before, "after": c.after}
                for e, c in zip(entities, changes)]

    def read(docs: list[dict[str, Any]]) -> tuple[KeyChange, ...]:
        return tuple(KeyChange(converter().structure(d if entity == "" else d[entity], entity_type), d["key"],
                               d["before"], d["after"]) for d in docs)

    return JsonKey(write=write, read=read)


@dataclass(frozen=True)
class AlterKeys(StepBase):
    """Set and delete keys of entities. Undo: every key back to its value before (deleted when it had none)."""

    before_says: ClassVar[Mapping[str, Any]] = {"in_changes": True}  # each change holds its key's value before
    keys: ClassVar[KeysKind]  # the kind, and its words
    writer: ClassVar[str]  # its io's call: the `DynamicConfigWrites` method, given `by_entity` (handlers.py)

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

    @classmethod
    def build(cls, plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
        """The keys the plan sets or deletes, with their exact values before (each change's planned payload)."""
        changes = tuple(KeyChange(p.entity, *v) for p in cls.keys.payloads(plan) for v in p.values)
        return [Planned(cls(changes))] if changes else []


@dataclass(frozen=True)
class AlterBrokerConfigs(AlterKeys):
    kind, phase = "alter-broker-configs", Phase.ALTER_BROKER_CONFIGS
    keys, writer, json_keys = BROKER_CONFIG, "alter_broker_configs", {"changes": key_changes("broker")}


@dataclass(frozen=True)
class AlterGroupConfigs(AlterKeys):
    kind, phase = "alter-group-configs", Phase.ALTER_GROUP_CONFIGS
    keys, writer, json_keys = GROUP_CONFIG, "alter_group_configs", {"changes": key_changes("group")}


@dataclass(frozen=True)
class AlterQuotas(AlterKeys):
    kind, phase = "alter-quotas", Phase.ALTER_QUOTAS
    keys, writer, json_keys = QUOTA, "alter_quotas", {"changes": key_changes("", QuotaEntity)}  # its user, client_id
