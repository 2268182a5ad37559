"""The user kind's declared model: SCRAM users as a stack declares them
(the Stack holds them by section, `Stack.of`)."""

from __future__ import annotations

from dataclasses import dataclass

from kplan.model.source import Origin

SCRAM_MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512")


SCRAM_DEFAULT_MECHANISM = "SCRAM-SHA-512"


SCRAM_DEFAULT_ITERATIONS = 4096  # Kafka's minimum; its maximum is 16384


@dataclass(frozen=True)
class UserSpec:
    """A SCRAM user the stack declares: its credentials (mechanism, iterations) and where its password comes from.
    `password` is always a `${secret:...}` reference (the loader refuses anything else); `rotation` is the user's
    own token for "set the password again": SCRAM credentials cannot be read back, so a new password is applied
    only when the token changes (or the credentials change)."""

    name: str
    password: str  # a ${secret:...} reference, never the value
    credentials: tuple[tuple[str, int], ...] = ((SCRAM_DEFAULT_MECHANISM, SCRAM_DEFAULT_ITERATIONS),)
    rotation: str = ""
    origin: Origin | None = None
