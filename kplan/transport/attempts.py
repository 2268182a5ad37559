"""One system's operations, retried through its `Link` (kplan.transport.reach) with the writer's policy, each
request of an attempt bounded by what the operation under way has left. Each system writer has its own (Kafka's,
Connect's): the deadline of an operation on one system says nothing about another."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

from kplan.errors import WriteError
from kplan.transport.reach import Link
from kplan.transport.retry import RetriableError, RetryPolicy, retry
from kplan.transport.wire.codec import NoAnswer, Refused

T = TypeVar("T")


class Attempts:
    def __init__(self, policy: RetryPolicy, link: Link):
        self.policy = policy
        self.link = link
        self._deadline: float | None = None  # of the operation under way (see retry)

    def retry(self, attempt: Callable[[], T], what: str, before_retry: Callable[[], bool] | None = None) -> T:
        """`retry` with the policy through the link; the requests of its attempts wait at most until the
        operation's deadline (see `request_timeout`)."""
        outer = self._deadline
        link = self.link
        deadline_s = min(self.policy.deadline_s, link.budget()) if link.short else self.policy.deadline_s
        self._deadline = time.monotonic() + deadline_s
        try:
            return retry(attempt, self.policy, what, before_retry=before_retry, link=link)
        finally:
            self._deadline = outer

    def request_timeout(self) -> float:
        """How long one request may wait for its answer: the stack's timeout (the link's short budget while a
        system it depends on is down), and no longer than the operation under way has left (at least a second)."""
        timeout = self.link.budget()
        if self._deadline is not None:
            timeout = max(min(1.0, timeout), min(timeout, self._deadline - time.monotonic()))
        return timeout

    def wire(self, what: str, write: Callable[[], T], denied: Callable[[Refused], str | None] = lambda e: None) -> T:
        """A write through kplan's own Kafka client (kplan.transport.wire.client), asked again while it gets no
        answer (each such write sets values: asking twice is harmless; an answer with a retriable error the client
        asks again itself, within what this operation has left); a refusal is one WriteError line, `denied`'s when it
        names a missing right."""
        self.link.gate(what)

        def attempt() -> T:
            try:
                return write()
            except NoAnswer as e:
                raise RetriableError(f"{what}: {e}", ambiguous=True, no_answer=True) from None
            except Refused as e:
                raise WriteError(f"{what}: {denied(e) or e}") from None

        return self.retry(attempt, what)
