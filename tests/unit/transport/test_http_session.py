"""kplan's HTTP client (kplan.transport.http_session) against a real local HTTP server: kept-alive connections are
reused and replaced when the server closed them, basic authentication (also from the URL), redirects of GET, the
proxy environment, and the one-line failures `RestClient` makes of a refused connection and of a server that does
not answer in time. (TLS, client certificates and the real Connect and registry: the integration tests.)"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kplan.errors import KplanError
from kplan.transport.http import RestClient, RestUnavailable
from kplan.transport.http_session import Session


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list = []
    routes: dict = {}

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.seen.append((self.command, self.path, dict(self.headers), body, self.client_address[1]))
        route = self.routes.get(self.path, (200, {}, {"path": self.path}))
        if isinstance(route, list):  # answers in turn, the last one for good
            route = route.pop(0) if len(route) > 1 else route[0]
        status, headers, payload = route
        if status == "hang":
            threading.Event().wait(3)
            return
        if status == "close-after":  # answers keep-alive, then closes the connection as an idle timeout would
            status = 200
            self.close_connection = True
        data = json.dumps(payload).encode()
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Recorder.seen = []
    Recorder.routes = {}
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _url(srv) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}"


def test_requests_reuse_one_kept_alive_connection_and_send_json(server):
    client = RestClient(_url(server), 5)
    assert client.get_json("/connectors") == {"path": "/connectors"}
    r = client.request("PUT", "/connectors/a/config", json={"k": "v"})
    assert r.status_code == 200 and r.json() == {"path": "/connectors/a/config"}
    (_, _, _, _, port1), (method, path, headers, body, port2) = Recorder.seen
    assert port1 == port2, "the second request opened a new connection"
    assert (method, path, json.loads(body), headers["Content-Type"]) == ("PUT", "/connectors/a/config", {"k": "v"},
                                                                         "application/json")
    client.close()


def test_a_connection_the_server_closed_while_idle_is_replaced(server):
    session = Session()
    url = _url(server) + "/x"
    assert session.request("GET", url, timeout=5).status_code == 200
    for conns in session._idle.values():  # what a server's idle timeout does to a pooled connection
        for conn in conns:
            conn.sock.shutdown(socket.SHUT_RDWR)
    assert session.request("GET", url, timeout=5).json() == {"path": "/x"}
    assert len(Recorder.seen) == 2


def test_a_post_is_never_sent_into_a_connection_the_server_closed(server):
    Recorder.routes = {"/first": ("close-after", {}, {"ok": 1})}
    session = Session()
    assert session.request("GET", _url(server) + "/first", timeout=5).json() == {"ok": 1}
    threading.Event().wait(0.2)  # the server has closed its end by now
    assert session.request("POST", _url(server) + "/connectors", timeout=5, json={"name": "a"}).status_code == 200
    assert [(m, p) for m, p, _, _, _ in Recorder.seen] == [("GET", "/first"), ("POST", "/connectors")]
    assert Recorder.seen[0][4] != Recorder.seen[1][4], "the POST went out on a fresh connection"


def test_basic_authentication_from_the_client_and_from_the_url(server):
    RestClient(_url(server), 5, auth=("kplan", "pw")).get_json("/a")
    port = server.server_address[1]
    RestClient(f"http://u%40x:p%3Aw@127.0.0.1:{port}", 5).get_json("/b")
    sent = [h["Authorization"] for _, _, h, _, _ in Recorder.seen]
    assert sent == ["Basic " + base64.b64encode(b"kplan:pw").decode(), "Basic " + base64.b64encode(b"u@x:p:w").decode()]
    assert [p for _, p, _, _, _ in Recorder.seen] == ["/a", "/b"]


def test_a_get_follows_redirects(server):
    Recorder.routes = {"/old": (307, {"Location": "/new"}, {})}
    assert RestClient(_url(server), 5).get_json("/old") == {"path": "/new"}


def test_a_refused_connection_is_one_line(server):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RestUnavailable) as e:
        RestClient(f"http://kplan:Sup3r-Secret@127.0.0.1:{port}", 2).get_json("/connectors")
    assert str(e.value) == (f"cannot reach the server at http://kplan:***@127.0.0.1:{port}: connection refused "
                            "(is the server running and its URL right?)")
    assert e.value.sent is False


def test_a_server_that_does_not_answer_in_time(server):
    Recorder.routes = {"/slow": ("hang", {}, {})}
    with pytest.raises(RestUnavailable) as e:
        RestClient(_url(server), 0.3).get_json("/slow")
    assert str(e.value) == f"The server at {_url(server)} did not answer GET /slow within 0.3s"
    assert e.value.sent is True


def test_an_unresolvable_host_is_one_line():
    with pytest.raises(KplanError) as e:
        RestClient("http://kplan-no-such-host.invalid:1", 2).get_json("/")
    assert str(e.value).startswith("cannot reach the server at http://kplan-no-such-host.invalid:1: the host name "
                                   "does not resolve (")


def test_the_proxy_environment_is_honoured(server, monkeypatch):
    """A plain proxy gets the whole URL (here the recorder plays the proxy); NO_PROXY exempts a host."""
    monkeypatch.setenv("HTTP_PROXY", f"http://proxyuser:proxypw@127.0.0.1:{server.server_address[1]}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    Session().request("GET", "http://connect.example:8083/connectors", timeout=5)
    method, path, headers, _, _ = Recorder.seen[-1]
    assert (method, path) == ("GET", "http://connect.example:8083/connectors")
    assert headers["Proxy-Authorization"] == "Basic " + base64.b64encode(b"proxyuser:proxypw").decode()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    Session().request("GET", _url(server) + "/direct", timeout=5)
    assert Recorder.seen[-1][1] == "/direct"


@pytest.mark.parametrize("host,port,no_proxy,bypassed", [
    ("connect.example", 8083, "*", True),
    ("connect.example", 8083, "example", True),               # a domain suffix
    ("connect.example", 8083, ".example", True),
    ("connect.example", 8083, "other.example, nexample", False),
    ("connect.example", 8083, "connect.example:8083", True),  # with the port
    ("connect.example", 8083, "connect.example:9000", False),
    ("10.1.2.3", 8083, "10.0.0.0/8", True),                   # a network
    ("10.1.2.3", 8083, "10.1.2.4", False),
    ("127.0.0.1", 80, "localhost,127.0.0.1", True),
    ("connect.example", 8083, "", False),
])
def test_no_proxy(host, port, no_proxy, bypassed):
    from kplan.transport.http_session import _bypassed

    assert _bypassed(host, port, no_proxy) is bypassed


def test_without_a_proxy_variable_nothing_goes_through_a_proxy(monkeypatch):
    from kplan.transport.http_session import _proxy_for

    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert _proxy_for("http", "connect.example", 8083) is None
    monkeypatch.setenv("ALL_PROXY", "proxy.example:3128")
    assert _proxy_for("https", "connect.example", 8083) == "http://proxy.example:3128"


REBALANCE = {"error_code": 500, "message": "Request cannot be completed because a rebalance is expected"}


def test_a_read_answered_not_now_is_asked_again(server):
    """Connect answers 500 to `GET /connectors/<name>` while a rebalance is expected (a plan failed on it in CI):
    a read is asked again, with backoff, until the real answer."""
    Recorder.routes["/connectors/late"] = [(500, {}, REBALANCE), (409, {}, {"message": "stale configuration"}),
                                           (200, {}, {"name": "late"})]
    naps = []
    assert RestClient(_url(server), 5).get_json("/connectors/late", sleep=naps.append) == {"name": "late"}
    assert [p for _, p, *_ in Recorder.seen] == ["/connectors/late"] * 3 and len(naps) == 2


def test_a_read_still_answered_not_now_at_its_deadline_fails_on_one_line(server):
    Recorder.routes["/connectors/x"] = [(503, {}, {"message": "busy"})]
    with pytest.raises(KplanError) as e:  # naps of 0.05 s whatever the backoff: several tries however slow a try is
        RestClient(_url(server), 5).get_json("/connectors/x", retry_s=1.0, sleep=lambda s: time.sleep(0.05))
    line = str(e.value)
    assert "\n" not in line and "still failing after 1s" in line and "answered 503 to GET /connectors/x: busy" in line
    assert len(Recorder.seen) >= 2


def test_an_answer_that_means_no_is_not_asked_again(server):
    Recorder.routes["/connectors/x"] = [(400, {}, {"message": "bad request"}), (200, {}, {"name": "x"})]
    with pytest.raises(KplanError, match="answered 400 to GET /connectors/x: bad request"):
        RestClient(_url(server), 5).get_json("/connectors/x", sleep=lambda s: None)
    assert len(Recorder.seen) == 1
