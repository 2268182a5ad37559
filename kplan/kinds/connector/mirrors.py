"""What a mirror's connectors (`mirrors:`, kplan.stackfile.mirrors) add to a plan: the flow in words — which topics
of the source are replicated, under which names, which groups' offsets are translated — and, on the target, the
replicas and MirrorMaker's own topics as the mirror's (never orphans under a claim). Pure."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Protocol, Sequence, runtime_checkable

from kplan.model.desired import freeze
from kplan.model.diagnostics import Severity
from kplan.model.mirror import MirrorRead
from kplan.model.plan import PlanDiagnostic, ResourceType, address_of, error, warning
from kplan.words import plural

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import ConnectorSpec, Stack
    from kplan.model.live import LiveState
    from kplan.model.mirror import MirrorSpec


@runtime_checkable
class MirrorReads(Protocol):
    """The mirrors' follow-up read (kplan.cluster.reader.KafkaReader; a live-state file's reader has none)."""

    def mirror_sources(self, mirrors: Sequence["MirrorSpec"]) -> Mapping[str, MirrorRead]:
        ...


def follow_up(stack: "Stack", live: "LiveState", reader: Any, destroy: bool) -> "LiveState":
    """The live state with what each declared mirror's source has (not on destroy: nothing is replicated then)."""
    mirrors = [m for m, _ in _mirrors(stack.of("connectors")).values()]
    if destroy or not mirrors or not isinstance(reader, MirrorReads):
        return live
    return replace(live, mirror_sources=freeze(dict(reader.mirror_sources(mirrors))))


def _mirrors(specs: Iterable["ConnectorSpec"]) -> dict[str, tuple["MirrorSpec", "ConnectorSpec"]]:
    """Each mirror once, with its first connector (the one its notes are placed at)."""
    out: dict[str, tuple[MirrorSpec, ConnectorSpec]] = {}
    for spec in sorted(specs, key=lambda s: s.name):
        if spec.mirror is not None:
            out.setdefault(spec.mirror.name, (spec.mirror, spec))
    return out


def flow_notes(specs: Iterable["ConnectorSpec"], live: "LiveState") -> list[PlanDiagnostic]:
    """One line per mirror: what it replicates, and the replicas already on this (the target) cluster."""
    names = (live.all_topic_names if live.all_topic_names is not None
             else frozenset(live.of(ResourceType.TOPIC).resources))
    out = []
    for mirror, spec in _mirrors(specs).values():
        replicas = sorted(t for t in names if mirror.owns_on_target(t) and t not in mirror.internal_topics()
                          and not t.startswith("mm2-"))
        have = (f"; {len(replicas)} replica topic(s) on {mirror.target_alias} now: "
                f"{', '.join(replicas[:10])}{' ...' if len(replicas) > 10 else ''}" if replicas else
                f"; no replica on {mirror.target_alias} yet")
        address = address_of(ResourceType.CONNECTOR, spec.name)
        out.append(PlanDiagnostic(Severity.INFO, mirror.describe() + have, "mirror-flow", address=address,
                                  origin=spec.origin))
        out += _source_notes(mirror, spec, live)
        needed = max(mirror.factors())
        if live.broker_count and needed > live.broker_count:
            said = ("its replication_factor" if mirror.replication_factor is not None else
                    "MirrorMaker's default replication factors (2 for replicas, 3 for its own topics)")
            out.append(error(f"mirror {mirror.name!r} creates topics on {mirror.target_alias} with {said}, but it has "
                             f"{live.broker_count} broker(s): MirrorMaker could not create them and would replicate "
                             f"nothing; set replication_factor: {live.broker_count} or fewer",
                             "mirror-replication-factor", address=address, origin=spec.origin))
    return out


def mirrored_topics(specs: Iterable["ConnectorSpec"], live: "LiveState") -> frozenset[str]:
    """The addresses of this cluster's topics the declared mirrors made: theirs, never orphans."""
    mirrors = [m for m, _ in _mirrors(specs).values()]
    return frozenset(address_of(ResourceType.TOPIC, t) for t in live.of(ResourceType.TOPIC).resources
                     if any(m.owns_on_target(t) for m in mirrors))


def _running(mirror: "MirrorSpec", config: Mapping[str, str]) -> "MirrorSpec":
    """The mirror with the topic patterns its live source connector holds: what it replicates now."""
    def split(key: str) -> tuple[str, ...]:
        return tuple(p.strip() for p in config.get(key, "").split(",") if p.strip())

    return replace(mirror, topics=split("topics"), topics_exclude=split("topics.exclude"))


