"""Client quotas, one resource per entity; kplan removes only the keys it set."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.unit import KindUnit


def __getattr__(name: str) -> "KindUnit":
    """`UNIT`, imported on first use: loading one of the kind's modules (its stack section, say) loads only that."""
    if name == "UNIT":
        from kplan.kinds.quota.unit import UNIT

        return UNIT
    raise AttributeError(name)
