"""The group-config kind: one resource per group — `group_config.orders-service` — whose attributes are its dynamic
config keys (KIP-848's GROUP config resource; each overrides the broker-wide `group.<key>` default for the group).

A separate section, not part of `consumer_groups`: a consumer-group entry is a request made once (a reset or a
delete, docs/consumer-groups.md), while a group's configs are declared state, compared on every plan and owned key
by key. A group need not exist to have configs (Kafka keeps them for a name), so an entry never waits for one.

The rules per key (as for dynamic broker configs):

* a declared key is set; a key already set is adopted: kplan owns the keys it declares (the ownership record keeps
  them per group) and undo restores the values they had (or deletes them again if they had none);
* a dynamic key of a declared group that the stack does not declare is deleted when kplan set it, or when the entry
  is `authoritative`; otherwise it is drift, shown and left alone;
* a group no longer declared, and destroy: only the keys kplan set are deleted (the group falls back to the
  brokers' defaults);
* the keys and their ranges are the brokers' (`consumer.session.timeout.ms` within `group.consumer.min/max.session.
  timeout.ms`...): the plan sends its writes validate-only (`kplan.cluster.group_configs.validate`), and whatever the
  brokers refuse is one located error line.

On a cluster without group configs (Kafka 3.9; 4.0, which cannot list them) a stack that declares some is refused
with one line at its first entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from kplan.kinds.base import PlanContext, Scrub
from kplan.kinds.codec import JsonKey
from kplan.kinds.group_config.live import LiveGroupConfig
from kplan.kinds.group_config.model import GroupConfigSpec
from kplan.kinds.owned_keys import (
    KeyNotes,
    KeysKind,
    KeyStatus,
    delete_owned_keys,
    key_values,
    plan_owned_keys,
)
from kplan.model.live import Problem
from kplan.model.plan import Flag, NoteKind, PlanDiagnostic, PlannedPayload, Reason, ResourceChange, ResourceType

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Stack
    from kplan.model.live import LiveState
    from kplan.model.source import Origin
    from kplan.secrets import SecretValues

GROUP_CONFIG = ResourceType.GROUP_CONFIG

PROBLEMS = {
    Problem.NOT_AUTHORIZED: "kplan's principal may not read group configs (needs DESCRIBE_CONFIGS on the cluster "
                            "and on the groups; changing them needs ALTER_CONFIGS on the groups); grant them, or run "
                            "kplan as a principal that has them",
    Problem.UNSUPPORTED: "the cluster does not support them: group configs need Kafka 4.1 or newer (KIP-848's "
                         "GROUP config resources, which kplan lists through KIP-1142's ListConfigResources); remove "
                         "group_configs, or upgrade the cluster",
}
NOTES = KeyNotes(NoteKind.GROUP_CONFIG_NO_LONGER_DECLARED, NoteKind.GROUP_CONFIG_LEFT_ALONE,
                 NoteKind.GROUP_CONFIG_AUTHORITATIVE_REMOVAL)


@dataclass(frozen=True)
class GroupConfigPlanned(PlannedPayload):
    """What apply does to one group's dynamic configs: per key the exact dynamic value before (None: absent) and
    the value to set (None: delete), in the plan's order."""

    type: ClassVar[ResourceType] = GROUP_CONFIG
    json_keys: ClassVar[Mapping[str, JsonKey]] = {"values": key_values()}

    group: str
    values: tuple[tuple[str, str | None, str | None], ...] = ()  # (key, before, after)


def config_repr(group: str, values: Mapping[str, str]) -> dict[str, Any]:
    """The before/after shape of a group's dynamic configs."""
    return {"group": group, "configs": dict(sorted(values.items()))}


def plan_group_config(spec: GroupConfigSpec, live: LiveGroupConfig | None) -> ResourceChange:
    return plan_owned_keys(
        GROUP_CONFIG, spec.name, spec.configs, live.values if live is not None else {},
        live.owned if live is not None else frozenset(), notes=NOTES, shown=lambda v: v,
        shape=lambda values: config_repr(spec.group, values), origin=spec.origin, authoritative=spec.authoritative,
        planned=lambda values: GroupConfigPlanned(spec.group, values))


def delete_group_config(live: LiveGroupConfig, reason: Reason, origin: Origin | None = None) -> ResourceChange:
    """Delete the dynamic keys kplan set for this group; any other key stays (shown as drift)."""
    return delete_owned_keys(
        GROUP_CONFIG, live.name, live.values, live.owned, shown=lambda v: v,
        left_alone=NoteKind.GROUP_CONFIG_LEFT_ALONE, shape=lambda values: config_repr(live.group, values),
        reason=reason, origin=origin, planned=lambda removals: GroupConfigPlanned(live.group, removals))


class GroupConfigKind(KeysKind[GroupConfigSpec, LiveGroupConfig]):
    type = GROUP_CONFIG
    present, absent, missing = "set for the group", "not set for the group", "no dynamic configs; "
    planned_type = GroupConfigPlanned
    title = "Group configs"
    section = "group_configs"
    flag_notes = {Flag.DRIFT: "drift: group configs the stack does not declare and kplan did not set (left alone)"}

    def readable(self, declared: Mapping[str, GroupConfigSpec], live: LiveState,
                 allowed: frozenset[str] = frozenset()) -> tuple[dict[str, GroupConfigSpec], list[PlanDiagnostic]]:
        """None of the declared groups when the cluster could not show group configs (or has none): one error at
        the first entry, and nothing planned for them."""
        state = live.of(GROUP_CONFIG)
        if state.problem is None or not declared:
            return dict(declared), []
        return {}, self.unreadable(live, [declared[n] for n in sorted(declared)], "group configs", PROBLEMS)

    def plan(self, spec: GroupConfigSpec, current: LiveGroupConfig | None, ctx: PlanContext
             ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        return plan_group_config(spec, current), []

    def delete(self, current: LiveGroupConfig, spec: GroupConfigSpec | None, reason: Reason,
               origin: Origin | None = None) -> ResourceChange:
        return delete_group_config(current, reason, origin)

    def live_repr(self, current: LiveGroupConfig, spec: GroupConfigSpec | None = None) -> dict[str, Any]:
        return config_repr(current.group, current.values)

    def deletion_notes(self, stack: Stack, changes: Mapping[str, ResourceChange],
                       all_changes: Mapping[str, ResourceChange], live: LiveState,
                       secrets: SecretValues | None = None) -> list[PlanDiagnostic]:
        if stack.of(self.section):
            return []  # said by `readable`
        return self.unreadable(live, (), "group configs", PROBLEMS)

    def canonical(self, current: LiveGroupConfig, secret: frozenset[str]) -> dict[str, Any]:
        return {"type": "group_config", "group": current.group,
                "values": {k: current.values[k] for k in sorted(current.values)}}

    def status(self, spec: GroupConfigSpec, current: LiveGroupConfig | None, change: ResourceChange | None,
               scrub: Scrub) -> KeyStatus:
        # a group none of whose keys is set is missing: it runs on the brokers' defaults
        values = None if current is None and spec.configs else current.values if current is not None else {}
        return self.status_of(spec, values, spec.configs, change)


KIND = GroupConfigKind()
