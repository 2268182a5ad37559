"""The topic kind: how a declared topic is diffed against the live one, deleted, fingerprinted, reported in
status, and labelled in output. Topic-wide checks ('.'/'_' collisions) and the CDC rule that keeps the topic of a
table a source no longer captures live here too."""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import replace as replace_attr
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, TypeVar

from kplan.kinds.base import Kind, PlanContext, Scrub
from kplan.kinds.codec import UNSET_OMITTED, JsonKey
from kplan.kinds.ignoring import ignored_note
from kplan.kinds.topic import migration, tiered
from kplan.kinds.topic.migration import MigrationPlanned
from kplan.kinds.topic.model import TopicSpec
from kplan.model.diagnostics import Severity
from kplan.model.live import LiveTopic
from kplan.model.plan import (
    SENSITIVE,
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
    address_of,
    attribute_changes,
    error,
    warning,
    with_planned,
)
from kplan.model.rebalance import Assignment  # a replica list (broker ids) per partition
from kplan.model.status import Difference, ResourceStatus, Status
from kplan.rules.compare import normalize_topic_value, topic_values_equal
from kplan.rules.ignore import ignored
from kplan.rules.names import is_platform_topic, is_reserved_topic
from kplan.rules.placement import choose_replicas, format_assignment
from kplan.words import plural

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.keepers import TopicKeepers
    from kplan.model.desired import Stack
    from kplan.model.live import LiveState
    from kplan.model.source import Origin
    from kplan.secrets import SecretValues

TOPIC = ResourceType.TOPIC
_V = TypeVar("_V")


@dataclass(frozen=True)
class TopicImage:
    """A topic as apply creates it, or as it was (an undo image): its overrides, sensitive values masked."""

    partitions: int
    replication_factor: int
    config: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TopicPlanned(PlannedPayload):
    """What apply does to one topic: its fields are the rows of model.PLANNED, which say what each holds (the plan
    schema's planned_topic); `throttle` and `elect` are written only when set."""

    type: ClassVar[ResourceType] = TOPIC
    json_keys: ClassVar[Mapping[str, JsonKey]] = {"throttle": UNSET_OMITTED, "elect": UNSET_OMITTED,
                                                  "migration": UNSET_OMITTED}

    create: TopicImage | None = None
    previous: TopicImage | None = None
    partitions: int | None = None
    partitions_before: int | None = None
    replicas: Assignment = ()
    replicas_before: Assignment = ()
    set_config: Mapping[str, str] = field(default_factory=dict)
    unset_config: tuple[str, ...] = ()
    config_before: Mapping[str, str | None] = field(default_factory=dict)
    migration: MigrationPlanned | None = None
    sensitive: tuple[str, ...] = ()
    throttle: int | None = None
    elect: tuple[int, ...] = ()


def _masked(config: Mapping[str, Any], sensitive: frozenset[str]) -> dict[str, Any]:
    return {k: _mask(v, k in sensitive) for k, v in config.items()}


def _live_image(live: LiveTopic) -> TopicImage:
    return TopicImage(live.partitions, live.replication_factor, _masked(live.overrides, live.sensitive_keys))


def topic_repr(name: str, partitions: int, rf: int, config: Mapping[str, str], sensitive: frozenset[str]
               ) -> dict[str, Any]:
    """The before/after shape of a topic; sensitive values are masked."""
    return {
        "name": name,
        "partitions": partitions,
        "replication_factor": rf,
        "config": {k: (SENSITIVE if k in sensitive else config[k]) for k in sorted(config)},
    }


def live_topic_repr(live: LiveTopic) -> dict[str, Any]:
    return topic_repr(live.name, live.partitions, live.replication_factor, dict(live.overrides), live.sensitive_keys)


