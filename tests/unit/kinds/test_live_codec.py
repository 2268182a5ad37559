"""The live-state document's format, as the generated readers read it (kplan.kinds.live_codec; issue 42): every
kind's keys, the format's own defaults and derived values, null read as empty, and a malformed document named as
such. The readers replaced hand-written ones (bench/live_hand_written.py); these cases pin what those read, so a
change to a dataclass cannot silently change what a live-state file means."""

from __future__ import annotations

import re
import subprocess
import sys
from types import MappingProxyType

import pytest

from kplan.errors import KplanError
from kplan.kinds.acl.live import LiveAcls
from kplan.kinds.connector.live import facts_of
from kplan.kinds.dynamic_config.model import LiveBrokerConfig, LiveQuota, QuotaEntity
from kplan.kinds.group_request.live import LiveGroup, group_of
from kplan.kinds.livejson import live_state_from_dict
from kplan.kinds.streams_app.live import LiveStreamsApp
from kplan.kinds.subject.live import LiveSubject
from kplan.kinds.subject.model import SchemaReference
from kplan.kinds.subject.schemas import schema_digest
from kplan.kinds.user.live import LiveUser
from kplan.model.bindings import AclBinding
from kplan.model.desired import freeze
from kplan.model.live import KindState, LiveConnector, LiveTask, LiveTopic, Problem
from kplan.model.metadata import Meta
from kplan.model.offsets import LiveOffsets
from kplan.model.plan import ResourceType as R


def _slice(doc, kind):
    return live_state_from_dict(doc).of(kind)


def test_the_states_own_keys_and_their_defaults():
    live = live_state_from_dict({
        "cluster_id": "c9", "broker_count": "3", "connector_plugins": ["A"], "connect_version": "3.9.2",
        "connect_versions": {"b": "3.8.0"}, "all_topic_names": ["x"], "unfinished_run": "run r1 started",
        "locked": True, "foreign_owners": {"topic.z": "other"}, "broker_racks": {"2": None, "1": "r1"},
        "registry_level": "FULL", "connect_problems": {"b": "down"},
        "metadata": {"topic.x": {"owner": "t", "labels": {"tier": "gold"}}}})
    assert (live.cluster_id, live.broker_count, facts_of(live).plugins, live.all_topic_names) == (
        "c9", 3, frozenset({"A"}), frozenset({"x"}))
    assert facts_of(live).versions == {"default": "3.9.2", "b": "3.8.0"}  # the connectors' slice's facts
    assert (live.unfinished_run, live.locked, live.registry_level) == ("run r1 started", True, "FULL")
    assert live.foreign_owners == {"topic.z": "other"} and facts_of(live).problems == {"b": "down"}
    assert live.broker_racks == {1: "r1", 2: None} and isinstance(live.broker_racks, MappingProxyType)
    assert live.metadata == {"topic.x": Meta("t", None, MappingProxyType({"tier": "gold"}))}
    empty = live_state_from_dict({"unfinished_run": "", "registry_level": "", "connector_plugins": None,
                                  "foreign_owners": None, "broker_racks": None, "metadata": None})
    assert (empty.cluster_id, empty.broker_count, empty.unfinished_run, empty.registry_level) == ("", 1, None, None)
    # a document that does not list the cluster's topic names lists those it describes (here none)
    assert (facts_of(empty).plugins, empty.all_topic_names, empty.consumers) == (None, frozenset(), None)
    assert live_state_from_dict({"topics": {"a": {"partitions": 1, "replication_factor": 1}},
                                 "all_topic_names": None}).all_topic_names == {"a"}
    assert live_state_from_dict({"topics": {}, "all_topic_names": ["a", "b"]}).all_topic_names == {"a", "b"}
    assert facts_of(empty).versions == {} and facts_of(empty).plugin_versions == {}
    assert empty.foreign_owners == {} and empty.broker_racks == {} and empty.metadata == {}


