"""The connectors' slice of the live state: from the batched read (`kind_state`: the connectors Connect listed,
keyed "<connect>/<name>" on a named Connect cluster, and the record's names part, whose secret key names mask a
connector's values even after it left the stack) and from a live-state document (`live_from_json`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from kplan.model.desired import DEFAULT_CONNECT, freeze
from kplan.model.live import KindState, LiveConnector, LiveTask, Problem
from kplan.model.ownership import NamesPart


def kind_state(found: Mapping[str, LiveConnector], part: Any, problem: Problem | None) -> KindState:
    names = part if isinstance(part, NamesPart) else NamesPart()
    connectors = {n: replace(c, sensitive_keys=frozenset(names.sensitive[n])) if n in names.sensitive else c
                  for n, c in found.items()}
    return KindState(freeze(connectors), names.names, names.protected, problem)


def live_from_json(doc: Mapping[str, Any]) -> KindState:
    """The document's "connectors" (by key: config, state, tasks, type, trace, sensitive_keys), "owned_connectors"
    and "protected_connectors"."""
    connectors = {name: _connector(name, c) for name, c in (doc.get("connectors") or {}).items()}
    return KindState(freeze(connectors), frozenset(doc.get("owned_connectors") or ()),
                     frozenset(doc.get("protected_connectors") or ()))


def _connector(name: str, c: dict[str, Any]) -> LiveConnector:
    """A connector by its key: "<connect>/<name>" on a named Connect cluster (kplan.model.desired.connector_key)."""
    connect, _, own = name.rpartition("/")
    config = {"name": own, **{k: str(v) for k, v in (c.get("config") or {}).items()}}
    tasks = tuple(LiveTask(int(x["id"]), str(x["state"]), x.get("worker_id", ""), x.get("trace", ""))
                  for x in c.get("tasks") or ())
    return LiveConnector(name, freeze(config), c.get("state"), tasks, c.get("type"), c.get("trace", ""),
                         frozenset(c.get("sensitive_keys") or ()), connect or DEFAULT_CONNECT)