def _create(spec: TopicSpec, ctx: PlanContext) -> tuple[ResourceChange, list[PlanDiagnostic]]:
    attrs = attribute_changes({}, {("partitions",): spec.partitions, ("replication_factor",): spec.replication_factor,
                                   **{("config", k): v for k, v in spec.config.items()}}, sort=False)
    change = ResourceChange(
        address=address_of(TOPIC, spec.name),
        type=TOPIC,
        name=spec.name,
        action=Action.CREATE,
        after=topic_repr(spec.name, spec.partitions, spec.replication_factor, dict(spec.config), frozenset()),
        attributes=tuple(attrs),
        reason=Reason.NOT_ON_CLUSTER,
        origin=spec.origin,
        planned=TopicPlanned(create=TopicImage(spec.partitions, spec.replication_factor, dict(spec.config)),
                             migration=(moved := migration.planned(spec, ctx.facts))),
    )
    return change, _rf_vs_brokers(spec, ctx) + ([migration.summary(spec, moved)] if moved is not None else [])


def _rf_vs_brokers(spec: TopicSpec, ctx: PlanContext) -> list[PlanDiagnostic]:
    if ctx.broker_count > 0 and spec.replication_factor > ctx.broker_count:
        return [
            error(
                f"replication factor {spec.replication_factor} is higher than the number of brokers "
                f"({ctx.broker_count}); the broker would refuse to create topic {spec.name!r}",
                "replication-factor-exceeds-brokers",
                address=address_of(TOPIC, spec.name),
                path=("replication_factor",),
                origin=spec.origin,
            )
        ]
    return []


def _update(spec: TopicSpec, live: LiveTopic, ctx: PlanContext) -> tuple[ResourceChange, list[PlanDiagnostic]]:
    if (spec.partitions == live.partitions and spec.replication_factor == live.replication_factor
            and not spec.ignore_changes and not live.sensitive_keys
            and _config_matches(spec.config, live.overrides, live.effective)):
        return _unchanged(spec, live, ctx), []
    addr = address_of(TOPIC, spec.name)
    diags: list[PlanDiagnostic] = []
    attrs: list[AttributeChange] = []
    flags: set[Flag] = set()
    needs_replace: list[str] = []  # why a replacement would be needed

    # Partitions can only grow in place.
    if spec.partitions < live.partitions:
        needs_replace.append("partitions")
    # A replication-factor change is a partition reassignment (kplan.rules.placement chooses the new replica
    # lists) when the replicas and the brokers' racks are known and there are brokers enough; else it is refused.
    reassigned = None
    if spec.replication_factor != live.replication_factor:
        if live.assignment and ctx.broker_racks and spec.replication_factor <= len(ctx.broker_racks):
            reassigned = choose_replicas(live.assignment, ctx.broker_racks, spec.replication_factor)
        else:
            needs_replace.append("replication_factor")
    protected = spec.protect or spec.protected_by is not None  # the user's protection or its CDC source's
    replace = bool(needs_replace) and spec.allow_replace and not protected

    unchanged = _layout_changes(spec, live, ctx, needs_replace, reassigned, replace, protected, attrs, flags, diags)
    after_config, sets, unsets, left, same = _config_changes(spec, live, ctx, replace, attrs, flags)
    unchanged += same

    if not replace:
        diags += _tiered(spec, live, after_config, attrs, flags, protected)

    before_repr = live_topic_repr(live)
    if replace:
        action = Action.REPLACE
        flags.add(Flag.DATA_LOSS)
        diags += _rf_vs_brokers(spec, ctx)
        diags.append(warning(
            f"topic {spec.name!r} will be deleted and re-created to change "
            f"{' and '.join(a.replace('_', ' ') for a in needs_replace)}: "
            "all its records are lost (DATA LOSS)",
            "replace-data-loss", address=addr, origin=spec.origin))
        reason = (Reason.REPLACE_BOTH if len(needs_replace) == 2 else Reason.REPLACE_PARTITIONS
                  if needs_replace == ["partitions"] else Reason.REPLACE_REPLICATION)
        after_repr = topic_repr(spec.name, spec.partitions, spec.replication_factor, dict(spec.config), frozenset())
    else:
        action = Action.UPDATE if any(a.changed for a in attrs) else Action.NOOP
        reason = (Reason.DIFFERS if action == Action.UPDATE
                  else Reason.CANNOT_CHANGE if Flag.REFUSED in flags else Reason.MATCHES)
        if spec.partitions <= live.partitions and reassigned is None and after_config == live.overrides:
            after_repr = before_repr  # nothing differs: one shape for both sides
        else:
            after_repr = topic_repr(spec.name, max(spec.partitions, live.partitions),
                                    spec.replication_factor if reassigned is not None else live.replication_factor,
                                    after_config, live.sensitive_keys)
    if not ctx.owned:
        flags.add(Flag.ADOPT)
    sensitive_paths = tuple(("config", k) for k in sorted(live.sensitive_keys)
                            if k in live.overrides or k in spec.config) if live.sensitive_keys else ()
    change = ResourceChange(
        address=addr, type=TOPIC, name=spec.name, action=action,
        before=before_repr,
        after=after_repr, attributes=tuple(attrs), unchanged_attributes=unchanged,
        sensitive_paths=sensitive_paths, flags=frozenset(flags), reason=reason, origin=spec.origin,
    )
    if left:
        diags.append(ignored_note("topic", spec.name, addr, left, spec.origin))
    if not change.is_change:  # the usual case of a large plan: no payload to compute
        return change, diags
    return with_planned(change, _update_planned(spec, live, replace, reassigned, sets, unsets)), diags


