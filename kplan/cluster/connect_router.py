"""The Connect writes of a stack whose cluster reaches several Connect clusters (`cluster.connect` as a map of
names): one `ConnectWriter` per Connect cluster, each with its own client, link and attempts, and a call for a
connector goes to the writer of the Connect cluster its key names (`kplan.model.desired.connector_key`). Step
handlers see one `ConnectWrites` and pass keys, as they always did."""

from __future__ import annotations

from typing import Any, Mapping

from kplan.cluster.connect_writer import ConnectWriter
from kplan.model.desired import DEFAULT_CONNECT
from kplan.transport.connect import split_key


class ConnectRouter:
    """Implements `kplan.kinds.ports.ConnectWrites` over `writers` (Connect cluster name -> its writer)."""

    def __init__(self, writers: Mapping[str, ConnectWriter]):
        self.writers = dict(writers)

    def _route(self, key: str) -> tuple[ConnectWriter, str]:
        connect, name = split_key(key, self.writers)
        writer = self.writers.get(connect) or self.writers[DEFAULT_CONNECT if DEFAULT_CONNECT in self.writers
                                                            else sorted(self.writers)[0]]
        return writer, name

    @property
    def link(self):
        """The link that is down, if one is (the executor stops waiting on a Connect cluster that went away)."""
        links = [w.link for w in self.writers.values()]
        return next((link for link in links if link.is_down), links[0] if links else None)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_") or not callable(getattr(ConnectWriter, attr, None)):
            raise AttributeError(attr)

        def call(key: str, *args, **kwargs):
            writer, name = self._route(key)
            return getattr(writer, attr)(name, *args, **kwargs)
        return call

    def close(self) -> None:
        for writer in self.writers.values():
            close = getattr(writer, "close", None)
            if close is not None:
                close()
