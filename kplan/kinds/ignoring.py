"""The plan's one note for a resource's ignored keys (`ignore_changes`, kplan.rules.ignore): which keys the cluster
has otherwise than the stack says, left as they are. Said once per resource, as information: an ignored key is not
a change, so a plan whose only differences are ignored says "No changes"."""

from __future__ import annotations

from typing import Sequence

from kplan.model.desired import Origin
from kplan.model.diagnostics import Severity
from kplan.model.plan import PlanDiagnostic

IGNORED_CODE = "ignored-changes"


def ignored_note(word: str, name: str, address: str, keys: Sequence[str], origin: Origin | None) -> PlanDiagnostic:
    """`keys`: each ignored key with what the cluster has and what the stack says, e.g. `retention.ms (1209600000;
    declared 604800000)`."""
    return PlanDiagnostic(Severity.INFO, f"{word} {name!r}: ignore_changes leaves {', '.join(keys)} as the cluster "
                          "has it", IGNORED_CODE, address=address, origin=origin)
