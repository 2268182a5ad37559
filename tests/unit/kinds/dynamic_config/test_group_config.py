"""The group-config kind's pure parts: the diff against a group's own dynamic values, exact before-values for undo
(and an apply and its rollback over the fake writer), authoritative and owned deletions, destroy, the refusal on a
cluster without group configs, the section's errors, the read's answer, the validation's lines, and import."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
from executor_runs import run
from fakes import FakeWriter

from kplan.importer.build import ImportOptions, build_import
from kplan.kinds.dynamic_config.kind import GROUP_CONFIG, GroupConfigPlanned
from kplan.kinds.dynamic_config.model import KeysSpec, LiveGroupConfig
from kplan.kinds.dynamic_config.steps import AlterGroupConfigs
from kplan.kinds.dynamic_config.steps import KeyChange as GroupConfigChange
from kplan.kinds.livejson import live_state_from_dict
from kplan.model.desired import ClusterSpec, Stack, freeze
from kplan.model.plan import Action, AttrKind, Flag, NoteKind, Reason
from kplan.plan.planner import make_plan
from kplan.state.journal import RunStatus


def spec(group="orders", authoritative=False, **configs):
    return KeysSpec(group, freeze({k.replace("_", "."): v for k, v in configs.items()}), authoritative)


def live(group="orders", values=None, owned=()):
    return LiveGroupConfig(group, freeze(values or {}), frozenset(owned))


def stack(*specs):
    return Stack("s", None, ClusterSpec("b:1"), kinds={"group_configs": tuple(specs)})


def test_a_group_without_configs_gets_every_declared_key():
    change = GROUP_CONFIG.change(spec(consumer_session_timeout_ms="60000"), None)
    assert (change.action, change.reason) == (Action.CREATE, Reason.NOT_ON_CLUSTER)
    assert change.planned == GroupConfigPlanned("orders", (("consumer.session.timeout.ms", None, "60000"),))


def test_the_diff_is_against_the_groups_own_values_with_exact_before_values():
    current = live(values={"consumer.session.timeout.ms": "45001", "consumer.heartbeat.interval.ms": "4000",
                           "consumer.assignment.interval.ms": "2000"},
                   owned={"consumer.session.timeout.ms", "consumer.heartbeat.interval.ms"})
    change = GROUP_CONFIG.change(spec(consumer_session_timeout_ms="50000"), current)
    kinds = {a.path[0]: (a.kind, a.note) for a in change.attributes}
    assert kinds == {"consumer.session.timeout.ms": (AttrKind.UPDATE, None),
                     "consumer.heartbeat.interval.ms": (AttrKind.REMOVE, NoteKind.GROUP_CONFIG_NO_LONGER_DECLARED),
                     "consumer.assignment.interval.ms": (AttrKind.DRIFT, NoteKind.GROUP_CONFIG_LEFT_ALONE)}
    assert Flag.DRIFT in change.flags and Flag.ADOPT not in change.flags
    assert change.planned.values == (("consumer.session.timeout.ms", "45001", "50000"),
                                     ("consumer.heartbeat.interval.ms", "4000", None))
    assert change.after == {"group": "orders", "configs": {"consumer.assignment.interval.ms": "2000",
                                                           "consumer.session.timeout.ms": "50000"}}


def test_matching_values_are_no_change_and_a_key_set_outside_kplan_is_adopted():
    current = live(values={"share.auto.offset.reset": "earliest"})
    change = GROUP_CONFIG.change(spec(share_auto_offset_reset="earliest"), current)
    assert change.action is Action.NOOP and not change.is_change and Flag.ADOPT in change.flags


def test_authoritative_deletes_every_undeclared_key():
    current = live(values={"share.record.lock.duration.ms": "45000", "share.delivery.count.limit": "3"})
    change = GROUP_CONFIG.change(spec(authoritative=True, share_record_lock_duration_ms="45000"), current)
    assert change.planned.values == (("share.delivery.count.limit", "3", None),)
    assert change.attributes[0].note is NoteKind.GROUP_CONFIG_AUTHORITATIVE_REMOVAL


def test_destroy_deletes_only_the_keys_kplan_set():
    current = live(values={"streams.num.standby.replicas": "1", "streams.session.timeout.ms": "30000"},
                   owned={"streams.num.standby.replicas"})
    change = GROUP_CONFIG.delete(current, None, Reason.DESTROY)
    assert change.action is Action.UPDATE
    assert change.planned.values == (("streams.num.standby.replicas", "1", None),)
    assert GROUP_CONFIG.delete(live(values={"a": "1"}, owned={"a"}), None, Reason.DESTROY).action is Action.DELETE
    assert GROUP_CONFIG.delete(live(values={"a": "1"}), None, Reason.DESTROY).action is Action.NOOP


def test_undo_restores_the_exact_values_and_deletes_keys_that_were_absent():
    step = AlterGroupConfigs((GroupConfigChange("b", "consumer.session.timeout.ms", "45001", "50000"),
                              GroupConfigChange("b", "consumer.heartbeat.interval.ms", None, "6000"),
                              GroupConfigChange("a", "share.delivery.count.limit", "3", None)))
    assert step.by_entity() == [("a", {"share.delivery.count.limit": None}),
                                      ("b", {"consumer.session.timeout.ms": "50000",
                                             "consumer.heartbeat.interval.ms": "6000"})]
    assert step.by_entity(undo=True) == [("a", {"share.delivery.count.limit": "3"}),
                                                 ("b", {"consumer.session.timeout.ms": "45001",
                                                        "consumer.heartbeat.interval.ms": None})]
    assert AlterGroupConfigs.from_json(step.to_json()) == step


def _live(**groups):
    return live_state_from_dict({"cluster_id": "c", "broker_count": 1, "group_configs": groups})


def test_an_apply_and_its_rollback_leave_the_groups_exactly_as_before():
    doc = {"payments": {"values": {"consumer.session.timeout.ms": "45001"}, "owned": ["consumer.session.timeout.ms"]}}
    state = _live(**doc)
    plan = make_plan(stack(spec("payments", consumer_session_timeout_ms="50000"),
                           spec("orders", consumer_heartbeat_interval_ms="6000")), state)
    (planned,) = AlterGroupConfigs.build(plan, stack(), state)
    w = FakeWriter()
    w.group_configs = {"payments": {"consumer.session.timeout.ms": "45001"}}
    result, _ = run(w, [planned.step])
    assert result.status == RunStatus.COMPLETE and w.calls == ["alter_group_configs"]
    assert w.group_configs == {"orders": {"consumer.heartbeat.interval.ms": "6000"},
                               "payments": {"consumer.session.timeout.ms": "50000"}}
    result, _ = run(w, [planned.step, planned.step], fail_at=1)  # the second fails: both undone
    assert result.status == RunStatus.ROLLED_BACK
    assert w.group_configs == {"payments": {"consumer.session.timeout.ms": "45001"}}


def test_a_cluster_without_group_configs_is_one_located_error_and_nothing_planned():
    state = live_state_from_dict({"cluster_id": "c", "broker_count": 1, "group_config_problem": "unsupported"})
    first = KeysSpec("orders", freeze({"consumer.session.timeout.ms": "60000"}), origin=None)
    plan = make_plan(stack(first, spec("zeta", consumer_session_timeout_ms="1")), state)
    (err,) = [d for d in plan.diagnostics if d.is_error]
    assert err.code == "group_configs-unavailable" and err.address == "group_config.orders"
    assert "need Kafka 4.1 or newer" in err.message
    assert not [c for c in plan.changes if c.type.value == "group_config"]


def test_the_section_refuses_a_nameless_group_a_group_declared_twice_and_a_non_scalar(tmp_path):
    from kplan.stackfile import load_stack

    path = tmp_path / "stack.yaml"
    path.write_text("stack: s\ncluster: {bootstrap_servers: 'b:1'}\ngroup_configs:\n"
                    "  - group: a\n    configs: {consumer.session.timeout.ms: 60000}\n"
                    "  - group: a\n    configs: {consumer.heartbeat.interval.ms: 6000}\n"
                    "  - group: ''\n    configs: {}\n"
                    "  - group: b\n    configs: {consumer.session.timeout.ms: [1]}\n")
    with pytest.raises(Exception) as e:
        load_stack(path)
    text = str(e.value)
    assert "stack.yaml:6" in text and "declared" in text
    assert "stack.yaml:8" in text
    assert "stack.yaml:11" in text


def test_the_read_keeps_only_the_groups_own_values():
    from kplan.kinds.dynamic_config.io import group as io

    config = SimpleNamespace
    response = SimpleNamespace(results=[SimpleNamespace(error_code=0, resource_name="g", configs=[
        config(name="consumer.session.timeout.ms", value="50000", config_source=io.GROUP_CONFIG),
        config(name="consumer.heartbeat.interval.ms", value="5000", config_source=5)])])
    client = SimpleNamespace(send=lambda request, node=None: response)
    assert io.describe_groups(client, ["g"]) == {"g": {"consumer.session.timeout.ms": "50000"}}  # type: ignore


def _levels_client(levels):
    """A stand-in for kplan's Kafka client that answers only the finalized feature levels."""

    class Client:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

        def finalized_levels(self):
            return levels

    return Client


