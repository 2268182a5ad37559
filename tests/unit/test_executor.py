"""The executor's rollback logic over a fake writer: what a run may undo, and what it must report it could not.
(The same paths run against the real stack in tests/integration/test_apply.py and test_safety.py.)
Also: the fake writer and KafkaWriter both implement `kplan.cluster.interface.ClusterWriter`, exactly."""

from __future__ import annotations

import ast
import inspect
import io
from pathlib import Path

import pytest

from kplan.secrets import SecretValues
from kplan.apply import steps as S
from kplan.apply.executor import Executor, Progress
from kplan.state.journal import Journal, RunStatus
from kplan.cluster.interface import ClusterWriter
from kplan.cluster.writer import KafkaWriter, WriteError
from kplan.model.desired import ConnectorState


class FakeStore:
    def __init__(self):
        self.writes = 0

    def write(self, journal):
        self.writes += 1


class FakeWriter:
    """Topics and connectors in memory; failures injected by name. Implements ClusterWriter (checked below)."""

    def __init__(self, topics=(), connectors=None, foreign=(), fail_wait_gone=False, refuse_delete=False,
                 lagging=(), partitions=None):
        self.topics = set(topics)
        self.lagging = set(lagging)  # created, but not in metadata yet
        self.connectors = dict(connectors or {})
        self.states: dict[str, ConnectorState] = {}
        self.foreign = set(foreign)  # topics someone else creates with another spec before our create lands
        self.fail_wait_gone = fail_wait_gone
        self.refuse_delete = refuse_delete
        self.partitions = dict(partitions or {})
        self.overrides: dict[str, dict[str, str]] = {}
        self.deleted: list[str] = []
        self.calls: list[str] = []
        self.signals: list[tuple] = []

    # -- topics

    def create_topics(self, specs, found=None, created=None):
        found = set() if found is None else found
        created = set() if created is None else created
        for spec in specs:
            if spec.name in self.foreign:
                self.topics.add(spec.name)
                found.add(spec.name)
                raise WriteError(f"topic {spec.name!r} already exists with a different spec")
            created.add(spec.name)
            if spec.name not in self.lagging:
                self.topics.add(spec.name)
        return [s.name for s in specs]

    def delete_topics(self, names):
        if self.refuse_delete:
            raise WriteError("TOPIC_AUTHORIZATION_FAILED")
        self.deleted += list(names)
        self.pending_delete = list(names)  # the broker accepted; deletion completes later

    def alter_topic_configs(self, changes):
        for name, (sets, deletes) in changes.items():
            current = self.overrides.setdefault(name, {})
            current.update(sets)
            for key in deletes:
                current.pop(key, None)

    def create_partitions(self, counts):
        self.calls.append("create_partitions")
        self.partitions.update(counts)

    def topic_names(self):
        return set(self.topics)

    def topic_partitions(self, name):
        return self.partitions.get(name, 1)

    def wait_topics(self, expected, timeout_s=None):
        pass

    def wait_topics_gone(self, names, timeout_s=None):
        if self.fail_wait_gone:
            raise WriteError("topics still listed after deletion")
        self.topics -= set(names)

    # -- connectors

    def get_connector(self, name):
        return (self.connectors.get(name), None)

    def create_connector(self, name, config, state):
        if name in self.connectors:
            raise WriteError(f"connector {name} was created by someone else meanwhile")
        self.connectors[name] = dict(config)
        self.states[name] = state

    def put_connector_config(self, name, config):
        self.calls.append(f"put_connector_config {name}")
        self.connectors[name] = dict(config)

    def delete_connector(self, name):
        self.connectors.pop(name, None)
        self.deleted.append(name)

    def set_connector_state(self, name, state):
        self.states[name] = state

    def restart_connector(self, name):
        self.calls.append(f"restart_connector {name}")

    def wait_connector_gone(self, name, timeout_s=None):
        pass

    def wait_connector(self, name, state, timeout_s=None):
        pass

    # -- CDC signals

    def send_snapshot_signal(self, connector, tables, topic, key, table_topic=None, timeout_s=90.0,
                             resend_after_s=20.0):
        self.signals.append((connector, tuple(tables), topic, key, table_topic))


def run(writer, steps, fail_at=None):
    journal = Journal("s", None, "c", "d")
    ex = Executor(writer, FakeStore(), SecretValues(), Progress(io.StringIO()), lambda record: None, fail_at=fail_at)
    return ex.execute(journal, steps), journal


def topics_step(*names):
    return S.Step(S.CREATE_TOPICS, {"topics": [{"name": n, "partitions": 1, "replication_factor": 1, "config": {}}
                                               for n in names]}, {"absent": list(names)})


def test_a_topic_someone_else_created_meanwhile_is_never_deleted_by_the_rollback():
    w = FakeWriter(foreign={"theirs"})
    result, journal = run(w, [topics_step("ours", "theirs")])
    assert result.status == RunStatus.ROLLED_BACK
    assert w.deleted == ["ours"] and "theirs" in w.topics
    assert journal.steps[0]["outcome"] == {"created": ["ours"], "confirmed": ["ours"]}