def test_topics_keep_their_config_values_as_written_and_overrides_win_over_effective():
    topics = _slice({"topics": {
        "b": {"partitions": "3", "replication_factor": 2, "overrides": {"retention.ms": 100},
              "effective": {"retention.ms": "1", "min.insync.replicas": "2"}, "sensitive_keys": ["p"],
              "assignment": [[1, 2], ["2", 3]]},
        "a": {"partitions": 1, "replication_factor": 1, "overrides": None, "sensitive_keys": None}},
        "owned_topics": ["b", "gone"], "protected_topics": None}, R.TOPIC)
    assert topics == KindState(freeze({
        "a": LiveTopic("a", 1, 1),
        "b": LiveTopic("b", 3, 2, freeze({"retention.ms": 100}),
                       freeze({"min.insync.replicas": "2", "retention.ms": 100}), frozenset({"p"}), ((1, 2), (2, 3)))}),
        frozenset({"b", "gone"}))
    assert list(topics.resources) == ["a", "b"]


def test_a_connector_is_keyed_on_its_connect_and_its_config_names_it():
    connectors = _slice({"connectors": {
        "s": {"config": {"connector.class": "C", "tasks.max": 1}, "state": "RUNNING", "type": "sink", "trace": "t",
              "sensitive_keys": ["k"], "tasks": [{"id": "0", "state": "RUNNING", "worker_id": "w"}, {"id": 1,
                                                                                                  "state": "FAILED"}]},
        "b/t": {"config": {"name": "own"}}}, "owned_connectors": ["s"], "protected_connectors": ["s"]}, R.CONNECTOR)
    assert connectors == KindState(freeze({
        "b/t": LiveConnector("b/t", freeze({"name": "own"}), connect="b"),
        "s": LiveConnector("s", freeze({"connector.class": "C", "name": "s", "tasks.max": "1"}), "RUNNING",
                           (LiveTask(0, "RUNNING", "w"), LiveTask(1, "FAILED")), "sink", "t", frozenset({"k"}))}),
        frozenset({"s"}), frozenset({"s"}))


def test_acls_default_their_pattern_and_principals_with_bindings_kplan_created_are_owned():
    acls = _slice({"acls": {"User:a": {"bindings": [{"resource": "topic", "name": "o", "operation": "READ"}],
                                       "owned": ["topic|literal|o|READ|ALLOW|*"]},
                            "User:b": {"bindings": None}}, "acl_problem": "not-authorized-alter"}, R.ACL)
    binding = AclBinding("topic", "literal", "o", "READ")
    assert acls == KindState(freeze({"User:a": LiveAcls("User:a", frozenset({binding}),
                                                        frozenset({binding.key})), "User:b": LiveAcls("User:b")}),
                             frozenset({"User:a"}), problem=Problem.NOT_AUTHORIZED_ALTER)


def test_broker_configs_by_entity():
    configs = _slice({"broker_configs": {
        "<default>": {"values": {"log.cleaner.threads": 2, "secret": None}, "owned": ["log.cleaner.threads"],
                      "static": {"log.retention.hours": {"1": 168}}},
        "1": {"read_only": ["broker.id"], "known": ["log.cleaner.threads"]}},
        "broker_config_problem": "not-authorized"}, R.BROKER_CONFIG)
    assert configs == KindState(freeze({
        "<default>": LiveBrokerConfig("<default>", freeze({"log.cleaner.threads": "2", "secret": None}),
                                      frozenset({"log.cleaner.threads"}),
                                      freeze({"log.retention.hours": freeze({"1": "168"})})),
        "1": LiveBrokerConfig("1", read_only=frozenset({"broker.id"}), known=frozenset({"log.cleaner.threads"}))}),
        frozenset({"<default>"}), problem=Problem.NOT_AUTHORIZED)


