"""The broker-config kind's pure parts: refusals (dangerous, password, read-only, unknown keys), the diff against
the dynamic values only, exact before-values for undo, authoritative deletions, the read's answer from a broker's
synonyms, and import."""

from __future__ import annotations

from builders import live_state

from kplan.importer.build import ImportOptions, build_import
from kplan.kinds.dynamic_config.io.broker import entities
from kplan.kinds.dynamic_config.kind import BROKER_CONFIG, BrokerConfigPlanned
from kplan.kinds.dynamic_config.model import KeysSpec, LiveBrokerConfig, danger_of, secret_key
from kplan.model.desired import freeze
from kplan.model.plan import Action, AttrKind, NoteKind, Severity


def spec(broker="<default>", authoritative=False, allow=(), **configs):
    return KeysSpec(broker, freeze({k.replace("_", "."): v for k, v in configs.items()}), authoritative,
                            frozenset(allow))


def live(broker="<default>", values=None, owned=(), static=None, read_only=(), known=None):
    return LiveBrokerConfig(broker, freeze(values or {}), frozenset(owned), freeze(static or {}),
                            frozenset(read_only), None if known is None else frozenset(known))


def test_the_closed_list_of_dangerous_settings_and_passwords():
    for key in ("listeners", "advertised.listeners", "listener.security.protocol.map", "log.dirs", "super.users",
                "authorizer.class.name", "ssl.keystore.location", "sasl.enabled.mechanisms",
                "listener.name.internal.ssl.client.auth", "security.inter.broker.protocol"):
        assert danger_of(key), key
    for key in ("log.retention.ms", "log.cleaner.threads", "message.max.bytes", "min.insync.replicas"):
        assert danger_of(key) is None, key
    assert secret_key("ssl.keystore.password") and secret_key("listener.name.x.scram-sha-256.sasl.jaas.config")
    assert not secret_key("log.retention.ms")


def test_a_dangerous_key_is_refused_unless_allowed_and_named_in_the_message():
    change, diags = BROKER_CONFIG.plan(spec("1", listeners="PLAINTEXT://:1", log_cleaner_threads="2"), live("1"), None)
    (err,) = [d for d in diags if d.severity is Severity.ERROR]
    assert err.code == "broker-config-dangerous" and "listeners" in err.message
    assert "allow_dangerous: [listeners]" in err.message
    assert [k for k, _, _ in change.planned.values] == ["log.cleaner.threads"]  # the refused key is not planned
    change, diags = BROKER_CONFIG.plan(spec("1", allow=("listeners",), listeners="PLAINTEXT://:1"), live("1"), None)
    assert not [d for d in diags if d.is_error] and change.planned.values == (("listeners", None, "PLAINTEXT://:1"),)


def test_read_only_unknown_and_password_keys_are_one_error_each():
    current = live("1", read_only={"broker.id"}, known={"broker.id", "log.cleaner.threads"})
    _, diags = BROKER_CONFIG.plan(spec("1", broker_id="3", log_cleaner_thread="2", ssl_key_password="x"), current, None)
    codes = sorted(d.code for d in diags if d.is_error)
    assert codes == ["broker-config-read-only", "broker-config-secret", "broker-config-unknown"]
    unknown = next(d for d in diags if d.code == "broker-config-unknown")
    assert 'did you mean "log.cleaner.threads"' in unknown.message


