"""Construction of the Kafka admin client and the Connect HTTP session from a ClusterSpec, and the translation
of connection failures into one clear error line. Shared by the reader (plan) and the writer (apply)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from kplan.errors import KplanError
from kplan.model.desired import ClusterSpec
from kplan.secrets import Scrubber, SecretValues

log = logging.getLogger("kplan.kafka")


def _quiet_logger() -> logging.Logger:
    """librdkafka logs every refused connection; kplan reports one clear error instead."""
    lg = logging.getLogger("kplan.librdkafka")
    if not lg.handlers:
        lg.addHandler(logging.NullHandler())
    lg.propagate = bool(os.environ.get("KPLAN_DEBUG"))
    return lg


def client_config(cluster: ClusterSpec, secrets: SecretValues | None = None) -> dict[str, Any]:
    """librdkafka config: bootstrap servers, the stack's client properties (secret refs substituted from the
    values resolved at the edge, never stored), and timeouts bounded by the stack's timeout so nothing hangs."""
    secrets = SecretValues() if secrets is None else secrets
    timeout_ms = int(cluster.timeout_s * 1000)
    conf: dict[str, Any] = {
        "bootstrap.servers": cluster.bootstrap_servers,
        "socket.timeout.ms": max(1000, timeout_ms),
        "socket.connection.setup.timeout.ms": max(1000, timeout_ms),
        "logger": _quiet_logger(),
    }
    for key, value in cluster.client_properties.items():
        conf[key] = secrets.substitute(str(value))
    return conf


def admin_client(cluster: ClusterSpec, secrets: SecretValues | None = None):
    from confluent_kafka.admin import AdminClient

    conf = client_config(cluster, secrets)
    try:
        return AdminClient(conf)
    except Exception as e:  # librdkafka rejects unknown or malformed client properties here
        # librdkafka quotes the offending value: never show one (a property may hold a secret)
        message = Scrubber(v for k, v in conf.items() if isinstance(v, str) and k != "bootstrap.servers")(str(e))
        raise KplanError(f"invalid Kafka client settings for {cluster.bootstrap_servers}: {message}") from None


def describe_kafka_error(exc: BaseException) -> str:
    """A short reason for a confluent-kafka exception (no stack, no config values)."""
    err = exc.args[0] if getattr(exc, "args", None) else None
    if err is not None and hasattr(err, "name") and hasattr(err, "str"):
        try:
            return f"{err.name()}: {err.str()}"
        except Exception:  # noqa: BLE001 - a malformed KafkaError falls back to str(exc) below
            pass
    return str(exc) or type(exc).__name__


def unreachable(cluster: ClusterSpec, exc: BaseException) -> KplanError:
    reason = describe_kafka_error(exc)
    hint = ""
    low = reason.lower()
    if "authentic" in low or "sasl" in low:
        hint = " (authentication failed: check the stack's cluster.client settings and credentials)"
    elif "ssl" in low:
        hint = " (TLS handshake failed: check the stack's ssl.* client settings)"
    else:
        hint = " (is the broker running and the address right? the timeout is cluster.timeout)"
    return KplanError(
        f"cannot reach Kafka at {cluster.bootstrap_servers} within {cluster.timeout_s:g}s: {reason}{hint}"
    )


@dataclass
class ConnectHttp:
    """A small Connect REST client with bounded timeouts and one clear error on failure."""

    url: str
    timeout_s: float

    def __post_init__(self):
        import requests

        self._session = requests.Session()
        self.url = self.url.rstrip("/")

    def request(self, method: str, path: str, **kw):
        import requests

        try:
            return self._session.request(method, self.url + path, timeout=kw.pop("timeout", self.timeout_s), **kw)
        except requests.exceptions.Timeout as e:
            raise KplanError(f"Kafka Connect at {self.url} did not answer {method} {path} within "
                             f"{kw.get('timeout', self.timeout_s):g}s") from e
        except requests.exceptions.RequestException as e:
            raise KplanError(f"cannot reach Kafka Connect at {self.url}: {type(e).__name__} "
                             "(is the worker running and cluster.connect_url right?)") from e

    def get_json(self, path: str, *, ok=(200,)):
        r = self.request("GET", path)
        if r.status_code not in ok:
            raise KplanError(f"Kafka Connect at {self.url} answered {r.status_code} to GET {path}: "
                             f"{connect_error_message(r)}")
        return r.json()

    def close(self) -> None:
        self._session.close()


def connect_error_message(response) -> str:
    """Connect's JSON error body is {"error_code": ..., "message": ...}; fall back to the text, shortened."""
    try:
        body = response.json()
        if isinstance(body, dict) and body.get("message"):
            return str(body["message"]).splitlines()[0][:500]
    except ValueError:
        pass
    return (response.text or "").strip().splitlines()[0][:500] if response.text else "(empty body)"


DESCRIBE_CHUNK = 250
MAX_CHUNKS_IN_FLIGHT = 8


def describe_topic_entries(admin, names: list[str], timeout_s: float, *, missing_ok: bool = True) -> dict:
    """name -> {key: ConfigEntry} for many topics: chunks of DESCRIBE_CHUNK topics per request, up to
    MAX_CHUNKS_IN_FLIGHT requests at once (one request carrying thousands of topics is slower, and one per
    topic is far slower). Topics that vanished meanwhile are skipped when `missing_ok`."""
    import time

    from confluent_kafka.admin import ConfigResource

    out: dict = {}
    chunks = [names[i:i + DESCRIBE_CHUNK] for i in range(0, len(names), DESCRIBE_CHUNK)]
    deadline = time.monotonic() + timeout_s * max(1, len(chunks) / MAX_CHUNKS_IN_FLIGHT)
    for start in range(0, len(chunks), MAX_CHUNKS_IN_FLIGHT):
        pending = [admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, n) for n in chunk],
                                          request_timeout=timeout_s)
                   for chunk in chunks[start:start + MAX_CHUNKS_IN_FLIGHT]]
        for futures in pending:
            for res, fut in futures.items():
                try:
                    out[res.name] = fut.result(timeout=max(1.0, deadline - time.monotonic()))
                except Exception as e:  # noqa: BLE001 - skips a missing topic if allowed, else raises a KplanError
                    if missing_ok and "UNKNOWN_TOPIC" in describe_kafka_error(e):
                        continue
                    raise KplanError(
                        f"reading the configs of topic {res.name} failed: {describe_kafka_error(e)}") from e
    return out
