"""The topics a CDC connector keeps beyond its declaration (kplan.kinds.keepers.TopicKeepers): Debezium's
schema-history topic, which its connector cannot lose, and the table topics of a source that does not prune its
tables. The topic kind asks these through the connector kind's Runtime (`keepers`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from kplan.kinds.connector.model import ConnectorSpec
from kplan.kinds.keepers import Keeper
from kplan.model.live import LiveConnector
from kplan.model.plan import ResourceType, address_of

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Stack
    from kplan.model.live import LiveState

HISTORY_TOPIC_KEY = "schema.history.internal.kafka.topic"  # Debezium's schema-history topic (2.0+)


def history_owner(topic: str, connectors: Iterable[ConnectorSpec | LiveConnector]) -> str | None:
    """The connector (of `connectors`: live or declared) that keeps its schema history in `topic`, if any."""
    return next((c.name for c in connectors if c.config.get(HISTORY_TOPIC_KEY) == topic), None)


class ConnectorKeepers:
    """A schema-history topic exists for its source's connector (named like the source)."""

    def address(self, source: str) -> str:
        return address_of(ResourceType.CONNECTOR, source)

    def history_owner(self, topic: str, stack: "Stack") -> str | None:
        return history_owner(topic, stack.of("connectors"))

    def live_history_owner(self, topic: str, live: "LiveState") -> str | None:
        return history_owner(topic, live.of(ResourceType.CONNECTOR).resources.values())

    def table_keeper(self, topic: str, stack: "Stack") -> Keeper | None:
        """The CDC connector (still declared, not pruning) whose table topics `topic` is named like, if any."""
        for spec in stack.of("connectors"):
            prefix = spec.config.get("topic.prefix")
            if spec.captured_tables and prefix and not spec.prune_tables and topic.startswith(prefix + "."):
                return Keeper(spec.name, spec.origin)
        return None


KEEPERS = ConnectorKeepers()
