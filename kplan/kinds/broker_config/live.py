"""The broker-config kind's live type and its part of a live-state document (`kplan.kinds.livejson`).

One resource per entity the cluster has — `<default>` and every broker, even without a dynamic value — so a plan
can judge a declared key against what the brokers know:

    {"broker_configs": {"<default>": {"values": {"log.cleaner.threads": "2"}, "owned": ["log.cleaner.threads"],
                                      "static": {"log.retention.hours": {"1": "168"}}},
                        "1": {"values": {}, "read_only": ["broker.id"], "known": ["log.cleaner.threads", ...]}},
     "broker_config_problem": null | "not-authorized"}

`values`: the entity's dynamic values (DYNAMIC_DEFAULT_BROKER_CONFIG for `<default>`, DYNAMIC_BROKER_CONFIG for a
broker; null: a sensitive value Kafka does not show); `static`: key -> broker id -> its server.properties value;
`read_only`: keys only server.properties can set; `known`: every key the broker lists (absent: not checked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from kplan.kinds.live_codec import by_name, kind_slice, owning, shape
from kplan.model.desired import freeze
from kplan.model.live import KindState, Problem


@dataclass(frozen=True)
class LiveBrokerConfig:
    """One entity's dynamic configs on the cluster and what the brokers say about its keys."""

    broker: str
    values: Mapping[str, str | None] = field(default_factory=lambda: freeze({}))
    owned: frozenset[str] = frozenset()  # the keys this stack's ownership record says kplan set
    static: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: freeze({}))
    read_only: frozenset[str] = frozenset()
    known: frozenset[str] | None = None

    @property
    def name(self) -> str:
        return self.broker


def kind_state(found: Mapping[str, Mapping[str, Any]], part: Mapping[str, Any], problem: Problem | None) -> KindState:
    """The slice from the cluster's answer (entity -> {"values", "static", "read_only", "known"},
    kplan.cluster.broker_configs) and the stack's part of the ownership record (entity -> the keys kplan set)."""
    configs = {name: _config({**doc, "broker": name, "owned": part.get(name, ())}) for name, doc in found.items()}
    return KindState(freeze(configs), frozenset(part), problem=problem)


# An entity's configs as the cluster's answer and a live-state document have them, its key as `broker`.
_config = shape(LiveBrokerConfig)
live_from_json = kind_slice(resources=("broker_configs", by_name(_config, name="broker")),
                            problem="broker_config_problem", after=owning)
