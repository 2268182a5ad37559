"""What a mirror's connectors (`mirrors:`, kplan.stackfile.mirrors) add to a plan: the flow in words — which topics
of the source are replicated, under which names, which groups' offsets are translated — and, on the target, the
replicas and MirrorMaker's own topics as the mirror's (never orphans under a claim). Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from kplan.model.diagnostics import Severity
from kplan.model.plan import PlanDiagnostic, ResourceType, address_of, error

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import ConnectorSpec
    from kplan.model.live import LiveState
    from kplan.model.mirror import MirrorSpec


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