def _layout_changes(spec: TopicSpec, live: LiveTopic, ctx: PlanContext, needs_replace: list[str],
                    reassigned: tuple[tuple[int, ...], ...] | None, replace: bool, protected: bool,
                    attrs: list[AttributeChange], flags: set[Flag], diags: list[PlanDiagnostic]) -> int:
    """The partitions' and the replication factor's changes into `attrs`, `flags` and `diags`: each replaced,
    refused, reassigned or (partitions) increased in place. Returns how many of the two are unchanged."""
    addr = address_of(TOPIC, spec.name)
    unchanged = 0
    for attr in ("partitions", "replication_factor"):
        before, after = getattr(live, attr), getattr(spec, attr)
        if before == after:
            unchanged += 1
        elif replace:
            attrs.append(AttributeChange((attr,), AttrKind.UPDATE, before, after, forces_replacement=True))
        elif attr in needs_replace:
            attrs.append(AttributeChange((attr,), AttrKind.REFUSED, before, after, note=NoteKind.REFUSED))
            flags.add(Flag.REFUSED)
            if protected and spec.allow_replace:
                flags.add(Flag.PROTECTED)
            diags.append(_refusal(spec, attr, before, after, ctx))
        elif attr == "replication_factor" and reassigned is not None:
            attrs.append(AttributeChange((attr,), AttrKind.UPDATE, before, after, note=NoteKind.REASSIGNMENT))
            attrs.append(AttributeChange(("replicas",), AttrKind.UPDATE, format_assignment(live.assignment),
                                         format_assignment(reassigned), note=NoteKind.REASSIGNMENT))
        else:  # a partition increase
            attrs.append(AttributeChange((attr,), AttrKind.UPDATE, before, after,
                                         note=NoteKind.IRREVERSIBLE))
            flags.add(Flag.IRREVERSIBLE)
            diags.append(warning(
                f"increasing partitions from {before} to {after} cannot be undone; records with a given key will "
                "go to a different partition from now on (per-key ordering breaks across the change)",
                "partition-increase", address=addr, path=(attr,), origin=spec.origin))
    return unchanged


