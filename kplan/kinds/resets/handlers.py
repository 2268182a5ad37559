"""Running a reset step: refuse while the group has live members (Kafka refuses them too), journal the positions it
finds, then write exactly the planned ones. Each kind's handler says which port reads and writes its group
(`members`, `read`, `write`) and how it undoes."""

from __future__ import annotations

from typing import ClassVar, Protocol, TypeVar

from kplan.errors import KplanError
from kplan.kinds.handler import StepContext, StepHandler
from kplan.kinds.resets.model import OFFSETS, Position, items
from kplan.words import plural


class ResetStep(Protocol):
    @property
    def group(self) -> str: ...
    @property
    def offsets(self) -> tuple[Position, ...]: ...


S = TypeVar("S", bound=ResetStep)


def refuse_members(found: tuple[str, int], noun: str, short: str, group: str, verb: str) -> None:
    """One line, before anything is written, when the group (`found`: its state and member count) has live members:
    `noun` ("consumer group") names it, `short` ("group") says what kplan does not `verb` while it has members."""
    state, members = found
    if members:
        raise KplanError(f"{noun} {group} has {plural(members, 'live member')} (state {state}): kplan does not "
                         f"{verb} a {short} while it has members, as Kafka does not; stop its consumers and run "
                         "apply again")


class ResetHandler(StepHandler[S]):
    """The reset step's preflight and run; `moves` names what it moves (a consumer group's offsets, a share
    group's start offsets)."""

    noun: ClassVar[str]
    short: ClassVar[str]
    moves: ClassVar[str]

    def members(self, ctx: StepContext, group: str) -> tuple[str, int]:
        raise NotImplementedError

    def read(self, ctx: StepContext, group: str) -> tuple[Position, ...]:
        raise NotImplementedError

    def write(self, ctx: StepContext, group: str, offsets: tuple[Position, ...]) -> None:
        raise NotImplementedError

    def refuse(self, ctx: StepContext, group: str, verb: str) -> None:
        refuse_members(self.members(ctx, group), self.noun, self.short, group, verb)

    def preflight(self, step: S, ctx: StepContext) -> None:
        self.refuse(ctx, step.group, f"move the {self.moves} of")

    def run(self, step: S, ctx: StepContext) -> None:
        self.refuse(ctx, step.group, f"move the {self.moves} of")
        # the positions it had, journaled before anything changes: the undo puts exactly these back
        ctx.outcome = {OFFSETS: items(self.read(ctx, step.group))}
        ctx.journal_outcome()
        self.write(ctx, step.group, step.offsets)
