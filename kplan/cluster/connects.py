"""The Connect clusters of one Kafka cluster (`cluster.connect`, one or several by name), each read with its own
client: its connectors keyed as kplan names them (`kplan.model.desired.connector_key`), its plugins, and, with
several, a Connect cluster that cannot be read is one line of its own (its connectors unknown) instead of a failed
read (docs/stack-format.md)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Iterable, Mapping

from kplan.errors import KplanError
from kplan.model.desired import connector_key
from kplan.model.live import LiveConnector
from kplan.transport.connect import split_key
from kplan.transport.http import RestClient, rest_path

Read = tuple[dict[str, LiveConnector], frozenset[str] | None, dict[str, str], dict[str, str],
             dict[str, dict[str, tuple[str, ...]]]]


def read_connects(clients: Mapping[str, RestClient], parse) -> Read:
    """(connectors by key, the connector plugins of every Connect cluster read, the Connect clusters that could
    not be read -> why, each read one's worker version from `GET /`, each read one's installed plugins -> their
    versions). With one Connect cluster a failed read is the run's error, as it always was."""
    if not clients:
        return {}, None, {}, {}, {}

    def one(item):
        name, client = item
        try:
            body = complete_listing(client, client.get_json(rest_path("connectors") + "?expand=info&expand=status"))
            # every plugin type (KIP-769, Connect 3.2+; older workers list their connectors alone): converters,
            # transforms and predicates may be pinned too
            plugins = client.get_json(rest_path("connector-plugins", query={"connectorsOnly": "false"}))
            root = client.get_json("/")
        except KplanError as e:
            if len(clients) == 1:
                raise
            return name, None, None, str(e), None
        version = root.get("version") if isinstance(root, dict) else None
        return (name, parse(body), plugins if isinstance(plugins, list) else [], None,
                version if isinstance(version, str) else None)

    connectors: dict[str, LiveConnector] = {}
    plugins: set[str] = set()
    problems: dict[str, str] = {}
    versions: dict[str, str] = {}
    installed_versions: dict[str, dict[str, tuple[str, ...]]] = {}
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        for name, found, installed, problem, version in pool.map(one, sorted(clients.items())):
            if problem is not None:
                problems[name] = problem
                continue
            if version is not None:
                versions[name] = version
            plugins |= connector_classes(installed)
            installed_versions[name] = plugin_versions(installed)
            for conn in found.values():
                key = connector_key(name, conn.name)
                connectors[key] = replace(conn, name=key, connect=name)
    return connectors, frozenset(plugins), problems, versions, installed_versions


def connect_offsets(clients: Mapping[str, RestClient], keys: Iterable[str]) -> dict[str, list[dict]]:
    """The offsets of the connectors `keys` names, each from its own Connect cluster."""
    from kplan.cluster.offsets import read_offsets

    by_connect: dict[str, dict[str, str]] = {}
    for key in keys:
        connect, name = split_key(key, clients)
        by_connect.setdefault(connect, {})[name] = key
    out: dict[str, list[dict]] = {}
    for connect, names in by_connect.items():
        for name, offsets in read_offsets(clients.get(connect), names).items():
            out[names[name]] = offsets
    return out


def connector_classes(listed: list) -> set[str]:
    """The connector classes of a `GET /connector-plugins` answer (a plugin of no type: a connector, as every entry
    of an answer to `connectorsOnly=true` is)."""
    return {p["class"] for p in listed if isinstance(p, dict) and isinstance(p.get("class"), str)
            and p.get("type") in (None, "source", "sink")}


def plugin_versions(listed: list) -> dict[str, tuple[str, ...]]:
    """Each listed plugin class -> its installed versions, oldest first. Kafka Connect 4.1+ (KIP-891) lists each
    installed version of a plugin as an entry of its own (the same class and type, another `version`); an entry
    without a version (a plugin that reports none: Connect leaves out "undefined") adds the class alone."""
    from kplan.rules.plugin_versions import sorted_versions

    found: dict[str, set[str]] = {}
    for p in listed:
        if not isinstance(p, dict) or not isinstance(p.get("class"), str):
            continue
        versions = found.setdefault(p["class"], set())
        if isinstance(p.get("version"), str) and p["version"] and p["version"] != "undefined":
            versions.add(p["version"])
    return {cls: tuple(sorted_versions(v)) for cls, v in sorted(found.items())}


def complete_listing(client: RestClient, body) -> dict:
    """The expanded listing with every connector Connect has: Connect leaves out of `?expand=status` a connector
    whose status it has not written yet (right after a create, or while a worker rebalances), so a read that took
    the listing alone would report a connector that exists as absent (a plan would create it, an import would drop
    it). The names come from a plain `GET /connectors`; each one missing is read on its own (its config and type,
    its status when there is one); one deleted in between is left out."""
    body = dict(body or {})
    for name in client.get_json(rest_path("connectors")):
        if name in body:
            continue
        info = client.get_json(rest_path("connectors", name), ok=(200, 404))
        if not isinstance(info, dict) or "config" not in info:
            continue  # deleted since the listing
        status = client.get_json(rest_path("connectors", name, "status"), ok=(200, 404))
        body[name] = {"info": info, "status": status if isinstance(status, dict) and "connector" in status else None}
    return body
