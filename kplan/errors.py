"""The one exception type users see: a message meant to be printed on one line, never a traceback."""


class KplanError(Exception):
    """An expected failure with a user-facing message (bad input, unreachable cluster, refused plan...).

    `exit_code` lets a command choose its status (1 by default)."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


class WriteError(KplanError):
    """A write its system refused (fatal) or that did not succeed before its deadline, whatever the system (Kafka,
    Connect, the schema registry, PostgreSQL): every writer raises it, and apply tells a refusal (nothing changed)
    from a lost answer by it."""


class TakenMeanwhile(WriteError):
    """A create found the resource there already, made by someone else after the plan (not by an earlier attempt of
    its own request): it is not the run's, and a rollback must leave it."""
