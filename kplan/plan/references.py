"""The stack's references (`references:`, docs/stack-format.md, References): resources it needs but does not own.
The plan reads each and reports, one located error each, one that is missing or differs from what the stack
expects; it never plans a change to one. A reference to what the stack itself declares or owns is an error too:
what a stack owns it declares. One kplan could not read (its system was not read: `Kind.reference_unread`) is an
error that says so, never "does not exist": a reference that cannot be checked is not met, whatever the run allows
for the stack's own resources there (--allow-unreadable)."""

from __future__ import annotations

from kplan.kinds import kind_of
from kplan.model.desired import Reference, Stack
from kplan.model.live import LiveState
from kplan.model.plan import PlanDiagnostic, error

CODE = "reference-unmet"


def check_references(stack: Stack, live: LiveState) -> list[PlanDiagnostic]:
    return [error(message, CODE, address=ref.address, origin=ref.origin)
            for ref in stack.references if (message := _unmet(ref, stack, live)) is not None]


def _unmet(ref: Reference, stack: Stack, live: LiveState) -> str | None:
    """What makes `ref` unmet, in words; None when it is as the stack needs it."""
    kind = kind_of(ref.type_word)
    declared = {s.name for s in kind.declared(stack)}
    if ref.name in declared or ref.name in kind.owned(live):
        how = "declared" if ref.name in declared else "owned"
        return f"{ref.address} is this stack's own ({how}): a stack references only what others own; drop the reference"
    unread = kind.reference_unread(ref.name, live)
    if unread is not None:  # unknown, not missing: and a reference that cannot be checked is not met
        return (f"{ref.address} could not be read ({unread}): kplan cannot tell whether it is as the stack needs it "
                "(references:), and a reference it cannot check is not met; make it readable, or drop the reference")
    current = kind.referenced(ref.name, live)
    if current is None:
        return (f"{ref.address} does not exist on the cluster; the stack needs it (references:): create it in the "
                "stack that owns it first")
    differs = kind.unmet(ref.expect, current)
    return f"{ref.address} is not as the stack needs it: {'; '.join(differs)}" if differs else None
