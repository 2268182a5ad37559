"""Several Connect clusters on one Kafka cluster: `cluster.connect` as a map of names, each connector's (and cdc
source's) choice, the keys connectors are known by, the live-state file's keys, the writer's routing, and the
shared consumer group of same-named sinks."""

from __future__ import annotations

import textwrap
from types import SimpleNamespace

from kplan.kinds.connector.connects import shared_sink_groups, unread_connects
from kplan.kinds.connector.kind import live_config
from kplan.kinds.connector.live import facts_of
from kplan.kinds.connector.model import ConnectorSpec
from kplan.kinds.livejson import live_state_from_dict
from kplan.model.desired import DEFAULT_CONNECT, ConnectorState, connect_and_name, connector_key
from kplan.model.plan import ResourceType
from kplan.rules.connect import sink_group_of
from kplan.stackfile import load_stack, validate_stack
from kplan.transport.connect import split_key

TWO = textwrap.dedent("""\
    stack: s
    cluster:
      bootstrap_servers: "k:9092"
      connect:
        default: {url: "http://c:8083"}
        analytics: {url: "http://a:8083/", auth: {bearer: "${secret:env:A_TOKEN}"}}
    """)
SINK = "{class: FileStreamSink, config: {topics: t, file: /tmp/x}}"


def _write(tmp_path, text: str):
    p = tmp_path / "stack.yaml"
    p.write_text(text)
    return p


def _errors(tmp_path, text: str) -> list[str]:
    _, diags = validate_stack(_write(tmp_path, text), None, {"A_TOKEN": "golden-a-token"})
    return [d.message for d in diags if d.severity == "error"]


def test_the_map_form_names_each_connect_cluster_and_the_default_one_keeps_the_single_forms_place(tmp_path):
    stack = load_stack(_write(tmp_path, TWO), None, {"A_TOKEN": "golden-a-token"})
    assert stack.cluster.connect_url == "http://c:8083"
    assert stack.cluster.connect_names() == ("default", "analytics")
    other = stack.cluster.for_connect("analytics")
    assert other.connect_url == "http://a:8083" and other.connect.token == "${secret:env:A_TOKEN}"
    assert not other.connects and stack.cluster.for_connect("default").connect_url == "http://c:8083"


def test_a_connector_runs_where_it_says_else_on_the_only_or_the_default_connect_cluster(tmp_path):
    text = TWO + textwrap.dedent(f"""\
        defaults: {{topic: {{partitions: 1, replication_factor: 1}}}}
        connectors:
          - {{name: a, connect: analytics, {SINK[1:]}
          - {{name: a, {SINK[1:]}
        cdc:
          - name: pg
            connect: analytics
            engine: postgres
            connection: {{host: h, port: 5432, user: u, password: "${{secret:env:A_TOKEN}}", database: d}}
            tables: [orders]
        """)
    stack = load_stack(_write(tmp_path, text), None, {"A_TOKEN": "golden-a-token"})
    by_key = {c.name: c for c in stack.of("connectors")}
    assert set(by_key) == {"a", "analytics/a", "analytics/pg"}
    assert by_key["analytics/a"].connect == "analytics" and by_key["analytics/a"].connect_name == "a"
    assert by_key["a"].connect == DEFAULT_CONNECT and by_key["a"].connect_name == "a"
    assert by_key["analytics/pg"].connect_name == "pg"
    # its generated topics go with the connector's key (a schema-history topic exists for that connector)
    assert {t.origin.cdc_source for t in stack.of("topics") if t.origin is not None} == {"analytics/pg"}


def test_the_single_form_is_the_default_connect_cluster_and_keys_stay_the_names(tmp_path):
    text = 'stack: s\ncluster: {bootstrap_servers: "k:9092", connect_url: "http://c:8083"}\n' \
           f"connectors:\n  - {{name: a, {SINK[1:]}\n"
    (conn,) = load_stack(_write(tmp_path, text), None, {}).of("connectors")
    assert (conn.name, conn.connect) == ("a", DEFAULT_CONNECT)


def test_a_connect_cluster_that_is_unknown_or_cannot_be_chosen_is_one_error(tmp_path):
    unknown = _errors(tmp_path, TWO + f"connectors:\n  - {{name: a, connect: nope, {SINK[1:]}\n")
    assert unknown == ['connector "a" runs on Connect cluster "nope", which cluster.connect does not name '
                       "(it names: default, analytics)"]
    no_default = TWO.replace("default: {url", "main: {url")
    assert _errors(tmp_path, no_default + f"connectors:\n  - {{name: a, {SINK[1:]}\n") == [
        'connector "a": cluster.connect names several Connect clusters (analytics, main) and none is named default; '
        "say which one runs it (connect: <name>)"]
    both = TWO + f"connectors:\n  - {{name: a, connect: analytics, {SINK[1:]}\n" \
                 f"  - {{name: a, connect: analytics, {SINK[1:]}\n"
    assert [e for e in _errors(tmp_path, both) if "duplicate connector" in e] == [
        'duplicate connector "analytics/a" (also declared at ' + str(tmp_path / "stack.yaml") + ":8; a cdc source "
        "declares a connector of its own name)"]


