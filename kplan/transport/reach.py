"""Deadlines are the stack's: whether Kafka (and Kafka Connect) answered lately, shared by everything one run does.

Every operation kplan makes against a system — a step's retried request, a journal or ownership write, the lock's
release — gives up once it has spent the stack's `cluster.timeout` without an answer. The first operation that
does so marks the system's `Link` down; from then on, for the rest of the process, an operation against it does
not wait the timeout again: it fails at once (`ClusterUnreachable`), unless a short probe (at most `PROBE_S`, made
at most once every `RECHECK_S`) shows that the system answers again, and then it runs normally. A successful
call marks the link up again. So a broker that dies mid-apply costs one timeout, not one per rollback step, journal
write and lock release: the run reports it within `cluster.timeout + MARGIN_S` of the first request the broker
left unanswered.

Kafka Connect has its own link (Connect being down says nothing about Kafka), which depends on Kafka's: Connect
keeps its state in Kafka topics and cannot act while Kafka is unreachable, so then a Connect request gets only
`PROBE_S` and no retries.

The writers own the links (`AdminSession.link`, `ConnectWrites.link`); Kafka's goes to the rest of the
run through its admin client (`GuardedAdmin.link`, see `link_of`): the journal store, the lock and kplan's own
records use the writer's admin, so they share the writer's notion of "the cluster is unreachable".
"""

from __future__ import annotations

import time
from typing import Any, Callable

from kplan.errors import KplanError

PROBE_S = 2.0  # the longest look at a system already found unreachable
RECHECK_S = 5.0  # an unreachable system is probed again at most this often; in between, operations fail at once
# What a run may spend after its first request timed out (documented in docs/architecture.md): the request in
# flight finishing (each waits its own timeout plus up to 2 s), a Connect request while Kafka is down (PROBE_S),
# and a probe or two.
MARGIN_S = 10.0

# librdkafka's own errors for a request that got no answer (as opposed to an answer that is an error).
NO_ANSWER_KAFKA = frozenset({"_TRANSPORT", "_TIMED_OUT", "_ALL_BROKERS_DOWN", "_RESOLVE", "_MSG_TIMED_OUT",
                             "_PURGE_INFLIGHT", "_PURGE_QUEUE", "_TIMED_OUT_QUEUE"})


class ClusterUnreachable(KplanError):
    """Kafka or Kafka Connect did not answer: an operation spent its timeout, or the system was found unreachable
    earlier in this process and a short probe says it still is (then nothing was attempted)."""


class Link:
    """One system kplan talks to (Kafka, or a Connect worker), as seen by this process: up, or down since a moment
    with a reason. `probe(seconds)` raises unless the system answers within `seconds`."""

    def __init__(self, name: str, where: str, timeout_s: float, probe: Callable[[float], Any] | None = None, *,
                 depends_on: "Link | None" = None, probe_s: float = PROBE_S, recheck_s: float = RECHECK_S,
                 clock: Callable[[], float] = time.monotonic):
        self.name, self.where, self.timeout_s = name, where, timeout_s
        self.probe, self.depends_on = probe, depends_on
        self.probe_s, self.recheck_s, self.clock = min(probe_s, timeout_s), recheck_s, clock
        self.down_since: float | None = None
        self.reason = ""
        self._checked_at = 0.0

    @property
    def is_down(self) -> bool:
        return self.down_since is not None

    @property
    def short(self) -> bool:
        """Whether operations get only the probe's time (the system this one depends on is down)."""
        return self.depends_on is not None and self.depends_on.is_down

    def budget(self) -> float:
        """The seconds the next operation may spend: the stack's timeout, or `probe_s` while a dependency is down."""
        return self.probe_s if self.short else self.timeout_s

    def gate(self, what: str) -> None:
        """Before an operation: returns when the system is up (or a due probe shows it is up again); else raises
        `ClusterUnreachable` at once."""
        if self.down_since is None:
            return
        now = self.clock()
        if self.probe is not None and now - self._checked_at >= self.recheck_s:
            self._checked_at = now
            try:
                self.probe(self.probe_s)
            except Exception:  # noqa: BLE001 - any failure of the probe: still unreachable
                pass
            else:
                self.up()
                return
        ago = max(0.0, self.clock() - (self.down_since or 0.0))
        raise ClusterUnreachable(f"{what}: not attempted: {self.name} is unreachable (no answer within the stack's "
                                 f"timeout of {self.timeout_s:g}s, {ago:.0f}s ago: {self.reason}); not waited for "
                                 "again in this run")

    def down(self, reason: str) -> None:
        """An operation spent its time without an answer from the system."""
        now = self.clock()
        if self.down_since is None:
            self.down_since = now
        self.reason = shortened(reason)
        self._checked_at = now

    def up(self) -> None:
        """The system answered."""
        self.down_since = None
        self.reason = ""


