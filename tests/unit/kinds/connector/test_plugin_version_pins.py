"""Connector plugin version pins (KIP-891, Kafka Connect 4.1+): `plugin_version:` on connectors and CDC sources, the
installed versions read from GET /connector-plugins, the plan's check against them at the pin's line, the refusal on
an older worker, the note when a running connector changes version, status and apply's wait for the version."""

from __future__ import annotations

import textwrap
from dataclasses import replace

import pytest

from kplan.kinds.connector.handlers import PutConnectorHandler
from kplan.kinds.connector.io.read import connector_classes, plugin_versions
from kplan.kinds.connector.kind import KIND
from kplan.kinds.connector.live import facts_of
from kplan.kinds.connector.steps import PutConnector
from kplan.kinds.livejson import live_state_from_dict
from kplan.model.desired import ConnectorState
from kplan.model.plan import ResourceType
from kplan.plan.planner import make_plan as _make_plan
from kplan.rules.plugin_versions import chosen, class_key, compare, pins, satisfies, sorted_versions
from kplan.stackfile import load_stack
from kplan.stackfile.references import resolve_stack_secrets

PG = "io.debezium.connector.postgresql.PostgresConnector"
SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
JSON = "org.apache.kafka.connect.json.JsonConverter"
INSTALLED = {PG: ["3.6.1.Final", "3.7.0.Final"], SINK: ["4.3.1"], JSON: ["4.3.1"]}


# -- versions, as Connect compares them ------------------------------------------------------------------------


@pytest.mark.parametrize("a, b, want", [
    ("3.7.0.Final", "3.7", 0), ("3.7.0.Final", "3.7.0", 0), ("3.6.1.Final", "3.7.0.Final", -1),
    ("4.10.0", "4.9.2", 1), ("1.0-SNAPSHOT", "1.0", -1), ("1.0-rc1", "1.0-beta2", 1), ("1.0.1", "1.0-sp", 1),
])
def test_versions_compare_as_maven_does(a, b, want):
    assert compare(a, b) == want and compare(b, a) == -want


@pytest.mark.parametrize("spec, version, want", [
    ("3.7.0.Final", "3.7.0.Final", True), ("3.7.0.Final", "3.6.1.Final", False), ("3.7", "3.7.0.Final", True),
    ("latest", "1", True), ("[3.6,3.7)", "3.6.1.Final", True), ("[3.6,3.7)", "3.7.0.Final", False),
    ("(,3.7.0.Final]", "3.7.0.Final", True), ("[4.0]", "4.0.0", True), ("[1.0],[3.0,)", "2.0", False),
    ("[1.0],[3.0,)", "3.1", True), ("[1.0", "1.0", None), ("(1.0)", "1.0", None),
])
def test_a_pin_is_a_version_exactly_or_a_maven_range(spec, version, want):
    assert satisfies(spec, version) is want


def test_connect_runs_the_newest_installed_version_within_a_range():
    installed = ["3.5.0.Final", "3.6.1.Final", "3.7.0.Final"]
    assert chosen("[3.5,3.7)", installed) == "3.6.1.Final"
    assert chosen("latest", installed) == "3.7.0.Final"
    assert chosen("3.8.0.Final", installed) is None
    assert sorted_versions(["3.7.0.Final", "3.10.0.Final", "3.6.1.Final"]) == [
        "3.6.1.Final", "3.7.0.Final", "3.10.0.Final"]


def test_the_pin_keys_and_the_class_each_pins():
    assert class_key("connector.plugin.version") == "connector.class"
    assert class_key("value.converter.plugin.version") == "value.converter"
    assert class_key("transforms.unwrap.plugin.version") == "transforms.unwrap.type"
    assert class_key("predicates.p.plugin.version") == "predicates.p.type"
    assert class_key("table.plugin.version") is None and class_key("tasks.max") is None
    assert pins({"tasks.max": "1", "key.converter.plugin.version": "1", "connector.plugin.version": "2"}) == [
        "connector.plugin.version", "key.converter.plugin.version"]


# -- what Connect lists -------------------------------------------------------------------------------------------


