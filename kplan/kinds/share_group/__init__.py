"""Share-group requests (KIP-932, "queues for Kafka"): a share group's start offsets reset (earliest, latest, a
time, explicit positions), applied once per request token, as a consumer group's committed offsets are
(its consumer_groups request). A share group's configs are group configs (its group_configs entry)."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.unit import KindUnit


def __getattr__(name: str) -> "KindUnit":
    """`UNIT`, imported on first use: loading one of the kind's modules (its stack section, say) loads only that."""
    if name == "UNIT":
        from kplan.kinds.share_group.unit import UNIT

        return UNIT
    raise AttributeError(name)