def _config_changes(spec: TopicSpec, live: LiveTopic, ctx: PlanContext, replace: bool,
                    attrs: list[AttributeChange], flags: set[Flag]
                    ) -> tuple[dict[str, str], dict[str, str], list[str], list[str], int]:
    """The config's changes into `attrs` and `flags`: (the overrides after the change, those apply sets, those it
    unsets, the ignored keys the cluster has otherwise, how many declared keys are unchanged)."""
    unchanged = 0
    # Config: declared keys against the effective values; undeclared overrides are drift or removals.
    # The most specific setting wins: the topic's own (True or False), else the stack-wide switch.
    own = spec.authoritative_config
    authoritative = (own if own is not None else ctx.stack_authoritative) or replace
    after_config = {} if replace else dict(live.overrides)
    sets: dict[str, str] = {}  # the overrides apply sets (an update) and those it unsets
    unsets: list[str] = []
    # ignore_changes: a key the cluster has otherwise than declared (or undeclared) is left as it is, said once
    ignoring = () if replace else spec.ignore_changes
    left: list[str] = []
    for key, want in spec.config.items():
        sensitive = key in live.sensitive_keys
        # Kafka never returns a sensitive value: such a key cannot be compared and is left as it is.
        same = (sensitive and key in live.effective and live.effective[key] is None) or (
            key in live.effective and topic_values_equal(key, want, live.effective[key]))
        if ignoring and ignored(ignoring, key):
            if not same:
                left.append(f"{key} ({_shown(live.effective.get(key), sensitive)}; declared {_shown(want, sensitive)})")
            continue
        if same:
            unchanged += 1
            if replace:
                after_config[key] = want
            continue
        after_config[key] = want
        sets[key] = want
        overridden = key in live.overrides
        was = live.overrides[key] if overridden else live.effective.get(key)  # else inherited, or None
        attrs.append(AttributeChange(("config", key), AttrKind.UPDATE if overridden else AttrKind.ADD,
                                     _mask(was, sensitive), _mask(want, sensitive), sensitive=sensitive,
                                     note=None if overridden or was is None else NoteKind.INHERITED))
    for key in sorted(set(live.overrides) - set(spec.config)):
        sensitive = key in live.sensitive_keys
        value = _mask(live.overrides[key], sensitive)
        if ignoring and ignored(ignoring, key):
            left.append(f"{key} ({_shown(live.overrides[key], sensitive)}; not declared)")
            continue
        if authoritative:
            after_config.pop(key, None)
            unsets.append(key)
            attrs.append(AttributeChange(("config", key), AttrKind.REMOVE, value, None, sensitive=sensitive,
                                         note=None if replace else NoteKind.AUTHORITATIVE_REMOVAL))
        else:
            attrs.append(AttributeChange(("config", key), AttrKind.DRIFT, value, None, sensitive=sensitive,
                                         note=NoteKind.DRIFT_LEFT_ALONE))
            flags.add(Flag.DRIFT)
    return after_config, sets, unsets, left, unchanged


# (declared config, live overrides, live effective configs) -> whether the live topic has exactly the config
# declared: looked up by the three mappings' identities (a stack's and a cluster read's topics share a handful),
# each entry holding them so that an identity is not reused. Bounded.
_MATCHES: dict[tuple[int, int, int], tuple[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any], bool]] = {}


def _config_matches(config: Mapping[str, str], overrides: Mapping[str, Any], effective: Mapping[str, Any]) -> bool:
    """Whether `_update` finds nothing to say of the config: every declared key has its effective value, no other
    key is overridden, and tiered storage stays as it is (no key may be sensitive or ignored: the caller checks)."""
    key = (id(config), id(overrides), id(effective))
    found = _MATCHES.get(key)
    if found is not None and found[0] is config and found[1] is overrides and found[2] is effective:
        return found[3]
    matches = (all(k in config for k in overrides)
               and all(k in effective and topic_values_equal(k, v, effective[k]) for k, v in config.items())
               and tiered.transition(effective, overrides) is None)
    if len(_MATCHES) < 10_000:
        _MATCHES[key] = (config, overrides, effective, matches)
    return matches


