"""One logged-in connection to a Kafka broker, and the one translation of the stack's client settings for it.

`settings_of(conf)` reads a librdkafka config (`cluster.client` as `kplan.transport.kafka.client_config` gives it,
secrets substituted) and accepts a closed list of properties: PLAINTEXT or TLS (with a client certificate or
without), SASL PLAIN, SCRAM-SHA-256/512 or OAUTHBEARER — AWS MSK IAM tokens kplan signs (`oauth_cb`) or OIDC
client credentials from the token endpoint librdkafka's `oidc` method names (`kplan.transport.oauth`). Any other
(GSSAPI, a keystore, librdkafka's unsecured JWT, anything new) is `Unspoken`: one line naming the property, never
its value, for the requests only this client makes; a fast read (`spoken`) reads through librdkafka instead, which
honours it. Every failure here is a `WireError`, a `NoAnswer` when worth another try. Secrets are only in the SASL
exchange."""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from kplan.errors import KplanError
from kplan.transport.sockets import create_connection
from kplan.transport.wire import codec
from kplan.transport.wire.codec import NoAnswer, Unsupported, WireError

# librdkafka properties that do not change what goes on the wire (timeouts, logging, tuning)
_NEUTRAL = frozenset({"logger", "error_cb", "debug", "log_level", "socket.keepalive.enable", "statistics.interval.ms",
                      "socket.timeout.ms", "socket.connection.setup.timeout.ms", "api.version.request",
                      "reconnect.backoff.ms", "reconnect.backoff.max.ms", "retry.backoff.ms", "request.timeout.ms",
                      "metadata.max.age.ms", "topic.metadata.refresh.interval.ms", "broker.address.family"})
# librdkafka's OIDC method: kplan fetches the same tokens itself
_OIDC = frozenset({"sasl.oauthbearer.method", "sasl.oauthbearer.client.id", "sasl.oauthbearer.client.secret",
                   "sasl.oauthbearer.token.endpoint.url", "sasl.oauthbearer.scope", "https.ca.location"})
_SPOKEN = _OIDC | {"bootstrap.servers", "security.protocol", "sasl.mechanism", "sasl.mechanisms", "sasl.username",
                   "sasl.password", "ssl.ca.location", "ssl.endpoint.identification.algorithm",
                   "enable.ssl.certificate.verification", "ssl.certificate.location", "ssl.key.location",
                   "ssl.key.password", "ssl.crl.location", "client.id", "oauth_cb"}
_MECHANISMS = frozenset({"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"})
_PROTOCOLS = frozenset({"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"})
_USES = ("kplan's own Kafka client (client quotas, partition reassignments, broker and group configs, share groups; "
         "docs/secured-clusters.md lists the properties it understands)")


class Unspoken(KplanError):
    """A client setting this client does not speak (the message names it, never its value)."""


@dataclass(frozen=True)
class Settings:
    servers: tuple[tuple[str, int], ...]
    tls: bool
    mechanism: str | None
    user: str
    password: str
    ca: str | None
    check_hostname: bool
    verify: bool
    client_id: str
    timeout_s: float
    cert: tuple[str, str | None, str | None] | None = None  # a client certificate: its file, its key's, its password
    crl: str | None = None
    token: Callable[[], str] | None = None  # OAUTHBEARER: the current token

    def __repr__(self) -> str:  # never the password
        return f"Settings(servers={self.servers}, tls={self.tls}, mechanism={self.mechanism})"


