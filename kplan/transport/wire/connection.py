"""One socket to a bootstrap server, speaking the requests of `codec`: TLS and SASL (PLAIN, SCRAM) from the same
librdkafka settings kplan's other clients use.

`settings_of(conf)` accepts a closed list of properties; a client setting outside it (OAUTHBEARER, GSSAPI, a
keystore, a token callback, anything new) answers None, and the caller reads through librdkafka, which honours
it. Every failure here is a `WireError` (connection, TLS, login, an unexpected answer) with no detail worth
showing: the fallback reports the real problem the usual way. Secrets are only in the SASL exchange."""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any, Mapping

from kplan.transport.sockets import create_connection
from kplan.transport.wire import codec
from kplan.transport.wire.codec import WireError

# librdkafka properties that do not change what goes on the wire for one request (timeouts, logging, tuning)
_NEUTRAL = frozenset({"logger", "error_cb", "debug", "log_level", "socket.keepalive.enable", "statistics.interval.ms",
                      "socket.timeout.ms", "socket.connection.setup.timeout.ms", "api.version.request",
                      "reconnect.backoff.ms", "reconnect.backoff.max.ms", "retry.backoff.ms", "request.timeout.ms",
                      "metadata.max.age.ms", "topic.metadata.refresh.interval.ms", "client.id"})
# (no client certificate: the local stack has no mTLS listener to prove it against, so mTLS stays librdkafka's)
_SPOKEN = frozenset({"bootstrap.servers", "security.protocol", "sasl.mechanism", "sasl.mechanisms", "sasl.username",
                     "sasl.password", "ssl.ca.location", "ssl.endpoint.identification.algorithm",
                     "enable.ssl.certificate.verification"})
_MECHANISMS = frozenset({"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"})
_PROTOCOLS = frozenset({"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"})


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

    def __repr__(self) -> str:  # never the password
        return f"Settings(servers={self.servers}, tls={self.tls}, mechanism={self.mechanism})"


def settings_of(conf: Mapping[str, Any], timeout_s: float) -> Settings | None:
    """The wire settings of a librdkafka config, or None when it asks for anything this client does not speak."""
    if any(key not in _NEUTRAL and key not in _SPOKEN for key in conf):
        return None
    protocol = str(conf.get("security.protocol", "PLAINTEXT")).upper()
    mechanism = str(conf.get("sasl.mechanisms", conf.get("sasl.mechanism", "GSSAPI"))).upper()
    if protocol not in _PROTOCOLS or (protocol.startswith("SASL") and mechanism not in _MECHANISMS):
        return None
    servers = []
    for server in str(conf.get("bootstrap.servers", "")).split(","):
        host, _, port = server.strip().rpartition("://")[2].rpartition(":")
        if not host or not port.isdigit():
            return None
        servers.append((host.strip("[]"), int(port)))
    if not servers:
        return None
    return Settings(
        servers=tuple(servers), tls=protocol.endswith("SSL"),
        mechanism=mechanism if protocol.startswith("SASL") else None,
        user=str(conf.get("sasl.username", "")), password=str(conf.get("sasl.password", "")),
        ca=conf.get("ssl.ca.location"),
        check_hostname=str(conf.get("ssl.endpoint.identification.algorithm", "https")).lower() == "https",
        verify=str(conf.get("enable.ssl.certificate.verification", "true")).lower() in ("true", "1"),
        client_id=str(conf.get("client.id", "kplan")), timeout_s=timeout_s)


class Connection:
    """A logged-in connection to the first bootstrap server that takes one; requests may be pipelined (the broker
    answers one connection's requests in order)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._correlation = 0
        self._sock = self._open()
        try:
            self.versions = self._negotiate()
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
            raise WireError("the connection failed") from e

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
                    raise WireError("the broker closed the connection")
                got += k
        except OSError as e:
            raise WireError("the connection failed") from e
        return bytes(buf)

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass

    # --------------------------------------------------------------------------------------- connecting, login

    def _open(self) -> socket.socket:
        s = self.settings
        deadline = time.monotonic() + s.timeout_s
        for host, port in s.servers:
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
                return sock
            try:
                return self._tls_context().wrap_socket(sock, server_hostname=host)
            except (OSError, ssl.SSLError, ValueError) as e:
                sock.close()
                raise WireError("the TLS handshake failed") from e
        raise WireError("no bootstrap server accepted a connection")

    def _tls_context(self) -> ssl.SSLContext:
        s = self.settings
        context = ssl.create_default_context(cafile=s.ca)
        if not s.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        else:
            context.check_hostname = s.check_hostname
        return context

    def _call(self, frame_of) -> tuple[bytes, int]:
        correlation = self.next_correlation()
        self.send(frame_of(correlation))
        return self.receive(), correlation

    def _negotiate(self) -> dict[int, tuple[int, int]]:
        """ApiVersions (allowed before login, as librdkafka sends it), then the SASL login if any."""
        s = self.settings
        frame, correlation = self._call(lambda c: codec.api_versions_request(c, s.client_id))
        versions = codec.api_versions(frame, correlation)
        if s.mechanism is not None:
            self._login(s)
        return versions

    def _login(self, s: Settings) -> None:
        frame, correlation = self._call(lambda c: codec.sasl_handshake_request(c, s.client_id, s.mechanism or ""))
        if codec.sasl_handshake(frame, correlation) != codec.NONE:
            raise WireError("the SASL mechanism is not enabled")
        if s.mechanism == "PLAIN":
            self._authenticate(b"\x00" + s.user.encode() + b"\x00" + s.password.encode())
            return
        from kplan.transport.wire.scram import ScramClient

        scram = ScramClient(s.mechanism or "", s.user, s.password)
        challenge = self._authenticate(scram.first())
        scram.check(self._authenticate(scram.final(challenge)))

    def _authenticate(self, token: bytes) -> bytes:
        frame, correlation = self._call(lambda c: codec.sasl_authenticate_request(c, self.settings.client_id, token))
        code, answer = codec.sasl_authenticate(frame, correlation)
        if code != codec.NONE:
            raise WireError("the SASL login was refused")
        return answer