def test_a_consumer_group_gets_its_token_and_a_group_the_cluster_lacks_is_dead():
    groups = _slice({"group_tokens": {"g1": "t1", "g3": 5}, "consumer_groups": {
        "g1": {"state": "Empty", "members": 0, "committed": [{"topic": "o", "partition": 1, "offset": 4},
                                                             ["o", "0", 2]],
               "targets": [{"topic": "o", "partition": 0, "offset": 0}], "at_ms": "12", "missing_topics": ["z", "a"],
               "partitions": {"o": 2, "b": "1"}},
        "g2": {"state": None, "committed": None}}}, R.CONSUMER_GROUP)
    assert groups == KindState(freeze({
        "g1": LiveGroup("g1", "t1", "Empty", 0, (("o", 0, 2), ("o", 1, 4)), (("o", 0, 0),), 12, ("a", "z"),
                        (("b", 1), ("o", 2))),
        "g2": LiveGroup("g2", None, "Dead")}), records=freeze({"g1": "t1", "g3": "5"}))
    # the follow-up read's answer is read the same way
    assert group_of("g", "t", {"state": "Stable", "members": "2"}) == LiveGroup("g", "t", "Stable", 2)


def test_connector_offsets_exist_unless_they_say_not_and_are_kept_canonical_and_sorted():
    offsets = _slice({"offset_tokens": {"sink": "t1"}, "connector_offsets": {
        "sink": {"token": "old", "exists": False, "type": "sink", "offsets": [
            {"partition": {"kafka_topic": "o", "kafka_partition": 1}, "offset": {"kafka_offset": 2}},
            {"offset": {"kafka_offset": 1}, "partition": {"kafka_topic": "a", "kafka_partition": 0}}]},
        "src": {"token": None}}}, R.OFFSETS)
    assert offsets == KindState(freeze({
        "sink": LiveOffsets("sink", "old", False, (
            '{"offset":{"kafka_offset":1},"partition":{"kafka_partition":0,"kafka_topic":"a"}}',
            '{"offset":{"kafka_offset":2},"partition":{"kafka_partition":1,"kafka_topic":"o"}}'), "sink"),
        "src": LiveOffsets("src", None, True)}), records=freeze({"sink": "t1"}))


def test_quotas_are_named_by_their_entity_not_by_the_documents_keys():
    quotas = _slice({"quotas": {"x": {"user": "app", "values": {"producer_byte_rate": 1048576},
                                      "owned": ["producer_byte_rate"]},
                                "y": {"client_id": "web", "values": {"request_percentage": "50.5"}}},
                     "quota_problem": "not-authorized"}, R.QUOTA)
    assert quotas == KindState(freeze({
        "user=app": LiveQuota(QuotaEntity("app"), freeze({"producer_byte_rate": 1048576.0}),
                              frozenset({"producer_byte_rate"})),
        "client-id=web": LiveQuota(QuotaEntity(None, "web"), freeze({"request_percentage": 50.5}))}),
        frozenset({"user=app"}), problem=Problem.NOT_AUTHORIZED)


def test_a_streams_apps_bindings_carry_their_principal():
    apps = _slice({"streams_apps": {"app": {
        "bindings": [{"principal": "User:x", "resource": "topic", "name": "o", "operation": "READ"}],
        "owned": ["User:x|topic|literal|o|READ|ALLOW|*"], "internal_topics": ["app-b", "app-a"], "read": False}},
        "acl_problem": "security-disabled"}, R.STREAMS_APP)
    assert apps == KindState(freeze({"app": LiveStreamsApp(
        "app", frozenset({("User:x", AclBinding("topic", "literal", "o", "READ"))}),
        frozenset({"User:x|topic|literal|o|READ|ALLOW|*"}), ("app-a", "app-b"))}), frozenset({"app"}),
        problem=Problem.SECURITY_DISABLED)


