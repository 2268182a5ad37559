"""Diffing one declared topic against its live counterpart."""

from __future__ import annotations

from dataclasses import dataclass

from kplan.model.live import LiveTopic
from kplan.model.desired import TopicSpec
from kplan.plan.model import (
    SENSITIVE,
    Action,
    AttributeChange,
    AttrKind,
    Flag,
    PlanDiagnostic,
    ResourceChange,
    address_of,
    error,
    warning,
)
from kplan.rules.compare import topic_values_equal


@dataclass(frozen=True)
class TopicContext:
    broker_count: int
    stack_authoritative: bool = False
    owned: bool = True


def topic_repr(name: str, partitions: int, rf: int, config: dict, sensitive: frozenset[str]) -> dict:
    """The before/after shape of a topic; sensitive values are masked."""
    return {
        "name": name,
        "partitions": partitions,
        "replication_factor": rf,
        "config": {k: (SENSITIVE if k in sensitive else config[k]) for k in sorted(config)},
    }


def live_topic_repr(live: LiveTopic) -> dict:
    return topic_repr(live.name, live.partitions, live.replication_factor, dict(live.overrides), live.sensitive_keys)


def plan_topic(spec: TopicSpec, live: LiveTopic | None, ctx: TopicContext) -> tuple[ResourceChange, list]:
    if live is None:
        return _create(spec, ctx)
    return _update(spec, live, ctx)


def _create(spec: TopicSpec, ctx: TopicContext) -> tuple[ResourceChange, list[PlanDiagnostic]]:
    addr = address_of("topic", spec.name)
    attrs = [
        AttributeChange(("partitions",), AttrKind.ADD, after=spec.partitions),
        AttributeChange(("replication_factor",), AttrKind.ADD, after=spec.replication_factor),
    ] + [AttributeChange(("config", k), AttrKind.ADD, after=v) for k, v in spec.config.items()]
    diags = _rf_vs_brokers(spec, ctx)
    change = ResourceChange(
        address=addr,
        type="topic",
        name=spec.name,
        action=Action.CREATE,
        after=topic_repr(spec.name, spec.partitions, spec.replication_factor, dict(spec.config), frozenset()),
        attributes=tuple(attrs),
        reason="not on the cluster",
        origin=spec.origin,
    )
    return change, diags


def _rf_vs_brokers(spec: TopicSpec, ctx: TopicContext) -> list[PlanDiagnostic]:
    if ctx.broker_count > 0 and spec.replication_factor > ctx.broker_count:
        return [
            error(
                f"replication factor {spec.replication_factor} is higher than the number of brokers "
                f"({ctx.broker_count}); the broker would refuse to create topic {spec.name!r}",
                "replication-factor-exceeds-brokers",
                address=address_of("topic", spec.name),
                path=("replication_factor",),
                origin=spec.origin,
            )
        ]
    return []


