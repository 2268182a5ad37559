"""The connectors' slice of the live state: from the batched read (`kind_state`: the connectors Connect listed,
keyed "<connect>/<name>" on a named Connect cluster, and the record's names part, whose secret key names mask a
connector's values even after it left the stack) and from a live-state document (`live_from_json`,
kplan.kinds.livejson):

    "connectors": {"pg-src": {"config": {...}, "state": "RUNNING", "tasks": [{"id": 0, "state": "RUNNING"}]}},
    "owned_connectors": [...], "protected_connectors": [...]

A connector on a named Connect cluster is keyed "<connect>/<name>" (docs/stack-format.md). A connector may carry
"sensitive_keys" (the keys its ownership record names as secrets) and "version" (the plugin version it runs)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from kplan.kinds.live_codec import by_name, kind_slice, shape
from kplan.model.desired import DEFAULT_CONNECT, freeze
from kplan.model.live import KindState, LiveConnector, Problem
from kplan.model.ownership import NamesPart


def kind_state(found: Mapping[str, LiveConnector], part: Any, problem: Problem | None) -> KindState:
    names = part if isinstance(part, NamesPart) else NamesPart()
    connectors = {n: replace(c, sensitive_keys=frozenset(names.sensitive[n])) if n in names.sensitive else c
                  for n, c in found.items()}
    return KindState(freeze(connectors), names.names, names.protected, problem)


def _on_its_connect(c: Mapping[str, Any]) -> Mapping[str, Any]:
    """A connector is keyed "<connect>/<name>" on a named Connect cluster (kplan.model.desired.connector_key); its
    config holds its own name unless it says one."""
    connect, _, own = c["name"].rpartition("/")
    return {**c, "connect": connect or DEFAULT_CONNECT, "config": {"name": own, **(c.get("config") or {})}}


# The document's "connectors" (by key: config, state, tasks, type, trace, sensitive_keys), "owned_connectors" and
# "protected_connectors".
live_from_json = kind_slice(resources=("connectors", by_name(shape(LiveConnector, _on_its_connect))),
                            owned="owned_connectors", protected="protected_connectors")