def test_the_listing_gives_every_installed_version_of_a_plugin():
    """Connect 4.1+ lists one entry per installed version (same class and type); a plugin of no version is listed
    without one; connectorsOnly=false adds converters and transforms, which are not connector classes."""
    listed = [{"class": PG, "type": "source", "version": "3.7.0.Final"},
              {"class": PG, "type": "source", "version": "3.6.1.Final"},
              {"class": SINK, "type": "sink", "version": "4.3.1"},
              {"class": JSON, "type": "converter", "version": "4.3.1"},
              {"class": JSON, "type": "header_converter", "version": "4.3.1"},
              {"class": "x.Unversioned", "type": "transformation"}]
    assert plugin_versions(listed) == {PG: ("3.6.1.Final", "3.7.0.Final"), SINK: ("4.3.1",), JSON: ("4.3.1",),
                                       "x.Unversioned": ()}
    assert connector_classes(listed) == {PG, SINK}


# -- the stack and the plan -----------------------------------------------------------------------------------------

def make_plan(stack, live):
    return _make_plan(stack, live, secrets=resolve_stack_secrets(stack, {"PW": "pw"}))


HEAD = textwrap.dedent("""\
    stack: s
    cluster: {bootstrap_servers: "k:9092", connect_url: "http://c:8083"}
    defaults: {topic: {partitions: 1, replication_factor: 1}}
    """)


def _load(tmp_path, body: str):
    path = tmp_path / "stack.yaml"
    path.write_text(HEAD + textwrap.dedent(body))
    return load_stack(path, None, {"PW": "pw"})


def _live(worker="4.3.1", connectors=None, installed=INSTALLED):
    return live_state_from_dict({
        "cluster_id": "c", "connect_version": worker, "connectors": connectors or {},
        "owned_connectors": list(connectors or {}),
        "connector_plugins": sorted(c for c in installed if c != JSON),
        "plugin_versions": {"default": installed}})


SOURCE = """\
    cdc:
      - name: pg
        engine: postgres
        plugin_version: {version}
        connection: {{host: h, port: 5432, user: u, password: "${{secret:env:PW}}", database: d}}
        tables: [orders]
        preflight: "off"
    """
SINK_ENTRY = """\
    connectors:
      - name: out
        class: FileStreamSink
        plugin_version: "{version}"
        config: {{topics: t, file: /tmp/x}}
    """


def _errors(plan):
    return [(d.code, d.origin.line if d.origin else None, d.message) for d in plan.diagnostics if d.is_error]


def test_plugin_version_is_the_connectors_connector_plugin_version_located_at_its_line(tmp_path):
    (conn,) = _load(tmp_path, SINK_ENTRY.format(version="4.3.1")).of("connectors")
    assert conn.config["connector.plugin.version"] == "4.3.1"
    assert conn.config_origins["connector.plugin.version"].line == 7
    stack = _load(tmp_path, SOURCE.format(version='"3.6.1.Final"'))
    (pg,) = stack.of("connectors")
    assert pg.config["connector.plugin.version"] == "3.6.1.Final"
    assert pg.config_origins["connector.plugin.version"].line == 7


def test_plugin_version_and_a_different_config_key_contradict(tmp_path):
    from kplan.stackfile import validate_stack

    path = tmp_path / "stack.yaml"
    path.write_text(HEAD + textwrap.dedent("""\
        connectors:
          - name: out
            class: FileStreamSink
            plugin_version: "4.3.1"
            config: {topics: t, file: /tmp/x, connector.plugin.version: "4.1.0"}
        """))
    _, diags = validate_stack(path, None, {})
    assert [d.message for d in diags if d.severity == "error"] == [
        "config connector.plugin.version (4.1.0) contradicts plugin_version (4.3.1); declare it once"]


def test_an_unquoted_number_is_refused_by_the_schema(tmp_path):
    from kplan.stackfile import validate_stack

    path = tmp_path / "stack.yaml"
    path.write_text(HEAD + textwrap.dedent(SINK_ENTRY.format(version="x").replace('"x"', "4.10")))
    _, diags = validate_stack(path, None, {})
    assert any("plugin_version" in (d.address or "") for d in diags if d.severity == "error")


def test_an_installed_pin_plans_cleanly_and_a_missing_one_is_one_located_error_naming_the_installed(tmp_path):
    stack = _load(tmp_path, SOURCE.format(version='"3.6.1.Final"'))
    assert _errors(make_plan(stack, _live())) == []
    stack = _load(tmp_path, SOURCE.format(version='"3.5.0.Final"'))
    plan = make_plan(stack, _live())
    assert _errors(plan) == [(
        "plugin-version-missing", 7,
        f"connector 'pg' pins connector.plugin.version 3.5.0.Final of {PG}, which the Kafka Connect cluster does not "
        "have (installed: 3.6.1.Final, 3.7.0.Final): set plugin_version to one of them, or install 3.5.0.Final in "
        "the plugin path of every worker first")]
    (d,) = [d for d in plan.diagnostics if d.is_error]
    assert d.path == ("config", "connector.plugin.version") and d.origin.file.endswith("stack.yaml")


