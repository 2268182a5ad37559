"""ACL bindings, one resource per principal; kplan deletes only the bindings it created."""

def __getattr__(name: str):
    """`UNIT`, imported on first use: loading one of the kind's modules (its stack section, say) loads only that."""
    if name == "UNIT":
        from kplan.kinds.acl.unit import UNIT

        return UNIT
    raise AttributeError(name)
