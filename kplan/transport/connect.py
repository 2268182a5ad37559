"""Kafka Connect's clients of a stack's cluster: the REST client (`kplan.transport.http`) of its Connect worker, and
one per Connect cluster when `cluster.connect` names several (`ConnectClients`), with the connector keys that say
which (`kplan.model.desired.connector_key`, docs/stack-format.md). The Kafka clients are `kplan.transport.kafka`'s."""

from __future__ import annotations

from typing import Iterable

from kplan.model.desired import DEFAULT_CONNECT, ClusterSpec
from kplan.secrets import SecretValues
from kplan.transport.http import HttpService, RestClient, rest_client

CONNECT = HttpService("Kafka Connect", "worker", "cluster.connect", "cluster.connect_url", "the Connect REST API")


def connect_client(cluster: ClusterSpec, secrets: SecretValues | None = None,
                   timeout_s: float | None = None) -> "RestClient | None":
    """The Connect REST client for a stack's cluster (None when it names no Connect worker): its URL and
    credentials with their secret references substituted here, at the edge, from the values resolved once."""
    if not cluster.connect_url:
        return None
    return rest_client(CONNECT, cluster.connect_url, cluster.connect, cluster.timeout_s if timeout_s is None
                       else timeout_s, SecretValues() if secrets is None else secrets)


def split_key(key: str, names: Iterable[str]) -> tuple[str, str]:
    """(the Connect cluster, the connector's name on it) of a connector key, among the Connect clusters `names`."""
    connect, sep, rest = key.partition("/")
    if sep and connect in names and connect != DEFAULT_CONNECT:
        return connect, rest
    return DEFAULT_CONNECT, key


class ConnectClients:
    """One REST client per Connect cluster of `cluster` (the default one's may be given: the reader's own)."""

    def __init__(self, cluster: ClusterSpec, secrets: SecretValues, default: RestClient | None = None):
        self.clients: dict[str, RestClient] = {}
        for name in cluster.connect_names():
            client = default if name == DEFAULT_CONNECT and default is not None else connect_client(
                cluster.for_connect(name), secrets)
            if client is not None:
                self.clients[name] = client
        self._default = default

    def client_of(self, connect: str) -> RestClient | None:
        return self.clients.get(connect)

    def close(self) -> None:
        for client in self.clients.values():
            if client is not self._default:
                client.close()