def test_a_range_is_checked_and_latest_always_fits(tmp_path):
    assert _errors(make_plan(_load(tmp_path, SOURCE.format(version='"[3.6,3.7)"')), _live())) == []
    assert [e[0] for e in _errors(make_plan(_load(tmp_path, SOURCE.format(version='"[3.8,)"')), _live()))] == [
        "plugin-version-missing"]
    assert _errors(make_plan(_load(tmp_path, SOURCE.format(version="latest")), _live())) == []


def test_a_connector_named_by_its_alias_is_checked_against_its_class(tmp_path):
    plan = make_plan(_load(tmp_path, SINK_ENTRY.format(version="4.1.0")), _live())
    assert [(e[0], e[1]) for e in _errors(plan)] == [("plugin-version-missing", 7)]
    assert "of org.apache.kafka.connect.file.FileStreamSinkConnector" in _errors(plan)[0][2]


def test_converter_and_transform_pins_are_checked_against_the_class_the_config_names(tmp_path):
    body = """\
        connectors:
          - name: out
            class: FileStreamSink
            config:
              topics: t
              file: /tmp/x
              value.converter: org.apache.kafka.connect.json.JsonConverter
              value.converter.plugin.version: "4.0.0"
              key.converter.plugin.version: "9.9"
        """
    errors = _errors(make_plan(_load(tmp_path, body), _live()))
    # the key converter is the worker's default, unknown here: Connect's own validation judges that pin
    assert [(e[0], e[1]) for e in errors] == [("plugin-version-missing", 11)]
    assert "pins value.converter.plugin.version 4.0.0 of org.apache.kafka.connect.json.JsonConverter" in errors[0][2]
    assert "set value.converter.plugin.version to one of them" in errors[0][2]


def test_a_worker_older_than_4_1_refuses_any_pin_once_per_connector(tmp_path):
    stack = _load(tmp_path, SOURCE.format(version='"3.5.0.Final"'))
    errors = _errors(make_plan(stack, _live(worker="3.9.2")))
    assert errors == [(
        "connect-version", 7,
        "the Kafka Connect worker is version 3.9.2; pinning a plugin version (connector.plugin.version, KIP-891) "
        "needs Connect 4.1 or newer, and an older worker stores the key but runs the newest installed version: "
        "upgrade the worker to 4.1+, or remove plugin_version from connector 'pg'")]
    assert _errors(make_plan(_load(tmp_path, SOURCE.format(version="latest")), _live(worker="3.9.2"))) == []
    assert _errors(make_plan(stack, _live(worker="8.1.0"))) != []  # Confluent Platform 8.1 is Kafka 4.1: checked
    assert [e[0] for e in _errors(make_plan(stack, _live(worker="8.0.1")))] == ["connect-version"]


def test_without_the_installed_versions_nothing_is_claimed(tmp_path):
    stack = _load(tmp_path, SOURCE.format(version='"3.5.0.Final"'))
    doc_live = _live().with_kind(ResourceType.CONNECTOR, facts=replace(facts_of(_live()), plugin_versions={}))
    assert _errors(make_plan(stack, doc_live)) == []


def _running(version: str, pin: str | None):
    return {"pg": {"config": {"connector.class": PG, "tasks.max": "1", **(
        {"connector.plugin.version": pin} if pin else {})}, "state": "RUNNING", "version": version,
        "tasks": [{"id": 0, "state": "RUNNING"}]}}


def test_changing_the_pin_is_a_config_change_with_a_note_of_the_version_it_runs_and_will_run(tmp_path):
    stack = _load(tmp_path, SOURCE.format(version='"3.7.0.Final"'))
    running = _running("3.6.1.Final", "3.6.1.Final")
    running["pg"]["config"] = {**stack.of("connectors")[0].config, "database.password": "pw",
                               "connector.plugin.version": "3.6.1.Final"}
    live = _live(connectors=running)
    plan = make_plan(stack, live)
    change = plan.change("connector.pg")
    assert [(a.path, a.before, a.after) for a in change.attributes] == [
        (("config", "connector.plugin.version"), "3.6.1.Final", "3.7.0.Final")]
    (note,) = [d for d in plan.diagnostics if d.code == "plugin-version-change"]
    assert note.message == (f"connector 'pg' runs version 3.6.1.Final of {PG}; apply restarts it on version "
                            "3.7.0.Final (connector.plugin.version 3.7.0.Final)")
    assert note.origin.line == 7