def test_the_map_form_refuses_a_plaintext_password_like_the_single_form(tmp_path):
    text = TWO.replace('auth: {bearer: "${secret:env:A_TOKEN}"}', "auth: {bearer: plaintext-token}")
    assert _errors(tmp_path, text) == [
        "connect.analytics.auth.bearer must be a ${secret:env:NAME} or ${secret:file:PATH} reference, never the "
        "value itself"]


def test_keys_and_names():
    assert connector_key("default", "x") == "x" and connector_key("b", "x") == "b/x"
    assert connect_and_name("b", "b/x") == "x" and connect_and_name("default", "x") == "x"
    assert split_key("b/x", ["default", "b"]) == ("b", "x")
    assert split_key("x", ["default", "b"]) == ("default", "x")
    assert split_key("c/x", ["default", "b"]) == ("default", "c/x")  # not a Connect cluster of the stack


def test_a_live_state_file_keys_a_named_connect_clusters_connector_by_connect_and_name():
    live = live_state_from_dict({"connectors": {"b/x": {"config": {"connector.class": "C", "name": "x"}},
                                                "x": {"config": {"connector.class": "C"}}},
                                 "connect_problems": {"c": "Kafka Connect at http://c could not be reached"}})
    connectors = live.of(ResourceType.CONNECTOR).resources
    other, default = connectors["b/x"], connectors["x"]
    assert (other.connect, other.connect_name, default.connect) == ("b", "x", DEFAULT_CONNECT)
    assert live_config(other) == {"connector.class": "C"} == live_config(default)  # Connect's own `name` key
    assert facts_of(live).problems == {"c": "Kafka Connect at http://c could not be reached"}


def _sink(key: str, connect: str, **config) -> ConnectorSpec:
    return ConnectorSpec(key, {"connector.class": "FileStreamSink", "topics": "t", **config}, connect=connect)


def sink_group(spec: ConnectorSpec) -> str | None:
    return sink_group_of(spec.config, spec.connect_name)


def test_same_named_sinks_on_two_connect_clusters_share_a_group_unless_one_has_its_own():
    a, b = _sink("x", "default"), _sink("b/x", "b")
    assert sink_group(a) == sink_group(b) == "connect-x"
    (err,) = shared_sink_groups([a, b])
    assert err.code == "connect-shared-sink-group" and "share the consumer group 'connect-x'" in err.message
    assert shared_sink_groups([a, _sink("b/x", "b", **{"consumer.override.group.id": "own"})]) == []
    source = ConnectorSpec("b/x", {"connector.class": "FileStreamSource", "file": "/f"}, connect="b")
    assert sink_group(source) is None and shared_sink_groups([a, source]) == []


def test_an_unread_connect_cluster_drops_only_its_declared_connectors_with_one_line():
    live = live_state_from_dict({"connect_problems": {"b": "Kafka Connect at http://b could not be reached"}})
    declared = {"x": _sink("x", "default"), "b/x": _sink("b/x", "b"), "b/y": _sink("b/y", "b")}
    kept, (note,) = unread_connects(declared, live)
    assert list(kept) == ["x"]
    # unknown is not unchanged: an error, naming the opt-in (issue 41)
    assert note.is_error and note.message == (
        "Kafka Connect cluster 'b' could not be read (Kafka Connect at http://b could not be reached): its 2 declared "
        "connectors (b/x, b/y) are unknown, so kplan cannot tell whether they match the stack; make it readable, or "
        "leave it out of this run: --allow-unreadable connect:b")
    kept, (note,) = unread_connects(declared, live, frozenset({"connect:b"}))
    assert list(kept) == ["x"] and not note.is_error
    assert note.message == ("Kafka Connect cluster 'b' could not be read (Kafka Connect at http://b could not be "
                            "reached): its 2 declared connectors (b/x, b/y) are unknown and left alone "
                            "(--allow-unreadable connect:b)")


class _Worker:
    """A Connect cluster's worker of kplan.transport.connect.ConnectWrites: the requests it was asked."""

    def __init__(self):
        self.calls = []

    def call(self, method, path, what, ok, **kw):
        self.calls.append((method, path))
        return SimpleNamespace(status_code=200, json=lambda: {"connector": {"state": "RUNNING"},
                                                                 "tasks": [{"id": 0, "state": "RUNNING"}]})

    def status(self, name):
        return self.call("GET", f"/connectors/{name}/status", "", (200,))


def test_each_call_goes_to_its_connect_clusters_worker_with_the_connectors_own_name():
    from kplan.transport.connect import ConnectWrites

    default, other = _Worker(), _Worker()
    writes = ConnectWrites.__new__(ConnectWrites)
    writes._workers, writes.connector_timeout_s = {"default": default, "b": other}, 5.0  # type: ignore[assignment]
    writes.delete_connector("b/x")
    writes.delete_connector("x")
    writes.wait_connector("b/y", ConnectorState.RUNNING)
    assert default.calls == [("DELETE", "/connectors/x")]
    assert other.calls == [("DELETE", "/connectors/x"), ("GET", "/connectors/y/status")]
