"""Client quotas: the stack values, the per-key plan rules, the step's undo, and the settings of kplan's own Kafka
client (which quotas go through)."""

from __future__ import annotations

import pytest

from kplan.errors import KplanError
from kplan.kinds.dynamic_config.kind import QUOTA
from kplan.kinds.dynamic_config.model import KeysSpec, LiveQuota, QuotaEntity
from kplan.kinds.dynamic_config.section import QUOTAS
from kplan.kinds.dynamic_config.steps import AlterQuotas
from kplan.kinds.dynamic_config.steps import KeyChange as QuotaChange
from kplan.kinds.shape_schema import stack_part
from kplan.model.desired import ClusterSpec, freeze
from kplan.model.diagnostics import Diagnostics
from kplan.model.plan import Action, AttrKind, Flag, Reason
from kplan.model.source import Loc, SourceMap
from kplan.rules.units import UnitError
from kplan.secrets import SecretValues
from kplan.transport.wire.client import open_client

APP = QuotaEntity("app")


def test_values_take_human_units_and_refuse_nonsense():
    assert QUOTAS["producer_byte_rate"].read("1MiB") == 1048576.0
    assert QUOTAS["consumer_byte_rate"].read(2048) == 2048.0
    assert QUOTAS["request_percentage"].read(12.5) == 12.5
    for key, bad in (("producer_byte_rate", "1MB"), ("producer_byte_rate", 0), ("request_percentage", "lots"),
                     ("request_percentage", True), ("request_percentage", -1)):
        with pytest.raises(UnitError):
            QUOTAS[key].read(bad)


def test_entity_names():
    assert APP.name == "user=app"
    assert QuotaEntity(None, "web").name == "client-id=web"
    assert QuotaEntity("<default>", "web").name == "user=<default>,client-id=web"
    assert QUOTAS.shown(1048576.0) == 1048576 and QUOTAS.shown(12.5) == "12.5"


def test_adopting_a_hand_set_entity_updates_declared_keys_and_leaves_the_others():
    spec = KeysSpec(APP, freeze({"producer_byte_rate": 100.0}))
    live = LiveQuota(APP, freeze({"producer_byte_rate": 50.0, "request_percentage": 10.0}))
    change = QUOTA.change(spec, live)
    assert change.action == Action.UPDATE
    assert [(a.path, a.kind, a.before, a.after) for a in change.attributes] == [
        (("producer_byte_rate",), AttrKind.UPDATE, 50, 100),
        (("request_percentage",), AttrKind.DRIFT, 10, None)]
    assert Flag.ADOPT in change.flags and Flag.DRIFT in change.flags


def test_a_key_kplan_set_and_no_longer_declared_is_removed():
    spec = KeysSpec(APP, freeze({"producer_byte_rate": 100.0}))
    live = LiveQuota(APP, freeze({"producer_byte_rate": 100.0, "request_percentage": 10.0}),
                     frozenset({"producer_byte_rate", "request_percentage"}))
    change = QUOTA.change(spec, live)
    assert [(a.path, a.kind) for a in change.attributes] == [(("request_percentage",), AttrKind.REMOVE)]
    assert change.action == Action.UPDATE and Flag.ADOPT not in change.flags


def test_deleting_removes_only_the_keys_kplan_set():
    live = LiveQuota(APP, freeze({"producer_byte_rate": 100.0, "request_percentage": 10.0}),
                     frozenset({"producer_byte_rate"}))
    change = QUOTA.delete(live, None, Reason.DESTROY)
    assert change.action == Action.UPDATE and change.after == {"entity": {"user": "app"},
                                                               "values": {"request_percentage": 10}}
    assert QUOTA.delete(LiveQuota(APP, freeze({"a": 1.0}), frozenset({"a"})), None,
                        Reason.DESTROY).action == Action.DELETE
    assert QUOTA.delete(LiveQuota(APP, freeze({"a": 1.0})), None, Reason.DESTROY).action == Action.NOOP


def test_undo_restores_the_exact_values_and_removes_keys_that_were_absent():
    step = AlterQuotas((QuotaChange(APP, "producer_byte_rate", 50.0, 100.0),
                        QuotaChange(APP, "request_percentage", None, 10.0),
                        QuotaChange(QuotaEntity(None, "web"), "consumer_byte_rate", 3.5, None)))
    assert step.by_entity() == [(QuotaEntity(None, "web"), {"consumer_byte_rate": None}),
                                       (APP, {"producer_byte_rate": 100.0, "request_percentage": 10.0})]
    assert step.by_entity(undo=True) == [(QuotaEntity(None, "web"), {"consumer_byte_rate": 3.5}),
                                                  (APP, {"producer_byte_rate": 50.0, "request_percentage": None})]
    assert AlterQuotas.from_json(step.to_json()) == step


def test_kplans_own_client_takes_the_librdkafka_properties_of_the_stack():
    """Quotas go through kplan's own Kafka client, built from the same cluster.client as librdkafka's clients."""
    cluster = ClusterSpec("a:1,b:2", client_properties=freeze({
        "security.protocol": "sasl_ssl", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "kplan",
        "sasl.password": "${secret:env:PW}", "ssl.ca.location": "/ca.pem",
        "ssl.endpoint.identification.algorithm": "none"}), timeout_s=7)
    s = open_client(cluster, SecretValues({"${secret:env:PW}": "s3cret"})).settings
    assert s.servers == (("a", 1), ("b", 2))
    assert (s.tls, s.mechanism, s.user, s.password, s.ca, s.check_hostname, s.timeout_s) == (
        True, "SCRAM-SHA-512", "kplan", "s3cret", "/ca.pem", False, 7)


def test_a_property_kplans_own_client_cannot_take_is_one_line_naming_it_never_its_value():
    cluster = ClusterSpec("a:1", client_properties=freeze({"sasl.oauthbearer.config": "secret-value-xyz"}))
    with pytest.raises(KplanError) as e:
        open_client(cluster)
    assert "'sasl.oauthbearer.config'" in str(e.value) and "secret-value-xyz" not in str(e.value)
    assert "\n" not in str(e.value)


def test_a_new_quota_key_is_one_row_of_its_table():
    """What docs/architecture.md's "Adding a key" shows: KIP-599's controller_mutation_rate, one row of the quotas'
    table; its schema, the reading of an entry with its error, the message naming the quota keys and the import
    entry follow (the io writes and reads any key of an entity by name)."""
    rate = QUOTAS["controller_mutation_rate"]
    entry = stack_part(QUOTAS)["$defs"]["quota"]["properties"]["controller_mutation_rate"]
    assert entry == {"type": ["number", "string"], "description": rate.description, "examples": [10]}
    diags = Diagnostics()
    (spec,) = QUOTAS.build([({"user": "app", "controller_mutation_rate": "2.5"}, Loc("s.yaml", 1, 3))],
                           SourceMap(), diags)
    assert spec.values == {"controller_mutation_rate": 2.5} and not diags.items
    QUOTAS.build([({"user": "app"}, Loc("s.yaml", 1, 3)), ({"user": "b", "controller_mutation_rate": 0},
                                                            Loc("s.yaml", 2, 3))], SourceMap(), diags)
    assert [d.message.split(": ")[-1] for d in diags.items] == [
        "set producer_byte_rate, consumer_byte_rate, request_percentage or controller_mutation_rate",
        "controller_mutation_rate must be a mutation rate above 0 (remove the key to lift the quota)"]
    assert QUOTAS.import_entry(APP, {"controller_mutation_rate": 5.0}) == {"user": "app",
                                                                            "controller_mutation_rate": 5}