def test_a_confirmed_creation_is_deleted_even_before_metadata_shows_it():
    w = FakeWriter(lagging={"slow"})
    result, _ = run(w, [topics_step("slow")], fail_at="step:1")
    assert result.status == RunStatus.ROLLED_BACK and w.deleted == ["slow"]


def test_a_connector_someone_else_created_meanwhile_is_never_deleted_by_the_rollback():
    w = FakeWriter(connectors={"c": {"connector.class": "X", "topic": "theirs"}})
    step = S.Step(S.PUT_CONNECTOR, {"name": "c", "create": True, "config": {"connector.class": "X"},
                                    "state": "running", "set_state": True, "restart": False,
                                    "requires_topics": [], "sensitive_keys": [], "changed_keys": []},
                  {"absent": True})
    result, _ = run(w, [step])
    assert result.status == RunStatus.ROLLED_BACK
    assert w.connectors == {"c": {"connector.class": "X", "topic": "theirs"}}


def test_an_accepted_deletion_that_was_cut_short_is_reported_not_rolled_back():
    w = FakeWriter(topics={"t"}, fail_wait_gone=True)
    step = S.Step(S.DELETE_TOPICS, {"names": ["t"]}, {"topics": {"t": {}}})
    result, _ = run(w, [step])
    assert result.status == RunStatus.ROLLBACK_INCOMPLETE and result.exit_code == 3
    assert "irreversible" in result.not_rolled_back[0]


def test_a_refused_deletion_changed_nothing_and_counts_as_rolled_back():
    w = FakeWriter(topics={"t"}, refuse_delete=True)
    step = S.Step(S.DELETE_TOPICS, {"names": ["t"]}, {"topics": {"t": {}}})
    result, _ = run(w, [step])
    assert result.status == RunStatus.ROLLED_BACK and result.exit_code == 1
    assert "t" in w.topics


def test_done_steps_are_undone_in_reverse_and_a_clean_run_completes():
    w = FakeWriter()
    result, _ = run(w, [topics_step("a"), topics_step("b")], fail_at="step:2")
    assert result.status == RunStatus.ROLLED_BACK
    assert w.deleted == ["b", "a"]
    result, _ = run(FakeWriter(), [topics_step("a")])
    assert result.status == RunStatus.COMPLETE


def test_the_journal_never_holds_a_plaintext_secret_from_the_stack():
    from kplan.model.desired import ConnectorSpec, freeze

    spec = ConnectorSpec("c", freeze({"connector.class": "X", "db.password": "plain-Secret-1"}))
    args = {"name": "c", "create": True, "config": S.mask_config(dict(spec.config), frozenset({"db.password"}))}
    assert "plain-Secret-1" not in repr(args)


@pytest.mark.parametrize("kind", sorted(S.IRREVERSIBLE_KINDS))
def test_irreversible_kinds_are_flagged(kind):
    assert S.Step(kind, {}, {}).irreversible


# -- the writer interface --------------------------------------------------------------------------------------------


def _protocol_methods() -> dict[str, inspect.Signature]:
    return {name: inspect.signature(getattr(ClusterWriter, name)) for name, value in vars(ClusterWriter).items()
            if callable(value) and not name.startswith("_")}


def _shape(sig: inspect.Signature) -> list[tuple]:
    return [(p.name, p.kind, p.default) for p in sig.parameters.values()]


@pytest.mark.parametrize("impl", [KafkaWriter, FakeWriter], ids=lambda c: c.__name__)
def test_writers_implement_the_protocol_with_its_exact_signatures(impl):
    for name, sig in _protocol_methods().items():
        assert callable(getattr(impl, name, None)), f"{impl.__name__} lacks {name}"
        assert _shape(inspect.signature(getattr(impl, name))) == _shape(sig), f"{impl.__name__}.{name} drifted"
    if impl is FakeWriter:  # the fake is nothing but the interface (a method of its own would hide a gap)
        own = {n for n, v in vars(FakeWriter).items() if callable(v) and not n.startswith("_")}
        assert own == set(_protocol_methods())
    assert isinstance(FakeWriter(), ClusterWriter)


def test_the_protocol_names_exactly_the_writer_methods_apply_calls():
    """Every `ctx.writer.<method>` / `self.w.<method>` in kplan/apply is in the Protocol, and the other way round."""
    import kplan.apply

    called = set()
    for path in Path(kplan.apply.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if path.name == "run.py" or not isinstance(node, ast.Attribute):
                continue  # run.py opens the cluster: it uses the writer's admin client and closes it
            target = node.value
            if (isinstance(target, ast.Attribute) and target.attr in ("writer", "w")) or \
                    (isinstance(target, ast.Name) and target.id == "w"):
                called.add(node.attr)
    assert called == set(_protocol_methods())
