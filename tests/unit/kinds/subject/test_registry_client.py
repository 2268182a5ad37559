"""The schema registry client without a registry: the client is built from `cluster.schema_registry` like
Connect's (secrets substituted, sent, and never in a message), its messages name the registry and its settings,
error answers become one line with the registry's message, and subject names are quoted whole in paths.
(Against the real registry: tests/integration/test_registry_io.py.)"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from kplan.errors import KplanError, WriteError
from kplan.kinds.subject.io.client import CONTENT_TYPE, error_line, level_of, registry_client
from kplan.kinds.subject.io.read import RegistryRead
from kplan.kinds.subject.io.write import SubjectWrites
from kplan.model.desired import ClusterSpec, ConnectAccess, freeze
from kplan.secrets import SecretValues
from kplan.session.systems import open_writers
from kplan.transport.http import rest_path as path
from kplan.transport.retry import RetryPolicy

FAST = RetryPolicy(deadline_s=0.3, initial_s=0.01, max_s=0.02)
PASSWORD = "Reg-Secret-pw-42"
TOKEN = "tok-Secret-77"


class Answer:
    def __init__(self, status, body=None, text=""):
        self.status_code = status
        self._body = body
        self.text = text if body is None else str(body)

    def json(self):
        if self._body is None:
            raise ValueError("not JSON")
        return self._body


def _cluster(url="http://127.0.0.1:1/apis/ccompat/v7", **access) -> ClusterSpec:
    return ClusterSpec("127.0.0.1:1", timeout_s=1, schema_registry_url=url, schema_registry=ConnectAccess(**access))


def _secrets() -> SecretValues:
    return SecretValues({"${secret:env:REG_PW}": PASSWORD, "${secret:env:REG_TOKEN}": TOKEN})


def _writer() -> SubjectWrites:
    w = SubjectWrites(SimpleNamespace(cluster=_cluster(), secrets=SecretValues()))
    w.policy = FAST
    return w


def _script(monkeypatch, http, answers):
    """The client's session answers (or raises) these in turn, the last one from then on; returns what it saw."""
    seen = []

    def request(method, url, **kw):
        seen.append((method, url, kw))
        item = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(item, BaseException):
            raise item
        return item

    monkeypatch.setattr(http._session, "request", request)
    return seen


def test_no_registry_no_client():
    assert registry_client(ClusterSpec("b:1")) is None


def test_the_client_is_built_like_connects_with_the_registry_media_type():
    http = registry_client(_cluster(username="kplan", password="${secret:env:REG_PW}",
                                    headers=freeze({"X-Tenant": "t1"})), _secrets())
    assert http.url == "http://127.0.0.1:1/apis/ccompat/v7"
    assert http.auth == ("kplan", PASSWORD)
    assert http._session.headers["Content-Type"] == CONTENT_TYPE
    assert http._session.headers["X-Tenant"] == "t1"
    bearer = registry_client(_cluster(token="${secret:env:REG_TOKEN}"), _secrets())
    assert bearer._session.headers["Authorization"] == "Bearer " + TOKEN


def test_subject_names_are_quoted_whole():
    assert path("subjects", "com.acme/orders:v1 x", "versions", "latest") == \
        "/subjects/com.acme%2Forders%3Av1%20x/versions/latest"
    assert path("config", "a", query={"defaultToGlobal": "true"}) == "/config/a?defaultToGlobal=true"


def test_an_unreachable_registry_names_the_registry_and_its_setting(monkeypatch):
    http = registry_client(_cluster())
    _script(monkeypatch, http, [ConnectionRefusedError(111, "Connection refused")])
    with pytest.raises(KplanError) as e:
        http.request("GET", "/config")
    assert str(e.value) == ("cannot reach the schema registry at http://127.0.0.1:1/apis/ccompat/v7: connection "
                            "refused (is the registry running and cluster.schema_registry.url right?)")


def test_refused_credentials_name_the_registry_settings_and_never_the_password(monkeypatch):
    http = registry_client(_cluster(username="kplan", password="${secret:env:REG_PW}"), _secrets())
    _script(monkeypatch, http, [Answer(401, {"message": f"bad password {PASSWORD}"})])
    with pytest.raises(KplanError) as e:
        http.request("GET", "/subjects")
    assert "The schema registry at http://127.0.0.1:1/apis/ccompat/v7 refused kplan's credentials" in str(e.value)
    assert "check cluster.schema_registry.auth" in str(e.value)
    http = registry_client(_cluster(token="${secret:env:REG_TOKEN}"), _secrets())
    _script(monkeypatch, http, [Answer(403, {"message": f"token {TOKEN} may not"})])
    with pytest.raises(KplanError) as e:
        http.request("GET", "/subjects")
    assert TOKEN not in str(e.value) and "grant that user access to the schema registry's REST API" in str(e.value)