def test_the_validation_says_what_the_brokers_refuse_at_the_entry(monkeypatch):
    from kplan.kinds.dynamic_config.io import group as io

    sent = []

    Client = _levels_client({"group.version": 1})
    def alter(client, resource_type, changes, validate_only):
        sent.append((changes, validate_only))
        return {"orders": ("INVALID_CONFIG", "consumer.session.timeout.ms must be greater than or equal to "
                                             "group.consumer.min.session.timeout.ms")}

    monkeypatch.setattr(io, "open_client", lambda cluster, secrets: Client())
    monkeypatch.setattr(io.configs, "altered", alter)
    plan = make_plan(stack(spec("orders", consumer_session_timeout_ms="5")), _live())
    (d,) = io.validate(ClusterSpec("b:1"), None, plan)  # type: ignore[arg-type]
    assert sent == [({"orders": {"consumer.session.timeout.ms": "5"}}, True)]
    assert d.code == "group-config-invalid" and d.address == "group_config.orders"
    assert "refuse the configs of group orders: consumer.session.timeout.ms must be" in d.message


def test_a_key_of_a_group_type_whose_feature_is_off_is_refused_unless_the_plan_turns_it_on(monkeypatch):
    """consumer.* acts only on KIP-848 consumer groups (group.version), share.* on share groups (share.version): one
    error per group and feature off, at the entry; a plan finalizing the feature first plans against its level."""
    from kplan.kinds.dynamic_config.io import group as io
    from kplan.model.plan import ResourceChange, ResourceType

    Client = _levels_client({"share.version": 1})
    monkeypatch.setattr(io, "open_client", lambda cluster, secrets: Client())
    monkeypatch.setattr(io.configs, "altered", lambda *args, **kwargs: {})
    plan = make_plan(stack(spec("orders", consumer_session_timeout_ms="50000", share_auto_offset_reset="earliest"),
                           spec("jobs", share_record_lock_duration_ms="30000")), _live())
    (d,) = io.validate(ClusterSpec("b:1"), None, plan)  # type: ignore[arg-type]
    assert d.code == "group-config-feature-off" and d.address == "group_config.orders"
    assert d.message.startswith("group orders: consumer.session.timeout.ms act(s) only on KIP-848 consumer groups, "
                                "which need feature group.version at 1 or above (it is 0 on the cluster): declare it")
    feature = ResourceChange("feature.group.version", ResourceType.FEATURE, "group.version", Action.UPDATE,
                             before={"name": "group.version", "level": 0}, after={"name": "group.version", "level": 1})
    assert io.validate(ClusterSpec("b:1"), None, dataclasses.replace(plan, changes=(*plan.changes, feature))) == []  # type: ignore[arg-type]


