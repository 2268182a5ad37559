"""Schema registry subjects: schema versions and compatibility levels, checked by the registry at plan time."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.unit import KindUnit


def __getattr__(name: str) -> "KindUnit":
    """`UNIT`, imported on first use: loading one of the kind's modules (its stack section, say) loads only that."""
    if name == "UNIT":
        from kplan.kinds.subject.unit import UNIT

        return UNIT
    raise AttributeError(name)
