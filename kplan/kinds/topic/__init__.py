"""Topics: partitions, replication factor, configs; replaced or deleted only when the stack says so."""

def __getattr__(name: str):
    """`UNIT`, imported on first use: loading one of the kind's modules (its stack section, say) loads only that."""
    if name == "UNIT":
        from kplan.kinds.topic.unit import UNIT

        return UNIT
    raise AttributeError(name)
