"""The Connect features a connector's change needs, and the worker versions that brought them (kplan.kinds
.connect_features says why a plan checks them and how; docs/compatibility.md)."""

from __future__ import annotations

from kplan.kinds.connect_features import Feature
from kplan.model.plan import Action, ResourceChange

INITIAL_STATE: Feature = ((3, 7), "creating a connector in its declared state (initial_state, KIP-980)", "")
DELETE: Feature = ((3, 6), "deleting a connector (kplan resets its offsets first, with the offsets API, KIP-875)",
                   ", or delete the connector by hand and remove it from the stack")
STOP: Feature = ((3, 5), "the STOPPED connector state (KIP-875)", ", or declare state: paused")


def needed(change: ResourceChange) -> Feature | None:
    """The newest Connect feature a connector's change needs, or None."""
    if change.action == Action.CREATE:
        return INITIAL_STATE
    if change.action == Action.DELETE:
        return DELETE
    if change.action == Action.UPDATE and any(a.path == ("state",) and a.after == "stopped"
                                              for a in change.attributes):
        return STOP
    return None
