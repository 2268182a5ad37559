"""The base of the kinds whose resources are requests applied once per token (a consumer group's offsets reset or
delete, a share group's reset, a connector's offsets reset or set): what the cluster has moves all the time (a
consuming group's offsets, a running connector's), so nothing is compared with it; a request is a one-time action
versioned by its token. The ownership record keeps the token kplan last applied per name; a declared token that
differs (or none recorded) is one change, and the status says whether the declared one is applied. Nothing is ever
deleted for a request: removing it from the stack forgets it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Protocol, Sequence, TypeVar

from kplan.kinds.base import Declared, Kind, Named, Scrub, TraceDict
from kplan.model.desired import freeze
from kplan.model.live import KindState
from kplan.model.plan import AttrKind, Path, Reason, ResourceChange
from kplan.model.status import Difference, ResourceStatus, Status

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.live import LiveState
    from kplan.model.ownership import Entry
    from kplan.model.source import Origin

REQUEST = ("request",)


class Request(Declared, Protocol):
    """A declared request: its name, token and where the stack declares it."""

    @property
    def request(self) -> str: ...


class Found(Named, Protocol):
    """What the plan read for a pending request: the token recorded and whether its resource exists."""

    @property
    def token(self) -> str | None: ...
    @property
    def exists(self) -> bool: ...


R = TypeVar("R", bound=Request)
F = TypeVar("F", bound=Found)


def token_state(found: Any, part: Any, problem: Any) -> KindState:
    """A request kind's slice as the batched read leaves it (its unit's `kind_state`): only the tokens the stack's
    record says kplan last applied (the follow-up read adds what the cluster has, for the pending requests)."""
    return KindState(records=freeze({n: e for n, e in part.items() if isinstance(e, str)}))


def pending(declared: Sequence[R], applied: Any) -> list[R]:
    """The declared requests whose token differs from the one recorded (`applied`: name -> token), by name: the
    only ones the plan reads."""
    return sorted((r for r in declared if applied.get(r.name) != r.request), key=lambda r: r.name)


class RequestKind(Kind[R, F, ResourceStatus]):
    """A kind of requests applied once per token. `never_deleted`: what its delete() refuses ("consumer group
    requests"); `next_apply` says what the next apply does for a pending request, `request_note` which one it is."""

    never_deleted: str
    applies_saved = True
    status_type = ResourceStatus  # (never undeclared: a request is not owned, `owned`)

    def request_note(self, spec: R) -> str:
        raise NotImplementedError

    def next_apply(self, d: Difference) -> str:
        raise NotImplementedError

    def owned(self, live: "LiveState") -> frozenset[str]:
        return frozenset()  # a request is never undone by removing it from the stack: nothing is deleted for it

    def protected(self, live: "LiveState") -> frozenset[str]:
        return frozenset()

    def record_of(self, live: "LiveState") -> dict[str, Entry]:
        """Its part of the ownership record as the live state shows it: name -> the request token last applied."""
        return dict(sorted(live.of(self.type).records.items()))

    def delete(self, current: F, spec: R | None, reason: Reason, origin: "Origin | None" = None) -> ResourceChange:
        raise ValueError(f"{self.never_deleted} are never deleted")  # owned() is empty: never asked

    def gone(self, name: str, then: Mapping[str, Any] | None, live: "LiveState") -> tuple[Path, str, str]:
        """A request the plan read is no longer pending (only pending ones are read): another run applied one since,
        whose token the record now holds."""
        token = live.of(self.type).records.get(name)
        if then is None or token == then.get("token"):
            return super().gone(name, then, live)
        return ("token",), then.get("token") or "unset", token or "unset"

    def canonical(self, current: F, secret: frozenset[str]) -> dict[str, Any]:
        # not what the cluster has: a consuming group (a running connector) moves its offsets all the time, and a
        # named reset's targets (the end, a time) move with the records, so a saved plan would always be stale; the
        # recorded token (another apply applied the request meanwhile) and whether its group (connector) exists are.
        # A saved plan's request change is what apply runs (`applies_saved`): the positions it resolved, as reviewed
        return {"type": self.type.value, "name": current.name, "token": current.token, "exists": current.exists}

    def status(self, spec: R, current: F | None, change: ResourceChange | None, scrub: Scrub) -> ResourceStatus:
        if change is None or not change.is_change:
            return ResourceStatus(self.type, spec.name, Status.IN_SYNC, True, origin=spec.origin)
        token = current.token if current is not None else None
        return ResourceStatus(self.type, spec.name, Status.DRIFTED, True, origin=spec.origin,
                              differences=(Difference(REQUEST, AttrKind.UPDATE, token, spec.request,
                                                      note=self.request_note(spec)),))

    def status_detail(self, r: ResourceStatus) -> str:
        d = r.differences[0] if r.differences else None
        if d is None:
            return "declared request applied"
        return f"request {d.declared!r} not applied yet" + (f" (last applied: {d.live!r})" if d.live else "")

    def difference_text(self, r: ResourceStatus, d: Difference) -> str:
        last = repr(d.live) if d.live else "(none applied)"
        return f"~ request {last} -> {d.declared!r}: the next apply {self.next_apply(d)}"

    def status_fields(self, r: ResourceStatus, trace_dict: TraceDict) -> dict[str, Any]:
        d = r.differences[0] if r.differences else None
        return {"applied": d is None, "request": d.declared if d else None, "last_applied": d.live if d else None}