def _unchanged(spec: TopicSpec, live: LiveTopic, ctx: PlanContext) -> ResourceChange:
    """What `_update` gives for a topic whose config matches (`_config_matches`) and whose partitions and replication
    factor are the declared ones — the usual case of a large plan — without its work for a change."""
    shape = live_topic_repr(live)
    return ResourceChange(
        address=address_of(TOPIC, spec.name), type=TOPIC, name=spec.name, action=Action.NOOP, before=shape,
        after=shape, attributes=(), unchanged_attributes=2 + len(spec.config), sensitive_paths=(),
        flags=frozenset(() if ctx.owned else (Flag.ADOPT,)), reason=Reason.MATCHES, origin=spec.origin)


_IRREVERSIBLE_WHY = (
    (NoteKind.IRREVERSIBLE, "a partition increase cannot be undone; keys move to other partitions"),
    (NoteKind.TIERED_ON, "tiered storage turned on cannot be turned off again without deleting the segments copied "
                         "to remote storage (KIP-950); it runs after every reversible change, and a rollback leaves "
                         "it on"),
    (NoteKind.TIERED_OFF, "tiered storage turned off deletes the topic's remote segments; a rollback cannot bring "
                          "them back"),
)


def _tiered(spec: TopicSpec, live: LiveTopic, after_config: Mapping[str, str], attrs: list[AttributeChange],
            flags: set[Flag], protected: bool) -> list[PlanDiagnostic]:
    """Turning tiered storage on or off for an existing topic is one-way (kplan.kinds.topic.tiered): said in the
    plan, marked on the attribute, and refused on a protected topic when it deletes the remote segments."""
    t = tiered.transition(live.effective, after_config)
    if t is None:
        return []
    addr = address_of(TOPIC, spec.name)
    for i, a in enumerate(attrs):
        if a.path == ("config", tiered.ENABLE):
            attrs[i] = replace_attr(a, note=NoteKind.TIERED_ON if t is tiered.Transition.ENABLE
                                    else NoteKind.TIERED_OFF)
    flags.add(Flag.IRREVERSIBLE)
    if t is tiered.Transition.DISABLE:
        flags.add(Flag.DATA_LOSS)
        if protected:
            flags.add(Flag.PROTECTED)
            return [error(f"topic {spec.name!r} is protected: kplan will not turn its tiered storage off, which "
                          f"deletes its remote segments; keep {tiered.ENABLE}: true (set {tiered.COPY_DISABLE}: true "
                          f"to stop copying), or remove protect first",
                          "tiered-storage-off-protected", address=addr, path=("config", tiered.ENABLE),
                          origin=spec.origin)]
    return [warning(tiered.warning_text(spec.name, t), "tiered-storage-one-way", address=addr,
                    path=("config", tiered.ENABLE), origin=spec.origin)]


def _update_planned(spec: TopicSpec, live: LiveTopic, replace: bool, reassigned: Assignment | None,
                    sets: dict[str, str], unsets: list[str]) -> TopicPlanned:
    secret = live.sensitive_keys
    if replace:
        return TopicPlanned(create=TopicImage(spec.partitions, spec.replication_factor, _masked(spec.config, secret)),
                            previous=_live_image(live), sensitive=tuple(sorted(secret)))
    grow = spec.partitions > live.partitions
    return TopicPlanned(
        partitions=spec.partitions if grow else None, partitions_before=live.partitions if grow else None,
        replicas=reassigned or (), replicas_before=tuple(live.assignment) if reassigned is not None else (),
        set_config=_masked(sets, secret), unset_config=tuple(unsets),
        config_before=_masked({k: live.overrides.get(k) for k in [*sets, *unsets]}, secret),
        sensitive=tuple(sorted(k for k in secret if k in sets or k in unsets)))


def _shown(value: object, sensitive: bool) -> str:
    """A value as an ignore note says it: masked when secret, `unset` when the cluster has none."""
    return "unset" if value is None else SENSITIVE if sensitive else str(value)


def _mask(value: _V, sensitive: bool) -> _V | str:
    return SENSITIVE if sensitive and value is not None else value


