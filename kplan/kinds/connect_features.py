"""What a Kafka Connect worker's version cannot do, said at plan time instead of failing at apply: the toolkit of the
kinds whose changes go to Connect (their `Kind.version_checks`; the planner asks every kind and names none).

Each worker reports its version at `GET /` (read with the connectors: `ConnectFacts.versions`, by Connect cluster;
a change is checked against its own Connect cluster's worker). kplan uses Connect REST features newer than the REST
API itself; a plan whose changes need one the worker lacks gets one error line per resource naming the feature, the
version found and what to do. The features and the versions that brought them (docs/compatibility.md), each said by
the kind whose change needs it:

- creating a connector in its declared state (`initial_state` on POST /connectors, KIP-980): 3.7; kplan sends it on
  every create (a connector declared stopped, or created at declared offsets, must never run first);
- the offsets API (GET/PATCH/DELETE /connectors/<name>/offsets, KIP-875): 3.6; an offsets request, and a connector's
  deletion (its offsets are reset first, so a later connector of that name starts from scratch);
- the STOPPED state (PUT /connectors/<name>/stop, KIP-875): 3.5; a connector changed to `state: stopped`;
- plugin version pins (`connector.plugin.version` and the other `*.plugin.version` keys, KIP-891): 4.1; refused by
  the connector kind itself, at the pin's line (its plugin_versions.py): an older worker stores the key and ignores
  it.

The Kafka side needs no such check: every Kafka API kplan calls is older than Kafka 3.0, and the compatibility tests
pass on 3.9.2, 4.3.1 and 4.4.0 (docs/compatibility.md). An unreadable version (None, or not x.y[.z]) is not
checked: the apply's own error then speaks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from kplan.model.desired import connect_of, freeze
from kplan.model.live import KindState
from kplan.model.plan import PlanDiagnostic, ResourceChange, error
from kplan.rules.connect_versions import parse_version

# (the version that brought it, the feature, what else the user may do besides upgrading the worker)
Feature = tuple[tuple[int, int], str, str]


@dataclass(frozen=True)
class ConnectFacts:
    """What the batched read learns of the Connect clusters beside their connectors, the same requests' answers: the
    facts of the connectors' slice of the live state (`KindState.facts`), which the kinds on Connect plan by. A
    live-state document keeps them at its top level ("connector_plugins", "connect_version" and "connect_versions",
    "plugin_versions", "connect_problems": kplan.kinds.livejson)."""

    # Connector classes the Connect worker has (from GET /connector-plugins); None when not read.
    plugins: frozenset[str] | None = None
    # With several Connect clusters: those that could not be read, by name -> the reader's one line. Their
    # connectors are unknown: neither planned nor deleted.
    problems: Mapping[str, str] = field(default_factory=lambda: freeze({}))
    # Each Connect cluster's worker version (GET / : "3.9.2"), by Connect cluster name, for the plan's version
    # checks (`connect_version_checks`); empty when not read.
    versions: Mapping[str, str] = field(default_factory=lambda: freeze({}))
    # The versions of each plugin installed on each Connect cluster (GET /connector-plugins?connectorsOnly=false):
    # Connect cluster -> plugin class -> its versions, oldest first (several with KIP-891, Kafka Connect 4.1+), for
    # the plan's pin checks; empty when not read.
    plugin_versions: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=lambda: freeze({}))


NO_FACTS = ConnectFacts()


def connect_facts(facts: object) -> ConnectFacts:
    """The Connect facts a slice (its `facts`) or a plan context carries; none read: empty ones (no plugins known)."""
    if isinstance(facts, KindState):
        facts = facts.facts
    return facts if isinstance(facts, ConnectFacts) else NO_FACTS


def connect_version_checks(changes: Iterable[ResourceChange], versions: Mapping[str, str] | str | None,
                           needed: Callable[[ResourceChange], Feature | None]) -> list[PlanDiagnostic]:
    """One error per change its Connect worker's version cannot do. `versions`: each Connect cluster's version by
    name, or one version for every change; `needed`: the newest Connect feature a change needs, or None."""
    out = []
    for change in changes:
        need = needed(change)
        if need is None:
            continue
        version = versions if not isinstance(versions, Mapping) else versions.get(connect_of(change.name))
        found = parse_version(version)
        if found is None or found >= need[0]:
            continue
        want = ".".join(map(str, need[0]))
        out.append(error(f"the Kafka Connect worker is version {version}; {need[1]} needs Connect {want} or newer: "
                         f"upgrade the worker to {want}+{need[2]}",
                         "connect-version", address=change.address, origin=change.origin))
    return out
