"""The Kafka clients every I/O package makes (the cluster's reads and writes, kplan's own records): librdkafka
settings from a ClusterSpec, the admin client, disposing of a client in the right thread, and the translation
of connection failures into one clear error line."""

from __future__ import annotations

import logging
import os
import re
import time
from typing import Any, Callable, Iterable, Mapping

from kplan.errors import KplanError
from kplan.model.desired import ClusterSpec
from kplan.secrets import Scrubber, SecretValues, scrub


def _quiet_logger() -> logging.Logger:
    """librdkafka logs every refused connection; kplan reports one clear error instead."""
    lg = logging.getLogger("kplan.librdkafka")
    if not lg.handlers:
        lg.addHandler(logging.NullHandler())
        lg.addFilter(_scrubbed)
    lg.propagate = bool(os.environ.get("KPLAN_DEBUG"))
    return lg


def _scrubbed(record: logging.LogRecord) -> bool:
    """A log line (shown with KPLAN_DEBUG) never holds a known secret value (kplan.secrets.KNOWN)."""
    record.msg, record.args = scrub(record.getMessage()), ()
    return True


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
    if cluster.aws_msk_iam is not None:  # AWS MSK IAM: kplan signs the tokens (kplan.transport.oauth)
        from kplan.transport.oauth import MskIam

        conf.setdefault("security.protocol", "SASL_SSL")
        conf["sasl.mechanisms"] = "OAUTHBEARER"
        conf.pop("sasl.mechanism", None)
        msk = cluster.aws_msk_iam
        source = token_source(MskIam, msk["region"], msk.get("profile"), msk.get("role_arn"), msk.get("session_name"))
        source.token()  # here, in kplan's thread: a signer that cannot sign is one line, not a client's timeout
        conf["oauth_cb"] = source.oauth_cb
    return conf


_SOURCES: dict = {}


def token_source(make, *settings: Any):
    """One token source `make(*settings)` per settings in a process: every client of a run shares its cached token."""
    key = (make.__name__, settings)
    if key not in _SOURCES:
        _SOURCES[key] = make(*settings)
    return _SOURCES[key]


def admin_client(cluster: ClusterSpec, secrets: SecretValues | None = None, errors: list | None = None,
                 overrides: Mapping[str, Any] | None = None):
    """An admin client; `errors` collects the errors librdkafka reports on its own (error_cb), such as a refused
    SASL login, which a request that then fails reports only as a transport failure (see `unreachable`).
    `overrides`: librdkafka settings of kplan's own that win over the stack's (e.g. a short reconnect backoff)."""
    from confluent_kafka.admin import AdminClient

    conf = {**client_config(cluster, secrets), **(overrides or {})}
    if errors is not None:
        conf["error_cb"] = errors.append
    try:
        client = AdminClient(conf)
        # with an `oauth_cb` its first token comes only when polled (librdkafka queues the refresh as an event):
        # served now, so that requests made before any poll do not wait for a token that never comes
        if "oauth_cb" in conf and hasattr(client, "poll"):
            client.poll(0.5)
        return client
    except KplanError:
        raise
    except Exception as e:  # librdkafka rejects unknown or malformed client properties here
        # librdkafka quotes the offending value: never show one (a property may hold a secret)
        message = Scrubber(v for k, v in conf.items() if isinstance(v, str) and k != "bootstrap.servers")(str(e))
        raise KplanError(f"invalid Kafka client settings for {cluster.bootstrap_servers}: {message}") from None


def dispose(client) -> None:
    """Destroy a librdkafka client (admin, producer or consumer) now, in this thread; idempotent.

    Why not leave it to the garbage collector: Python collects reference cycles in whatever thread happens to
    allocate, and an admin client's results are delivered on librdkafka's own background thread; a client
    destroyed there makes librdkafka abort the whole process ("rd_kafka_destroy() called from librdkafka owned
    thread"). Every client kplan makes is disposed of by the object that made it, when it closes.

    A producer's records still unsent are dropped first (closing one would otherwise wait for them for ever):
    whoever produced a record that must arrive has flushed it, with its own deadline, before."""
    if client is None:
        return
    close = getattr(client, "__exit__", None)
    try:
        if hasattr(client, "purge"):
            client.purge(in_queue=True, in_flight=True, blocking=False)
            client.flush(0)
        if close is not None:
            close(None, None, None)
        elif hasattr(client, "close"):
            client.close()
    except RuntimeError:  # already closed
        pass


