"""Schema registry subjects: schema versions and compatibility levels, checked by the registry at plan time."""

def __getattr__(name: str):
    """`UNIT`, imported on first use: loading one of the kind's modules (its stack section, say) loads only that."""
    if name == "UNIT":
        from kplan.kinds.subject.unit import UNIT

        return UNIT
    raise AttributeError(name)