def _refusal(spec: TopicSpec, attr: str, before: int, after: int, ctx: PlanContext) -> PlanDiagnostic:
    if spec.protect and spec.allow_replace:
        why = "the topic is protected (protect: true), so kplan will not delete and re-create it"
    elif spec.protected_by is not None and spec.allow_replace:
        why = (f"it holds the schema history of cdc source {spec.protected_by!r}, which its connector cannot lose, "
               "so kplan will not delete and re-create it")
    elif attr == "partitions":
        why = ("Kafka cannot remove partitions from a topic; " + migration.stanza(spec) + "; or set allow_replace: "
               "true to delete and re-create it (DATA LOSS)")
    elif ctx.broker_racks and after > len(ctx.broker_racks):
        why = f"the cluster has only {len(ctx.broker_racks)} broker(s)"
    else:
        why = ("a partition reassignment needs the topic's replica assignment and the cluster's brokers, which this "
               "live state does not have; plan against the cluster, or " + migration.stanza(spec) + "; or set "
               "allow_replace: true to delete and re-create the topic (DATA LOSS)")
    what = "decrease partitions" if attr == "partitions" else "change the replication factor"
    return error(f"cannot {what} of topic {spec.name!r} from {before} to {after}: {why}",
                 "partition-decrease" if attr == "partitions" else "replication-factor-change",
                 address=address_of(TOPIC, spec.name), path=(attr,), origin=spec.origin)


def _keepers() -> "TopicKeepers | None":
    """The kind whose resources keep topics beyond their declarations (a CDC source's connector), as its unit
    registers it (its Runtime's `keepers`, `KindUnit.runtime_ref`); None when no kind does."""
    from kplan.kinds import UNITS

    return next((runs.keepers for u in UNITS if (runs := u.runtime) is not None), None)


