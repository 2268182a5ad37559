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

from kplan.kinds.base import Kind, PlanContext, Scrub, TraceDict
from kplan.kinds.group_config.live import LiveGroupConfig
from kplan.kinds.group_config.model import GroupConfigSpec
from kplan.kinds.owned_keys import delete_owned_keys, key_difference, key_difference_text, key_status_fields
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
    with_planned,
)
from kplan.model.status import Difference, ResourceStatus, Status, owned
from kplan.words import plural

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Origin, Stack
    from kplan.model.live import LiveState
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


@dataclass(frozen=True)
class GroupConfigStatus(ResourceStatus):
    """A group's status: its dynamic (key, value) pairs on the cluster, and the declared ones."""

    configs: tuple[tuple[str, str], ...] | None = None
    declared_configs: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True)
class GroupConfigPlanned(PlannedPayload):
    """What apply does to one group's dynamic configs: per key the exact dynamic value before (None: absent) and
    the value to set (None: delete), in the plan's order."""

    type: ClassVar[ResourceType] = GROUP_CONFIG

    group: str
    values: tuple[tuple[str, str | None, str | None], ...] = ()  # (key, before, after)

    def to_json(self) -> dict[str, Any]:
        return {"group": self.group, "values": [{"key": k, "before": b, "after": a} for k, b, a in self.values]}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> "GroupConfigPlanned":
        return cls(str(doc["group"]), tuple((v["key"], v.get("before"), v.get("after"))
                                            for v in doc.get("values") or ()))


def config_repr(group: str, values: Mapping[str, str]) -> dict[str, Any]:
    """The before/after shape of a group's dynamic configs."""
    return {"group": group, "configs": dict(sorted(values.items()))}


def plan_group_config(spec: GroupConfigSpec, live: LiveGroupConfig | None) -> ResourceChange:
    address = f"{GROUP_CONFIG.value}.{spec.name}"
    current = dict(live.values) if live is not None else {}
    ours = live.owned if live is not None else frozenset()
    attrs: list[AttributeChange] = []
    after = dict(current)
    flags: set[Flag] = set()
    unchanged = 0
    values: list[tuple[str, str | None, str | None]] = []
    for key, value in sorted(spec.configs.items()):
        if key not in current:
            attrs.append(AttributeChange((key,), AttrKind.ADD, None, value))
            values.append((key, None, value))
        elif current[key] != value:
            attrs.append(AttributeChange((key,), AttrKind.UPDATE, current[key], value))
            values.append((key, current[key], value))
        else:
            unchanged += 1
        after[key] = value
    for key in sorted(set(current) - set(spec.configs)):
        if key in ours or spec.authoritative:
            note = (NoteKind.GROUP_CONFIG_NO_LONGER_DECLARED if key in ours
                    else NoteKind.GROUP_CONFIG_AUTHORITATIVE_REMOVAL)
            attrs.append(AttributeChange((key,), AttrKind.REMOVE, current[key], None, note=note))
            values.append((key, current[key], None))
            del after[key]
        else:
            attrs.append(AttributeChange((key,), AttrKind.DRIFT, current[key], None,
                                         note=NoteKind.GROUP_CONFIG_LEFT_ALONE))
            flags.add(Flag.DRIFT)
    changed = any(a.changed for a in attrs)
    if not current:
        action, reason = (Action.CREATE, Reason.NOT_ON_CLUSTER) if changed else (Action.NOOP, Reason.MATCHES)
    else:
        action, reason = (Action.UPDATE, Reason.DIFFERS) if changed else (Action.NOOP, Reason.MATCHES)
        if not set(spec.configs) & set(current) <= ours:
            flags.add(Flag.ADOPT)
    return with_planned(ResourceChange(
        address=address, type=GROUP_CONFIG, name=spec.name, action=action,
        before=config_repr(spec.group, current) if current else None, after=config_repr(spec.group, after),
        attributes=tuple(attrs), unchanged_attributes=unchanged, flags=frozenset(flags), reason=reason,
        origin=spec.origin), GroupConfigPlanned(spec.group, tuple(values)))


def delete_group_config(live: LiveGroupConfig, reason: Reason, origin: Origin | None = None) -> ResourceChange:
    """Delete the dynamic keys kplan set for this group; any other key stays (shown as drift)."""
    return delete_owned_keys(
        GROUP_CONFIG, live.name, live.values, live.owned, shown=lambda v: v,
        left_alone=NoteKind.GROUP_CONFIG_LEFT_ALONE, shape=lambda values: config_repr(live.group, values),
        reason=reason, origin=origin, planned=lambda removals: GroupConfigPlanned(live.group, removals))


def _difference(a: AttributeChange) -> Difference:
    return key_difference(a, "deleted")


def _values_text(values: Mapping[str, str]) -> str:
    """`consumer.heartbeat.interval.ms=6000, consumer.session.timeout.ms=60000`."""
    return ", ".join(f"{k}={v}" for k, v in sorted(values.items())) or plural(0, "config")


class GroupConfigKind(Kind[GroupConfigSpec, LiveGroupConfig, GroupConfigStatus]):
    type = GROUP_CONFIG
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
               scrub: Scrub) -> GroupConfigStatus:
        declared = tuple(sorted(spec.configs.items()))
        if current is None and spec.configs:  # none of its keys is set: the group runs on the brokers' defaults
            return GroupConfigStatus(GROUP_CONFIG, spec.name, Status.MISSING, False, origin=spec.origin,
                                     declared_configs=declared)
        diffs = tuple(_difference(a) for a in (change.attributes if change is not None else ()))
        values = current.values if current is not None else {}
        return GroupConfigStatus(GROUP_CONFIG, spec.name, Status.DRIFTED if diffs else Status.IN_SYNC, True,
                                 origin=spec.origin, owned=owned(change), differences=diffs,
                                 configs=tuple(sorted(values.items())), declared_configs=declared)

    def status_undeclared(self, current: LiveGroupConfig, change: ResourceChange, scrub: Scrub) -> GroupConfigStatus:
        return GroupConfigStatus(GROUP_CONFIG, current.name, Status.NOT_DECLARED, True,
                                 configs=tuple(sorted(current.values.items())),
                                 differences=tuple(_difference(a) for a in change.attributes))

    def status_detail(self, r: GroupConfigStatus) -> str:
        if not r.exists:
            return f"no dynamic configs; declared {_values_text(dict(r.declared_configs or ()))}"
        return _values_text(dict(r.configs or ()))

    def difference_text(self, r: GroupConfigStatus, d: Difference) -> str:
        return key_difference_text(d, present="set for the group", absent="not set for the group", goes="deletes")

    def status_fields(self, r: GroupConfigStatus, trace_dict: TraceDict) -> dict[str, Any]:
        return key_status_fields("configs", r.configs, r.declared_configs, r.differences)


KIND = GroupConfigKind()
