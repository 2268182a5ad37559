"""What `kplan plan --rebalance` and `--elect-leaders` ask for (docs/rebalance.md), and how the kind whose
resources they move answers (`Rebalancing`, registered as `KindUnit.rebalance_ref`; kplan.kinds.rebalancing finds it).
Pure data: the command builds a request from its flags, apply of a saved plan and `kplan recover --resume` ask the
kind for the same request again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Protocol, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Stack
    from kplan.model.live import LiveState
    from kplan.model.plan import Plan

Assignment = tuple[tuple[int, ...], ...]  # a replica list (broker ids) per partition
Leaders = Mapping[str, Sequence[int]]  # topic -> the leader of each partition (-1: none)


@dataclass(frozen=True)
class RebalanceRequest:
    """What to rebalance or elect. Chosen (`rebalance`, `elect_leaders`, over the declared topics matching
    `topics`, every one when empty) or given (`targets`, `elect`: a saved plan's or an interrupted run's; `finish`:
    topics whose throttled move was cut short, moved again even when at their target so that the throttle is
    taken away)."""

    rebalance: bool = False
    elect_leaders: bool = False
    topics: tuple[str, ...] = ()
    throttle: int | None = None
    targets: Mapping[str, Assignment] = field(default_factory=dict)
    elect: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    finish: frozenset[str] = frozenset()

    @property
    def given(self) -> bool:
        return bool(self.targets or self.elect)

    @property
    def wanted(self) -> bool:
        return self.rebalance or self.elect_leaders or self.given

    @property
    def needs_leaders(self) -> bool:
        """Whether the plan reads the partitions' leaders: an election is asked for, and a rebalance elects too (a
        partition's leader stays where it was when the move keeps it a replica; the new first replica is made it)."""
        return self.rebalance or self.elect_leaders or bool(self.elect)


class Rebalancing(Protocol):
    """A kind's part in a rebalance: its moves and elections as updates of its changes, and the same request again."""

    def planned(self, plan: "Plan", stack: "Stack", live: "LiveState", request: RebalanceRequest,
                leaders: Leaders | None) -> "Plan":
        """`plan` with the request's moves and elections as updates, and what it found as diagnostics."""
        ...

    def of_plan(self, plan: "Plan | None") -> RebalanceRequest:
        """The moves and elections a saved plan holds, to be planned again exactly (none without a saved plan)."""
        ...

    def leaders_wanted(self, stack: "Stack", request: RebalanceRequest) -> list[str]:
        """The resources whose partitions' leaders an election reads first (`Leaders`): the stack's and those the
        request names."""
        ...

    def of_journal(self, steps: Iterable[Mapping[str, Any]]) -> RebalanceRequest:
        """What an interrupted run's steps that are not done asked for (`recover --resume`)."""
        ...

    def moved(self, type_: str, name: str, path: tuple[str, ...], then: Any, now: Any,
              live: "LiveState") -> list[str] | None:
        """What moved in one of its attributes of resource `name` between a saved plan and the fresh one apply made
        (`then`, `now`: the attribute's `before` in each, None where a plan does not show it), in words
        (`partition 0 leader: 2 when planned, 1 now`), from the live state the fresh plan was made of where that plan
        does not show it (kplan.plan.stale); None for an attribute that is not its own."""
        ...