def test_subjects_defaults_and_latest_records_the_live_latest_digest():
    doc = {"subjects": {
        "s": {"version": "2", "schema": '{"type":"string"}', "references": [{"name": "x.A", "subject": "a",
                                                                               "version": "1"}],
              "id": "7", "versions": [1, "2"], "compatibility": "", "effective_compatibility": "BACKWARD",
              "declared_version": "1"},
        "t": {"version": 1, "schema": "syntax = \"proto3\";", "schema_type": "PROTOBUF", "compatibility": "FULL"}},
        "owned_subjects": {"s": "latest", "t": "abc", "gone": "latest"}, "subject_problem": "no answer at all"}
    subjects = _slice(doc, R.SUBJECT)
    s = LiveSubject("s", 2, '{"type":"string"}', "AVRO", (SchemaReference("x.A", "a", 1),), 7, (1, 2), None,
                    "BACKWARD", 1)
    t = LiveSubject("t", 1, "syntax = \"proto3\";", "PROTOBUF", versions=(1,), compatibility="FULL",
                    effective_compatibility="FULL")
    assert subjects == KindState(
        freeze({"s": s, "t": t}), frozenset({"s", "t", "gone"}), problem=Problem.UNREACHABLE,
        problem_detail="no answer at all",
        records=freeze({"s": schema_digest("AVRO", s.schema, s.references), "t": "abc", "gone": "latest"}))
    listed = _slice({**doc, "owned_subjects": ["t"], "subject_problem": "no-registry"}, R.SUBJECT)
    assert listed.records == {"t": schema_digest("PROTOBUF", t.schema, ())}
    assert (listed.problem, listed.problem_detail) == (Problem.NO_REGISTRY, None)


def test_users_tokens_come_from_the_record_and_a_list_of_names_has_none():
    doc = {"users": {"app": {"credentials": {"SCRAM-SHA-512": "4096"}}, "other": {}, "third": {}},
           "owned_users": {"app": "r1", "other": None, "gone": "x"}, "user_problem": "not-authorized"}
    assert _slice(doc, R.USER) == KindState(freeze({
        "app": LiveUser("app", frozenset({("SCRAM-SHA-512", 4096)}), "r1"), "other": LiveUser("other", rotation=""),
        "third": LiveUser("third")}), frozenset({"app", "other", "gone"}), problem=Problem.NOT_AUTHORIZED)
    assert _slice({**doc, "owned_users": ["app"]}, R.USER).resources["app"].rotation == ""


def test_null_reads_as_empty_and_an_empty_document_is_an_empty_state():
    keys = ("topics", "owned_topics", "connectors", "acls", "broker_configs", "consumer_groups", "group_tokens",
            "connector_offsets", "offset_tokens", "quotas", "streams_apps", "subjects", "owned_subjects", "users",
            "owned_users", "acl_problem", "subject_problem")
    assert live_state_from_dict(dict.fromkeys(keys)) == live_state_from_dict({})
    assert all(s == KindState() for s in live_state_from_dict({}).kinds.values())


@pytest.mark.parametrize("doc, error", [
    ({"acl_problem": "not-allowed"}, "ValueError: 'not-allowed' is not a valid Problem"),
    ({"topics": {"x": {"partitions": 1}}}, "KeyError: 'replication_factor'"),
    ({"topics": {"x": {"partitions": "many", "replication_factor": 1}}}, "ValueError: invalid literal for int()"),
    ({"quotas": {"q": {"values": {}}}}, "ValueError: a quota entity needs a user or a client_id"),
    ({"subjects": {"s": {"schema": "x"}}}, "KeyError: 'version'"),
    ({"subjects": {"s": {"version": 1, "schema": "x", "references": [{"name": "a", "subject": "b"}]}}},
     "KeyError: 'version'"),
    ({"connectors": {"c": {"tasks": [{"state": "RUNNING"}]}}}, "KeyError: 'id'"),
    ({"acls": {"User:a": {"bindings": [{"resource": "topic", "name": "o"}]}}}, "KeyError: 'operation'"),
    (["not", "a", "document"], "AttributeError: 'list' object has no attribute 'get'"),
])
def test_a_malformed_document_is_named_so(doc, error):
    with pytest.raises(KplanError, match="malformed live state: " + re.escape(error)):
        live_state_from_dict(doc)


def test_a_read_of_the_cluster_generates_nothing():
    """The readers are generated on a document's first read: the kinds' live modules, which the cluster's read
    uses, import no cattrs (~26 ms a command would pay for nothing)."""
    code = ("import sys\nfrom kplan.kinds import UNITS\nfrom kplan.kinds.topic.live import kind_state\n"
            "[u.kind_state for u in UNITS]\nkind_state({}, None, None)\nprint('cattrs' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
