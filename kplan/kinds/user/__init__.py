"""SCRAM users: credentials created, rotated by token, deleted."""

def __getattr__(name: str):
    """`UNIT`, imported on first use: loading one of the kind's modules (its stack section, say) loads only that."""
    if name == "UNIT":
        from kplan.kinds.user.unit import UNIT

        return UNIT
    raise AttributeError(name)
