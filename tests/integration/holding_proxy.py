"""An HTTP proxy in front of the local Connect worker that holds back one chosen request, for tests of a request in
flight when Ctrl-C comes (tests/integration/test_interrupt_connect.py).

Every request is forwarded to the worker and its answer sent back (one request per connection: each answer closes
it). The first request matching (method, path) is held: `held` is set, and the proxy waits. If the client gives up
on it (closes the connection: kplan interrupted while awaiting the answer), the request is forwarded only after the
proxy has answered one more request of the client (its rollback's first look at the connector), or after `hold_s`:
the worker then does the write after kplan looked, as a slow worker would. If the client keeps waiting, the request
is forwarded after `hold_s` and its answer sent back. `forwarded` is set once the worker has answered it, and
`client_gave_up` says which of the two happened. No timing decides what the test asserts: the test sends SIGINT
once `held` is set and looks at the worker once `forwarded` is.
"""

from __future__ import annotations

import http.client
import select
import socket
import threading
import time
from urllib.parse import urlsplit


class HoldingProxy:
    """Forwards everything until `arm(method, path)`; then holds the first such request (see the module's doc)."""

    def __init__(self, upstream: str, hold_s: float = 1.5):
        u = urlsplit(upstream)
        self.upstream = (u.hostname or "127.0.0.1", u.port or 80)
        self.method, self.path, self.hold_s = "", "", hold_s
        self.held = threading.Event()
        self.forwarded = threading.Event()
        self.client_gave_up = False
        self._served_after_hold = threading.Event()
        self._holding = False
        self._used = False
        self._guard = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, method: str, path: str) -> None:
        with self._guard:
            self.method, self.path = method, path

    def close(self) -> None:
        self._stop = True
        self._server.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            request = _read_request(client)
            if request is None:
                return
            method, path, headers, body = request
            with self._guard:
                hold = not self._used and method == self.method and path == self.path
                self._used = self._used or hold
                was_holding = self._holding
                self._holding = self._holding or hold
            if hold:
                self.held.set()
                self.client_gave_up = _closed_within(client, self.hold_s)
                if self.client_gave_up:
                    self._served_after_hold.wait(self.hold_s)
            answer = _forward(self.upstream, method, path, headers, body)
            if hold:
                self.forwarded.set()
                if self.client_gave_up:
                    return
            elif was_holding:
                self._served_after_hold.set()
            try:
                client.sendall(answer)
            except OSError:
                pass


def _read_request(client: socket.socket):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), "0"))
    while len(body) < length:
        chunk = client.recv(65536)
        if not chunk:
            return None
        body += chunk
    return method, path, headers, body


def _closed_within(client: socket.socket, timeout_s: float) -> bool:
    """Whether the client closes its connection within `timeout_s` (it sends nothing more on it)."""
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select([client], [], [], left)
        if readable:
            try:
                if client.recv(1, socket.MSG_PEEK) == b"":
                    return True
            except OSError:
                return True
            time.sleep(0.01)
    return False


def _forward(upstream, method: str, path: str, headers: dict, body: bytes) -> bytes:
    conn = http.client.HTTPConnection(*upstream, timeout=120)
    try:
        sent = {k: v for k, v in headers.items() if k.lower() not in ("connection", "host", "content-length")}
        conn.request(method, path, body=body or None, headers=sent)
        r = conn.getresponse()
        content = r.read()
    finally:
        conn.close()
    lines = [f"HTTP/1.1 {r.status} {r.reason}"]
    lines += [f"{k}: {v}" for k, v in r.getheaders()
              if k.lower() not in ("connection", "content-length", "transfer-encoding")]
    lines += [f"Content-Length: {len(content)}", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + content