def test_connects_messages_are_unchanged(monkeypatch):
    w = open_writers(ClusterSpec("127.0.0.1:1", "http://127.0.0.1:1", timeout_s=1), admin=object(), policy=FAST).connect
    client = w._at("any")[0].connect  # the default Connect cluster's client
    _script(monkeypatch, client, [Answer(401, {"message": "no"})])
    with pytest.raises(KplanError) as e:
        client.request("GET", "/connectors")
    assert str(e.value) == ("Kafka Connect at http://127.0.0.1:1 refused kplan's credentials (401 to GET "
                            "/connectors): it requires authentication: set cluster.connect.auth")


def test_an_error_answer_is_one_line_with_the_registry_message_scrubbed():
    http = registry_client(_cluster(url=f"http://kplan:{PASSWORD}@127.0.0.1:1"))
    answer = Answer(409, {"error_code": 409, "message": "io.apicurio.registry.rules.RuleViolationException: "
                                                        f"Incompatible artifact: users-value [AVRO] {PASSWORD}\nmore"})
    line = error_line(http, "POST", "/subjects/users-value/versions", answer)
    assert line == ("the schema registry at http://kplan:***@127.0.0.1:1 answered 409 to POST "
                    "/subjects/users-value/versions: Incompatible artifact: users-value [AVRO] (sensitive)")


def test_both_spellings_of_a_level_are_read():
    assert level_of({"compatibilityLevel": "BACKWARD"}) == "BACKWARD"
    assert level_of({"compatibility": "forward"}) == "FORWARD"
    assert level_of({}) is None and level_of(None) is None


def test_a_write_the_registry_refuses_is_one_write_error(monkeypatch):
    w = _writer()
    http = w.http
    _script(monkeypatch, http, [Answer(422, {"error_code": 42201, "message": "Invalid schema"})])
    with pytest.raises(WriteError, match=r"^registering a schema under subject s: the schema registry at "
                                         r"\S+ answered 422 to POST /subjects/s/versions\?normalize=true: "
                                         r"Invalid schema$"):
        w.register_schema("s", "{}", "AVRO", ())


def test_a_registration_is_verified_by_reading_until_the_subject_shows_it(monkeypatch):
    """Seen in a loaded CI run: Apicurio answered the registration with its id, and a lookup at once answered 404
    (the apply failed "does not show the schema just registered" and rolled back). The writer reads until it
    shows, at most the stack's timeout."""
    naps, sleep = [], time.sleep
    monkeypatch.setattr(time, "sleep", naps.append)
    w = _writer()
    http = w.http
    not_yet = Answer(404, {"error_code": 40403, "message": "Schema not found"})
    seen = _script(monkeypatch, http, [Answer(200, {"id": 7}), not_yet, not_yet, Answer(200, {"version": 3})])
    assert w.register_schema("s", "{}", "AVRO", ()) == 3  # a lookup, the subject's versions (none yet), a lookup
    assert [m for m, _, _ in seen] == ["POST", "POST", "GET", "POST"] and len(naps) == 1
    # Apicurio's lookup can miss a version it holds for good (concurrent registrations): the version with the id
    # the registration answered is the one registered
    seen = _script(monkeypatch, http, [Answer(200, {"id": 7}), not_yet, Answer(200, [1, 2]),
                                       Answer(200, {"id": 7, "version": 2}), not_yet])
    assert w.register_schema("s", "{}", "AVRO", ()) == 2
    assert [u.rsplit("/v7", 1)[1] for _, u, _ in seen][:4] == [
        "/subjects/s/versions?normalize=true", "/subjects/s?normalize=true", "/subjects/s/versions",
        "/subjects/s/versions/2"]
    _script(monkeypatch, http, [Answer(200, {"id": 7}), not_yet])
    monkeypatch.setattr(time, "sleep", lambda s: sleep(0.05))
    with pytest.raises(WriteError, match=r"^verification failed: subject s does not show the schema just "
                                         r"registered within 1s$"):
        w.register_schema("s", "{}", "AVRO", ())


