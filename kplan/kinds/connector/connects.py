"""Connectors on a Connect cluster that could not be read (a stack with several Connect clusters: the reader reads
each on its own and keeps going without one that does not answer, `LiveState.connect_problems`): unknown, so the
plan leaves them alone and says so in one line per Connect cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from kplan.model.plan import PlanDiagnostic, warning
from kplan.words import plural

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import ConnectorSpec
    from kplan.model.live import LiveState


def unread_connects(declared: Mapping[str, "ConnectorSpec"], live: "LiveState"
                    ) -> tuple[dict[str, "ConnectorSpec"], list[PlanDiagnostic]]:
    """(the declared connectors whose Connect cluster was read, one warning per Connect cluster that was not)."""
    problems = live.connect_problems
    kept = {k: s for k, s in declared.items() if s.connect not in problems}
    notes = []
    for connect in sorted(problems):
        names = sorted(k for k, s in declared.items() if s.connect == connect)
        what = (f"its declared connector {names[0]} is" if len(names) == 1 else
                f"its {plural(len(names), 'declared connector')} ({', '.join(names)}) are" if names else
                "its connectors are")
        notes.append(warning(f"Kafka Connect cluster {connect!r} could not be read ({problems[connect]}): {what} "
                             "unknown and left alone by this plan", "connect-unreadable"))
    return kept, notes
