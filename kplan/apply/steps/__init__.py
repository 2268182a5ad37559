"""From a plan to the ordered apply steps, each with the before-image needed to undo it. Pure, but for the
controller's request limit `build` takes from the environment.

Each resource kind's folder holds its step types and its builder (`kplan/kinds/<kind>/steps.py`), registered by
its `UNIT`; `build` runs every kind's builders (reading each change's planned payload) and orders their steps by
`Phase` (stable: a builder's order holds within a phase);
the table of phases, step types and their undo is in docs/architecture.md (Apply order).

Topic steps are batches: CreateTopics for the topics to create, AlterTopicConfigs for the config changes, and so on,
each type cut into as few steps as keep each request within the controller's limit (`rules/batching.py`).
Adding a kind: its step types (each with a `kind`, a `phase`, `describe()` and the journal codec) and its
builder in its folder, named in its `UNIT`; nothing here changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, TypeAlias

from kplan.apply.steps.ownership import build_ownership_steps
from kplan.kinds import UNITS
from kplan.kinds.planned import check_planned
from kplan.kinds.step import FrozenDict, StepBase
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Plan
from kplan.rules.batching import limited
from kplan.transport import request_limit

Step: TypeAlias = StepBase  # every step type is a frozen StepBase subclass, registered by its `kind`

# The resource kinds' builders; the ownership record step comes after all of them (it needs to know whether
# they made any step).
BUILDERS = tuple(b for u in UNITS for b in u.builders)


@dataclass(frozen=True)
class Built:
    """The ordered steps of a plan, and what their run needs in memory only: step index -> the unmasked values
    its journal form masks (`ConnectorSecrets`). Never serialized."""

    steps: tuple[Step, ...]
    secrets: Mapping[int, object] = field(default_factory=FrozenDict, repr=False)


def build(plan: Plan, stack: Stack, live: LiveState) -> Built:
    """The builders cut their batches to the most records one request may make the controller write in this process
    (`rules/batching.py`; `transport/request_limit.py`: Kafka's, or lower by KPLAN_MAX_RECORDS_PER_REQUEST)."""
    check_planned(plan)  # a plan saved by an older kplan is refused, not re-derived
    with limited(request_limit.records_per_request()):
        planned = [p for builder in BUILDERS for p in builder(plan, stack, live)]
    planned += build_ownership_steps(plan, stack, live, changes=bool(planned))
    planned.sort(key=lambda p: p.step.phase)  # stable
    return Built(tuple(p.step for p in planned),
                 FrozenDict({i: p.secrets for i, p in enumerate(planned) if p.secrets is not None}))


__all__ = ["BUILDERS", "Built", "Step", "build"]