def settings_of(conf: Mapping[str, Any], timeout_s: float) -> Settings:
    """The settings of a librdkafka config; Unspoken when it asks for anything this client does not speak."""
    for key in conf:
        if key not in _NEUTRAL and key not in _SPOKEN:
            raise Unspoken(f"cluster.client property {key!r}: {_USES} does not speak it; remove it, or manage those "
                           "another way")
    protocol = str(conf.get("security.protocol", "PLAINTEXT")).upper()
    mechanism = str(conf.get("sasl.mechanisms", conf.get("sasl.mechanism", "GSSAPI"))).upper()
    sasl = protocol.startswith("SASL")
    if protocol not in _PROTOCOLS or (sasl and mechanism not in _MECHANISMS):
        what = f"sasl.mechanisms {mechanism}" if protocol in _PROTOCOLS else f"security.protocol {protocol}"
        raise Unspoken(f"cluster.client {what}: {_USES} does not speak it; manage those another way")
    servers = []
    for server in str(conf.get("bootstrap.servers", "")).split(","):
        host, _, port = server.strip().rpartition("://")[2].rpartition(":")
        if not host or not port.isdigit():
            raise Unspoken(f"cluster.bootstrap_servers: {server.strip()!r} is not host:port")
        servers.append((host.strip("[]"), int(port)))
    cert = conf.get("ssl.certificate.location")
    return Settings(
        servers=tuple(servers), tls=protocol.endswith("SSL"), mechanism=mechanism if sasl else None,
        user=str(conf.get("sasl.username", "")), password=str(conf.get("sasl.password", "")),
        ca=conf.get("ssl.ca.location"),
        check_hostname=str(conf.get("ssl.endpoint.identification.algorithm", "https")).lower() == "https",
        verify=str(conf.get("enable.ssl.certificate.verification", "true")).lower() in ("true", "1"),
        client_id=str(conf.get("client.id", "kplan")), timeout_s=timeout_s,
        cert=(cert, conf.get("ssl.key.location"), conf.get("ssl.key.password")) if cert else None,
        crl=conf.get("ssl.crl.location"), token=_tokens(conf, timeout_s) if mechanism == "OAUTHBEARER" else None)


def spoken(conf: Mapping[str, Any], timeout_s: float) -> Settings | None:
    """The settings of a librdkafka config, or None when this client does not speak them (a fast read then reads
    through librdkafka)."""
    try:
        return settings_of(conf, timeout_s)
    except Unspoken:
        return None


def _tokens(conf: Mapping[str, Any], timeout_s: float) -> Callable[[], str]:
    """OAUTHBEARER's current token: AWS MSK IAM's (the `oauth_cb` kplan gives librdkafka), or OIDC client credentials
    from the token endpoint librdkafka's `oidc` method names; each cached for the run (transport.kafka.token_source)."""
    if "oauth_cb" in conf:
        callback = conf["oauth_cb"]
        return lambda: callback(None)[0]
    if str(conf.get("sasl.oauthbearer.method", "default")).lower() != "oidc":
        raise Unspoken(f"sasl.mechanisms OAUTHBEARER: {_USES} can only fetch its tokens with "
                       "sasl.oauthbearer.method oidc (client credentials) or cluster.client.aws_msk_iam; set one, or "
                       "manage those another way")
    keys = ("sasl.oauthbearer.token.endpoint.url", "sasl.oauthbearer.client.id", "sasl.oauthbearer.client.secret")
    missing = [k for k in keys if not conf.get(k)]
    if missing:
        raise Unspoken(f"sasl.oauthbearer.method oidc needs {', '.join(missing)} in cluster.client")
    from kplan.transport.kafka import token_source
    from kplan.transport.oauth import ClientCredentials

    source = token_source(ClientCredentials, str(conf[keys[0]]), str(conf[keys[1]]), str(conf[keys[2]]),
                          str(conf.get("sasl.oauthbearer.scope", "")) or None, timeout_s,
                          str(conf.get("https.ca.location", "")) or None)
    return lambda: source.token()[0]