class TopicKind(Kind[TopicSpec, LiveTopic, ResourceStatus]):
    type = TOPIC
    planned_type = TopicPlanned
    title = "Topics"
    section = "topics"
    status_type = ResourceStatus
    untouchable = staticmethod(is_reserved_topic)
    internal = staticmethod(is_platform_topic)

    def unmet(self, expect: Mapping[str, Any], current: LiveTopic) -> list[str]:
        """A referenced topic's partitions and replication factor at least those expected, and each expected config
        value its effective one (set on the topic or inherited)."""
        out = []
        if expect.get("min_partitions") is not None and current.partitions < expect["min_partitions"]:
            out.append(f"{current.partitions} partitions, at least {expect['min_partitions']} expected")
        rf = expect.get("min_replication_factor")
        if rf is not None and current.replication_factor < rf:
            out.append(f"replication factor {current.replication_factor}, at least {rf} expected")
        for key, value in sorted((expect.get("config") or {}).items()):
            have = current.effective.get(key)
            if have is None or not topic_values_equal(key, value, have):
                out.append(f"{key} is {'unset' if have is None else have}, {value} expected")
        return out

    def change_flag_note(self, change: ResourceChange, flag: Flag) -> str | None:
        """Irreversible for a partition increase, for turning tiered storage on or off, or both; data loss on an
        update only for turning tiered storage off (its remote segments)."""
        notes = {a.note for a in change.attributes}
        if flag == Flag.IRREVERSIBLE:
            why = [text for note, text in _IRREVERSIBLE_WHY if note in notes]
            return "IRREVERSIBLE: " + "; ".join(why) if why else None
        if flag == Flag.DATA_LOSS and change.action == Action.UPDATE and NoteKind.TIERED_OFF in notes:
            return ("DATA LOSS: turning tiered storage off deletes the topic's remote segments (records past "
                    "local.retention.* are lost)")
        return None

    def refusal(self, spec: TopicSpec) -> PlanDiagnostic | None:
        if is_reserved_topic(spec.name):
            return error(f"{spec.name!r} is a Kafka, Connect or kplan internal topic; kplan never manages it",
                         "reserved-topic", address=self.address(spec.name), origin=spec.origin)
        return None

    def plan(self, spec: TopicSpec, current: LiveTopic | None, ctx: PlanContext
             ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        if current is None:
            return _create(spec, ctx)
        change, diags = _update(spec, current, ctx)
        moved = migration.planned(spec, ctx.facts) if spec.migrate_from is not None else None
        if moved is None:
            return change, diags
        # a migration whose copy a killed run left unfinished: its copy (resumed) and its groups' moves are planned
        p = change.planned if isinstance(change.planned, TopicPlanned) else TopicPlanned()
        change = replace_attr(change, action=Action.UPDATE, reason=Reason.DIFFERS,
                              planned=replace_attr(p, migration=moved))
        return change, [*diags, migration.summary(spec, moved)]

    def delete(self, current: LiveTopic, spec: TopicSpec | None, reason: Reason,
               origin: Origin | None = None) -> ResourceChange:
        before = live_topic_repr(current)
        attrs = attribute_changes({(k,): before[k] for k in ("partitions", "replication_factor")} | {
            ("config", k): v for k, v in before["config"].items()}, {}, sort=False,
            sensitive={("config", k) for k in current.sensitive_keys})
        return ResourceChange(
            address_of(TOPIC, current.name), TOPIC, current.name, Action.DELETE, before=before, after=None,
            attributes=tuple(attrs), flags=frozenset({Flag.DATA_LOSS}), reason=reason, origin=origin,
            sensitive_paths=tuple(("config", k) for k in sorted(current.sensitive_keys) if k in current.overrides),
            planned=TopicPlanned(previous=_live_image(current), sensitive=tuple(sorted(current.sensitive_keys))),
        )

    def live_repr(self, current: LiveTopic, spec: TopicSpec | None = None) -> dict[str, Any]:
        return live_topic_repr(current)

    def protected_for(self, spec: TopicSpec) -> str | None:
        # a schema-history topic exists for its source's resource (kplan.kinds.keepers)
        keepers = _keepers() if spec.protected_by is not None else None
        return keepers.address(spec.protected_by) if keepers is not None and spec.protected_by is not None else None

    def kept_with(self, spec: TopicSpec, owner: str) -> PlanDiagnostic:
        return PlanDiagnostic(Severity.INFO, f"topic {spec.name!r} holds the schema history of cdc source "
                              f"{spec.protected_by!r}, whose connector destroy does not delete; it is kept with it",
                              "cdc-schema-history-kept", address=self.address(spec.name), origin=spec.origin)

    def deletion_notes(self, stack: Stack, changes: Mapping[str, ResourceChange],
                       all_changes: Mapping[str, ResourceChange], live: LiveState,
                       secrets: SecretValues | None = None) -> list[PlanDiagnostic]:
        """A deleted schema-history topic is named as such: the source it belongs to is declared (destroy), or
        told by the live connector that keeps its history there and is deleted too (a source removed)."""
        declared = {t.name: t for t in self.declared(stack)}
        keepers = _keepers()
        out = []
        for change in changes.values():
            if change.action != Action.DELETE:
                continue
            spec = declared.get(change.name)
            source = spec.protected_by if spec is not None else None
            if source is None and keepers is not None:
                owner = keepers.live_history_owner(change.name, live)
                owner_change = all_changes.get(keepers.address(owner)) if owner else None
                source = owner if owner_change is not None and owner_change.action == Action.DELETE else None
            if source is not None:
                out.append(warning(f"DATA LOSS: the schema history of cdc source {source!r}: topic {change.name!r} is "
                                   "deleted after its connector (a connector created again starts with a new snapshot "
                                   "and a new history)", "cdc-schema-history-deleted", address=change.address,
                                   origin=change.origin))
        return out

    def keeps_undeclared(self, name: str, stack: "Stack") -> PlanDiagnostic | None:
        moving = migration.kept(name, stack) if stack.of("topics") else None
        if moving is not None:
            return moving
        keepers = _keepers()
        if keepers is None:
            return None
        owner = keepers.history_owner(name, stack)
        if owner is not None:  # e.g. declared again under another source: still its connector's history
            return PlanDiagnostic(Severity.INFO, f"topic {name!r} is no longer declared but holds the schema history "
                                  f"of connector {owner!r}; it is kept while that connector uses it",
                                  "cdc-schema-history-kept", address=self.address(name))
        keeper = keepers.table_keeper(name, stack)
        if keeper is None:
            return None
        return PlanDiagnostic(Severity.INFO,
                              f"topic {name!r} is no longer captured by cdc source {keeper.name!r} and is "
                              "left in place (prune_tables: false)", "cdc-topic-kept", address=self.address(name),
                              origin=keeper.origin)

    def checks(self, stack: Stack, changes: Mapping[str, ResourceChange],
               all_changes: Mapping[str, ResourceChange], live: LiveState) -> list[PlanDiagnostic]:
        """Kafka refuses a topic whose name equals another's once '.' and '_' are made the same; a declared migration
        that cannot run is an error (kplan.kinds.topic.migration)."""
        moves = migration.problems(stack, live) if any(t.migrate_from for t in stack.of("topics")) else []
        creates = [c for c in changes.values() if c.action == Action.CREATE]
        if not creates:  # nothing new can collide (and the cluster's names need not be sorted: a repository's plans)
            return moves
        existing: dict[str, str] = {}
        for name in sorted(live.topic_names()) + sorted(c.name for c in creates):
            existing.setdefault(name.replace(".", "_"), name)
        diags = []
        for c in creates:
            other = existing[c.name.replace(".", "_")]
            if other != c.name:
                where = "a topic on the cluster" if other in live.topic_names() else "another declared topic"
                diags.append(error(f"topic name {c.name!r} collides with {where}, {other!r} ('.' and '_' are the same "
                                   "to Kafka's metrics)", "topic-name-collision", address=c.address, origin=c.origin))
        return moves + diags

    def canonical(self, current: LiveTopic, secret: frozenset[str]) -> dict[str, Any]:
        return {
            "type": "topic",
            "name": current.name,
            "partitions": current.partitions,
            "replication_factor": current.replication_factor,
            "config": {k: normalize_topic_value(k, current.overrides[k]) for k in sorted(current.overrides)},
        }

    def status_undeclared(self, current: LiveTopic, change: ResourceChange, scrub: Scrub) -> "ResourceStatus":
        """Without differences: a topic the next apply deletes shows its size only."""
        return ResourceStatus(TOPIC, current.name, Status.NOT_DECLARED, True, **self.status_live(current))

    def status_difference(self, a: AttributeChange) -> "Difference":
        note = ""
        if a.kind == AttrKind.ADD and a.before is not None:
            note = "inherited"
        elif a.kind == AttrKind.REFUSED or a.forces_replacement:
            note = "needs replacement"
        elif a.kind in (AttrKind.DRIFT, AttrKind.REMOVE):
            note = "not declared"
        return Difference(a.path, a.kind, a.before, a.after, a.sensitive, note)

    def status_detail(self, r: "ResourceStatus") -> str:
        if not r.exists:
            return f"declared {plural(r.declared_partitions or 0, 'partition')}, RF {r.declared_replication_factor}"
        return f"{plural(r.partitions or 0, 'partition')}, RF {r.replication_factor}"

    def difference_text(self, r: "ResourceStatus", d: "Difference") -> str:
        from kplan.rules.display import show

        key = d.path[-1]
        if d.kind in (AttrKind.DRIFT, AttrKind.REMOVE):
            return f"~ {d.label} is {show(key, d.live)} on the cluster, not declared"
        live = "not set" if d.live is None else show(key, d.live) + (" (inherited)" if d.note == "inherited" else "")
        text = f"~ {d.label} is {live}, declared {show(key, d.declared)}"
        if d.note == "needs replacement":
            text += " (cannot change in place)"
        return text

    status_keys = {"partitions": "partitions", "replication_factor": "replication_factor"}
    declared_keys = ("partitions", "replication_factor")

    def difference_fields(self, d: Difference) -> dict[str, Any]:
        return {**super().difference_fields(d), "sensitive": d.sensitive}


KIND = TopicKind()
