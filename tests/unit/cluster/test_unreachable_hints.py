"""Which setting the "cannot reach Kafka" error blames, without a broker: a port where something listens but
never speaks Kafka (a listener needing other security settings) versus a port where nothing listens. (Against the
real plaintext listener with SSL/SASL settings: tests/integration/test_cluster_access.py.)"""

from __future__ import annotations

import socket
import threading

import pytest

from kplan.errors import KplanError
from kplan.model.desired import ClusterSpec, freeze
from kplan.session.systems import StackReader


@pytest.fixture
def silent_listener():
    """A TCP port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def _error(bootstrap: str, **client) -> str:
    reader = StackReader(ClusterSpec(bootstrap, None, client_properties=freeze(client), timeout_s=2))
    with pytest.raises(KplanError) as e:
        reader.read("s")
    return str(e.value)


def test_a_listener_that_does_not_answer_plaintext_requests_blames_the_security_settings(silent_listener):
    message = _error(f"127.0.0.1:{silent_listener}")
    assert "does not answer plaintext Kafka requests" in message and "security.protocol" in message
    assert "is the broker running" not in message


def test_security_settings_a_listener_does_not_answer_are_named(silent_listener):
    message = _error(f"127.0.0.1:{silent_listener}", **{"security.protocol": "SASL_PLAINTEXT",
                                                        "sasl.mechanism": "PLAIN", "sasl.username": "u",
                                                        "sasl.password": "p-secret-1"})
    assert "security.protocol SASL_PLAINTEXT" in message and "cluster.client" in message
    assert "p-secret-1" not in message


def test_nothing_listening_blames_the_broker_and_its_address():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    message = _error(f"127.0.0.1:{port}", **{"security.protocol": "SSL"})
    assert "is the broker running and the address right?" in message
