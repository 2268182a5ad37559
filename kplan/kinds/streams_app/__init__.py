"""Kafka Streams applications: the ACL bindings an application's principal needs, generated from its declared
inputs and outputs, and its internal topics (kept as the application's, created by kplan when managed)."""


from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.unit import KindUnit


def __getattr__(name: str) -> "KindUnit":
    """`UNIT`, imported on first use: loading one of the kind's modules (its stack section, say) loads only that."""
    if name == "UNIT":
        from kplan.kinds.streams_app.unit import UNIT

        return UNIT
    raise AttributeError(name)
