"""Kafka Connect connectors: their config and state, restarts of failed instances (`restart`), renames (`move`),
and a destroyed PostgreSQL source's slot and publication (`cdc_cleanup`)."""
