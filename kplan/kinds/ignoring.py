"""The plan's one note for a resource's ignored keys (`ignore_changes`, kplan.rules.ignore): which keys the cluster
has otherwise than the stack says, left as they are. Said once per resource, as information: an ignored key is not
a change, so a plan whose only differences are ignored says "No changes". A kind whose keys are open-ended (a
connector's: each plugin has its own) cannot have its patterns checked by `validate`; its plan warns of a pattern
that matches none of the resource's keys while the plan writes one it resembles (`missed_notes`)."""

from __future__ import annotations

from typing import Iterable, Sequence

from kplan.model.diagnostics import Severity
from kplan.model.plan import PlanDiagnostic, warning
from kplan.model.source import Origin
from kplan.rules.ignore import ignored
from kplan.words import did_you_mean

IGNORED_CODE = "ignored-changes"


def ignored_note(word: str, name: str, address: str, keys: Sequence[str], origin: Origin | None) -> PlanDiagnostic:
    """`keys`: each ignored key with what the cluster has and what the stack says, e.g. `retention.ms (1209600000;
    declared 604800000)`."""
    return PlanDiagnostic(Severity.INFO, f"{word} {name!r}: ignore_changes leaves {', '.join(keys)} as the cluster "
                          "has it", IGNORED_CODE, address=address, origin=origin)


def missed_notes(word: str, name: str, address: str, patterns: Sequence[str], keys: Iterable[str],
                 written: Sequence[str], origin: Origin | None) -> list[PlanDiagnostic]:
    """A warning for each pattern that matches none of `keys` (declared or on the cluster) and resembles a key the
    plan writes (`written`): likely a misspelling, which leaves that key to be written as declared."""
    keys = set(keys)
    out = []
    for pattern in patterns:
        hint = "" if any(ignored((pattern,), k) for k in keys) else did_you_mean(pattern, written)
        if hint:
            out.append(warning(f'{word} {name!r}: ignore_changes pattern "{pattern}" matches none of its keys, '
                               f"declared or on the cluster{hint}; this plan writes that key as the stack says",
                               "ignore-pattern-missed", address=address, origin=origin))
    return out
