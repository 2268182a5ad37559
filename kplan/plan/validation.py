"""Plan-time validation against the real systems, behind a narrow interface.

The planner checks what it can from the live state alone (replication factor vs broker count, connector class vs
installed plugins). What only the broker or Connect can judge (`validate_only=True` admin calls, Connect's
config/validate) is done by a `PlanValidator`; the real one lives in `kplan.cluster.validator`.
"""

from __future__ import annotations

from typing import Protocol

from kplan.model.desired import Stack
from kplan.model.plan import Plan, PlanDiagnostic


class PlanValidator(Protocol):
    def validate(self, stack: Stack, plan: Plan) -> list[PlanDiagnostic]:
        """Diagnostics for changes apply would be refused for (errors make the plan fail). Must not write."""
        ...


class NoopValidator:
    """Validates nothing: for offline planning and tests."""

    def validate(self, stack: Stack, plan: Plan) -> list[PlanDiagnostic]:
        return []
