"""Client quotas, one resource per entity; kplan removes only the keys it set."""

def __getattr__(name: str):
    """`UNIT`, imported on first use: loading one of the kind's modules (its stack section, say) loads only that."""
    if name == "UNIT":
        from kplan.kinds.quota.unit import UNIT

        return UNIT
    raise AttributeError(name)
