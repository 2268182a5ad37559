"""What each kind reads and validates through this room, by its stack section: the one place the batched read
(`kplan.cluster.reader`) and the plan-time validation (`kplan.cluster.validator`) find a kind's I/O, so that neither
names a kind. The kinds are pure and may not import this room: each kind's unit names its I/O by its hooks
(`KindUnit.io`, a `kplan.kinds.unit.KindIO`: a function or class in the module of the system it talks to), and the
tables below are derived from the units, each part imported when first used.

- `PRIMARY_READS`: a kind read the reader drives through its whole read, its first requests sent before the
  cluster's own, then given the cluster's metadata and the names the stack's record owns: (`PrimaryContext`) -> a
  `PrimaryRead`. Always read (every plan needs them).
- `OWN_READS`: a kind read with a client of its own beside the batched read, run when the stack declares or owns
  the section: its hook, which the reading thread calls (importing its module) before the pool runs what it gives,
  (cluster, secrets) -> (the answer, why it could not be read).
- `ADMIN_READS`: a kind read on the reader's admin client, asked beside its describe_cluster: (`AdminContext`) -> an
  `AdminRead`. Always read (the plan needs the whole cluster's, e.g. for orphans under a claim).
- `VALIDATIONS`: a kind's plan-time validation by the real system ((the RealValidator, a
  `kplan.transport.reads.Systems`: its clients, timeout and secrets) -> a `kplan.transport.reads.KindValidation`),
  imported when a plan first changes the kind.
- `DESCRIBE`: the topics described by name after the batched read (the reader's `describe_topic_configs`: the
  primary read's, settling's, a claim's orphans', a prefetched read topped up): (the reader, names) -> name -> its
  configs. Exactly one kind registers it.
Each kind then makes its slice of the live state from its answer (`KindUnit.kind_state`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from kplan.kinds import UNITS
from kplan.kinds.unit import ADMIN, OWN, PRIMARY, KindIO
from kplan.transport.reads import AdminContext, AdminRead, KindValidation, PrimaryContext, PrimaryRead, Systems


@dataclass(frozen=True)
class Validation:
    make: Callable[[], Callable[[Any], Any]]  # its unit's hook: (the RealValidator) -> its validation
    # It has an early part, `ahead(stack, live)`: apply's lock thread starts it as soon as it has read the cluster
    # (kplan.session.early), and the plan's validation takes its answers. Its module is then imported by that
    # thread: it is in kplan.cluster.prefetch's _READ_IMPORTS.
    ahead: bool = False

    def made(self, validator: Systems) -> KindValidation:
        """The kind's validation, made for `validator` (its module imported now)."""
        made: KindValidation = self.make()(validator)
        return made


def _lazy(hook: Callable[[], Callable[..., Any]]) -> Callable[..., Any]:
    """A kind's read, imported when first called."""
    return lambda *args: hook()(*args)


def _reads(via: str) -> dict[str, Callable[..., Any]]:
    """The reads of one shape, by section. Those every read makes are imported now, with this module: importing
    them later, on a prefetch's thread while the loader's imports the kinds, could deadlock (kplan.cluster.prefetch)."""
    ios: list[tuple[str, KindIO]] = [(u.section.key, u.io) for u in UNITS if u.section is not None]
    # made in this order: a read whose requests go first (Connect's, on a thread of its own) before the others
    return {key: io.read_ref if via == OWN else io.read_ref()
            for key, io in sorted(ios, key=lambda s_io: not s_io[1].read_first)
            if io.read_ref is not None and io.read_via == via}


PRIMARY_READS: Mapping[str, Callable[[PrimaryContext], PrimaryRead]] = _reads(PRIMARY)
# (a stack without the section never imports its read)
OWN_READS: Mapping[str, Callable[[], Callable[..., tuple[Any, Any]]]] = _reads(OWN)
ADMIN_READS: Mapping[str, Callable[[AdminContext], AdminRead]] = _reads(ADMIN)
(DESCRIBE,) = [_lazy(u.io.describe_ref) for u in UNITS if u.io.describe_ref is not None]  # exactly one kind's
VALIDATIONS: Mapping[str, Validation] = {
    u.section.key: Validation(u.io.validation_ref, ahead=u.io.validation_ahead)
    for u in UNITS if u.section is not None and u.io.validation_ref is not None}
