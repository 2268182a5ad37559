"""How a step type is run and undone: one handler per step type, registered with `@handles(StepType)`; the
executor looks a step's handler up by its type (`handler_for`), and a step without one is an error.

A handler is stateless. What it may use for one step is in its `StepContext`: the writer, the run's resolved
secret references, the step's in-memory-only unmasked values, and its outcome (what running it produced that
its undo needs; the executor journals it with the step's status).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Generic, Mapping, TypeVar

from kplan.errors import KplanError
from kplan.model.desired import Stack
from kplan.model.ownership import Ownership
from kplan.secrets import SecretValues

if TYPE_CHECKING:  # pragma: no cover
    from kplan.transport.sessions import Writers

S = TypeVar("S")
T = TypeVar("T")


class UndoImpossible(Exception):
    """This step cannot be undone (irreversible, or its before-image holds a secret that was never journaled)."""


@dataclass
class StepContext:
    index: int  # the step's index in the run (and its journal entry's "index")
    writer: Writers  # the run's sessions, and each kind's io over them (`io`)
    secret_values: SecretValues  # to substitute ${secret:...} references when writing
    write_ownership: Callable[[Ownership], None]
    marker: dict[str, Any] | None  # the run's marker in the ownership record (kept by an undo of the record)
    secrets: Any  # the step's unmasked values (e.g. ConnectorSecrets); None when undoing from a journal alone
    outcomes: dict[int, dict[str, Any]]  # the executor's outcomes, by step index
    journal_outcome: Callable[[], None]  # journal this step's outcome now, durably
    # The stack the run applies (in `kplan recover`, loaded again): where an undo from a journal alone finds the
    # `${secret:...}` references of values the journal masks. None when not known.
    stack: Stack | None = None

    def io(self, make: Callable[[Writers], T]) -> T:
        """The step's kind's io (its class, `make`: kplan.kinds.<kind>.io), over the run's writers."""
        return self.writer.io(make)

    @property
    def outcome(self) -> Mapping[str, Any] | None:
        return self.outcomes.get(self.index)

    @outcome.setter
    def outcome(self, value: dict[str, Any]) -> None:
        self.outcomes[self.index] = value

    def requested(self) -> None:
        """Before an irreversible request: journal that it is being made. If the run dies or fails after this,
        its effect cannot be ruled out by looking (deletions finish asynchronously), so it is reported."""
        self.outcome = {"requested": True}
        self.journal_outcome()

    def refusable(self, call: Callable[[], Any]) -> None:
        """An irreversible request the cluster refused outright (a write error, not a lost answer) changed
        nothing: say so, so the rollback can check that by looking."""
        from kplan.errors import WriteError

        try:
            call()
        except WriteError:
            self.outcome = {"requested": True, "accepted": False}
            raise


class StepHandler(Generic[S]):
    """Runs and undoes the steps of one type."""

    # Irreversible steps whose request takes effect within its answer (not asynchronously, as a topic's deletion),
    # so that once no request is in flight `left_no_trace` decides by looking even after the request was sent.
    effect_within_answer: ClassVar[bool] = False

    def run(self, step: S, ctx: StepContext) -> None:
        raise NotImplementedError

    def undo(self, step: S, ctx: StepContext) -> None:
        """Reversible steps only: the executor never asks a handler to undo an irreversible step."""
        raise UndoImpossible("cannot be undone")

    def preflight(self, step: S, ctx: StepContext) -> None:
        """Before the run's first step: raise if this step could not be done now although the plan allowed it (e.g.
        a login that broke after the plan), so that a run does not delete first and fail later. Reads only."""

    def left_no_trace(self, step: S, ctx: StepContext) -> bool:
        """Irreversible steps: whether one that failed or was cut short before its request was accepted changed
        nothing (then there is nothing that could not be rolled back). When in doubt: False."""
        return False


class DeletesTopics(StepHandler[S]):
    """The steps that delete the topics they name (`step.names`), irreversibly, through their kind's io (`writes`,
    its class: the topic kind's, or a Streams app's for its internal topics)."""

    writes: ClassVar[type[Any]]

    def run(self, step: Any, ctx: StepContext) -> None:
        ctx.requested()
        ctx.refusable(lambda: ctx.io(self.writes).delete_topics(list(step.names)))
        ctx.io(self.writes).wait_topics_gone(list(step.names))

    def left_no_trace(self, step: Any, ctx: StepContext) -> bool:
        return bool(set(step.names) <= ctx.io(self.writes).topic_names())


class WritesBindings(StepHandler[S]):
    """The steps that create or delete a batch of ACL bindings (`kplan.kinds.bindings.GrantsBindings`) through their
    kind's io (`writes`, its class); the undo does the other (deleting a binding never created is a no-op)."""

    writes: ClassVar[type[Any]]

    def run(self, step: Any, ctx: StepContext) -> None:
        self._write(step, ctx, step.creates)

    def undo(self, step: Any, ctx: StepContext) -> None:
        self._write(step, ctx, not step.creates)

    def _write(self, step: Any, ctx: StepContext, create: bool) -> None:
        writes = ctx.io(self.writes)
        (writes.create_acls if create else writes.delete_acls)([(a.principal, a.binding) for a in step.acls])


_HANDLERS: dict[type, StepHandler[Any]] = {}  # step type -> its handler (a StepHandler of that type)
_H = TypeVar("_H", bound=type[StepHandler[Any]])


def handles(step_type: type) -> Callable[[_H], _H]:
    """Class decorator: the handler of `step_type`."""

    def register(cls: _H) -> _H:
        if step_type in _HANDLERS:
            raise TypeError(f"two handlers for {step_type.__name__}")
        _HANDLERS[step_type] = cls()
        return cls

    return register


def handler_for(step: object) -> StepHandler[Any]:
    handler = _HANDLERS.get(type(step))
    if handler is None:
        raise KplanError(f"no handler for apply step {type(step).__name__} "
                         f"({getattr(step, 'kind', 'no kind')}); nothing is done with an unknown step")
    return handler


def handled_types() -> frozenset[type]:
    return frozenset(_HANDLERS)
