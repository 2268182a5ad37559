"""The connector kind's reads. The batched read's connector part (a primary read, registered by the kind's unit):
every Connect cluster of the Kafka cluster (`cluster.connect`, one or several by name), read with the reader's Connect
clients beside the cluster's own requests, its connectors keyed as kplan names them
(`kplan.model.desired.connector_key`); with several, a Connect cluster that cannot be read is one line of its own
(its connectors unknown) instead of a failed read (docs/stack-format.md). The same requests give the connectors'
slice its facts (`ConnectFacts`): the plugins (with each one's installed versions: the plan's pin checks), the
Connect clusters that could not be read and each worker's version (`GET /`: what the plan's version checks read,
kplan.kinds.connect_features). A connector's status carries the version of its plugin it runs (Connect 4.1+).

The follow-up read (`follow_up`): what each declared mirror's source has (kplan.kinds.connector.io.mirrors) and the
offsets of its source connector (kplan.kinds.connector.mirrors decides what to ask)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from kplan.errors import KplanError
from kplan.kinds.connect_features import ConnectFacts
from kplan.kinds.connector import mirrors
from kplan.kinds.connector.live import ConnectsRead
from kplan.model.desired import connector_key, freeze
from kplan.model.live import LiveConnector, LiveTask, Problem
from kplan.transport.connect import connect_offsets
from kplan.transport.http import RestClient, rest_path
from kplan.transport.reads import PrimaryRead

if TYPE_CHECKING:  # pragma: no cover
    from kplan.transport.reads import Metadata, PrimaryContext


def parse_connectors(body: Mapping) -> dict[str, LiveConnector]:
    """Parse the expanded /connectors answer; status or info may be missing right after a create."""
    out: dict[str, LiveConnector] = {}
    for name, entry in (body or {}).items():
        info = (entry or {}).get("info") or {}
        status = (entry or {}).get("status") or {}
        conn_status = status.get("connector") or {}
        tasks = tuple(
            LiveTask(int(t.get("id", i)), str(t.get("state", "")), str(t.get("worker_id", "")), str(t.get("trace", "")))
            for i, t in enumerate(status.get("tasks") or [])
        )
        out[name] = LiveConnector(
            name=name,
            config=freeze({k: str(v) for k, v in (info.get("config") or {}).items()}),
            state=conn_status.get("state"),
            tasks=tasks,
            type=info.get("type") or status.get("type"),
            trace=str(conn_status.get("trace", "")),
            version=conn_status.get("version") if isinstance(conn_status.get("version"), str) else None,
        )
    return out


class ConnectorRead(PrimaryRead):
    """The connectors of every Connect cluster (`kplan.transport.reads.PrimaryRead`), asked first: Connect is read
    in a thread of its own while the cluster's requests go out."""

    def __init__(self, ctx: "PrimaryContext"):
        self.future = ctx.pool.submit(read_connects, ctx.reader.connects.clients)

    def owned(self, names: Iterable[str], metadata: "Metadata") -> "Metadata":
        return metadata  # every connector is read

    def result(self) -> tuple[ConnectsRead, Problem | None]:
        """The connectors, and the Connect clusters' own facts."""
        return self.future.result(), None


def read_connects(clients: Mapping[str, RestClient]) -> ConnectsRead:
    """The connectors by key, and the facts: the connector plugins of every Connect cluster read, the Connect
    clusters that could not be read -> why, each read one's worker version from `GET /`, each read one's installed
    plugins -> their versions. With one Connect cluster a failed read is the run's error, as it always was."""
    if not clients:
        return ConnectsRead({}, ConnectFacts())

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
        return (name, parse_connectors(body), plugins if isinstance(plugins, list) else [], None,
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
    return ConnectsRead(connectors, ConnectFacts(frozenset(plugins), freeze(problems), freeze(versions),
                                                 freeze({c: freeze(v) for c, v in installed_versions.items()})))


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


def follow_up(stack: Any, live: Any, reader: Any, destroy: bool) -> Any:
    """The kind's follow-up read (kplan.kinds.connector.mirrors.follow_up) on the batched reader's clients; a reader
    without them (a live-state file's) keeps what it has."""
    if not hasattr(reader, "connects"):
        return live

    def sources(specs: Sequence[Any]) -> dict:
        """What each declared mirror's source has of the topics it replicates, and their replicas and checkpoints
        here (kplan.kinds.connector.io.mirrors)."""
        from kplan.kinds.connector.io.mirrors import read_mirrors

        return read_mirrors(specs, reader.admin, reader.secrets, reader.cluster.timeout_s, reader.cluster)

    return mirrors.follow_up(stack, live, destroy, sources,
                             lambda names: connect_offsets(reader.connects.clients, names))
