"""A resource kind's one registration (`UNIT` in `kplan/kinds/<kind>/unit.py`): what the rest of kplan derives its
per-kind lists from — the planner's and the status report's kinds (`kplan.kinds.KINDS`), apply's step types and
builders (`kplan.apply.steps`), the run/undo handlers the executor dispatches to (`kplan.apply.handlers`), the
ownership record's parts, the follow-up reads, the live-state document, `kplan import` and `kplan render`. (The
loader's sections are registered by the kinds' `section.py` modules, so that loading a stack loads nothing else:
`kplan.kinds.section_builders`.) Jikkou's extension registration is the model: one place per kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.base import Kind
    from kplan.kinds.importing import KindImporter
    from kplan.kinds.step import Planned, StepBase
    from kplan.model.desired import Stack
    from kplan.model.live import KindState, LiveState
    from kplan.model.ownership import Entry
    from kplan.model.plan import Plan

# A step builder: the plan (with each change's planned payload), the stack and the live state -> the kind's steps,
# each with the unmasked values its run needs in memory only.
StepBuilder = Callable[["Plan", "Stack", "LiveState"], Sequence["Planned"]]
FollowUp = Callable[["Stack", "LiveState", Any, bool], "LiveState"]  # the reader: the kind's own read Protocol
RecordAfter = Callable[["Plan", "Stack", "LiveState", bool, frozenset[str]], "Mapping[str, Entry]"]


@dataclass(frozen=True)
class KindUnit:
    kind: "Kind[Any, Any, Any]"  # planning, status, fingerprints, labels (kinds/<kind>/kind.py)
    step_types: tuple[type["StepBase"], ...]  # its typed apply steps (kinds/<kind>/steps.py)
    builders: tuple[StepBuilder, ...]  # plan -> its steps (within a phase, the builders' order holds)
    handlers: tuple[str, ...]  # the modules registering run/undo per step type, imported by kplan.apply.handlers
    # Its part of the ownership record (`Ownership.of(kind.section)`), for kinds that keep one beside topics and
    # connectors: once the plan is applied (given whether it destroys, and the connectors owned then), and as the
    # live state shows it.
    record_after: "RecordAfter | None" = None
    record_of: "Callable[[LiveState], Mapping[str, Entry]] | None" = None
    # Its follow-up read after the batched one (stack, live, reader, destroy -> live with what it read), for a
    # kind whose read depends on the batched read's answer.
    follow_up: "FollowUp | None" = None
    # Its slice of a live-state document (kplan.kinds.livejson), for kinds beside topics and connectors.
    live_from_json: "Callable[[Mapping[str, Any]], KindState] | None" = None
    # Its resources written as stack entries by `kplan import` (kplan.kinds.importing).
    importer: "KindImporter | None" = None
    # A declared resource as `kplan render` shows it (kplan.stackfile.export).
    render: "Callable[[Any], dict] | None" = None