def reader(conf: Mapping[str, Any]) -> Any:
    """A consumer that reads a topic from its beginning, in no group (nothing committed), and says where it ends."""
    from confluent_kafka import Consumer

    return Consumer({**conf, "group.id": "kplan-reader", "enable.auto.commit": False,
                     "enable.partition.eof": True, "auto.offset.reset": "earliest"})


def read_to_end(conf: Mapping[str, Any], topic: str, partitions: int, timeout_s: float, take: Callable[[Any], None],
                what: str, watermarks: Callable[[Any, Any], tuple[int, int]] | None = None) -> None:
    """Every record of the topic's partitions, from its beginning to its end as of now (each partition's watermarks,
    asked first: `watermarks(consumer, partition)`, else with one request of at most `timeout_s`), given to `take`
    in order; a partition without records is not read. A KplanError "`what` did not finish within" the timeout."""
    from confluent_kafka import OFFSET_BEGINNING, TopicPartition

    consumer = reader(conf)
    try:
        marks = {p: (watermarks(consumer, TopicPartition(topic, p)) if watermarks is not None else
                     consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout_s))
                 for p in range(partitions)}
        pending = {p for p, (low, high) in marks.items() if high > low}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in sorted(pending)])
        deadline = time.monotonic() + timeout_s
        while pending:
            if time.monotonic() >= deadline:
                raise KplanError(f"{what} did not finish within {timeout_s:g}s")
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            error, partition, offset = msg.error(), msg.partition(), msg.offset()
            if error is None:
                take(msg)
            if (error.code() == error._PARTITION_EOF if error is not None else
                    offset is not None and offset >= marks[partition][1] - 1):
                pending.discard(partition)
    finally:
        consumer.close()


def describe_kafka_error(exc: BaseException) -> str:
    """A short reason for a confluent-kafka exception (no stack, no config values)."""
    err = exc.args[0] if getattr(exc, "args", None) else None
    if err is not None and hasattr(err, "name") and hasattr(err, "str"):
        try:
            return f"{err.name()}: {err.str()}"
        except Exception:  # noqa: BLE001 - a malformed KafkaError falls back to str(exc) below
            pass
    return str(exc) or type(exc).__name__


def unreachable(cluster: ClusterSpec, exc: BaseException, reported: Iterable = ()) -> KplanError:
    """One error line for a cluster kplan could not talk to, blaming what is likely wrong: the credentials, the
    TLS settings, the security settings against the listener (the broker accepts connections but does not answer
    Kafka requests made with them: e.g. security.protocol SSL against a plaintext listener, whose failure
    librdkafka reports only as a transport failure), or the broker and its address. `reported`: the errors the
    client reported on its own meanwhile (a refused login or TLS handshake is the reason, not the transport
    failure it leads to)."""
    protocol = str(cluster.client_properties.get("security.protocol", "PLAINTEXT")).upper()
    if protocol != "PLAINTEXT":
        listener = plain_listener(cluster.bootstrap_servers, min(2.0, cluster.timeout_s))
        if listener is not None and listener != protocol:
            return KplanError(
                f"protocol mismatch: the listener at {cluster.bootstrap_servers} is {listener}, but the stack's "
                f"cluster.client says security.protocol {protocol}: use the broker's {protocol} listener in "
                f"cluster.bootstrap_servers, or set security.protocol {listener} for this one")
    reason = describe_kafka_error(exc)
    for err in reported:
        name = err.name() if hasattr(err, "name") else ""
        # a listener that does not do SASL answers the handshake with no mechanisms: that is a protocol mismatch
        # (the transport failure below), not a refused login
        if name in ("_AUTHENTICATION", "_SSL") and "current SASL state" not in err.str():
            reason = f"{name}: {err.str()}"
            break
    # the broker's address as librdkafka writes it (sasl_ssl://host:port/bootstrap) says nothing about the failure
    low = re.sub(r"\b(sasl_ssl|sasl_plaintext|ssl|plaintext)://", "", reason.lower())
    if low.startswith("_ssl") or "ssl handshake" in low or "certificate" in low:
        hint = (" (TLS handshake failed: check the stack's ssl.* client settings, such as ssl.ca.location for the "
                "CA that signed the broker's certificate)")
    elif "oauthbearer token" in low:  # librdkafka's OIDC method: the identity provider did not issue one
        hint = (" (no token from the identity provider: check sasl.oauthbearer.client.id, "
                "sasl.oauthbearer.client.secret and sasl.oauthbearer.token.endpoint.url)")
    elif "invalid_token" in low:  # the broker's OAUTHBEARER validator refused the token
        hint = (" (the broker refused the token: is sasl.oauthbearer.token.endpoint.url the identity provider the "
                "broker trusts, with its issuer and audience, and is the token unexpired?)")
    elif low.startswith("_authentication") or "authentic" in low or "sasl" in low:
        hint = " (authentication failed: check the stack's cluster.client settings and credentials)"
    elif tcp_reason(cluster.bootstrap_servers, min(2.0, cluster.timeout_s)) is None:
        if protocol != "PLAINTEXT":
            hint = (f" (the broker accepts connections but does not answer Kafka requests made with "
                    f"security.protocol {protocol}: check the security settings in the stack's cluster.client "
                    "(security.protocol, ssl.*, sasl.*) against this listener; a plaintext listener needs "
                    "PLAINTEXT)")
        else:
            hint = (" (the broker accepts connections but does not answer plaintext Kafka requests: does this "
                    "listener need TLS or SASL? set security.protocol and the ssl.*/sasl.* settings in the stack's "
                    "cluster.client)")
    else:
        hint = " (is the broker running and the address right? the timeout is cluster.timeout)"
    return KplanError(
        f"cannot reach Kafka at {cluster.bootstrap_servers} within {cluster.timeout_s:g}s: {reason}{hint}"
    )


