"""The quota kind's declared model: client quotas as a stack declares them
(the Stack holds them by section, `Stack.of`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from kplan.model.desired import freeze
from kplan.model.source import Origin

QUOTA_KEYS = ("producer_byte_rate", "consumer_byte_rate", "request_percentage")  # the keys a stack may declare


DEFAULT_ENTITY = "<default>"  # a stack's (and plan's) name for Kafka's default user or client id


@dataclass(frozen=True, order=True)
class QuotaEntity:
    """Whom a client quota applies to: a user, a client id, or both (`<default>`: Kafka's default entity)."""

    user: str | None = None
    client_id: str | None = None

    @property
    def name(self) -> str:
        """`user=orders-service`, `client-id=web`, `user=orders-service,client-id=web`: the resource's name."""
        parts = [f"user={self.user}"] if self.user is not None else []
        if self.client_id is not None:
            parts.append(f"client-id={self.client_id}")
        return ",".join(parts)


@dataclass(frozen=True)
class QuotaSpec:
    """The client quotas a stack declares for one entity: quota key -> value (bytes per second for the byte
    rates, a percentage of one I/O thread for request_percentage)."""

    entity: QuotaEntity
    values: Mapping[str, float] = field(default_factory=lambda: freeze({}))
    origin: Origin | None = None

    @property
    def name(self) -> str:
        return self.entity.name