def test_status_shows_the_version_a_connector_runs(tmp_path):
    live = _live(connectors=_running("3.7.0.Final", None))
    current = live.of(KIND.type).resources["pg"]
    assert current.version == "3.7.0.Final"
    (spec,) = _load(tmp_path, SOURCE.format(version='"3.7.0.Final"')).of("connectors")
    status = KIND.status(spec, current, None, str)
    assert status.plugin_version == "3.7.0.Final"
    assert KIND.status_detail(status) == "RUNNING, 1 task, plugin 3.7.0.Final"
    assert KIND.status_fields(status, lambda t: None)["plugin_version"] == "3.7.0.Final"


# -- apply ------------------------------------------------------------------------------------------------------------


class _Connect:
    def __init__(self):
        self.calls: list[str] = []

    def __getattr__(self, name):
        return lambda *a, **kw: self.calls.append(" ".join([name, *map(str, a)]))


class _Writers:
    def __init__(self):
        self.connect = _Connect()
        self.kafka = type("K", (), {"topic_names": lambda self: set()})()

    def io(self, make):
        """The kind's io: Connect's writes (kplan.transport.connect), or its own (the topics it waits for)."""
        from kplan.transport.connect import ConnectWrites

        return self.connect if make is ConnectWrites else self.kafka


@pytest.mark.parametrize("pin, state, waits", [
    ("3.7.0.Final", ConnectorState.RUNNING, True), ("latest", ConnectorState.RUNNING, False),
    (None, ConnectorState.RUNNING, False), ("3.7.0.Final", ConnectorState.PAUSED, False),
])
def test_apply_waits_until_a_running_connector_runs_its_pinned_version(pin, state, waits):
    from kplan.kinds.handler import StepContext
    from kplan.secrets import SecretValues

    config = {"connector.class": PG, **({"connector.plugin.version": pin} if pin else {})}
    step = PutConnector("pg", False, config, state, False, False)
    writers = _Writers()
    ctx = StepContext(0, writers, SecretValues(), lambda o: None, None, None, {}, lambda: None)  # type: ignore
    PutConnectorHandler().run(step, ctx)
    assert (f"wait_plugin_version pg {pin}" in writers.connect.calls) is waits


def test_a_rollback_waits_for_the_version_the_connector_ran_before():
    from kplan.kinds.connector.steps import ConnectorImage
    from kplan.kinds.handler import StepContext
    from kplan.secrets import SecretValues

    old = {"connector.class": PG, "connector.plugin.version": "3.6.1.Final"}
    new = {"connector.class": PG, "connector.plugin.version": "3.7.0.Final"}
    step = PutConnector("pg", False, new, ConnectorState.RUNNING, False, False,
                        changed_keys=("connector.plugin.version",), previous=ConnectorImage(old, "running"))
    writers = _Writers()
    writers.connect.get_connector = lambda name: (dict(new), None)  # type: ignore[method-assign]
    ctx = StepContext(0, writers, SecretValues(), lambda o: None, None, None, {}, lambda: None)  # type: ignore
    PutConnectorHandler().undo(step, ctx)
    assert "put_connector_config pg {'connector.class': '%s', 'connector.plugin.version': '3.6.1.Final'}" % PG \
        in writers.connect.calls
    assert writers.connect.calls[-2:] == ["wait_plugin_version pg 3.6.1.Final",
                                          f"wait_connector pg {ConnectorState.RUNNING}"]


class _Answer:
    def __init__(self, body):
        self.status_code, self.body = 200, body

    def json(self):
        return self.body


def _status(connector, *tasks, task_state="RUNNING"):
    return {"connector": {"state": "RUNNING", **({"version": connector} if connector else {})},
            "tasks": [{"id": i, "state": task_state, **({"version": v} if v else {})} for i, v in enumerate(tasks)]}


def _writer(monkeypatch, answers):
    from kplan.transport import connect

    monkeypatch.setattr(connect.time, "sleep", lambda s: None)
    writer = connect.ConnectWrites.__new__(connect.ConnectWrites)
    writer.connector_timeout_s = 0.2
    seen = iter(answers)
    asked = []

    def call(*args, **kw):
        asked.append(args[1])
        return _Answer(next(seen))

    worker = connect._Worker.__new__(connect._Worker)
    worker.call = call  # type: ignore[method-assign]
    writer._workers = {"default": worker}
    return writer, asked