_ILLEGAL_SASL_STATE = 34  # a listener without SASL answers a SaslHandshake with this (Kafka's KafkaApis)
_SASL_ANSWERS = (0, 33)  # NONE, UNSUPPORTED_SASL_MECHANISM: a SASL listener's authenticator answered


def plain_listener(bootstrap_servers: str, timeout_s: float) -> str | None:
    """What the first bootstrap server that accepts a connection speaks, told by a SaslHandshake (v1) sent
    without TLS: PLAINTEXT (answered "illegal SASL state": no TLS, no SASL), SASL_PLAINTEXT (answered by a SASL
    authenticator), or None (no plaintext Kafka answer: TLS, something else, or nothing). librdkafka reports a
    client whose security.protocol does not match the listener only as a transport failure; this tells which."""
    import socket
    import struct

    # SaslHandshake v1 (API key 17), correlation id 1, framed by hand: the probe needs no client (kplan's own,
    # transport/wire, is built from this module's settings)
    client, mechanism = b"kplan-probe", b"PLAIN"
    body = struct.pack(">hhih", 17, 1, 1, len(client)) + client + struct.pack(">h", len(mechanism)) + mechanism
    for host, port in bootstrap_addresses(bootstrap_servers):
        try:
            with socket.create_connection((host, port), timeout=timeout_s) as sock:
                sock.settimeout(timeout_s)
                sock.sendall(struct.pack(">i", len(body)) + body)
                answer = b""
                while len(answer) < 10:  # size, correlation id, error code
                    chunk = sock.recv(10 - len(answer))
                    if not chunk:
                        break
                    answer += chunk
        except OSError:
            continue
        if len(answer) < 10:
            return None
        size, correlation, error = struct.unpack(">iih", answer)
        if correlation != 1 or not 6 <= size < 1 << 20:
            return None
        if error == _ILLEGAL_SASL_STATE:
            return "PLAINTEXT"
        return "SASL_PLAINTEXT" if error in _SASL_ANSWERS else None
    return None


def bootstrap_addresses(bootstrap_servers: str) -> list[tuple[str, int]]:
    """(host, port) of the first three bootstrap servers that name both (`sasl_ssl://host:9093`, `[::1]:9092`)."""
    out = []
    for server in bootstrap_servers.split(",")[:3]:
        host, _, port = server.strip().rpartition("://")[2].rpartition(":")
        host = host.strip("[]")
        if host and port.isdigit():
            out.append((host, int(port)))
    return out


def tcp_reason(bootstrap_servers: str, timeout_s: float) -> str | None:
    """None when a bootstrap server accepts a TCP connection (something listens there); else why none does (one
    phrase)."""
    import socket

    reason = "no bootstrap server"
    for host, port in bootstrap_addresses(bootstrap_servers):
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                return None
        except socket.gaierror:
            reason = f"cannot resolve {host} yet"
        except ConnectionRefusedError:
            reason = "connection refused"
        except OSError as e:
            reason = "no answer to a TCP connect" if isinstance(e, TimeoutError) else (e.strerror or str(e))
    return reason
