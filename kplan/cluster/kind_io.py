"""What each kind reads and validates through this room, by its stack section: the one place the batched read
(`kplan.cluster.reader`) and the plan-time validation (`kplan.cluster.validator`) find a kind's I/O, so that neither
names a kind. The kinds are pure and may not import this room: each kind's unit names its I/O by reference
(`KindUnit.io`, a `kplan.kinds.unit.KindIO`: a function or class in the module of the system it talks to), and the
tables below are derived from the units, each part imported when first used.

- `PRIMARY_READS`: a kind read the reader drives through its whole read, its first requests sent before the
  cluster's own, then given the cluster's metadata and the names the stack's record owns: (`PrimaryContext`) -> a
  `PrimaryRead`. Always read (every plan needs them).
- `OWN_READS`: a kind read with a client of its own beside the batched read, run when the stack declares or owns
  the section: (cluster, secrets) -> (the answer, why it could not be read).
- `ADMIN_READS`: a kind read on the reader's admin client, asked beside its describe_cluster: (`AdminContext`) -> an
  `AdminRead`. Always read (the plan needs the whole cluster's, e.g. for orphans under a claim).
- `VALIDATIONS`: a kind's plan-time validation by the real system ("module:name" of (the RealValidator: its
  clients, timeout and secrets) -> a `kplan.cluster.validator.KindValidation`), imported when a plan first changes
  the kind.
Each kind then makes its slice of the live state from its answer (`KindUnit.kind_state`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Protocol

from kplan.kinds import UNITS
from kplan.kinds.unit import ADMIN, OWN, PRIMARY, KindIO, resolve

if TYPE_CHECKING:  # pragma: no cover
    from concurrent.futures import Executor

    from kplan.model.desired import ClusterSpec
    from kplan.model.live import Problem

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


@dataclass(frozen=True)
class Validation:
    ref: str  # "module:name": (the RealValidator) -> the kind's validation
    # It has an early part, `ahead(stack, live)`: apply's lock thread starts it as soon as it has read the cluster
    # (kplan.session.early), and the plan's validation takes its answers. Its module is then imported by that
    # thread: it is in kplan.cluster.prefetch's _READ_IMPORTS.
    ahead: bool = False

    def made(self, validator: Any) -> Any:
        """The kind's validation, made for `validator` (its module imported now)."""
        return resolve(self.ref)(validator)


def _lazy(ref: str) -> Callable[..., Any]:
    """A kind's own-client read, imported when first called (a stack without the section never imports it)."""
    return lambda *args: resolve(ref)(*args)


def _reads(via: str) -> dict[str, Callable[..., Any]]:
    """The reads of one shape, by section. Those every read makes are imported now, with this module: importing
    them later, on a prefetch's thread while the loader's imports the kinds, could deadlock (kplan.cluster.prefetch)."""
    ios: list[tuple[str, KindIO]] = [(u.section.key, u.io) for u in UNITS if u.section is not None]
    # made in this order: a read whose requests go first (Connect's, on a thread of its own) before the others
    return {key: (_lazy if via == OWN else resolve)(io.read_ref)
            for key, io in sorted(ios, key=lambda s_io: not s_io[1].read_first)
            if io.read_ref is not None and io.read_via == via}


PRIMARY_READS: Mapping[str, Callable[[PrimaryContext], PrimaryRead]] = _reads(PRIMARY)
OWN_READS: Mapping[str, Callable] = _reads(OWN)
ADMIN_READS: Mapping[str, Callable[[AdminContext], AdminRead]] = _reads(ADMIN)
VALIDATIONS: Mapping[str, Validation] = {
    u.section.key: Validation(u.io.validation_ref, ahead=u.io.validation_ahead)
    for u in UNITS if u.section is not None and u.io.validation_ref is not None}