class Connection:
    """A logged-in connection to one broker (`server`), or to the first bootstrap server that takes one; requests may
    be pipelined (the broker answers one connection's requests in order)."""

    def __init__(self, settings: Settings, server: tuple[str, int] | None = None):
        self.settings = settings
        self._correlation = 0
        self._sock, self.where = self._open(settings.servers if server is None else (server,))
        try:  # ApiVersions v0 (allowed before login, as librdkafka sends it), then the SASL login if any
            self.versions = codec.api_versions(self._call(codec.API_VERSIONS, 0, b""))
            if settings.mechanism is not None:
                self._login(settings)
        except BaseException:
            self.close()
            raise

    # -------------------------------------------------------------------------------------------------- framing

    def next_correlation(self) -> int:
        self._correlation += 1
        return self._correlation

    def send(self, frame: bytes) -> None:
        try:
            self._sock.sendall(frame)
        except OSError as e:
            raise NoAnswer(f"the connection to Kafka at {self.where} failed: {e}") from e

    def receive(self) -> bytes:
        size = codec.Reader(self._read(4)).int32()
        if size < 0 or size > 256 * 1024 * 1024:
            raise WireError("an implausible frame size")
        return self._read(size)

    def _read(self, n: int) -> bytes:
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        try:
            while got < n:
                k = self._sock.recv_into(view[got:])
                if not k:
                    raise NoAnswer(f"Kafka at {self.where} closed the connection")
                got += k
        except OSError as e:
            raise NoAnswer(f"Kafka at {self.where} did not answer within {self.settings.timeout_s:g}s: {e}") from e
        return bytes(buf)

    def call(self, request: Any) -> Any:
        """A kafka-python message (`kafka.protocol.*`, or one of kplan's made from Kafka's JSON), sent at the highest
        version both sides speak, and its answer; Unsupported when the broker serves none of them."""
        low, high = self.versions.get(request.API_KEY, (0, -1))
        low = max(low, request._min_version or 0)
        high = min(high, request.max_version, high if request._max_version is None else request._max_version)
        if low > high:
            raise Unsupported(f"Kafka at {self.where} serves no version of {type(request).__name__} kplan speaks")
        correlation = self.next_correlation()
        request.with_header(correlation_id=correlation, client_id=self.settings.client_id)
        self.send(request.encode(version=high, header=True, framed=True))
        frame = self.receive()
        try:
            answer = request.header.get_response_class().decode(frame, version=high, header=True)
        except Exception as e:  # noqa: BLE001 - whatever a malformed answer raises in the library's decoder
            raise WireError(f"a malformed answer to {type(request).__name__}") from e
        if answer.header.correlation_id != correlation:
            raise WireError("an answer to another request")
        return answer

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass

    # --------------------------------------------------------------------------------------- connecting, login

    def _open(self, servers: tuple[tuple[str, int], ...]) -> tuple[socket.socket, str]:
        s = self.settings
        deadline = time.monotonic() + s.timeout_s
        for host, port in servers:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                sock = create_connection((host, port), timeout=min(left, 5.0))
            except OSError:
                continue
            sock.settimeout(s.timeout_s)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if not s.tls:
                return sock, f"{host}:{port}"
            try:
                return self._tls_context().wrap_socket(sock, server_hostname=host), f"{host}:{port}"
            except (OSError, ssl.SSLError, ValueError) as e:
                sock.close()
                raise WireError(f"the TLS handshake with Kafka at {host}:{port} failed: {e}") from e
        raise NoAnswer(f"cannot reach Kafka at {','.join(f'{h}:{p}' for h, p in servers)}: no server accepted a "
                       "connection")

    def _tls_context(self) -> ssl.SSLContext:
        s = self.settings
        context = ssl.create_default_context(cafile=s.ca)
        if s.cert is not None:
            context.load_cert_chain(*s.cert)
        if s.crl:
            context.load_verify_locations(s.crl)
            context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
        context.check_hostname = s.verify and s.check_hostname  # before verify_mode: CERT_NONE refuses a hostname check
        if not s.verify:
            context.verify_mode = ssl.CERT_NONE
        return context

    def _call(self, api_key: int, version: int, body: bytes) -> codec.Reader:
        """One request of the login (header v1), and a reader at its answer's body (header v0)."""
        correlation = self.next_correlation()
        self.send(codec.request(api_key, version, correlation, self.settings.client_id, body, flexible=False))
        return codec.answer_body(self.receive(), correlation, flexible_header=False)

    def _login(self, s: Settings) -> None:
        if codec.sasl_handshake(self._call(codec.SASL_HANDSHAKE, 1, codec.string(s.mechanism or ""))) != codec.NONE:
            raise WireError(f"Kafka at {self.where} does not take the SASL mechanism {s.mechanism}")
        if s.mechanism == "PLAIN":
            self._authenticate(b"\x00" + s.user.encode() + b"\x00" + s.password.encode())
        elif s.token is not None:  # OAUTHBEARER (RFC 7628): a refused token is answered with why, then refused
            why = self._authenticate(b"n,,\x01auth=Bearer " + s.token().encode() + b"\x01\x01")
            if why:
                self._authenticate(b"\x01")
                raise self._refused(why.decode(errors="replace"))
        else:
            from kplan.transport.wire.scram import ScramClient

            scram = ScramClient(s.mechanism or "", s.user, s.password)
            challenge = self._authenticate(scram.first())
            scram.check(self._authenticate(scram.final(challenge)))

    def _authenticate(self, token: bytes) -> bytes:
        code, message, answer = codec.sasl_authenticate(self._call(codec.SASL_AUTHENTICATE, 1, codec.bytes32(token)))
        if code != codec.NONE:
            raise self._refused(message)
        return answer

    def _refused(self, message: str) -> WireError:
        from kplan.secrets import scrub

        return WireError(f"Kafka at {self.where} refused kplan's {self.settings.mechanism} login "
                         f"({scrub(message)[:200]}): check the stack's cluster.client credentials")
