"""Plan-time validation against the real systems, when there are none to ask.

The planner checks what it can from the live state alone (replication factor vs broker count, connector class vs
installed plugins). What only the broker or Connect can judge (`validate_only=True` admin calls, Connect's
config/validate) is done by a validator with the same `validate(stack, plan)`: the real one lives in
`kplan.cluster.validator`; a plan against a live-state file is validated by `NoopValidator`.
"""

from __future__ import annotations

from kplan.model.desired import Stack
from kplan.model.plan import Plan, PlanDiagnostic


class NoopValidator:
    """Validates nothing: for offline planning and tests."""

    def validate(self, stack: Stack, plan: Plan) -> list[PlanDiagnostic]:
        return []
