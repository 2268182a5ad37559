"""The feature kind's live slice: each feature's finalized level and the range every broker supports, from
ApiVersions (v3+, KIP-584) asked of each broker. Its part of a live-state document:
{"features": {"share.version": {"level": 0, "min": 0, "max": 1}}, "owned_features": {"share.version": ""},
"feature_problem": null}."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from kplan.kinds.live_codec import by_name, kind_slice, shape
from kplan.model.desired import freeze
from kplan.model.live import KindState, Problem


@dataclass(frozen=True)
class LiveFeature:
    """A feature as the cluster has it: its finalized level (0: not finalized) and the levels every broker supports
    (min, max: the intersection of the brokers' ranges; max < min when they have none in common)."""

    name: str
    level: int = 0
    min: int = 0
    max: int = 0


def kind_state(found: Mapping[str, Mapping[str, int]], part: Any, problem: Problem | None) -> KindState:
    """The features' slice from the read's answer (feature -> level, min, max) and the features the stack's record
    owns (feature -> "")."""
    return KindState(freeze({n: LiveFeature(n, **v) for n, v in found.items()}), frozenset(part), problem=problem)


live_from_json = kind_slice(owned="owned_features", problem="feature_problem",
                            resources=("features", by_name(shape(LiveFeature))))
