"""A failover request (`reset: {mirror: <name>}`, docs/replication.md): a consumer group moved on a mirror's target
cluster to the offsets the mirror translated — the latest checkpoints its checkpoint connector wrote there (read by
the mirror's follow-up read (the connector kind's), before the groups' own, which checks its replicas exist).
Apply then sets exactly those offsets with the group requests' step (journaled, undone by putting the group's
offsets back). Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from kplan.kinds.group_request.model import MIRRORED, GroupSpec, Position
from kplan.model.desired import MirrorSpec
from kplan.model.diagnostics import Severity
from kplan.model.mirror import FailoverDrill, MirrorRead, declared_mirrors, drill
from kplan.model.plan import PlanDiagnostic, ResourceChange, ResourceType, address_of
from kplan.words import plural

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Stack
    from kplan.model.live import LiveState


def mirrors_of(stack: "Stack") -> dict[str, MirrorSpec]:
    """The mirrors this cluster's stack runs (the target of each), by name: whichever resources carry them
    (`declared_mirrors`, as the subject kind finds those with `schemas: true`), without naming their kind."""
    return {m.name: m for m, _ in declared_mirrors(stack)}


def translated(spec: GroupSpec, stack: "Stack", live: "LiveState") -> tuple[tuple[Position, ...], str | None]:
    """(where a failover request moves the group: its translated offsets, or why there are none)."""
    assert spec.reset is not None and spec.reset.to == MIRRORED
    name = spec.reset.mirror
    mirror = mirrors_of(stack).get(str(name))
    if mirror is None:
        return (), (f"mirror {name!r} is not declared on this cluster: a failover request goes on the cluster a "
                    "mirror of `mirrors:` copies to (its `cluster:`)")
    read: MirrorRead | None = live.mirror_sources.get(mirror.name)
    if read is None:
        return (), f"mirror {name!r} was not read (the plan reads a mirror's checkpoints from the cluster)"
    if read.checkpoint_problem is not None:
        return (), f"mirror {name!r}: {read.checkpoint_problem}"
    positions = drill(mirror, read, spec.name).positions
    if not positions:
        why = ("its groups do not match the group" if not mirror.follows(spec.name) else
               "the group has no committed offsets on the replicated topics of the source, or MirrorMaker has no "
               "offset sync at or before them yet")
        return (), (f"mirror {name!r} has written no checkpoint for consumer group {spec.name!r} on "
                    f"{mirror.checkpoints_topic()} ({why}): there is nothing to move it to")
    return positions, None


def drill_notes(stack: "Stack", changes: Mapping[str, ResourceChange], live: "LiveState") -> list[PlanDiagnostic]:
    """For each failover request the plan applies: the drill — where the group resumes, how old the checkpoints are,
    and how many records it would re-read or miss against the source."""
    out = []
    mirrors = mirrors_of(stack)
    for spec in sorted(stack.of("consumer_groups"), key=lambda g: g.name):
        address = address_of(ResourceType.CONSUMER_GROUP, spec.name)
        change = changes.get(address)
        if spec.reset is None or spec.reset.to != MIRRORED or change is None or not change.is_change:
            continue
        mirror = mirrors.get(str(spec.reset.mirror))
        read = live.mirror_sources.get(mirror.name) if mirror is not None else None
        if mirror is None or read is None:
            continue
        out.append(PlanDiagnostic(Severity.INFO, drill_text(mirror, drill(mirror, read, spec.name)), "group-failover",
                                  address=address, origin=spec.origin))
    return out


def drill_text(mirror: MirrorSpec, d: FailoverDrill) -> str:
    age = d.checkpoint_age_ms or 0
    text = (f"failover of consumer group {d.group!r} to {mirror.target_alias}: the offsets mirror {mirror.name!r} "
            f"translated (its checkpoints, the oldest {age // 1000} s old when read), "
            f"{plural(d.left_target, 'record')} left to read there")
    if not d.known:
        return text + f"; what it re-reads or misses is not known ({mirror.source_alias} was not read)"
    if d.reread or d.missed:
        text += f" against {d.left_source} on {mirror.source_alias}: " + " and ".join(
            x for x in (f"it re-reads {plural(d.reread, 'record')}" if d.reread else "",
                        f"it MISSES {plural(d.missed, 'record')}" if d.missed else "") if x)
    else:
        text += f", as on {mirror.source_alias}: it re-reads none and misses none"
    if d.untranslated:
        text += (f"; {', '.join(d.untranslated)} have no translation: the request leaves them (its consumers start "
                 "there by their auto.offset.reset)")
    return text
