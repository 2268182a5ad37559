"""The group-config kind's live type and its part of a live-state document (`kplan.kinds.livejson`).

One resource per group that has dynamic configs (the cluster lists them: KIP-1142's ListConfigResources); a
declared group without any is absent:

    {"group_configs": {"orders-service": {"values": {"consumer.session.timeout.ms": "60000"},
                                          "owned": ["consumer.session.timeout.ms"]}},
     "group_config_problem": null | "not-authorized" | "unsupported"}

`values`: the group's own dynamic values (source GROUP_CONFIG); the broker-wide defaults they override are not the
stack's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from kplan.kinds.live_codec import by_name, kind_slice, owning, shape
from kplan.model.desired import freeze
from kplan.model.live import KindState, Problem


@dataclass(frozen=True)
class LiveGroupConfig:
    """One group's dynamic configs on the cluster."""

    group: str
    values: Mapping[str, str] = field(default_factory=lambda: freeze({}))
    owned: frozenset[str] = frozenset()  # the keys this stack's ownership record says kplan set

    @property
    def name(self) -> str:
        return self.group


def kind_state(found: Mapping[str, Mapping[str, Any]], part: Mapping[str, Any], problem: Problem | None) -> KindState:
    """The slice from the cluster's answer (group -> {"values"}, kplan.cluster.group_configs) and the stack's part of
    the ownership record (group -> the keys kplan set)."""
    configs = {name: _config({**doc, "group": name, "owned": part.get(name, ())}) for name, doc in found.items()}
    return KindState(freeze(configs), frozenset(part), problem=problem)


_config = shape(LiveGroupConfig)
live_from_json = kind_slice(resources=("group_configs", by_name(_config, name="group")),
                            problem="group_config_problem", after=owning)
