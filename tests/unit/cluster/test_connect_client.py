"""The Kafka Connect client without a worker: every REST path quotes its segments, transient failures
(connection refused or reset, a worker still starting, 409 rebalance, 5xx) are retried with the writer's backoff
and deadline, and a password in `connect_url` never appears in a message. (Against the real worker:
tests/integration/test_connect_names.py and test_connect_restart.py.)"""

from __future__ import annotations

import pytest

from kplan.errors import KplanError, WriteError
from kplan.model.desired import ClusterSpec, ConnectorState
from kplan.session.systems import open_writers
from kplan.transport.connect import CONNECT, ConnectWrites
from kplan.transport.http import RestClient, error_message, rest_path
from kplan.transport.retry import ErrorClass, RetryPolicy, classify_connect

FAST = RetryPolicy(deadline_s=3.0, initial_s=0.01, max_s=0.02)


@pytest.mark.parametrize("segments,path", [
    (("connectors", "plain-name", "status"), "/connectors/plain-name/status"),
    (("connectors", "kplan test #1 ?x=&y ü", "config"),
     "/connectors/kplan%20test%20%231%20%3Fx%3D%26y%20%C3%BC/config"),
    (("connectors", "a/b", "offsets"), "/connectors/a%2Fb/offsets"),
    (("connectors", "100%"), "/connectors/100%25"),
    (("connectors", ".", "status"), "/connectors/%2E/status"),
    (("connectors", ".."), "/connectors/%2E%2E"),
    (("connector-plugins", "io.debezium.connector.postgresql.PostgresConnector", "config", "validate"),
     "/connector-plugins/io.debezium.connector.postgresql.PostgresConnector/config/validate"),
])
def test_every_path_segment_is_quoted(segments, path):
    assert rest_path(*segments) == path


def test_a_query_is_encoded_after_the_path():
    assert rest_path("connectors", "a b", "restart", query={"includeTasks": "true", "onlyFailed": "false"}) \
        == "/connectors/a%20b/restart?includeTasks=true&onlyFailed=false"


@pytest.mark.parametrize("status,message,json_body,expected", [
    (404, "<html>Not Found</html>", False, ErrorClass.RETRIABLE),  # Jetty's own page: REST not up yet
    (404, "Connector x not found", True, ErrorClass.FATAL),
    (503, "", False, ErrorClass.RETRIABLE),
    (409, "rebalance in progress", True, ErrorClass.RETRIABLE),
])
def test_connect_answers_from_a_worker_still_starting_are_transient(status, message, json_body, expected):
    assert classify_connect(status, message, json_body=json_body) == expected


class Answer:
    def __init__(self, status, body=None, text=""):
        self.status_code = status
        self._body = body
        self.text = text if body is None else str(body)
        self.headers = {"Content-Type": "application/json" if body is not None else "text/html"}

    def json(self):
        if self._body is None:
            raise ValueError("not JSON")
        return self._body


def _writer(url="http://127.0.0.1:1", policy=FAST) -> ConnectWrites:
    connect = open_writers(ClusterSpec("127.0.0.1:1", url, timeout_s=1), admin=object(), policy=policy).connect
    assert isinstance(connect, ConnectWrites)
    return connect


def _script(monkeypatch, writer, answers, by_path=None):
    """The writer's HTTP session answers (or raises) these in turn (the last one from then on), or the answer
    `by_path` gives for the request's path; returns the requests it saw."""
    seen = []
    client = writer._workers["default"].connect

    def request(method, url, **kw):
        seen.append((method, url))
        path = url.removeprefix(client.url)
        if by_path is not None and path in by_path:
            return by_path[path]
        item = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(item, BaseException):
            raise item
        return item

    monkeypatch.setattr(client._session, "request", request)
    return seen


def test_a_refused_connection_is_retried_until_connect_answers(monkeypatch):
    w = _writer()
    seen = _script(monkeypatch, w, [ConnectionRefusedError(111, "Connection refused"),
                                    ConnectionResetError(104, "Connection reset by peer"),
                                    Answer(404, text="<html><title>Error 404 Not Found</title></html>"),
                                    Answer(200, {"connector.class": "X", "name": "a b"}),
                                    Answer(200, {"connector": {"state": "RUNNING"}, "tasks": []})])
    config, status = w.get_connector("a b")
    assert config == {"connector.class": "X", "name": "a b"} and status["connector"]["state"] == "RUNNING"
    assert [u for _, u in seen] == ["http://127.0.0.1:1/connectors/a%20b/config"] * 4 + [
        "http://127.0.0.1:1/connectors/a%20b/status"]


def test_a_connect_that_never_comes_back_fails_after_the_deadline(monkeypatch):
    w = _writer(policy=RetryPolicy(deadline_s=0.3, initial_s=0.01, max_s=0.02))
    _script(monkeypatch, w, [ConnectionRefusedError(111, "Connection refused")])
    with pytest.raises(KplanError, match=r"still failing after 0.3s of retries: cannot reach Kafka Connect"):
        w.delete_connector("c")


def test_waiting_for_a_connector_rides_out_a_restart(monkeypatch):
    w = _writer()
    _script(monkeypatch, w, [ConnectionRefusedError(111, "Connection refused"),
                             Answer(404, {"error_code": 404, "message": "No status found for connector c"}),
                             Answer(200, {"connector": {"state": "RUNNING"},
                                          "tasks": [{"id": 0, "state": "RUNNING"}]})])
    w.connector_timeout_s = 5
    w.wait_connector("c", ConnectorState.RUNNING)


def test_a_deletion_is_reported_only_when_connect_no_longer_lists_the_connector(monkeypatch):
    w = _writer()
    w.connector_timeout_s = 0.5
    # GET /connectors/<name> answering 404 proves nothing (a wrong path answers 404 too): the list decides
    not_found = Answer(404, {"error_code": 404, "message": "Connector c not found"})
    _script(monkeypatch, w, [Answer(200, ["other", "c d"])],
            by_path={"/connectors/c d": not_found, "/connectors/c%20d": not_found})
    with pytest.raises(WriteError, match="connector c d is still listed after its deletion"):
        w.wait_connector_gone("c d")


def test_the_password_of_connect_url_is_never_in_a_message(monkeypatch):
    w = _writer(url="http://kplan:Sup3r-Secret-pw@127.0.0.1:1")
    _script(monkeypatch, w, [OSError(
        "HTTPConnectionPool(host='127.0.0.1', port=1): http://kplan:Sup3r-Secret-pw@127.0.0.1:1/connectors")])
    with pytest.raises(KplanError) as e:
        w.get_connector("c")
    assert "Sup3r-Secret-pw" not in str(e.value)
    assert "http://kplan:***@127.0.0.1:1" in str(e.value)
    http = RestClient("http://kplan:Sup3r-Secret-pw@127.0.0.1:1", 1, service=CONNECT)
    with pytest.raises(KplanError) as e:
        http.get_json("/connectors")
    assert "Sup3r-Secret-pw" not in str(e.value)


def test_an_html_error_page_is_reduced_to_its_title():
    page = ("<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html;charset=ISO-8859-1\"/>\n"
            "<title>Error 400 Ambiguous URI path encoding</title>\n</head><body>...</body></html>")
    assert error_message(Answer(400, text=page)) == "Error 400 Ambiguous URI path encoding"
