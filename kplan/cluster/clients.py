"""The Connect REST client (`kplan.transport.http`) of a stack's cluster, and the chunked, concurrent read of
topic configs. The Kafka clients themselves are `kplan.transport.kafka`'s."""

from __future__ import annotations

from kplan.errors import KplanError
from kplan.model.desired import ClusterSpec
from kplan.secrets import SecretValues
from kplan.transport.http import HttpService, RestClient, rest_client
from kplan.transport.kafka import describe_kafka_error

CONNECT = HttpService("Kafka Connect", "worker", "cluster.connect", "cluster.connect_url", "the Connect REST API")


def connect_client(cluster: ClusterSpec, secrets: SecretValues | None = None,
                   timeout_s: float | None = None) -> "RestClient | None":
    """The Connect REST client for a stack's cluster (None when it names no Connect worker): its URL and
    credentials with their secret references substituted here, at the edge, from the values resolved once."""
    if not cluster.connect_url:
        return None
    return rest_client(CONNECT, cluster.connect_url, cluster.connect, cluster.timeout_s if timeout_s is None
                       else timeout_s, SecretValues() if secrets is None else secrets)


DESCRIBE_CHUNK = 250
MAX_CHUNKS_IN_FLIGHT = 8


def describe_topic_entries(admin, names: list[str], timeout_s: float, *, missing_ok: bool = True,
                           who: str | None = None, convert=None, in_flight: int = MAX_CHUNKS_IN_FLIGHT) -> dict:
    """name -> {key: ConfigEntry} for many topics: chunks of DESCRIBE_CHUNK topics per request, up to
    MAX_CHUNKS_IN_FLIGHT requests at once (one request carrying thousands of topics is slower, and one per
    topic is far slower). Topics that vanished meanwhile are skipped when `missing_ok`. With `convert`, each
    topic's entries are replaced by `convert(entries)` as they arrive, so that at 10,000 topics the ~400,000
    ConfigEntry objects never all exist at once."""
    import time

    from confluent_kafka.admin import ConfigResource

    out: dict = {}
    chunks = [names[i:i + DESCRIBE_CHUNK] for i in range(0, len(names), DESCRIBE_CHUNK)]
    deadline = time.monotonic() + timeout_s * max(1, len(chunks) / in_flight)
    for start in range(0, len(chunks), in_flight):
        # copies of the client's future maps (it sets the results through its own map, which it drops then)
        pending = [dict(admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, n) for n in chunk],
                                               request_timeout=timeout_s))
                   for chunk in chunks[start:start + in_flight]]
        for futures in pending:
            for res in list(futures):  # each answer dropped once converted: at most those in flight are held
                fut = futures.pop(res)
                try:
                    entries = fut.result(timeout=max(1.0, deadline - time.monotonic()))
                    out[res.name] = entries if convert is None else convert(entries)
                except Exception as e:  # noqa: BLE001 - skips a missing topic if allowed, else raises a KplanError
                    if missing_ok and "UNKNOWN_TOPIC" in describe_kafka_error(e):
                        continue
                    from kplan.transport.permissions import denied

                    refused = denied(e, "read the configs of", f"topic {res.name}", who)  # `who`: kplan's principal
                    if refused:
                        raise KplanError(refused) from None
                    if isinstance(e, TimeoutError):  # no answer in time (str() of it is empty)
                        raise KplanError(f"reading the configs of topic {res.name} failed: no answer within "
                                         f"{timeout_s:g} s (cluster.timeout)") from e
                    raise KplanError(
                        f"reading the configs of topic {res.name} failed: {describe_kafka_error(e)}") from e
    return out
