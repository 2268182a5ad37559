"""Kafka Connect connectors: their config and state, restarts of failed instances (`restart_steps`), and a
destroyed PostgreSQL source's slot and publication (`cdc_cleanup_steps`)."""

def __getattr__(name: str):
    """`UNIT`, imported on first use: loading one of the kind's modules (its stack section, say) loads only that."""
    if name == "UNIT":
        from kplan.kinds.connector.unit import UNIT

        return UNIT
    raise AttributeError(name)
