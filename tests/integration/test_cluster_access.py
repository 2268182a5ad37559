"""How kplan reaches the cluster, on the real stack: a password in `cluster.connect_url` (a `${secret:...}`
reference resolved before it is sent, never printed — even when Connect refuses it or cannot be reached), and
client security settings that do not match the broker's plaintext listener (the error points at them, not at the
broker)."""

from __future__ import annotations

import base64
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from kplan_helpers import base_stack, kplan, write_stack

PASSWORD = "kplan-connect-Pw-8c1f"
ENV = {"KPLAN_TEST_CONNECT_PASSWORD": PASSWORD}


@pytest.fixture
def guarded_connect(stack):
    """A Basic-auth gate in front of the real Connect worker (user `kplan`, password PASSWORD): forwards what
    carries the right credentials, answers 401 to anything else. Yields its base URL without credentials."""
    expected = "Basic " + base64.b64encode(f"kplan:{PASSWORD}".encode()).decode()
    refused: list[str] = []

    class Gate(BaseHTTPRequestHandler):
        def _forward(self):
            if self.headers.get("Authorization") != expected:
                refused.append(self.headers.get("Authorization") or "(none)")
                body = b'{"error_code":401,"message":"Unauthorized"}'
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length) if length else None
            r = requests.request(self.command, stack.connect_url + self.path, data=data, timeout=60,
                                 headers={"Content-Type": self.headers.get("Content-Type", "application/json")})
            self.send_response(r.status_code)
            self.send_header("Content-Type", r.headers.get("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(r.content)))
            self.end_headers()
            self.wfile.write(r.content)

        do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _forward

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gate)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.refused = refused  # type: ignore[attr-defined]
    yield server
    server.shutdown()
    server.server_close()


def _doc(stack, prefix, connect_url, tmp_path):
    doc = base_stack(prefix, stack)
    doc["cluster"]["connect_url"] = connect_url
    f = tmp_path / "in.txt"
    f.touch()
    doc["topics"] = [{"name": f"{prefix}.t", "partitions": 1, "replication_factor": 1}]
    doc["connectors"] = [{"name": f"{prefix}-src", "class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
                          "config": {"file": str(f), "topic": f"{prefix}.t"}}]
    return doc


def test_a_secret_reference_in_connect_url_is_resolved_before_it_is_sent(stack, prefix, guarded_connect, tmp_path):
    port = guarded_connect.server_address[1]
    url = f"http://kplan:${{secret:env:KPLAN_TEST_CONNECT_PASSWORD}}@127.0.0.1:{port}"
    path = write_stack(tmp_path / "s.yaml", _doc(stack, prefix, url, tmp_path))
    r = kplan("apply", str(path), "--auto-approve", env=ENV)
    assert r.code == 0, r.text
    assert guarded_connect.refused == []
    r = kplan("plan", str(path), "--detailed-exitcode", env=ENV)
    assert r.code == 0 and "No changes." in r.out, r.text
    assert PASSWORD not in r.text


def test_a_named_connect_clusters_secret_reference_is_resolved(stack, prefix, guarded_connect, tmp_path):
    """`cluster.connect` as a map: a named Connect cluster's credentials are references resolved like the single
    form's (they were once left out, and the run stopped at "secret reference ... was not resolved")."""
    port = guarded_connect.server_address[1]
    doc = _doc(stack, prefix, stack.connect_url, tmp_path)
    del doc["cluster"]["connect_url"]
    doc["cluster"]["connect"] = {
        "default": {"url": stack.connect_url},
        "gated": {"url": f"http://127.0.0.1:{port}",
                  "auth": {"basic": {"username": "kplan", "password": "${secret:env:KPLAN_TEST_CONNECT_PASSWORD}"}}}}
    doc["connectors"][0]["connect"] = "gated"
    path = write_stack(tmp_path / "s.yaml", doc)
    r = kplan("apply", str(path), "--auto-approve", env=ENV)
    assert r.code == 0, r.text
    assert f"connector.gated/{prefix}-src" in r.out, r.text
    assert guarded_connect.refused == []
    r = kplan("plan", str(path), "--detailed-exitcode", env=ENV)
    assert r.code == 0 and "No changes." in r.out, r.text
    assert PASSWORD not in r.text


@pytest.mark.parametrize("where", ["refused by Connect", "unreachable"])
def test_a_password_in_connect_url_is_never_printed(stack, prefix, guarded_connect, tmp_path, where):
    wrong = "wrong-Pw-for-connect-3e7a"
    if where == "unreachable":
        with socket.socket() as s:  # a port nothing listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    else:
        port = guarded_connect.server_address[1]
    path = write_stack(tmp_path / "s.yaml", _doc(stack, prefix, f"http://kplan:{wrong}@127.0.0.1:{port}", tmp_path))
    for command in (["plan", str(path)], ["apply", str(path), "--auto-approve"], ["status", str(path)]):
        r = kplan(*command)
        assert r.code != 0, r.text
        assert wrong not in r.text, r.text
        assert f"http://kplan:***@127.0.0.1:{port}" in r.text, r.text


@pytest.mark.parametrize("client", [
    {"security.protocol": "SSL"},
    {"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN", "sasl.username": "kplan",
     "sasl.password": "${secret:env:KPLAN_TEST_CONNECT_PASSWORD}"},
    {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN", "sasl.username": "kplan",
     "sasl.password": "${secret:env:KPLAN_TEST_CONNECT_PASSWORD}"},
], ids=lambda c: c["security.protocol"])
def test_security_settings_that_do_not_match_the_listener_are_blamed(stack, prefix, tmp_path, client):
    doc = base_stack(prefix, stack)
    doc["cluster"]["timeout"] = "5s"
    doc["cluster"]["client"] = client
    doc["topics"] = [{"name": f"{prefix}.t", "partitions": 1, "replication_factor": 1}]
    path = write_stack(tmp_path / "s.yaml", doc)
    r = kplan("plan", str(path), env=ENV)
    assert r.code == 1, r.text
    (line,) = [line for line in r.err.splitlines() if line.startswith("Error:")]
    assert f"security.protocol {client['security.protocol']}" in line and "cluster.client" in line, line
    assert "is the broker running" not in line
    assert PASSWORD not in r.text
    # issue 26 defect 9c: detected (the listener answered a plaintext probe), and worded as the mismatch it is
    assert (f"protocol mismatch: the listener at {stack.bootstrap_servers} is PLAINTEXT, but the stack's "
            f"cluster.client says security.protocol {client['security.protocol']}") in line, line
    assert "cannot reach Kafka" not in line and "transport failure" not in line.lower(), line
