"""The connectors' slice of the live state: from the batched read (`kind_state`: the connectors Connect listed,
keyed "<connect>/<name>" on a named Connect cluster, and the record's names part, whose secret key names mask a
connector's values even after it left the stack) and from a live-state document (`live_from_json`,
kplan.kinds.livejson):

    "connectors": {"pg-src": {"config": {...}, "state": "RUNNING", "tasks": [{"id": 0, "state": "RUNNING"}]}},
    "owned_connectors": [...], "protected_connectors": [...]

A connector on a named Connect cluster is keyed "<connect>/<name>" (docs/stack-format.md). A connector may carry
"sensitive_keys" (the keys its ownership record names as secrets) and "version" (the plugin version it runs).

The slice's facts (`KindState.facts`, a `ConnectFacts`: what the same requests say of the Connect clusters) are at
the document's top level: "connector_plugins": [...] or null, "connect_version": "3.9.2" or null (the default Connect
cluster's worker; "connect_versions": {name: version} for the others), "plugin_versions": {connect: {class:
[versions]}}, "connect_problems": {"analytics": "why it was not read"}."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, NamedTuple

from kplan.kinds.connect_features import ConnectFacts, connect_facts
from kplan.kinds.live_codec import by_name, kind_slice, shape
from kplan.model.desired import DEFAULT_CONNECT, freeze
from kplan.model.live import KindState, LiveConnector, LiveState, Problem
from kplan.model.ownership import NamesPart
from kplan.model.plan import ResourceType


class ConnectsRead(NamedTuple):
    """The batched read's answer for the connectors (kplan.kinds.connector.io.read): every Connect cluster's
    connectors by key, and what the same requests said of the clusters."""

    connectors: Mapping[str, LiveConnector]
    facts: ConnectFacts


def kind_state(found: ConnectsRead | Mapping[str, LiveConnector], part: Any, problem: Problem | None) -> KindState:
    """The connectors read (none: not read) with the Connect facts, and the names the stack's record owns and
    protects; a connector whose keys the record names as secrets keeps them masked."""
    connectors, facts = found if isinstance(found, ConnectsRead) else (found, None)
    names = part if isinstance(part, NamesPart) else NamesPart()
    masked = {n: replace(c, sensitive_keys=frozenset(names.sensitive[n])) if n in names.sensitive else c
              for n, c in connectors.items()}
    return KindState(freeze(masked), names.names, names.protected, problem, facts=facts)


def facts_of(live: LiveState) -> ConnectFacts:
    """The Connect clusters' facts the read gave the connectors' slice (empty ones when not read)."""
    return connect_facts(live.of(ResourceType.CONNECTOR))


def _on_its_connect(c: Mapping[str, Any]) -> Mapping[str, Any]:
    """A connector is keyed "<connect>/<name>" on a named Connect cluster (kplan.model.desired.connector_key); its
    config holds its own name unless it says one."""
    connect, _, own = c["name"].rpartition("/")
    return {**c, "connect": connect or DEFAULT_CONNECT, "config": {"name": own, **(c.get("config") or {})}}


# The document's "connectors" (by key: config, state, tasks, type, trace, sensitive_keys), "owned_connectors" and
# "protected_connectors".
_slice = kind_slice(resources=("connectors", by_name(shape(LiveConnector, _on_its_connect))),
                    owned="owned_connectors", protected="protected_connectors")


def _versions(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """Each Connect cluster's worker version: "connect_version" is the default one's."""
    return {**doc, "connect_versions": {**({DEFAULT_CONNECT: doc["connect_version"]} if doc.get("connect_version")
                                           else {}), **(doc.get("connect_versions") or {})}}


# The document's "connector_plugins", "connect_problems", "connect_version(s)" and "plugin_versions"
_facts = shape(ConnectFacts, _versions, plugins="connector_plugins", problems="connect_problems",
               versions="connect_versions")
_FACT_KEYS = ("connector_plugins", "connect_problems", "connect_version", "connect_versions", "plugin_versions")


def live_from_json(doc: Mapping[str, Any]) -> KindState:
    """The connectors' slice of a live-state document, with the Connect facts at its top level (None when it says
    none of them)."""
    state = _slice(doc)
    return replace(state, facts=_facts(doc)) if any(k in doc for k in _FACT_KEYS) else state
