"""Kafka's admin session of one run (confluent-kafka's AdminClient), which every kind's io writes through: the client
(the session's, lent, or made here), Kafka's `Link` (deadlines and the down state the journal store, the lock and
kplan's records share, kplan.transport.reach), the attempts every write is retried with (kplan.transport.attempts),
kplan's principal (named when a request is denied), and `until_shown`: a write is done once the cluster shows it."""

from __future__ import annotations

import time
from typing import Callable

from kplan.errors import WriteError
from kplan.model.desired import ClusterSpec
from kplan.secrets import SecretValues
from kplan.transport.attempts import Attempts
from kplan.transport.kafka import admin_client, dispose
from kplan.transport.permissions import principal
from kplan.transport.reach import GuardedAdmin, Link, kafka_probe
from kplan.transport.retry import RetryPolicy

VERIFY_MIN_S = 30.0  # the least time a write's effect is waited for before the write is called failed


def until_shown(problem: Callable[[], str | None], timeout_s: float) -> None:
    """Poll until `problem()` is None: the cluster shows what was written. The controller answers a write once it
    has committed it; each broker applies it a moment later and answers reads (and authorizes, throttles, logs in)
    by the old state until then. Past max(VERIFY_MIN_S, twice `timeout_s`), the last problem is a WriteError."""
    poll(problem, max(VERIFY_MIN_S, timeout_s * 2))


def poll(problem: Callable[[], str | None], window_s: float, delay: float = 0.02, most: float = 1.0,
         factor: float = 2.0) -> None:
    """Ask `problem()` until it is None; past `window_s` the last problem is a WriteError. The pause between two
    asks starts at `delay` and grows by `factor` up to `most`."""
    deadline = time.monotonic() + window_s
    while True:
        found = problem()
        if found is None:
            return
        if time.monotonic() > deadline:
            raise WriteError(found)
        time.sleep(delay)
        delay = min(delay * factor, most)


class AdminSession:
    """Kafka's admin session of one run. Owns Kafka's `Link` (the journal store, the lock and kplan's records use it
    through `admin`) and the admin client it made (a lent one is not closed)."""

    def __init__(self, cluster: ClusterSpec, secrets: SecretValues | None = None,
                 policy: RetryPolicy | None = None, admin=None):
        self.cluster = cluster
        self.secrets = SecretValues() if secrets is None else secrets
        raw_admin = admin if admin is not None else admin_client(cluster, self.secrets)
        self._own_admin = None if admin is not None else raw_admin  # disposed of by close(); a lent one is not
        # Deadlines are the stack's (kplan.transport.reach): a request waits at most cluster.timeout, an operation
        # retries for at most cluster.timeout, and once Kafka has let one spend that without an answer, the rest
        # of the run does not wait for it again. Kafka's link goes with the admin client to the journal store,
        # the lock and kplan's records.
        self.link = Link("Kafka", cluster.bootstrap_servers, cluster.timeout_s,
                         kafka_probe(raw_admin, cluster.bootstrap_servers))
        self.admin = GuardedAdmin(raw_admin, self.link)
        self.attempts = Attempts(policy or RetryPolicy(deadline_s=cluster.timeout_s), self.link)
        self.timeout_s = cluster.timeout_s
        self.who = principal(cluster.client_properties)  # kplan's principal, named when a request is denied

    def request_timeout(self) -> float:
        return self.attempts.request_timeout()

    def topic_names(self) -> set[str]:
        """Every topic the cluster lists (one metadata request): the topic kind's and a Streams app's steps ask it,
        a connector's create waits for its topics, and the run for kplan's ownership topic."""
        md = self.admin.list_topics(timeout=self.request_timeout())
        return {n for n, t in md.topics.items() if t.error is None}

    def close(self) -> None:
        dispose(self._own_admin)
        self._own_admin = None
