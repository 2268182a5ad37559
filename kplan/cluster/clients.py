"""Construction of the Kafka admin client and the Connect HTTP session from a ClusterSpec, and the translation
of connection failures into one clear error line. Shared by the reader (plan) and the writer (apply)."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from kplan.errors import KplanError
from kplan.model.desired import ClusterSpec, ConnectAccess
from kplan.secrets import Scrubber, SecretValues, masked_url, url_password


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
        return AdminClient(conf)
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
    protocol = str(cluster.client_properties.get("security.protocol", "PLAINTEXT")).upper()
    if low.startswith("_ssl") or "ssl handshake" in low or "certificate" in low:
        hint = (" (TLS handshake failed: check the stack's ssl.* client settings, such as ssl.ca.location for the "
                "CA that signed the broker's certificate)")
    elif low.startswith("_authentication") or "authentic" in low or "sasl" in low:
        hint = " (authentication failed: check the stack's cluster.client settings and credentials)"
    elif _accepts_connections(cluster.bootstrap_servers, min(2.0, cluster.timeout_s)):
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


def _accepts_connections(bootstrap_servers: str, timeout_s: float) -> bool:
    """Whether any bootstrap server accepts a TCP connection (something listens there)."""
    import socket

    for server in bootstrap_servers.split(",")[:3]:
        address = server.strip().rpartition("://")[2]
        host, _, port = address.rpartition(":")
        host = host.strip("[]")
        if not host or not port.isdigit():
            continue
        try:
            with socket.create_connection((host, int(port)), timeout=timeout_s):
                return True
        except OSError:
            continue
    return False


def connect_path(*segments: str, query: Mapping[str, str] | None = None) -> str:
    """A Connect REST path from its segments, each quoted whole (`/`, `#`, `?`, `%`, spaces, non-ASCII): the one
    way kplan builds a path, so a connector or plugin name can never be read as a fragment, a query or another
    path. A segment that is only dots is encoded too (`.` and `..` would otherwise be resolved away)."""
    from urllib.parse import quote, urlencode

    def one(segment: str) -> str:
        quoted = quote(str(segment), safe="")
        return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted

    path = "/" + "/".join(one(s) for s in segments)
    return path + ("?" + urlencode(dict(query)) if query else "")


class ConnectUnavailable(KplanError):
    """Connect could not be reached or did not answer in time: transient (a worker restarting). `sent`: the
    request may have reached the worker (a timeout or a reset connection), so a write may have happened."""

    def __init__(self, message: str, sent: bool):
        super().__init__(message)
        self.sent = sent


@dataclass(frozen=True)
class HttpService:
    """Which HTTP service a client talks to, for its messages: its name, what runs it, the stack's settings key
    (named in hints) and where its URL is set."""

    name: str  # "Kafka Connect", "the schema registry"
    server: str  # "worker", "registry"
    settings: str  # "cluster.connect", "cluster.schema_registry"
    url_key: str  # "cluster.connect_url", "cluster.schema_registry.url"
    api: str  # "the Connect REST API", "the schema registry's REST API"


CONNECT = HttpService("Kafka Connect", "worker", "cluster.connect", "cluster.connect_url", "the Connect REST API")
REGISTRY = HttpService("the schema registry", "registry", "cluster.schema_registry", "cluster.schema_registry.url",
                       "the schema registry's REST API")


def connect_client(cluster: ClusterSpec, secrets: SecretValues | None = None,
                   timeout_s: float | None = None) -> "ConnectHttp | None":
    """The Connect REST client for a stack's cluster (None when it names no Connect worker): its URL and
    credentials with their secret references substituted here, at the edge, from the values resolved once."""
    if not cluster.connect_url:
        return None
    return http_client(CONNECT, cluster.connect_url, cluster.connect, cluster.timeout_s if timeout_s is None
                       else timeout_s, SecretValues() if secrets is None else secrets)


def http_client(service: HttpService, url: str, access: ConnectAccess, timeout_s: float, secrets: SecretValues,
                headers: Mapping[str, str] | None = None) -> "ConnectHttp":
    """A client of `service` at `url` with the stack's client settings `access` (`cluster.connect`,
    `cluster.schema_registry`): secret references substituted here, the credentials kept for scrubbing.
    `headers`: kplan's own defaults (the stack's headers win)."""
    auth: Any = None
    sent = {**(headers or {}), **{name: secrets.substitute(value) for name, value in access.headers.items()}}
    if access.username and access.password:
        auth = (access.username, secrets.substitute(access.password))
    if access.token:
        sent["Authorization"] = "Bearer " + secrets.substitute(access.token)
    verify: bool | str = access.ca or True if access.verify else False
    cert: Any = ((access.client_cert, access.client_key) if access.client_key else access.client_cert)
    hidden = [auth[1] if auth else None, *[secrets.substitute(v) for v in access.references()]]
    return ConnectHttp(secrets.substitute(url), timeout_s, auth=auth, headers=sent, verify=verify, cert=cert,
                       hidden=tuple(v for v in hidden if v), service=service)


@dataclass
class ConnectHttp:
    """A small REST client with bounded timeouts, for Kafka Connect and the schema registry (`service` names it in
    messages). A failure to reach the server raises `ConnectUnavailable` (callers that write retry it); its
    messages show the URL without its password and never a credential. `verify` (True, False or a CA bundle's
    path) and `cert` are passed with every request: a session's own `verify` loses to the REQUESTS_CA_BUNDLE
    environment variable, a request's does not."""

    url: str
    timeout_s: float
    auth: Any = None  # (username, password) for basic authentication
    headers: Mapping[str, str] | None = None
    verify: Any = True
    cert: Any = None
    hidden: tuple[str, ...] = ()  # credential values, scrubbed from any message
    service: HttpService = CONNECT

    def __post_init__(self):
        from urllib.parse import unquote

        import requests

        self._session = requests.Session()
        self._session.auth = self.auth
        self._session.headers.update(dict(self.headers or {}))
        self.url = self.url.rstrip("/")
        self.shown_url = masked_url(self.url)
        # the URL's own password and the credentials, should a library quote them back in an error
        password = url_password(self.url)
        self._scrub = Scrubber([*([password, unquote(password)] if password else []), *self.hidden])

    def scrub(self, text: str) -> str:
        """`text` without the URL's password or any credential."""
        return self._scrub(text)

    def request(self, method: str, path: str, **kw):
        import requests

        name, where = self.service.name, self.shown_url
        hint = f"(is the {self.service.server} running and {self.service.url_key} right?)"
        timeout = kw.pop("timeout", self.timeout_s)
        kw.setdefault("verify", self.verify)
        if self.cert is not None:
            kw.setdefault("cert", self.cert)
        try:
            response = self._session.request(method, self.url + path, timeout=timeout, **kw)
        except requests.exceptions.SSLError as e:
            raise KplanError(f"TLS with {name} at {where} failed: {self._tls_reason(e)}") from None
        except requests.exceptions.ConnectTimeout as e:
            raise ConnectUnavailable(f"cannot reach {name} at {where} within {timeout:g}s {hint}", sent=False) from e
        except requests.exceptions.Timeout as e:
            raise ConnectUnavailable(f"{_capital(name)} at {where} did not answer {method} {path} within "
                                     f"{timeout:g}s", sent=True) from e
        except requests.exceptions.RequestException as e:
            refused = "refused" in str(e).lower() or "Errno 111" in str(e)
            raise ConnectUnavailable(f"cannot reach {name} at {where}: "
                                     f"{'connection refused' if refused else type(e).__name__} {hint}",
                                     sent=not refused) from e
        if response.status_code in (401, 403):
            raise KplanError(self._refused(method, path, response))
        return response

    def _tls_reason(self, exc: BaseException) -> str:
        text = str(exc)
        key, server = self.service.settings, self.service.server
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            hint = (f"its certificate is not signed by a CA kplan trusts (set {key}.ca to the CA bundle "
                    "that signed it)")
            if "hostname" in text.lower() or "match" in text.lower():
                hint = f"its certificate does not name the host in {key}.url"
            return hint
        if "certificate required" in text.lower() or "alert" in text.lower():
            return f"the {server} refused the TLS handshake (does it require a client certificate? set " \
                   f"{key}.client_cert and client_key)"
        if "wrong version number" in text.lower():
            return f"the {server} does not speak TLS on that port (use http://, or the {server}'s https port)"
        return self._scrub(" ".join(text.split())[:300])

    def _refused(self, method: str, path: str, response) -> str:
        """One line for 401/403: which it is, and what to check. Never the credentials."""
        message = self._scrub(connect_error_message(response))
        name, key = _capital(self.service.name), self.service.settings
        if response.status_code == 401:
            how = (f"check {key}.auth (the username and the secret its password reference names)"
                   if self.auth or (self.headers or {}).get("Authorization") else
                   f"it requires authentication: set {key}.auth")
            return f"{name} at {self.shown_url} refused kplan's credentials (401 to {method} {path}): {how}"
        return (f"{name} at {self.shown_url} does not let kplan's user {method} {path} (403: {message}); "
                f"grant that user access to {self.service.api}")

    def get_json(self, path: str, *, ok=(200,)):
        r = self.request("GET", path)
        if r.status_code not in ok:
            raise KplanError(f"{_capital(self.service.name)} at {self.shown_url} answered {r.status_code} to GET "
                             f"{path}: {self._scrub(connect_error_message(r))}")
        return r.json()

    def close(self) -> None:
        self._session.close()