def shortened(text: str, most: int = 300) -> str:
    """`text` on one line, cut to at most `most` characters (ending in `...` when cut)."""
    text = " ".join(str(text).split())
    return text if len(text) <= most else text[:most - 3] + "..."


def link_of(obj: object) -> Link | None:
    """The Kafka link an admin client carries (a `GuardedAdmin`), else None (no shared deadlines: a test's fake)."""
    link = getattr(obj, "link", None)
    return link if isinstance(link, Link) else None


def kafka_error_name(exc: BaseException) -> str:
    """The name of a confluent-kafka failure's KafkaError (e.g. UNKNOWN_TOPIC_OR_PART); "" when it has none."""
    err = exc.args[0] if getattr(exc, "args", None) else None
    if err is not None and hasattr(err, "name"):
        try:
            return str(err.name())
        except Exception:  # noqa: BLE001 - an error whose name() fails has no name
            return ""
    return ""


def kafka_error_code(exc: BaseException) -> int | None:
    """The code of a confluent-kafka failure's KafkaError (Kafka's own for a broker's answer, negative for
    librdkafka's); None when it has none."""
    err = exc.args[0] if getattr(exc, "args", None) else None
    try:
        return int(err.code()) if err is not None and hasattr(err, "code") else None
    except Exception:  # noqa: BLE001 - an error whose code() fails has no code
        return None


def no_answer(exc: BaseException) -> bool:
    """Whether a confluent-kafka failure means that no answer came (transport failure, local timeout)."""
    return isinstance(exc, TimeoutError) or kafka_error_name(exc) in NO_ANSWER_KAFKA


def unreachable_reason(exc: BaseException) -> str | None:
    """kplan's "Kafka is unreachable" line for a raw confluent-kafka failure that got no answer (a broker that died
    under a request: _TRANSPORT, _ALL_BROKERS_DOWN...), which some admin futures and metadata calls raise as they
    are; None for anything else (an answer that is an error, kplan's own errors)."""
    if isinstance(exc, KplanError) or kafka_error_name(exc) not in NO_ANSWER_KAFKA:
        return None
    err = exc.args[0]
    detail = err.str() if hasattr(err, "str") else str(exc)
    return f"Kafka is unreachable (no answer: {kafka_error_name(exc)}: {shortened(detail)}); is the broker running?"


# Admin requests that are gated: refused at once while Kafka is known to be unreachable.
_GATED = frozenset({"create_topics", "delete_topics", "create_partitions", "incremental_alter_configs",
                    "alter_configs", "describe_configs", "describe_cluster", "describe_topics", "list_groups",
                    "list_consumer_groups", "delete_consumer_groups", "list_offsets", "describe_acls", "create_acls",
                    "delete_acls", "describe_user_scram_credentials", "alter_user_scram_credentials"})


class GuardedAdmin:
    """An admin client that goes through the Kafka link: every request is refused at once while Kafka is known to
    be unreachable (see `Link.gate`); a metadata request that waited its whole timeout without an answer marks
    Kafka down, one that succeeds marks it up. Everything else is the wrapped client's."""

    def __init__(self, admin, link: Link):
        self._admin = admin
        self.link = link

    def list_topics(self, *args, **kwargs):
        self.link.gate("reading the cluster's metadata")
        started = time.monotonic()
        try:
            md = self._admin.list_topics(*args, **kwargs)
        except Exception as e:
            timeout = kwargs.get("timeout", self.link.timeout_s)
            if no_answer(e) and time.monotonic() - started >= 0.8 * min(timeout, self.link.timeout_s):
                self.link.down(f"metadata request: {e}")
            raise
        self.link.up()
        return md

    def __getattr__(self, name: str):
        attr = getattr(self._admin, name)
        if name not in _GATED or not callable(attr):
            return attr
        link = self.link

        def gated(*args, **kwargs):
            link.gate(name.replace("_", " "))
            return attr(*args, **kwargs)

        return gated


def kafka_probe(admin, bootstrap_servers: str) -> Callable[[float], None]:
    """A short look at Kafka: a bootstrap server accepts a connection (refused: at once) and a metadata request
    gets an answer, both within the given seconds."""

    def probe(seconds: float) -> None:
        from kplan.transport.kafka import tcp_reason

        if tcp_reason(bootstrap_servers, seconds) is not None:
            raise ClusterUnreachable(f"no bootstrap server of {bootstrap_servers} accepts connections")
        admin.list_topics(timeout=seconds)

    return probe


def connect_probe(http) -> Callable[[float], None]:
    """A short look at a Connect worker: its root resource answers."""

    def probe(seconds: float) -> None:
        r = http.request("GET", "/", timeout=seconds)
        if r.status_code >= 500:
            raise ClusterUnreachable(f"Kafka Connect answered {r.status_code}")

    return probe
