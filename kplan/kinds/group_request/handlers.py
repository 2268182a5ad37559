"""Running and undoing the group-request steps (steps.py), through each kind's port (`Port`) on its io (io.py): a
consumer group's (`ConsumerGroupWrites`: `group_members`, `group_offsets`, `alter_group_offsets` verified by reading
back, `delete_consumer_group`), a share group's (`ShareGroupWrites`: `share_group_members`, `share_group_offsets`,
`alter_share_group_offsets` and `delete_share_group_offsets`, each verified by reading the group back). A move
refuses while the group has live members (Kafka refuses them too), journals the positions it finds, then writes
exactly the planned ones. The cluster is reached only through the step context's io."""

from __future__ import annotations

from typing import Callable, NamedTuple, Sequence, TypeVar

from kplan.errors import KplanError
from kplan.kinds.group_request.io import ConsumerGroupWrites, ShareGroupWrites
from kplan.kinds.group_request.kind import share_declared
from kplan.kinds.group_request.model import CONSUMER, OFFSETS, Position, Terms, items, positions
from kplan.kinds.group_request.steps import (
    AlterGroupOffsets,
    AlterShareGroupOffsets,
    DeleteConsumerGroup,
    MoveGroup,
    undo_offsets,
)
from kplan.kinds.handler import StepContext, StepHandler, handles
from kplan.words import plural

S = TypeVar("S", bound=MoveGroup)


class Port(NamedTuple):
    """What a kind's step asks of its system about one group: its (state, member count), its positions, set
    positions, and remove the positions of whole topics (None: a kind that cannot, a consumer group)."""

    members: Callable[[str], tuple[str, int]]
    read: Callable[[str], tuple[Position, ...]]
    write: Callable[[str, Sequence[Position]], None]
    clear: Callable[[str, Sequence[str]], None] | None = None


def refuse_members(found: tuple[str, int], terms: Terms, group: str, verb: str) -> None:
    """One line, before anything is written, when the group (`found`: its state and member count) has live members:
    kplan does not `verb` a group while it has members."""
    state, members = found
    if members:
        raise KplanError(f"{terms.noun} {group} has {plural(members, 'live member')} (state {state}): kplan does not "
                         f"{verb} a {terms.short} while it has members, as Kafka does not; stop its consumers and run "
                         "apply again")


class MoveGroupHandler(StepHandler[S]):
    """A move's preflight, run and undo; each kind's handler says which port reaches its groups."""

    def port(self, ctx: StepContext) -> Port:
        raise NotImplementedError

    def refuse(self, step: S, port: Port, verb: str) -> None:
        refuse_members(port.members(step.group), step.terms, step.group, f"{verb} the {step.terms.moves} of")

    def preflight(self, step: S, ctx: StepContext) -> None:
        self.refuse(step, self.port(ctx), "move")

    def run(self, step: S, ctx: StepContext) -> None:
        port = self.port(ctx)
        self.refuse(step, port, "move")
        # the positions it had, journaled before anything changes: the undo puts exactly these back
        ctx.record({OFFSETS: items(port.read(step.group))})
        port.write(step.group, step.offsets)

    def undo(self, step: S, ctx: StepContext) -> None:
        outcome = ctx.outcome or {}
        if outcome.get(OFFSETS) is None:  # never read, so never changed
            return
        cleared, back = undo_offsets(step.offsets, positions(outcome[OFFSETS]), step.terms.clears)
        if not cleared and not back:
            return
        port = self.port(ctx)
        self.refuse(step, port, "put back")
        if cleared and port.clear is not None:
            port.clear(step.group, cleared)
        if back:
            port.write(step.group, back)


@handles(AlterGroupOffsets)
class AlterGroupOffsetsHandler(MoveGroupHandler[AlterGroupOffsets]):
    def port(self, ctx: StepContext) -> Port:
        io = ctx.io(ConsumerGroupWrites)
        return Port(io.group_members, io.group_offsets, io.alter_group_offsets)


@handles(AlterShareGroupOffsets)
class AlterShareGroupOffsetsHandler(MoveGroupHandler[AlterShareGroupOffsets]):
    def preflight(self, step: AlterShareGroupOffsets, ctx: StepContext) -> None:
        """Nothing to check while share groups are off and the stack's `features` turn them on: no share group can
        have members yet (the run's feature step comes first; Kafka refuses every share-group request until then)."""
        if ctx.stack is not None and share_declared(ctx.stack) and not ctx.io(ShareGroupWrites).share_groups_on():
            return
        super().preflight(step, ctx)

    def port(self, ctx: StepContext) -> Port:
        io = ctx.io(ShareGroupWrites)
        return Port(io.share_group_members, io.share_group_offsets, io.alter_share_group_offsets,
                    io.delete_share_group_offsets)


@handles(DeleteConsumerGroup)
class DeleteConsumerGroupHandler(StepHandler[DeleteConsumerGroup]):
    effect_within_answer = True  # a group is deleted within its DeleteGroups request (left_no_trace)

    def preflight(self, step: DeleteConsumerGroup, ctx: StepContext) -> None:
        refuse_members(ctx.io(ConsumerGroupWrites).group_members(step.group), CONSUMER, step.group, "delete")

    def run(self, step: DeleteConsumerGroup, ctx: StepContext) -> None:
        self.preflight(step, ctx)
        ctx.request(lambda: ctx.io(ConsumerGroupWrites).delete_consumer_group(step.group))

    def left_no_trace(self, step: DeleteConsumerGroup, ctx: StepContext) -> bool:
        """Not requested, refused, or the group still there with committed offsets: Kafka deletes a group within
        its DeleteGroups request (not later, as topics), and Ctrl-C waits for a request in flight
        (io.ConsumerGroupWrites.delete_consumer_group), so a group the rollback finds was not deleted (issue 41: Ctrl-C
        before the request reported the group "irreversible", exit 3, with the group untouched)."""
        outcome = ctx.outcome or {}
        if not outcome.get("requested") or outcome.get("accepted") is False:
            return True
        io = ctx.io(ConsumerGroupWrites)
        state, _ = io.group_members(step.group)
        return state != "Dead" and bool(io.group_offsets(step.group))
