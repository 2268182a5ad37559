"""The batched read's connector part (a primary read, registered in `kplan.cluster.kind_io`): every Connect cluster's
connectors, read with the reader's Connect clients (`kplan.cluster.connects`) beside the cluster's own requests; the
same requests give the connectors' slice its facts (`ConnectFacts`): the plugins (with each one's installed versions:
the plan's pin checks), the Connect clusters that could not be read and each worker's version (`GET /`: what the
plan's version checks read, kplan.kinds.connect_features). A connector's status carries the version of its plugin
it runs (Connect 4.1+)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Mapping

from kplan.cluster.connects import read_connects
from kplan.kinds.connect_features import ConnectFacts
from kplan.kinds.connector.live import ConnectsRead
from kplan.model.desired import freeze
from kplan.model.live import LiveConnector, LiveTask, Problem

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


class ConnectorRead:
    """The connectors of every Connect cluster (`kplan.transport.reads.PrimaryRead`), asked first: Connect is read
    in a thread of its own while the cluster's requests go out."""

    def __init__(self, ctx: "PrimaryContext"):
        self.future = ctx.pool.submit(read_connects, ctx.reader.connects.clients, parse_connectors)

    def after_pin(self, metadata: "Metadata") -> None:
        pass

    def owned(self, names: Iterable[str], metadata: "Metadata") -> "Metadata":
        return metadata  # every connector is read

    def result(self) -> tuple[ConnectsRead, Problem | None]:
        """The connectors, and the Connect clusters' own facts."""
        connectors, plugins, problems, versions, installed = self.future.result()
        facts = ConnectFacts(plugins, freeze(problems), freeze(versions),
                             freeze({c: freeze(v) for c, v in installed.items()}))
        return ConnectsRead(connectors, facts), None