def _update(spec: TopicSpec, live: LiveTopic, ctx: TopicContext) -> tuple[ResourceChange, list]:
    addr = address_of("topic", spec.name)
    diags: list[PlanDiagnostic] = []
    attrs: list[AttributeChange] = []
    flags: set[Flag] = set()
    unchanged = 0
    needs_replace: list[str] = []  # why a replacement would be needed

    # Partitions can only grow in place; the replication factor cannot change at all (no reassignment API).
    if spec.partitions < live.partitions:
        needs_replace.append("partitions")
    if spec.replication_factor != live.replication_factor:
        needs_replace.append("replication_factor")
    replace = bool(needs_replace) and spec.allow_replace and not spec.protect

    live_values = {"partitions": live.partitions, "replication_factor": live.replication_factor}
    desired_values = {"partitions": spec.partitions, "replication_factor": spec.replication_factor}
    for attr in ("partitions", "replication_factor"):
        before, after = live_values[attr], desired_values[attr]
        if before == after:
            unchanged += 1
        elif replace:
            attrs.append(AttributeChange((attr,), AttrKind.UPDATE, before, after, forces_replacement=True))
        elif attr in needs_replace:
            attrs.append(AttributeChange((attr,), AttrKind.REFUSED, before, after, note="refused"))
            flags.add(Flag.REFUSED)
            if spec.protect and spec.allow_replace:
                flags.add(Flag.PROTECTED)
            diags.append(_refusal(spec, attr, before, after))
        else:  # a partition increase
            attrs.append(AttributeChange((attr,), AttrKind.UPDATE, before, after,
                                         note="irreversible: keys move to other partitions"))
            flags.add(Flag.IRREVERSIBLE)
            diags.append(warning(
                f"increasing partitions from {before} to {after} cannot be undone; records with a given key will "
                "go to a different partition from now on (per-key ordering breaks across the change)",
                "partition-increase", address=addr, path=(attr,), origin=spec.origin))

    # Config: declared keys against the effective values; undeclared overrides are drift or removals.
    authoritative = spec.authoritative_config or ctx.stack_authoritative or replace
    after_config = {} if replace else dict(live.overrides)
    for key, want in spec.config.items():
        sensitive = key in live.sensitive_keys
        hidden = sensitive and key in live.effective and live.effective[key] is None
        # Kafka never returns a sensitive value: such a key cannot be compared and is left as it is.
        if hidden or (key in live.effective and topic_values_equal(key, want, live.effective[key])):
            unchanged += 1
            if replace:
                after_config[key] = want
            continue
        after_config[key] = want
        if key in live.overrides:
            attrs.append(AttributeChange(("config", key), AttrKind.UPDATE, _mask(live.overrides[key], sensitive),
                                         _mask(want, sensitive), sensitive=sensitive))
        else:
            inherited = live.effective.get(key)
            attrs.append(AttributeChange(("config", key), AttrKind.ADD, _mask(inherited, sensitive),
                                         _mask(want, sensitive), sensitive=sensitive,
                                         note="inherited" if inherited is not None else None))
    for key in sorted(set(live.overrides) - set(spec.config)):
        sensitive = key in live.sensitive_keys
        value = _mask(live.overrides[key], sensitive)
        if authoritative:
            after_config.pop(key, None)
            attrs.append(AttributeChange(("config", key), AttrKind.REMOVE, value, None, sensitive=sensitive,
                                         note=None if replace else "not declared (authoritative config)"))
        else:
            attrs.append(AttributeChange(("config", key), AttrKind.DRIFT, value, None, sensitive=sensitive,
                                         note="override not declared; left alone"))
            flags.add(Flag.DRIFT)

    if replace:
        action = Action.REPLACE
        flags.add(Flag.DATA_LOSS)
        diags += _rf_vs_brokers(spec, ctx)
        diags.append(warning(
            f"topic {spec.name!r} will be deleted and re-created to change "
            f"{' and '.join(a.replace('_', ' ') for a in needs_replace)}: "
            "all its records are lost (DATA LOSS)",
            "replace-data-loss", address=addr, origin=spec.origin))
        reason = " and ".join(_WHAT[a] for a in needs_replace) + " with allow_replace"
        after = topic_repr(spec.name, spec.partitions, spec.replication_factor, dict(spec.config), frozenset())
    else:
        action = Action.UPDATE if any(a.changed for a in attrs) else Action.NOOP
        reason = ("differs from the stack" if action == Action.UPDATE
                  else "cannot change as declared" if Flag.REFUSED in flags else "matches the stack")
        after = topic_repr(spec.name, spec.partitions if spec.partitions > live.partitions else live.partitions,
                           live.replication_factor, after_config, live.sensitive_keys)
    if not ctx.owned:
        flags.add(Flag.ADOPT)
    sensitive_paths = tuple(("config", k) for k in sorted(live.sensitive_keys)
                            if k in live.overrides or k in spec.config)
    change = ResourceChange(
        address=addr, type="topic", name=spec.name, action=action,
        before=live_topic_repr(live), after=after, attributes=tuple(attrs), unchanged_attributes=unchanged,
        sensitive_paths=sensitive_paths, flags=frozenset(flags), reason=reason, origin=spec.origin,
    )
    return change, diags


_WHAT = {"partitions": "partition decrease", "replication_factor": "replication factor change"}


def _mask(value, sensitive: bool):
    return SENSITIVE if sensitive and value is not None else value


def _refusal(spec: TopicSpec, attr: str, before: int, after: int) -> PlanDiagnostic:
    addr = address_of("topic", spec.name)
    if spec.protect and spec.allow_replace:
        why = "the topic is protected (protect: true), so kplan will not delete and re-create it"
    elif attr == "partitions":
        why = ("Kafka cannot remove partitions from a topic; set allow_replace: true to delete and re-create it "
               "(DATA LOSS)")
    else:
        why = ("changing it needs a partition reassignment, which kplan's admin client cannot do; use "
               "kafka-reassign-partitions, or set allow_replace: true to delete and re-create the topic (DATA LOSS)")
    what = "decrease partitions" if attr == "partitions" else "change the replication factor"
    return error(f"cannot {what} of topic {spec.name!r} from {before} to {after}: {why}",
                 "partition-decrease" if attr == "partitions" else "replication-factor-change",
                 address=addr, path=(attr,), origin=spec.origin)
