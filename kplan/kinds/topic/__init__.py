"""Topics: partitions, replication factor, configs; replaced or deleted only when the stack says so."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.unit import KindUnit


def __getattr__(name: str) -> "KindUnit":
    """`UNIT`, imported on first use: loading one of the kind's modules (its stack section, say) loads only that."""
    if name == "UNIT":
        from kplan.kinds.topic.unit import UNIT

        return UNIT
    raise AttributeError(name)
