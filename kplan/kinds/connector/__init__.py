"""Kafka Connect connectors: their config and state, restarts of failed instances (`restart_steps`), and a
destroyed PostgreSQL source's slot and publication (`cdc_cleanup_steps`)."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.unit import KindUnit


def __getattr__(name: str) -> "KindUnit":
    """`UNIT`, imported on first use: loading one of the kind's modules (its stack section, say) loads only that."""
    if name == "UNIT":
        from kplan.kinds.connector.unit import UNIT

        return UNIT
    raise AttributeError(name)
