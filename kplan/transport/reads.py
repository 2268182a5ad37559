"""What a kind's read and plan-time validation are given and answer: the contracts between the composers above the
kinds (`kplan.cluster.reader`, `kplan.cluster.validator`, which find each kind's by its unit, `kplan.cluster.kind_io`)
and each kind's io, below them, which implements them (`kplan.kinds.<kind>.io`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from concurrent.futures import Executor

    from kplan.model.desired import ClusterSpec, Stack
    from kplan.model.live import Problem
    from kplan.model.plan import Plan, PlanDiagnostic
    from kplan.secrets import SecretValues
    from kplan.transport.http import RestClient

# The cluster's metadata as the reader reads it in one request: topic name -> (partitions, replication factor,
# replica ids of each partition).
Metadata = dict[str, tuple]


@dataclass(frozen=True)
class PrimaryContext:
    """What a primary read is made with: the reader (kplan.cluster.reader.KafkaReader: its cluster, secrets and
    clients, its metadata and config requests), the read's thread pool, and the names the read was asked for (the
    plan can touch; None: every one)."""

    reader: Any
    pool: "Executor"
    names: Iterable[str] | None


class PrimaryRead(Protocol):
    """One kind's read driven through the whole batched read: made before the cluster's own requests are sent (its
    first requests go out first), then told the metadata once the cluster pin is checked, then what the stack's
    ownership record owns of its section, and asked for its answer last."""

    def after_pin(self, metadata: Metadata) -> None:
        """The metadata is in and the pin checked: what it wanted may now be asked or looked at."""

    def owned(self, names: Iterable[str], metadata: Metadata) -> Metadata:
        """The names the stack's record owns of the section (read too); returns the metadata as the read leaves it
        (a name it found gone meanwhile dropped)."""
        ...

    def result(self) -> "tuple[Any, Problem | None]":
        """(its answer, why it could not be read): what the kind makes its slice from, with what its requests said
        of its system beyond the kind's resources (its slice's facts)."""
        ...


@dataclass
class AdminContext:
    """The reader's admin client as the kinds' reads share it within one read: its describe_cluster (asked with
    kplan's principal's authorized operations on the cluster, which the reads judge their rights by) and the
    requests several reads need, sent once (`once`)."""

    admin: Any
    cluster: "ClusterSpec"
    described: Any  # the future of describe_cluster(include_authorized_operations=True)
    _sent: dict[str, Any] = field(default_factory=dict)

    def once(self, key: str, send: Callable[[], Any]) -> Any:
        """The request `key`, sent by the first read that asks for it (`send`), shared by the others."""
        if key not in self._sent:
            self._sent[key] = send()
        return self._sent[key]

    def answer(self, future: Any) -> Any:
        """A request's answer, bounded by the stack's timeout."""
        return future.result(timeout=self.cluster.timeout_s + 1)


class AdminRead(Protocol):
    """One kind's read on the reader's admin client, made right after describe_cluster is sent (its first requests
    go beside the metadata request)."""

    def after_pin(self) -> None:
        """The cluster pin is checked: the answers in flight may now be looked at, and requests that depend on them
        sent."""

    def result(self) -> "tuple[Any, Problem | None]":
        """(its answer, why it could not be read), once the reader has judged describe_cluster's answer."""
        ...


class Systems(Protocol):
    """What a kind's plan-time validation is made from (kplan.cluster.validator.RealValidator): the admin client, the
    stack's cluster (for a validation with a client of its own), kplan's principal (named when a broker denies a
    request), the Connect clients (`cluster.connect`'s, and each by its name when there are several), the timeout and
    the run's secrets (read when validating)."""

    @property
    def admin(self) -> Any: ...
    @property
    def cluster(self) -> "ClusterSpec | None": ...
    @property
    def who(self) -> str | None: ...
    @property
    def connect(self) -> "RestClient | None": ...
    @property
    def connects(self) -> "Mapping[str, RestClient]": ...
    @property
    def timeout_s(self) -> float: ...
    @property
    def secrets(self) -> "SecretValues": ...


class KindValidation(Protocol):
    """One kind's plan-time validation, made once per validator from it (its clients, timeout and secrets, read
    when validating: the whole stack's secrets are set after it is made). It may also have `ahead(stack, live)`
    (`kind_io.Validation.ahead`)."""

    def validate(self, stack: Stack, plan: Plan) -> list[PlanDiagnostic]:
        """Diagnostics for the plan's changes of the kind that the real system would refuse. Must not write."""
        ...