def test_the_diff_is_against_dynamic_values_a_static_value_is_said_not_drift():
    current = live(values={"log.retention.ms": "1", "min.insync.replicas": "1", "log.flush.interval.ms": "9"},
                   owned={"log.flush.interval.ms"}, static={"log.cleaner.threads": {"1": "1", "2": "1"}})
    change, diags = BROKER_CONFIG.plan(spec(log_retention_ms="2", log_cleaner_threads="2"), current, None)
    kinds = {a.path[0]: (a.kind, a.note) for a in change.attributes}
    assert kinds == {"log.cleaner.threads": (AttrKind.ADD, NoteKind.BROKER_CONFIG_OVERRIDES_STATIC),
                     "log.retention.ms": (AttrKind.UPDATE, None),
                     "log.flush.interval.ms": (AttrKind.REMOVE, NoteKind.BROKER_CONFIG_NO_LONGER_DECLARED),
                     "min.insync.replicas": (AttrKind.DRIFT, NoteKind.BROKER_CONFIG_LEFT_ALONE)}
    assert any("overrides the static server.properties value 1 (on brokers 1, 2)" in d.message for d in diags)
    # undo's exact before-values: absent keys as None, so they are deleted again
    assert change.planned == BrokerConfigPlanned("<default>", (
        ("log.cleaner.threads", None, "2"), ("log.retention.ms", "1", "2"), ("log.flush.interval.ms", "9", None)))


def test_authoritative_deletes_undeclared_dynamic_keys_but_not_dangerous_ones():
    current = live("2", values={"log.cleaner.backoff.ms": "1", "max.connections": "10"})
    change, diags = BROKER_CONFIG.plan(spec("2", authoritative=True, log_retention_ms="5"), current, None)
    assert change.action is Action.UPDATE
    assert ("log.cleaner.backoff.ms", "1", None) in change.planned.values
    assert all(k != "max.connections" for k, _, _ in change.planned.values)
    kept = next(d for d in diags if d.code == "broker-config-kept")
    assert "allow_dangerous: [max.connections]" in kept.message


def test_a_broker_not_in_the_cluster_is_an_error_and_nothing_else_changes():
    change, diags = BROKER_CONFIG.plan(spec("7", log_retention_ms="5"), None, None)
    assert [d.code for d in diags if d.is_error] == ["broker-config-no-such-broker"]


def test_the_read_takes_each_level_from_the_synonyms_of_the_same_name():
    def entry(name, synonyms, read_only=False, sensitive=False):
        return {"name": name, "read_only": read_only, "is_sensitive": sensitive,
                "synonyms": [{"name": n, "value": v, "source": s} for n, v, s in synonyms]}

    found = entities({1: [entry("log.cleaner.threads", [("log.cleaner.threads", "3", 2), ("log.cleaner.threads",
                                                                                           "2", 3)]),
                          entry("log.retention.ms", [("log.retention.hours", "168", 4)]),
                          entry("broker.id", [("broker.id", "1", 4)], read_only=True)],
                      2: [entry("log.cleaner.threads", [("log.cleaner.threads", "2", 3), ("log.cleaner.threads",
                                                                                           "1", 4)])]})
    assert found["<default>"]["values"] == {"log.cleaner.threads": "2"}
    assert found["1"]["values"] == {"log.cleaner.threads": "3"} and found["2"]["values"] == {}
    assert found["2"]["static"] == {"log.cleaner.threads": {"2": "1"}}
    assert found["<default>"]["static"] == {"log.cleaner.threads": {"2": "1"}, "broker.id": {"1": "1"}}
    assert found["1"]["read_only"] == ["broker.id"] and "log.retention.ms" in found["<default>"]["known"]


def test_import_writes_dynamic_values_selected_by_entity_name():
    state = live_state("c", 3, {}, {}, broker_configs={
        "<default>": live(values={"min.insync.replicas": "1"}), "1": live("1"),
        "2": live("2", values={"log.cleaner.threads": "2", "ssl.key.password": None})})
    imported = build_import(state, ImportOptions("s"))
    assert imported.kinds["broker_configs"] == ({"broker": "<default>", "configs": {"min.insync.replicas": "1"}},
                                                {"broker": 2, "configs": {"log.cleaner.threads": "2"}})
    assert any("ssl.key.password left out" in n for n in imported.notes)
    assert build_import(state, ImportOptions("s", prefixes=("team-",))).kinds["broker_configs"] == ()
