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

from kplan.model.desired import freeze
from kplan.model.live import KindState, Problem, problem_of


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
    configs = {name: _config(name, {**doc, "owned": part.get(name, ())}) for name, doc in found.items()}
    return KindState(freeze(configs), frozenset(part), problem=problem)


def live_from_json(doc: Mapping[str, Any]) -> KindState:
    configs = {str(n): _config(str(n), d) for n, d in (doc.get("broker_configs") or {}).items()}
    return KindState(freeze(configs), frozenset(n for n, c in configs.items() if c.owned),
                     problem=problem_of(doc.get("broker_config_problem")))


def _config(name: str, d: Mapping[str, Any]) -> LiveBrokerConfig:
    known = d.get("known")
    return LiveBrokerConfig(
        name, freeze({str(k): (None if v is None else str(v)) for k, v in (d.get("values") or {}).items()}),
        frozenset(d.get("owned") or ()),
        freeze({str(k): freeze({str(b): str(v) for b, v in by.items()}) for k, by in (d.get("static") or {}).items()}),
        frozenset(d.get("read_only") or ()), None if known is None else frozenset(known))
