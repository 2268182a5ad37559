"""`kplan plan --rebalance` and `--elect-leaders` (docs/rebalance.md): a reviewed plan that spreads the replicas of
the stack's resources evenly over the brokers and racks, or makes each partition's preferred replica its leader.
The request is kplan.model.rebalance's; the kind whose resources have replicas registers how it moves them
(`KindUnit.rebalance_ref`, a `Rebalancing`: the topic kind's, kinds/topic/rebalance.py), and this asks it, naming
no kind: its moves and elections as updates of its changes, and, for apply of a saved plan and
`kplan recover --resume`, the same request again (the same targets, planned against the cluster as it is then)."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from kplan.kinds import UNITS
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Plan
from kplan.model.rebalance import Leaders, RebalanceRequest, Rebalancing

__all__ = ["Leaders", "RebalanceRequest", "leaders_wanted", "request_of_journal", "request_of_plan",
           "with_rebalance"]


def _rebalancing() -> Rebalancing | None:
    """The registered kind's part (one kind's resources have replicas); None when no kind registers one."""
    return next((u.rebalance for u in UNITS if u.rebalance is not None), None)


def with_rebalance(plan: Plan, stack: Stack, live: LiveState, request: RebalanceRequest,
                   leaders: Leaders | None) -> Plan:
    """`plan` with the request's moves and elections as updates, and what it found as diagnostics."""
    part = _rebalancing()
    if not request.wanted or part is None:
        return plan
    return part.planned(plan, stack, live, request, leaders)


def leaders_wanted(stack: Stack, request: RebalanceRequest) -> list[str]:
    """Whose partitions' leaders an election reads first (the stack's topics and those the request names)."""
    part = _rebalancing()
    return part.leaders_wanted(stack, request) if part is not None else []


def request_of_plan(plan: Plan | None) -> RebalanceRequest:
    """The moves and elections a saved plan holds, to be planned again exactly (apply checks they still match)."""
    part = _rebalancing()
    return part.of_plan(plan) if plan is not None and part is not None else RebalanceRequest()


def request_of_journal(steps: Iterable[Mapping[str, Any]]) -> RebalanceRequest:
    """What an interrupted run's reassignments and elections that are not done asked for (`recover --resume`): the
    same replica lists, and for a throttled move cut short its topics again, so that its throttle is taken away."""
    part = _rebalancing()
    return part.of_journal(steps) if part is not None else RebalanceRequest()
