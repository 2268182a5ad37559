"""`kplan watch`'s HTTP endpoint: `/metrics` in Prometheus' text format (prometheus-client's exposition of the
registry it is given), `/healthz` (the process answers) and `/readyz` (a first round has finished). It listens on
127.0.0.1 unless told otherwise; with a token (`Authorization: Bearer ...`, compared in constant time) or TLS (a
certificate and key) when given. The probes carry no data and need no token, as Kubernetes' probes send none."""

from __future__ import annotations

import hmac
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from kplan.errors import KplanError


class Server:
    """An HTTP server (HTTPS with a certificate and key) on a thread of its own; `address` says where it listens (a
    port 0 given: the one it got). `address_option`/`tls_options`: the options that gave them, for the error."""

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], tls: tuple[str, str] | None,
                 address_option: str, tls_options: str, name: str) -> None:
        host, port = address
        try:
            self.server = ThreadingHTTPServer((host.strip("[]"), port), handler)
        except OSError as e:
            raise KplanError(f"{address_option} {host}:{port}: cannot listen there: {e.strerror or e}") from None
        self.server.daemon_threads = True
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            try:
                context.load_cert_chain(*tls)
            except (OSError, ssl.SSLError) as e:
                self.server.server_close()
                raise KplanError(f"{tls_options}: cannot load them: {e}") from None
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.address = f"{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name=name, daemon=True)

    def start(self) -> "Server":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class MetricsServer(Server):
    def __init__(self, address: tuple[str, int], render: Callable[[], bytes], ready: Callable[[], bool],
                 token: str | None = None, tls: tuple[str, str] | None = None) -> None:
        expected = f"Bearer {token}".encode() if token else None

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    return self._send(200, b"ok\n", "text/plain")
                if path == "/readyz":
                    return self._send(200, b"ok\n", "text/plain") if ready() else \
                        self._send(503, b"no round finished yet\n", "text/plain")
                if path != "/metrics":
                    return self._send(404, b"not found\n", "text/plain")
                given = (self.headers.get("Authorization") or "").encode()
                if expected is not None and not hmac.compare_digest(given, expected):
                    return self._send(401, b"a bearer token is required\n", "text/plain",
                                      {"WWW-Authenticate": 'Bearer realm="kplan"'})
                return self._send(200, render(), "text/plain; version=0.0.4; charset=utf-8")

            def _send(self, code: int, body: bytes, kind: str, headers: dict | None = None) -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args) -> None:  # noqa: A002 - quiet: a scrape is not news
                pass

        super().__init__(address, Handler, tls, "--metrics-addr", "--metrics-tls-cert/--metrics-tls-key",
                         "kplan-metrics")
