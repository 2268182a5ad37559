"""Kafka Streams applications: the ACL bindings an application's principal needs, generated from its declared
inputs and outputs, and its internal topics (kept as the application's, created by kplan when managed)."""


def __getattr__(name: str):
    """`UNIT`, imported on first use: loading one of the kind's modules (its stack section, say) loads only that."""
    if name == "UNIT":
        from kplan.kinds.streams_app.unit import UNIT

        return UNIT
    raise AttributeError(name)