def _capital(text: str) -> str:
    """`the schema registry` -> `The schema registry` (a message's first words); `Kafka Connect` stays."""
    return text[:1].upper() + text[1:]


def connect_error_message(response) -> str:
    """Connect's JSON error body is {"error_code": ..., "message": ...}; an HTML page (Jetty's own, e.g. while the
    worker starts or for a path it refuses) is reduced to its title; else the text, shortened."""
    import re

    try:
        body = response.json()
        if isinstance(body, dict) and body.get("message"):
            return str(body["message"]).splitlines()[0][:500]
    except ValueError:
        pass
    text = (response.text or "").strip()
    title = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if title:
        return " ".join(title.group(1).split())[:500]
    return text.splitlines()[0][:500] if text else "(empty body)"


def is_connect_json(response) -> bool:
    """Whether an answer is Connect's own (JSON), not a page of the web server in front of its REST resources."""
    try:
        response.json()
    except ValueError:
        return False
    return True


DESCRIBE_CHUNK = 250
MAX_CHUNKS_IN_FLIGHT = 8


def describe_topic_entries(admin, names: list[str], timeout_s: float, *, missing_ok: bool = True,
                           who: str | None = None, convert=None) -> dict:
    """name -> {key: ConfigEntry} for many topics: chunks of DESCRIBE_CHUNK topics per request, up to
    MAX_CHUNKS_IN_FLIGHT requests at once (one request carrying thousands of topics is slower, and one per
    topic is far slower). Topics that vanished meanwhile are skipped when `missing_ok`. With `convert`, each
    topic's entries are replaced by `convert(entries)` as they arrive, so that at 10,000 topics the ~400,000
    ConfigEntry objects never all exist at once."""
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
                    entries = fut.result(timeout=max(1.0, deadline - time.monotonic()))
                    out[res.name] = entries if convert is None else convert(entries)
                except Exception as e:  # noqa: BLE001 - skips a missing topic if allowed, else raises a KplanError
                    if missing_ok and "UNKNOWN_TOPIC" in describe_kafka_error(e):
                        continue
                    from kplan.cluster.permissions import denied

                    refused = denied(e, "read the configs of", f"topic {res.name}", who)  # `who`: kplan's principal
                    if refused:
                        raise KplanError(refused) from None
                    if isinstance(e, TimeoutError):  # no answer in time (str() of it is empty)
                        raise KplanError(f"reading the configs of topic {res.name} failed: no answer within "
                                         f"{timeout_s:g} s (cluster.timeout)") from e
                    raise KplanError(
                        f"reading the configs of topic {res.name} failed: {describe_kafka_error(e)}") from e
    return out
