"""The group-config kind's declared model.

A stack declares a group's dynamic configs (Kafka's GROUP config resource, KIP-848: `consumer.session.timeout.ms`,
`share.record.lock.duration.ms`, `streams.num.standby.replicas`...), each overriding the broker-wide
`group.<key>` default for that one group. The keys and their ranges are the brokers': kplan judges neither, the
brokers do at plan time (a validate-only request).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from kplan.model.desired import freeze
from kplan.model.source import Origin


@dataclass(frozen=True)
class GroupConfigSpec:
    """The dynamic configs a stack declares for one group: key -> value as Kafka takes it (a string);
    `authoritative`: the group's dynamic keys it does not declare are deleted."""

    group: str
    configs: Mapping[str, str] = field(default_factory=lambda: freeze({}))
    authoritative: bool = False
    origin: Origin | None = None
    key_origins: Mapping[str, Origin] = field(default_factory=lambda: freeze({}))

    @property
    def name(self) -> str:
        return self.group