def _names(names: Iterable[str], limit: int = 10) -> str:
    shown = sorted(names)
    return ", ".join(shown[:limit]) + (f" and {len(shown) - limit} more" if len(shown) > limit else "")


def _source_notes(mirror: "MirrorSpec", spec: "ConnectorSpec", live: "LiveState") -> list[PlanDiagnostic]:
    """What the source has: the topics replicated once the plan is applied, and which of them the change adds or
    drops (against what the live source connector's patterns replicate); a source not read is said so."""
    address = address_of(ResourceType.CONNECTOR, spec.name)
    read = live.mirror_sources.get(mirror.name)
    if read is None:
        return []
    if read.problem is not None:
        return [warning(f"mirror {mirror.name!r}: {read.problem}; the plan cannot say which of its topics are "
                        "replicated", "mirror-source-unread", address=address, origin=spec.origin)]
    source_connector = live.of(ResourceType.CONNECTOR).resources.get(f"{mirror.name}-source")
    now = {t for t in read.source_topics if mirror.replicates(t)}
    text = (f"mirror {mirror.name!r} replicates {plural(len(now), 'topic')} of {mirror.source_alias}"
            + (f": {_names(now)}" if now else " (none matches its patterns yet)"))
    if source_connector is not None:  # against what the running source connector's patterns replicate
        running = _running(mirror, source_connector.config)
        before = {t for t in read.source_topics if running.replicates(t)}
        if now - before:
            text += f"; this change adds {_names(now - before)}"
        if before - now:
            text += (f"; it drops {_names(before - now)} (their replicas on {mirror.target_alias} stay, no longer "
                     "updated)")
    out = [PlanDiagnostic(Severity.INFO, text, "mirror-topics", address=address, origin=spec.origin)]
    out += _collisions(mirror, now, live, address, spec)
    lags = {t: read.topics[t] - read.replicas[mirror.target_name(t)] for t in sorted(read.topics)
            if mirror.target_name(t) in read.replicas}
    if lags:
        behind = {t: n for t, n in lags.items() if n > 0}
        said = ("every replica is caught up" if not behind else
                "; ".join(f"{mirror.target_name(t)} {plural(n, 'record')} behind" for t, n in behind.items()))
        out.append(PlanDiagnostic(Severity.INFO, f"mirror {mirror.name!r} replication lag on {mirror.target_alias} "
                                  f"(the source's end offsets less the replica's, summed over partitions): {said}",
                                  "mirror-lag", address=address, origin=spec.origin))
    out += [_failover(mirror, group, left, on_target, address, spec) for group, (left, on_target)
            in sorted(read.groups.items())]
    return out


def _collisions(mirror: "MirrorSpec", replicated: set[str], live: "LiveState", address: str,
                spec: "ConnectorSpec") -> list[PlanDiagnostic]:
    """A replica would be written into a topic of the target that another stack owns: one error each."""
    out = []
    for topic in sorted(replicated):
        target = mirror.target_name(topic)
        owner = live.foreign_owners.get(address_of(ResourceType.TOPIC, target))
        if owner is not None:
            out.append(error(f"mirror {mirror.name!r} would copy {mirror.source_alias}'s topic {topic} into "
                             f"{target} on {mirror.target_alias}, which stack {owner!r} owns: exclude it "
                             "(topics_exclude), or use the prefixed policy", "mirror-target-owned",
                             address=address, origin=spec.origin))
    return out


def _failover(mirror: "MirrorSpec", group: str, left: int, on_target: int | None, address: str,
              spec: "ConnectorSpec") -> PlanDiagnostic:
    """Where a consumer group would resume were it moved to the target now (a failover drill): the records it has
    left to read on the target from its translated offsets against those it has left on the source."""
    if on_target is None:
        text = (f"failover of consumer group {group} to {mirror.target_alias} now: it has no translated offsets there "
                "yet, so it would start where its auto.offset.reset says")
    else:
        extra = on_target - left
        what = (f"it would re-read {plural(extra, 'record')}" if extra > 0 else
                f"it would MISS {plural(-extra, 'record')}" if extra < 0 else "it would re-read none and miss none")
        text = (f"failover of consumer group {group} to {mirror.target_alias} now: {plural(on_target, 'record')} left "
                f"to read there from its translated offsets, {left} on {mirror.source_alias}: {what}")
    return PlanDiagnostic(Severity.WARNING if on_target is not None and on_target < left else Severity.INFO, text,
                          "mirror-failover", address=address, origin=spec.origin)
