"""What the Kafka Connect worker's version cannot do, said at plan time instead of failing at apply.

Each worker reports its version at `GET /` (read with the connectors: LiveState.connect_versions, by Connect cluster;
a change is checked against its own Connect cluster's worker). kplan uses Connect REST features newer than the REST
API itself; a plan whose changes need one the worker lacks gets one error line per resource naming the feature, the
version found and what to do. The features and the versions that brought them (docs/compatibility.md):

- creating a connector in its declared state (`initial_state` on POST /connectors, KIP-980): 3.7; kplan sends it on
  every create (a connector declared stopped, or created at declared offsets, must never run first);
- the offsets API (GET/PATCH/DELETE /connectors/<name>/offsets, KIP-875): 3.6; an offsets request, and a connector's
  deletion (its offsets are reset first, so a later connector of that name starts from scratch);
- the STOPPED state (PUT /connectors/<name>/stop, KIP-875): 3.5; a connector changed to `state: stopped`;
- plugin version pins (`connector.plugin.version` and the other `*.plugin.version` keys, KIP-891): 4.1; refused by
  the connector kind itself, at the pin's line (kplan.kinds.connector.plugin_versions): an older worker stores the
  key and ignores it.

The Kafka side needs no such check: every Kafka API kplan calls is older than Kafka 3.0, and the compatibility tests
pass on 3.9.2, 4.3.1 and 4.4.0 (README, "Supported versions"). An unreadable version (None, or not x.y[.z]) is not
checked: the apply's own error then speaks.
"""

from __future__ import annotations

from typing import Mapping

from kplan.model.desired import DEFAULT_CONNECT
from kplan.model.plan import Action, PlanDiagnostic, ResourceChange, ResourceType, error
from kplan.rules.connect_versions import parse_version

# (the version that brought it, the feature, what else the user may do besides upgrading the worker)
Feature = tuple[tuple[int, int], str, str]
INITIAL_STATE: Feature = ((3, 7), "creating a connector in its declared state (initial_state, KIP-980)", "")
OFFSETS_API: Feature = ((3, 6), "the connector offsets API (KIP-875)", ", or remove the offsets request")
DELETE: Feature = ((3, 6), "deleting a connector (kplan resets its offsets first, with the offsets API, KIP-875)",
                   ", or delete the connector by hand and remove it from the stack")
STOP: Feature = ((3, 5), "the STOPPED connector state (KIP-875)", ", or declare state: paused")


def needed(change: ResourceChange) -> Feature | None:
    """The newest Connect feature this change needs, or None."""
    if change.type == ResourceType.OFFSETS and change.is_change:
        return OFFSETS_API
    if change.type != ResourceType.CONNECTOR:
        return None
    if change.action == Action.CREATE:
        return INITIAL_STATE
    if change.action == Action.DELETE:
        return DELETE
    if change.action == Action.UPDATE and any(a.path == ("state",) and a.after == "stopped"
                                              for a in change.attributes):
        return STOP
    return None


def connect_of(change: ResourceChange) -> str:
    """The Connect cluster a connector's (or its offsets request's) change is on: its key's `<connect>/` prefix."""
    return change.name.split("/", 1)[0] if "/" in change.name else DEFAULT_CONNECT


def connect_version_checks(changes: tuple[ResourceChange, ...],
                           versions: Mapping[str, str] | str | None) -> list[PlanDiagnostic]:
    """One error per change its Connect worker's version cannot do. `versions`: each Connect cluster's version by
    name, or one version for every change."""
    out = []
    for change in changes:
        need = needed(change)
        if need is None:
            continue
        version = versions if not isinstance(versions, Mapping) else versions.get(connect_of(change))
        found = parse_version(version)
        if found is None or found >= need[0]:
            continue
        want = ".".join(map(str, need[0]))
        out.append(error(f"the Kafka Connect worker is version {version}; {need[1]} needs Connect {want} or newer: "
                         f"upgrade the worker to {want}+{need[2]}",
                         "connect-version", address=change.address, origin=change.origin))
    return out
