"""How a step type is run and undone: one handler per step type, registered with `@handles(StepType)`; the
executor looks a step's handler up by its type (`handler_for`), and a step without one is an error.

A handler is stateless. What it may use for one step is in its `StepContext`: the writer, the run's resolved
secret references, the step's in-memory-only unmasked values, and its outcome (what running it produced that
its undo needs; the executor journals it with the step's status).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Generic, Mapping, Sequence, TypeVar

from kplan.errors import KplanError, WriteError
from kplan.model.desired import NewTopic, Stack
from kplan.model.ownership import Ownership
from kplan.model.results import BatchResults, ErrorReason
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

    def record(self, outcome: Mapping[str, Any]) -> None:
        """Add to this step's outcome and journal it now, durably, before the step goes on (what its undo needs)."""
        self.outcome = {**(self.outcome or {}), **outcome}
        self.journal_outcome()

    def requested(self) -> None:
        """Before an irreversible request: journal that it is being made. If the run dies or fails after this,
        its effect cannot be ruled out by looking (deletions finish asynchronously), so it is reported."""
        self.outcome = {"requested": True}
        self.journal_outcome()

    def request(self, call: Callable[[], Any]) -> None:
        """An irreversible request, journaled first (`requested`). One the cluster refused outright (a write error,
        not a lost answer) changed nothing: say so, so the rollback can check that by looking."""
        self.requested()
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


class CreatesTopics(StepHandler[S]):
    """The steps that create topics (`specs(step)`) through their kind's io (`writes`, its class: the topic kind's, or
    a Streams app's for its internal topics), then wait until the cluster shows them as declared. The outcome names
    the topics this run created (one that existed before is someone else's) and, when the kind `confirms`, those the
    controller confirmed (ours even while metadata does not list them yet); the undo deletes those of them that
    exist. A crash inside the create leaves no outcome: every topic absent at plan time (`step.absent`) is ours."""

    writes: ClassVar[type[Any]]
    confirms: ClassVar[bool] = False

    def specs(self, step: Any) -> Sequence[NewTopic]:
        raise NotImplementedError

    def run(self, step: Any, ctx: StepContext) -> None:
        self.send(step, ctx)
        self.verify([step], [ctx])

    def send(self, step: Any, ctx: StepContext) -> None:
        """The create request alone; its outcome says what this run created (and what the controller confirmed)."""
        specs = self.specs(step)
        results = BatchResults()  # filled as the answers arrive: still known when the create raises
        try:
            ctx.io(self.writes).create_topics(specs, results)
        finally:
            found = set(results.with_reason(ErrorReason.ALREADY))
            ctx.outcome = {"created": [t.name for t in specs if t.name not in found],
                           **({"confirmed": sorted(results.done())} if self.confirms else {})}

    def verify(self, steps: Sequence[Any], ctxs: Sequence[StepContext]) -> None:
        """Wait until the cluster shows every topic of `steps` as declared (one poll for all of them)."""
        ctxs[0].io(self.writes).wait_topics(shown([t for step in steps for t in self.specs(step)]))

    def undo(self, step: Any, ctx: StepContext) -> None:
        io, outcome = ctx.io(self.writes), ctx.outcome or {}
        existing, confirmed = io.topic_names(), set(outcome.get("confirmed", ()))
        ours = set(outcome.get("created", step.absent))
        names = [t.name for t in self.specs(step) if t.name in ours and (t.name in existing or t.name in confirmed)]
        if names:
            io.delete_topics(names)
            io.wait_topics_gone(names)


def shown(specs: Sequence[NewTopic]) -> dict[str, tuple[int, int, dict[str, str]]]:
    """What the cluster shows of topics created as `specs` (the io's `wait_topics`)."""
    return {t.name: (t.partitions, t.replication_factor, dict(t.config)) for t in specs}


class DeletesTopics(StepHandler[S]):
    """The steps that delete the topics they name (`step.names`), irreversibly, through their kind's io (`writes`,
    its class: the topic kind's, or a Streams app's for its internal topics)."""

    writes: ClassVar[type[Any]]

    def run(self, step: Any, ctx: StepContext) -> None:
        ctx.request(lambda: ctx.io(self.writes).delete_topics(list(step.names)))
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
