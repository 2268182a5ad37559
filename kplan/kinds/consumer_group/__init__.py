"""Consumer-group requests: a group's committed offsets reset (earliest, latest, a time, explicit positions) or the
group deleted, each applied once per request token."""

def __getattr__(name: str):
    """`UNIT`, imported on first use: loading one of the kind's modules (its stack section, say) loads only that."""
    if name == "UNIT":
        from kplan.kinds.consumer_group.unit import UNIT

        return UNIT
    raise AttributeError(name)
