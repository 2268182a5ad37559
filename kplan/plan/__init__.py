"""Planning: the plan data model and the pure planner (`make_plan`). No I/O here.

Heavier pieces are imported from their modules: `kplan.plan.planner.make_plan`,
`kplan.plan.fingerprint.fingerprint_resource`, `kplan.plan.validation.PlanValidator`.
"""

from kplan.model.diagnostics import Severity
from kplan.model.plan import (
    ABSENT,
    FORMAT_VERSION,
    SENSITIVE,
    Action,
    AttributeChange,
    AttrKind,
    Flag,
    Plan,
    PlanDiagnostic,
    ResourceChange,
    Summary,
)

# the package's public names, re-exported
__all__ = ["ABSENT", "FORMAT_VERSION", "SENSITIVE", "Action", "AttributeChange", "AttrKind", "Flag", "Plan",
           "PlanDiagnostic", "ResourceChange", "Severity", "Summary"]
