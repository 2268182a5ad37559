"""The sessions a run opens, and each kind's io over them (`Writers`, composed by kplan.session.systems.open_writers).

A step handler writes through its kind's io (`kplan.kinds.handler.StepContext.io(<the io's class>)`), made here on
first use over these sessions and kept for the run: Kafka's admin session (`kafka`, kplan.transport.admin: the journal
store, the lock and kplan's records share its client and link), kplan's own Kafka client (`wire`), Connect's writes
(`connect`, kplan.transport.connect: the connector kinds' io, whose link the executor watches)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, TypeVar

from kplan.model.desired import ClusterSpec
from kplan.secrets import SecretValues
from kplan.transport.connect import ConnectWrites
from kplan.transport.retry import RetryPolicy

if TYPE_CHECKING:  # pragma: no cover
    from kplan.transport.admin import AdminSession
    from kplan.transport.wire.client import WireSession

T = TypeVar("T")


class SessionsIO:
    """A kind's io over the run's sessions (`Writers`): Kafka's admin session (`kafka`) and kplan's own Kafka
    client (`wire`)."""

    def __init__(self, writers: Any):
        self.kafka, self.wire = writers.kafka, writers.wire


class Writers:
    def __init__(self, cluster: ClusterSpec, secrets: SecretValues, kafka: AdminSession, wire: WireSession, *,
                 policy: RetryPolicy | None = None):
        self.cluster, self.secrets, self.policy = cluster, secrets, policy
        self.connector_timeout_s = 120.0  # how long a connector's state or a signal is waited for
        self.kafka = kafka  # Kafka's admin session (kplan.transport.admin), which the kinds' io write through
        self.wire = wire  # kplan's own Kafka client: the topic, dynamic-config and share-group io's writes
        self._ios: dict[Callable[[Writers], Any], Any] = {}

    def io(self, make: Callable[[Writers], T]) -> T:
        """A kind's io over these sessions (`make(writers)`: its class), made on first use and kept for the run."""
        if make not in self._ios:
            self._ios[make] = make(self)
        return self._ios[make]

    # What kplan.session.run and the executor use directly: Kafka's admin client (the journal store, the lock and
    # kplan's records share it), Kafka's link and Connect's.
    @property
    def admin(self) -> Any:
        return getattr(self.kafka, "admin", None)

    @property
    def link(self) -> Any:
        return getattr(self.kafka, "link", None)

    @property
    def connect(self) -> ConnectWrites:
        return self.io(ConnectWrites)

    def close(self) -> None:
        """Close what each session and io opened (an io only if it was made), Kafka's admin client last."""
        for writer in (self.wire, *self._ios.values(), self.kafka):
            close = getattr(writer, "close", None)
            if close is not None:
                close()
