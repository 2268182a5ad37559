"""What a listener speaks, told by a SaslHandshake sent without TLS (kplan.transport.kafka.plain_listener), against
a local socket answering as Kafka's listeners do (issue 26 defect 9c; against the real broker:
tests/integration/test_cluster_access.py)."""

from __future__ import annotations

import socket
import struct
import threading

import pytest

from kplan.transport.kafka import plain_listener


def _server(answer: bytes | None) -> str:
    """A one-connection server that reads the request and sends `answer` (None: closes without a word)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def serve():
        conn, _ = srv.accept()
        with conn:
            size = struct.unpack(">i", conn.recv(4))[0]
            conn.recv(size)
            if answer is not None:
                conn.sendall(answer)
        srv.close()

    threading.Thread(target=serve, daemon=True).start()
    return f"127.0.0.1:{srv.getsockname()[1]}"


def _handshake_answer(error: int, correlation: int = 1) -> bytes:
    body = struct.pack(">ihi", correlation, error, 0)  # correlation id, error code, no mechanisms
    return struct.pack(">i", len(body)) + body


@pytest.mark.parametrize(("answer", "speaks"), [
    (_handshake_answer(34), "PLAINTEXT"),  # ILLEGAL_SASL_STATE: no SASL on this listener
    (_handshake_answer(0), "SASL_PLAINTEXT"),
    (_handshake_answer(33), "SASL_PLAINTEXT"),  # UNSUPPORTED_SASL_MECHANISM: SASL, another mechanism
    (_handshake_answer(34, correlation=9), None),  # not an answer to this request
    (b"\x15\x03\x03\x00\x02\x02\x32", None),  # a TLS alert
    (None, None),  # closed
])
def test_a_plaintext_handshake_tells_what_the_listener_speaks(answer, speaks):
    assert plain_listener(_server(answer), 2.0) == speaks


def test_nothing_listening_tells_nothing():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert plain_listener(f"127.0.0.1:{port}", 1.0) is None
