"""A connector's declared offsets request (reset, or set positions), applied once per token."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.unit import KindUnit


def __getattr__(name: str) -> "KindUnit":
    """`UNIT`, imported on first use: loading one of the kind's modules (its stack section, say) loads only that."""
    if name == "UNIT":
        from kplan.kinds.offsets.unit import UNIT

        return UNIT
    raise AttributeError(name)
