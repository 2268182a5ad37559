"""The error every writer raises for a write its system refused or that did not succeed before its deadline,
whatever the system (Kafka, Connect, the schema registry, PostgreSQL): apply tells a refusal (nothing changed)
from a lost answer by it."""

from __future__ import annotations

from kplan.errors import KplanError


class WriteError(KplanError):
    """A write the system refused (fatal) or that never succeeded before its deadline."""