def test_the_writer_waits_for_the_pinned_version_on_the_connector_and_every_task(monkeypatch):
    old, new = "3.6.1.Final", "3.7.0.Final"
    # the restart: the old task still RUNNING on the old version, then stopped (UNASSIGNED, no version), then new
    stopped = "UNASSIGNED"
    writer, asked = _writer(monkeypatch, [_status(old, old), _status(new, old), _status(new, None, task_state=stopped),
                                          _status(new, new, new, task_state=stopped), _status(new, new, new)])
    writer.wait_plugin_version("pg", new)
    assert asked == ["/connectors/pg/status"] * 5
    # a connector being restarted answers with no version for a moment (seen on Kafka Connect 4.3.1): not done
    writer, asked = _writer(monkeypatch, [_status(None, old), _status(new, None, task_state=stopped),
                                          _status(new, new)])
    writer.wait_plugin_version("pg", new)
    assert len(asked) == 3


def test_the_writer_fails_naming_what_runs_when_the_pinned_version_never_comes(monkeypatch):
    from kplan.errors import WriteError

    writer, _ = _writer(monkeypatch, [_status("3.6.1.Final", "3.6.1.Final")] * 100000)
    with pytest.raises(WriteError, match=r"connector pg does not run the pinned plugin version 3\.7\.0\.Final within "
                                         r"0\.2s \(it reports connector RUNNING 3\.6\.1\.Final, "
                                         r"task 0 RUNNING 3\.6\.1\.Final\)"):
        writer.wait_plugin_version("pg", "3.7.0.Final")


@pytest.mark.parametrize("answer", [_status("3.7.0.Final", "3.7.0.Final", None), _status(None, None),
                                    _status("3.7.0.Final")], ids=["task-versionless", "plugin-versionless", "taskless"])
def test_what_runs_with_no_version_or_no_task_is_done_once_it_stays_so(monkeypatch, answer):
    from kplan.transport import connect

    clock = iter(range(0, 10**6))  # one second per read
    monkeypatch.setattr(connect.time, "monotonic", lambda: float(next(clock)))
    writer, asked = _writer(monkeypatch, [answer] * 100)
    writer.connector_timeout_s = 60
    writer.wait_plugin_version("pg", "3.7.0.Final")  # nothing to compare (or no task), once it settles
    assert 3 <= len(asked) <= 2 + int(connect.TASKLESS_SETTLE_S)


def test_a_failed_task_fails_the_wait_at_once(monkeypatch):
    from kplan.errors import WriteError

    failed = _status("3.7.0.Final", "3.7.0.Final")
    failed["tasks"][0].update(state="FAILED", trace="java.lang.IllegalStateException: boom\n at x")
    writer, asked = _writer(monkeypatch, [failed])
    with pytest.raises(WriteError, match=r"connector pg task 0 FAILED: java.lang.IllegalStateException: boom"):
        writer.wait_plugin_version("pg", "3.7.0.Final")
    assert len(asked) == 1


# -- import -----------------------------------------------------------------------------------------------------------


def test_import_writes_a_pinned_connector_and_cdc_source_with_plugin_version(tmp_path):
    from kplan.importer.cdc import cdc_candidate, refined
    from kplan.kinds.connector.importer import connector_entry
    from kplan.model.desired import freeze
    from kplan.model.live import LiveConnector, LiveTopic

    sink = LiveConnector("out", freeze({"name": "out", "connector.class": SINK, "tasks.max": "1", "topics": "t",
                                        "connector.plugin.version": "4.3.1"}))
    entry = connector_entry(sink, {}, [])
    assert entry == {"name": "out", "class": SINK, "plugin_version": "4.3.1", "tasks_max": 1, "config": {"topics": "t"}}
    pg = {"connector.class": PG, "tasks.max": "1", "database.hostname": "db", "database.user": "cdc",
          "database.dbname": "shop", "topic.prefix": "shop", "table.include.list": "public.orders",
          "connector.plugin.version": "3.6.1.Final"}
    source, _, why = cdc_candidate(LiveConnector("pg", freeze(pg)), {"shop.public.orders": LiveTopic(
        "shop.public.orders", 1, 1)}, {})
    assert why is None and source["plugin_version"] == "3.6.1.Final"
    extra = refined(source, {}, LiveConnector("pg", freeze(pg)), {})["connector"]["config"]
    assert "connector.plugin.version" not in extra  # carried by plugin_version, not repeated as config