def test_import_writes_each_group_with_configs_selected_by_name():
    state = _live(**{"team-a.orders": {"values": {"consumer.session.timeout.ms": "50000"}},
                     "other": {"values": {"share.auto.offset.reset": "earliest"}}})
    imported = build_import(state, ImportOptions("s", prefixes=("team-a.",)))
    assert imported.kinds["group_configs"] == ({"group": "team-a.orders",
                                                "configs": {"consumer.session.timeout.ms": "50000"}},)


def test_a_loop_declares_one_group_each_and_the_editor_schema_takes_the_entry(tmp_path):
    import jsonschema
    import yaml

    from kplan.stackfile import load_stack
    from kplan.stackfile.schema import load_schema

    text = ("stack: s\ncluster: {bootstrap_servers: 'b:1'}\ngroup_configs:\n"
            "  - for_each: [a, b]\n    group: 'team.${each.value}'\n    authoritative: true\n"
            "    configs: {consumer.session.timeout.ms: 50000, share.renew.acknowledge.enable: false}\n"
            "    owner: team-x\n")
    path = tmp_path / "stack.yaml"
    path.write_text(text)
    specs = load_stack(path).of("group_configs")
    assert [(s.entity, dict(s.values), s.authoritative) for s in specs] == [
        (g, {"consumer.session.timeout.ms": "50000", "share.renew.acknowledge.enable": "false"}, True)
        for g in ("team.a", "team.b")]
    editor = jsonschema.Draft202012Validator(load_schema())
    assert [e.message for e in editor.iter_errors(yaml.safe_load(text))] == []
    bad = yaml.safe_load(text.replace("configs:", "config:"))
    assert [e.json_path for e in editor.iter_errors(bad)]