def test_a_schema_the_lookup_misses_is_found_among_the_versions_by_its_canonical_form(monkeypatch):
    """A run killed before journaling its registration is undone by what `schema_version` finds: when the
    registry's lookup misses a version it holds, the versions themselves are read, newest first."""
    w = _writer()
    http = w.http
    declared = '{"type": "record", "name": "U", "fields": [{"name": "id", "type": "long"}]}'
    held = '{"type":"record","name":"U","fields":[{"name":"id","type":"long"}]}'
    missed = Answer(404, {"error_code": 40403, "message": "The given schema does not match any schema"})
    seen = _script(monkeypatch, http, [missed, Answer(200, [1, 2, 3]), Answer(200, {"schema": '"string"'}),
                                       Answer(200, {"schema": held, "references": []})])
    assert w.schema_version("s", declared, "AVRO", ()) == 2
    assert [u.rsplit("/v7", 1)[1] for _, u, _ in seen] == [
        "/subjects/s?normalize=true", "/subjects/s/versions", "/subjects/s/versions/3", "/subjects/s/versions/2"]
    _script(monkeypatch, http, [missed, Answer(200, [1]), Answer(200, {"schema": held, "schemaType": "JSON"})])
    assert w.schema_version("s", declared, "AVRO", ()) is None  # the same text of another type is not it


def test_a_registry_that_does_not_answer_is_retried_then_reported(monkeypatch):
    w = _writer()
    http = w.http
    seen = _script(monkeypatch, http, [ConnectionRefusedError(111, "Connection refused"),
                                       Answer(503, text="starting"), Answer(200, [1, 3])])
    assert w.subject_versions("a/b") == [1, 3]
    assert [u for _, u, _ in seen] == ["http://127.0.0.1:1/apis/ccompat/v7/subjects/a%2Fb/versions"] * 3
    _script(monkeypatch, http, [ConnectionRefusedError(111, "Connection refused")])
    with pytest.raises(KplanError, match="still failing after 0.3s of retries: cannot reach the schema registry"):
        w.subject_versions("a")


def test_a_registry_that_cannot_be_read_is_a_problem_not_a_traceback(monkeypatch):
    http = registry_client(_cluster())
    _script(monkeypatch, http, [ConnectionRefusedError(111, "Connection refused")])
    subjects, level, problem = RegistryRead(http).read_subjects(["a"])
    assert subjects == {} and level is None
    assert problem == ("unreachable: cannot reach the schema registry at http://127.0.0.1:1/apis/ccompat/v7: "
                       "connection refused (is the registry running and cluster.schema_registry.url right?)")


def test_a_subject_without_its_own_level_is_told_apart_on_both_registries(monkeypatch):
    from kplan.kinds.subject.io.read import subject_levels

    http = registry_client(_cluster())
    # Apicurio: NONE for "no own level", the global one with defaultToGlobal
    _script(monkeypatch, http, [Answer(200, {"compatibilityLevel": "NONE"}),
                                Answer(200, {"compatibilityLevel": "BACKWARD"})])
    assert subject_levels(http, "s") == (None, "BACKWARD")
    # Confluent: 404 40408 without an own level
    _script(monkeypatch, http, [Answer(404, {"error_code": 40408, "message": "no level"}),
                                Answer(200, {"compatibilityLevel": "FULL"})])
    assert subject_levels(http, "s") == (None, "FULL")
    _script(monkeypatch, http, [Answer(200, {"compatibility": "FORWARD"}), Answer(200, {"compatibility": "FORWARD"})])
    assert subject_levels(http, "s") == ("FORWARD", "FORWARD")


def test_the_writer_without_a_registry_says_what_to_set():
    w = open_writers(ClusterSpec("127.0.0.1:1", timeout_s=1), admin=object(), policy=FAST)
    with pytest.raises(WriteError, match="names no registry: set cluster.schema_registry.url"):
        w.io(SubjectWrites).subject_versions("a")


def test_an_answer_that_is_not_json_is_one_line_naming_the_url_setting(monkeypatch):
    """A URL that points at a web page (say, the registry's UI): the read is one problem line, not a traceback."""
    http = registry_client(_cluster("http://127.0.0.1:1/ui"))
    monkeypatch.setattr(http, "request", lambda *a, **kw: Answer(200, text="<html>registry UI</html>"))
    subjects, level, problem = RegistryRead(http).read_subjects(["orders-value"])
    assert subjects == {} and level is None
    assert problem.startswith("unreachable: the schema registry at http://127.0.0.1:1/ui answered a request with "
                              "something that is not JSON: is cluster.schema_registry.url the registry's API"), problem
