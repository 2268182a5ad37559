"""Apply steps from a plan: the global order (by phase), batching, the journal codec, immutability, and that a
step never holds a secret (the unmasked values travel beside it, into the executor's memory only)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import replace
from pathlib import Path

import pytest
from builders import live_state

from kplan.apply.steps import Step, build
from kplan.apply.steps.ownership import RecordOwnership, ownership_after, ownership_of
from kplan.kinds.acl.live import LiveAcls
from kplan.kinds.acl.model import AclSpec
from kplan.kinds.acl.steps import CreateAcls, DeleteAcls
from kplan.kinds.connector.model import ConnectorSpec
from kplan.kinds.connector.steps import (
    ConnectorSecrets,
    DeleteConnector,
    PutConnector,
    RestartConnector,
    SnapshotSignal,
)
from kplan.kinds.dynamic_config.model import KeysSpec, LiveBrokerConfig, LiveQuota, QuotaEntity
from kplan.kinds.dynamic_config.steps import AlterBrokerConfigs, AlterQuotas
from kplan.kinds.dynamic_config.steps import KeyChange as BrokerConfigChange
from kplan.kinds.dynamic_config.steps import KeyChange as QuotaChange
from kplan.kinds.offsets.steps import AlterOffsets
from kplan.kinds.step import Phase, step_types
from kplan.kinds.subject.live import LiveSubject
from kplan.kinds.subject.model import SchemaReference, SubjectSpec
from kplan.kinds.subject.schemas import schema_digest
from kplan.kinds.subject.steps import DeleteSubjects
from kplan.kinds.topic.model import TopicSpec
from kplan.kinds.topic.steps import (
    AlterTopicConfigs,
    CreateTopics,
    DeleteTopics,
    IncreasePartitions,
    ReassignReplicas,
    ReplaceTopics,
)
from kplan.kinds.user.live import LiveUser
from kplan.kinds.user.model import UserSpec
from kplan.kinds.user.steps import AlterUsers, CreateUsers, Credential, DeleteUsers, Removal
from kplan.model.bindings import AclBinding
from kplan.model.cdc_cleanup import POSTGRES_CLASS, DbCleanup
from kplan.model.desired import ClusterSpec, ConnectorState, Stack, freeze
from kplan.model.live import LiveConnector, LiveTask, LiveTopic
from kplan.model.offsets import LiveOffsets, OffsetsSpec
from kplan.model.plan import ResourceType
from kplan.plan.planner import make_plan
from kplan.secrets import SecretValues, is_masked

SECRET = "plain-Secret-1"
OLD_SECRET = "old-Secret-3"


def topic(name, partitions=1, config=None, **kw) -> TopicSpec:
    return TopicSpec(name, partitions, 1, freeze(config or {}), **kw)


def ltopic(name, partitions=1, overrides=None) -> LiveTopic:
    return LiveTopic(name, partitions, 1, freeze(overrides or {}), freeze(overrides or {}))


def lconn(name, config, state="RUNNING", sensitive=()) -> LiveConnector:
    return LiveConnector(name, freeze({**config, "name": name}), state, sensitive_keys=frozenset(sensitive))


def everything():
    """A stack and a live state whose plan has every step type, several of each topic batch."""
    cdc = ConnectorSpec("cdc", freeze({"connector.class": "X", "table.include.list": "public.a,public.b",
                                       "topic.prefix": "p"}),
                        snapshot_new_tables=True, captured_tables=("public.a", "public.b"),
                        signal=freeze({"topic": "sig", "table_topic": "p.signals"}),
                        offsets=OffsetsSpec("resnap-1", reset=True))
    stack = Stack("s", None, ClusterSpec("b:1"), kinds={"topics": (
        topic("new1"), topic("new2"), topic("new3", config={"cleanup.policy": "compact"}),
        topic("cfg1", config={"retention.ms": "1000"}),
        topic("cfg2", config={"retention.ms": "2000", "remote.storage.enable": "true"}),
        topic("grow", partitions=3), topic("shrink", partitions=1, allow_replace=True),
        replace(topic("wider"), replication_factor=2),
    ), "connectors": (
        ConnectorSpec("new-conn", freeze({"connector.class": "X", "db.password": SECRET})),
        cdc,
        ConnectorSpec("failed", freeze({"connector.class": "Z"}), restart_failed=True),
    ),
        "acls": (AclSpec("User:app", (AclBinding("topic", "literal", "new1", "WRITE"),)),),
        "users": (UserSpec("u-new", "${secret:env:U_NEW}"), UserSpec("u-rot", "${secret:env:U_ROT}", rotation="2")),
        "quotas": (KeysSpec(QuotaEntity("app"), freeze({"producer_byte_rate": 1024.0})),),
        "broker_configs": (KeysSpec("<default>", freeze({"log.cleaner.threads": "2"})),)})
    live = live_state("c", 1, {
        "cfg1": ltopic("cfg1", overrides={"retention.ms": "5"}), "cfg2": ltopic("cfg2"), "grow": ltopic("grow"),
        "shrink": ltopic("shrink", partitions=4), "gone": ltopic("gone", overrides={"segment.ms": "9"}),
        "wider": replace(ltopic("wider"), assignment=((1,),)),
    }, {
        "cdc": lconn("cdc", {"connector.class": "X", "table.include.list": "public.a", "topic.prefix": "p"}),
        "old-conn": lconn("old-conn", {"connector.class": "Y", "x.password": OLD_SECRET}, sensitive={"x.password"}),
        "failed": replace(lconn("failed", {"connector.class": "Z"}), tasks=(LiveTask(0, "FAILED", trace="boom"),)),
    }, owned_topics=frozenset({"cfg1", "cfg2", "grow", "shrink", "gone", "wider"}),
        broker_racks={1: "a", 2: "b"},
        owned_connectors=frozenset({"cdc", "old-conn", "failed"}),
        acls={"User:old": LiveAcls("User:old", frozenset({OLD_ACL}), frozenset({OLD_ACL.key}))},
        owned_acls=frozenset({"User:old"}),
        users={"u-rot": LiveUser("u-rot", frozenset({("SCRAM-SHA-512", 4096)}), "1"),
               "u-old": LiveUser("u-old", frozenset({("SCRAM-SHA-256", 8192)}), "")},
        owned_users=frozenset({"u-rot", "u-old"}),
        quotas={"user=app": LiveQuota(QuotaEntity("app"),
                                      freeze({"producer_byte_rate": 10.0, "request_percentage": 5.0}),
                                      frozenset({"request_percentage"}))},
        owned_quotas=frozenset({"user=app"}),
        broker_configs={"<default>": LiveBrokerConfig("<default>", freeze({"log.cleaner.threads": "1",
                                                                            "log.flush.interval.ms": "9"}),
                                                      frozenset({"log.flush.interval.ms"}))},
        owned_broker_configs=frozenset({"<default>"}),
        connector_offsets={"cdc": LiveOffsets("cdc", None, True, ('{"offset":{"lsn":5},"partition":{"server":"p"}}',),
                                              "source")})
    return stack, live, make_plan(stack, live, secrets=USER_SECRETS)


V1 = '{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}'
V2 = '{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"n","type":"int","default":0}]}'


def subjects_plan():
    """Subjects: one evolved (new version + a level), one new that references it, one owned and removed, one that
    matches (adopted: recorded, no step)."""
    stack = Stack("s", None, ClusterSpec("b:1", schema_registry_url="http://r"), kinds={"subjects": (
        SubjectSpec("orders-value", V2, compatibility="FULL"),
        SubjectSpec("a-new", '{"type":"record","name":"N","fields":[{"name":"o","type":"Order"}]}',
                    references=(SchemaReference("Order", "orders-value"),)),
        SubjectSpec("same", V1))})
    live = live_state("c", 1, {}, {}, subjects={
        "orders-value": LiveSubject("orders-value", 3, V1, versions=(1, 3), compatibility=None,
                                    effective_compatibility="BACKWARD"),
        "old": LiveSubject("old", 1, V1), "same": LiveSubject("same", 2, V1)},
        owned_subjects=frozenset({"orders-value", "old"}),
        subject_records={"orders-value": schema_digest("AVRO", V1, ()), "old": "sha256:x"})
    return stack, live, make_plan(stack, live)


def test_subject_steps_register_referenced_subjects_first_and_delete_last():
    stack, live, plan = subjects_plan()
    steps = list(build(plan, stack, live).steps)
    assert [s.kind for s in steps] == ["put-subject", "put-subject", "delete-subjects", "record-ownership"]
    evolve, new = steps[0], steps[1]
    assert (evolve.subject, evolve.level, evolve.level_changes, evolve.before_version, evolve.before_level) == (
        "orders-value", "FULL", True, 3, None)
    assert evolve.schema == V2 and new.subject == "a-new" and new.before_version is None and not new.level_changes
    assert steps[2] == DeleteSubjects(("old",), False)
    record = steps[-1].record
    assert sorted(record.of("subjects")) == ["a-new", "orders-value", "same"]
    assert record.of("subjects")["orders-value"] == schema_digest("AVRO", V2, ())
    permanent = replace(stack, cluster=replace(stack.cluster, registry_delete="permanent"))
    assert build(plan, permanent, live).steps[2] == DeleteSubjects(("old",), True)


def streams_plans():
    """A Kafka Streams application: created with a managed internal topic and a binding kplan created for an input
    no longer declared; destroyed with its internal topics (delete_internal_topics_on_destroy)."""
    from kplan.kinds.streams_app.live import LiveStreamsApp, held_key
    from kplan.kinds.streams_app.model import InternalTopicSpec, StreamsAppSpec
    from kplan.model.bindings import AclBinding

    spec = StreamsAppSpec("app", "User:a", ("in",), ("out",), True, "managed",
                          (InternalTopicSpec("app-s-changelog", 1, 1, freeze({"cleanup.policy": "compact"})),),
                          delete_internal_topics_on_destroy=True)
    old = ("User:a", AclBinding("topic", "literal", "gone", "READ"))
    stack = Stack("s", None, ClusterSpec("b:1"), kinds={"streams_apps": (spec,)})
    live = live_state("c", 1, {}, {}).with_kind(ResourceType.STREAMS_APP, resources=freeze({
        "app": LiveStreamsApp("app", frozenset({old}), frozenset({held_key(old)}), ("app-x-repartition",))}),
        owned=frozenset({"app"}))
    return (stack, live, make_plan(stack, live)), (stack, live, make_plan(stack, live, destroy=True))


def election_plan():
    """`kplan plan --elect-leaders`: partition 1 of t is led by its second replica (kplan.kinds.rebalancing)."""
    from kplan.kinds import rebalancing
    from kplan.model.rebalance import RebalanceRequest

    stack = Stack("s", None, ClusterSpec("b:1"), kinds={"topics": (replace(topic("t", 2), replication_factor=2),)})
    current = replace(ltopic("t", 2), replication_factor=2, assignment=((1, 2), (2, 1)))
    live = replace(live_state("c", 2, {"t": current}, {}, owned_topics=frozenset({"t"})), broker_racks={1: "a", 2: "b"})
    plan = rebalancing().planned(make_plan(stack, live), stack, live, RebalanceRequest(elect_leaders=True),
                                 {"t": (1, 1)})
    return stack, live, plan


def migration_plan():
    """A topic migration: orders.v2 from orders (12 -> 4 partitions), one group moved (kplan.kinds.topic.migration)."""
    from kplan.kinds.topic.migration import GroupPosition, MigrationFacts, SourceFacts
    from kplan.model.desired import freeze
    from kplan.model.plan import ResourceType

    stack = Stack("s", None, ClusterSpec("b:1"), kinds={"topics": (replace(topic("orders.v2", 4),
                                                                           migrate_from="orders"),)})
    facts = MigrationFacts(freeze({"orders": SourceFacts(12, 600, 4096, (GroupPosition("billing",
                                                                                        freeze({0: 5})),))}))
    live = live_state("c", 1, {"orders": ltopic("orders", 12)}, {}).with_kind(ResourceType.TOPIC, facts=facts)
    return stack, live, make_plan(stack, live)


def groups_plan():
    """Consumer groups: one reset to earliest (pending), one delete request (pending)."""
    from kplan.kinds.group_request.live import LiveGroup
    from kplan.kinds.group_request.model import GroupReset, GroupSpec

    stack = Stack("s", None, ClusterSpec("b:1"), kinds={"consumer_groups": (
        GroupSpec("app", "r1", GroupReset("earliest", "earliest")), GroupSpec("old", "d1", delete=True))})
    live = live_state("c", 1, {}, {}).with_kind(ResourceType.CONSUMER_GROUP, resources=freeze({
        "app": LiveGroup("app", None, "Empty", 0, (("t", 0, 5), ("t", 1, 7)), (("t", 0, 0), ("t", 1, 7))),
        "old": LiveGroup("old", "d0", "Empty", 0, (("t", 0, 3),))}), records=freeze({"old": "d0"}))
    return stack, live, make_plan(stack, live)


def records_plan():
    """A delete-records request (pending): partition 0 moves from 10 to 40, partition 1 is past its offset already."""
    from kplan.kinds.records.model import LiveRecords, RecordsSpec, Watermarks

    stack = Stack("s", None, ClusterSpec("b:1"), kinds={"delete_records": (
        RecordsSpec("t", "r1", ((0, 40), (1, 5))),)})
    live = live_state("c", 1, {}, {}).with_kind(ResourceType.RECORDS, resources=freeze({
        "t": LiveRecords("t", None, 2, (Watermarks(0, 10, 100, 40), Watermarks(1, 8, 9, 5)))}))
    return stack, live, make_plan(stack, live)


def share_groups_plan():
    """Share groups: one reset to earliest (pending), moving one start offset of two and setting the other again;
    the stack's features turn share.version on first (0 -> 1)."""
    from kplan.kinds.feature.live import LiveFeature
    from kplan.kinds.feature.model import FeatureSpec
    from kplan.kinds.group_request.live import LiveGroup
    from kplan.kinds.group_request.model import GroupReset, GroupSpec

    stack = Stack("s", None, ClusterSpec("b:1"), kinds={"share_groups": (
        GroupSpec("jobs", "r1", GroupReset("earliest", "earliest")),), "features": (FeatureSpec("share.version", 1),)})
    live = live_state("c", 1, {}, {}).with_kind(ResourceType.SHARE_GROUP, resources=freeze({
        "jobs": LiveGroup("jobs", None, "Empty", 0, (("t", 0, 5), ("t", 1, 0)), (("t", 0, 0), ("t", 1, 0)))})
    ).with_kind(ResourceType.FEATURE, resources=freeze({"share.version": LiveFeature("share.version", 0, 0, 1)}))
    return stack, live, make_plan(stack, live)


def group_configs_plan():
    """Group configs: one key set on a group without any, one changed (its value before kept for undo)."""
    from kplan.kinds.dynamic_config.model import LiveGroupConfig

    stack = Stack("s", None, ClusterSpec("b:1"), kinds={"group_configs": (
        KeysSpec("app", freeze({"consumer.session.timeout.ms": "50000"})),
        KeysSpec("new", freeze({"share.auto.offset.reset": "earliest"})))})
    live = live_state("c", 1, {}, {}).with_kind(ResourceType.GROUP_CONFIG, resources=freeze({
        "app": LiveGroupConfig("app", freeze({"consumer.session.timeout.ms": "45001"}))}))
    return stack, live, make_plan(stack, live)


def test_group_steps_move_offsets_early_and_delete_late():
    from kplan.kinds.group_request.steps import AlterGroupOffsets, DeleteConsumerGroup

    stack, live, plan = groups_plan()
    steps = list(build(plan, stack, live).steps)
    # every target, t/1 at it already too: a saved plan's payload is applied as reviewed, the group may move since
    assert steps[:2] == [AlterGroupOffsets("app", "r1", (("t", 0, 0), ("t", 1, 7)), None),
                         DeleteConsumerGroup("old", "d1", "d0")]
    assert steps[-1].record.of("consumer_groups") == {"app": "r1", "old": "d1"}
    assert steps[-1].previous.of("consumer_groups") == {"old": "d0"}


def pg_destroy():
    """A destroy of a Debezium PostgreSQL source that asks to drop its replication slot and publication."""
    cleanup = DbCleanup(True, True, "db", 5432, "u", "demo", "${secret:env:PG_PW}")
    config = {"connector.class": POSTGRES_CLASS, "slot.name": "pg_slot", "publication.name": "pg_pub"}
    stack = Stack("s", None, ClusterSpec("b:1"),
                  kinds={"connectors": (ConnectorSpec("pg", freeze(config), on_destroy=cleanup),)})
    live = live_state("c", 1, {}, {"pg": lconn("pg", config)}, owned_connectors=frozenset({"pg"}))
    return stack, live, make_plan(stack, live, destroy=True, secrets=SecretValues())


def pg_rename():
    """A Debezium PostgreSQL source renamed with moved_from (kplan.kinds.connector.steps)."""
    config = {"connector.class": POSTGRES_CLASS, "slot.name": "pg_slot", "topic.prefix": "pg"}
    stack = Stack("s", None, ClusterSpec("b:1"),
                  kinds={"connectors": (ConnectorSpec("pg-v2", freeze(config), moved_from="pg"),)})
    live = live_state("c", 1, {}, {"pg": lconn("pg", config)}, owned_connectors=frozenset({"pg"}))
    return stack, live, make_plan(stack, live, secrets=SecretValues())


def test_a_destroyed_postgres_source_drops_its_slot_and_publication_last_with_on_destroy_only():
    steps = list(build(*_args(pg_destroy())).steps)
    assert [s.kind for s in steps] == ["delete-connector", "drop-cdc-database-objects", "record-ownership"]
    assert steps[1].to_json()["args"] == {"connector": "pg", "host": "db", "port": 5432, "user": "u",
                                          "database": "demo", "password": "${secret:env:PG_PW}", "slot": "pg_slot",
                                          "publication": "pg_pub"}
    stack, live, _ = pg_destroy()
    stack = replace(stack, kinds={**stack.kinds, "connectors": (replace(stack.of("connectors")[0], on_destroy=None),)})
    plan = make_plan(stack, live, destroy=True, secrets=SecretValues())
    assert [s.kind for s in build(plan, stack, live).steps] == ["delete-connector", "record-ownership"]
    left = [d.message for d in plan.diagnostics if d.code == "cdc-database-objects-left"]
    assert left and left[0].endswith("SELECT pg_drop_replication_slot('pg_slot'); DROP PUBLICATION \"pg_pub\";")


USER_SECRETS = SecretValues({"${secret:env:U_NEW}": "new-pw", "${secret:env:U_ROT}": "rot-pw"})


OLD_ACL = AclBinding("group", "prefixed", "old-", "READ")


def test_steps_run_phase_by_phase_and_topic_changes_are_batched():
    from kplan.kinds.topic.steps import ChangeTieredStorage, ConfigChange

    steps = list(build(*_args(everything())).steps)
    assert [type(s) for s in steps] == [CreateTopics, AlterTopicConfigs, ReassignReplicas, CreateAcls, CreateUsers,
                                        AlterQuotas, AlterBrokerConfigs,
                                        PutConnector, SnapshotSignal, PutConnector, AlterOffsets, RestartConnector,
                                        DeleteConnector, DeleteAcls,
                                        IncreasePartitions, ChangeTieredStorage, AlterUsers, ReplaceTopics, DeleteUsers,
                                        DeleteTopics, RecordOwnership]
    assert [s.phase for s in steps] == sorted(s.phase for s in steps)
    # turning tiered storage on is the one-way part of cfg2's config change: its own step, after the reversible
    tiered = next(s for s in steps if isinstance(s, ChangeTieredStorage))
    assert tiered.topics == {"cfg2": ConfigChange({"remote.storage.enable": "true"}, ())}
    assert tiered.overrides_before == {"cfg2": {"remote.storage.enable": None}}
    steps = [s for s in steps if s is not tiered]
    create, alter, move = steps[0], steps[1], steps[2]
    assert move.targets == {"wider": ((1, 2),)} and move.targets_before == {"wider": ((1,),)}
    # broker configs: the declared key set, the one kplan set and no longer declares deleted; values before kept
    broker = next(s for s in steps if isinstance(s, AlterBrokerConfigs))
    assert broker.changes == (BrokerConfigChange("<default>", "log.cleaner.threads", "1", "2"),
                              BrokerConfigChange("<default>", "log.flush.interval.ms", "9", None))
    steps = [s for s in steps if s is not move and s is not broker]
    assert [t.name for t in create.topics] == ["new1", "new2", "new3"] and create.absent == ("new1", "new2", "new3")
    assert sorted(alter.topics) == ["cfg1", "cfg2"]
    assert alter.overrides_before == {"cfg1": {"retention.ms": "5"}, "cfg2": {"retention.ms": None}}
    # a connector's snapshot signal right after it
    assert (steps[5].name, steps[6].connector, steps[6].tables, steps[7].name) == (
        "cdc", "cdc", ("public.b",), "new-conn")
    # ACLs: one batch of creations after the topics, one of deletions after the connectors' deletions
    assert [(a.principal, a.binding) for a in steps[2].acls] == [
        ("User:app", AclBinding("topic", "literal", "new1", "WRITE"))]
    assert [(a.principal, a.binding) for a in steps[11].acls] == [("User:old", OLD_ACL)]
    # restart_failed: the failed task is restarted after the connector writes, before the deletions
    assert steps[9] == RestartConnector("failed", False, (0,))
    # SCRAM users: created (reversible) with the reference, never the password; rotated and deleted (irreversible)
    assert steps[3].credentials == (Credential("u-new", "SCRAM-SHA-512", 4096, "${secret:env:U_NEW}"),)
    assert steps[13].upserts == (Credential("u-rot", "SCRAM-SHA-512", 4096, "${secret:env:U_ROT}"),)
    assert steps[15].removals == (Removal("u-old", "SCRAM-SHA-256", 8192),)
    assert "new-pw" not in json.dumps([s.to_json() for s in steps]) and "rot-pw" not in json.dumps(
        [s.to_json() for s in steps])
    assert steps[-1].record.of("users") == {"u-new": "", "u-rot": "2"}
    # the record keeps the binding created, and no longer the one deleted
    assert steps[-1].record.of("acls") == {"User:app": ("topic|literal|new1|WRITE|ALLOW|*",)}
    # quotas: one batch after the ACLs, each key with its exact value before (None: absent); the record keeps the
    # declared key (adopted, updated) and no longer the removed one
    assert steps[4].changes == (QuotaChange(QuotaEntity("app"), "producer_byte_rate", 10.0, 1024.0),
                                QuotaChange(QuotaEntity("app"), "request_percentage", 5.0, None))
    assert steps[-1].record.of("quotas") == {"user=app": ("producer_byte_rate",)}
    # the offsets request after the connectors are put, its token recorded by the record step
    assert steps[8] == AlterOffsets("cdc", "resnap-1", True, (), ConnectorState.RUNNING, None)
    assert steps[-1].record.of("offsets") == {"cdc": "resnap-1"} and steps[-1].previous.of("offsets") == {}


def test_the_phases_keep_the_seeds_order_with_room_between():
    order = [Phase.UPDATE_FEATURES, Phase.CREATE_TOPICS, Phase.MIGRATE_TOPICS, Phase.ALTER_TOPIC_CONFIGS,
             Phase.REASSIGN_REPLICAS,
             Phase.ELECT_LEADERS, Phase.CREATE_ACLS,
             Phase.CREATE_USERS,
             Phase.ALTER_QUOTAS, Phase.ALTER_BROKER_CONFIGS, Phase.ALTER_GROUP_CONFIGS, Phase.REGISTER_SUBJECTS,
             Phase.ALTER_GROUP_OFFSETS, Phase.ALTER_SHARE_GROUP_OFFSETS,
             Phase.PUT_CONNECTORS,
             Phase.ALTER_OFFSETS,
             Phase.RESTART_CONNECTORS, Phase.DELETE_CONNECTORS, Phase.START_RENAMED_CONNECTORS, Phase.DELETE_ACLS,
             Phase.INCREASE_PARTITIONS, Phase.CHANGE_TIERED_STORAGE, Phase.ALTER_USERS, Phase.REPLACE_TOPICS,
             Phase.DELETE_RECORDS,
             Phase.DELETE_CONSUMER_GROUPS,
             Phase.DELETE_USERS,
             Phase.DELETE_SUBJECTS, Phase.DELETE_TOPICS, Phase.DROP_CDC_DATABASE_OBJECTS, Phase.RECORD_OWNERSHIP]
    assert sorted(Phase) == order
    assert Phase.PUT_CONNECTORS - Phase.CREATE_ACLS > 2  # room for users, subjects in between
    assert all(not t.irreversible for t in step_types().values() if t.phase < Phase.INCREASE_PARTITIONS)


def test_no_changes_no_steps_but_adoption_records_ownership():
    stack = Stack("s", None, ClusterSpec("b:1"), kinds={"topics": (topic("t"),)})
    live = live_state("c", 1, {"t": ltopic("t")}, {})
    assert list(build(stack=stack, live=live, plan=make_plan(stack, live, secrets=SecretValues())).steps) == [
        RecordOwnership(ownership_after(make_plan(stack, live), stack, live, False), ownership_of(live))]
    live = live_state("c", 1, {"t": ltopic("t")}, {}, owned_topics=frozenset({"t"}))
    assert list(build(make_plan(stack, live, secrets=SecretValues()), stack, live).steps) == []


def test_the_journal_codec_round_trips_every_step_deterministically():
    built = build(*_args(everything()))
    destroyed = build(*_args(pg_destroy()))  # a destroy plan has the one step type a plan lacks
    registry = build(*_args(subjects_plan()))
    groups = build(*_args(groups_plan()))
    group_configs = build(*_args(group_configs_plan())).steps + build(*_args(share_groups_plan())).steps
    streams = tuple(s for t in streams_plans() for s in build(*_args(t)).steps)
    renamed = build(*_args(pg_rename())).steps
    elections = build(*_args(election_plan())).steps
    migrations = build(*_args(migration_plan())).steps
    records = build(*_args(records_plan())).steps
    every = (built.steps + destroyed.steps + registry.steps + groups.steps + streams + renamed + group_configs
             + elections + migrations + records)
    assert {type(s) for s in every} == set(step_types().values())
    for step in every:
        doc = step.to_json()
        assert set(doc) == {"kind", "args", "before", "irreversible"}
        assert doc["kind"] == step.kind and doc["irreversible"] == step.irreversible
        again = Step.from_json(json.loads(json.dumps(doc)))
        assert again == step and type(again) is type(step)
        assert json.dumps(again.to_json()) == json.dumps(doc)  # the same JSON, key order included
    assert json.dumps([s.to_json() for s in built.steps]) == json.dumps([s.to_json() for s in build(*_args(
        everything())).steps])


@pytest.mark.parametrize("path", sorted((Path(__file__).parents[2] / "golden" / "steps").glob("*/steps.json")),
                         ids=lambda p: p.parent.name)
def test_a_journal_written_by_an_earlier_kplan_reads_back_to_the_steps_it_recorded(path):
    """The golden cases' journal entries, as kplan wrote them when each was recorded: every one reads back to a
    step of its kind that writes the same JSON again (a run's journal survives an upgrade between apply and
    recover)."""
    for entry in json.loads(path.read_text()):
        step = Step.from_json(entry)
        assert step.kind == entry["kind"] and step.to_json() == entry


def test_kinds_are_the_journal_words():
    assert sorted(step_types()) == [
        "alter-broker-configs", "alter-group-configs", "alter-group-offsets", "alter-offsets", "alter-quotas",
        "alter-share-group-offsets",
        "alter-topic-configs", "alter-users", "change-tiered-storage", "copy-connector-offsets", "create-acls",
        "create-streams-app-acls",
        "create-streams-internal-topics", "create-topics", "create-users", "delete-acls", "delete-connector",
        "delete-consumer-group", "delete-records", "delete-streams-app-acls", "delete-streams-internal-topics",
        "delete-subjects",
        "delete-topics", "delete-users", "drop-cdc-database-objects", "elect-leaders", "increase-partitions",
        "migrate-topic", "put-connector",
        "put-subject", "reassign-replicas", "record-ownership", "replace-topics", "restart-connector",
        "snapshot-signal", "start-connector", "stop-connector", "update-features"]


def test_a_delete_records_step_deletes_exactly_the_planned_partitions_irreversibly():
    [step, _] = build(*_args(records_plan())).steps
    assert (step.kind, step.topic, step.lows, step.irreversible) == ("delete-records", "t", ((0, 40),), True)
    assert step.phase > Phase.INCREASE_PARTITIONS  # after every reversible step


def test_steps_are_immutable_all_the_way_down():
    steps = list(build(*_args(everything())).steps)
    with pytest.raises(dataclasses.FrozenInstanceError):
        steps[0].topics = ()
    with pytest.raises(TypeError):
        steps[0].topics[0].config["x"] = "y"
    with pytest.raises(TypeError):
        steps[1].topics["cfg1"].sets.update({"x": "y"})
    masked = next(s for s in steps if isinstance(s, PutConnector) and s.create).config["db.password"]
    assert is_masked(masked)
    with pytest.raises(TypeError):
        masked["__masked__"] = False
    assert steps[0].to_json()["args"]["topics"][0]["config"] == {}  # the JSON form is a plain, fresh copy
    steps[0].to_json()["args"]["topics"].clear()
    assert len(steps[0].topics) == 3


def test_a_step_never_holds_a_secret_its_run_has_it_in_memory():
    built = build(*_args(everything()))
    for step in built.steps:
        assert SECRET not in json.dumps(step.to_json()) and SECRET not in repr(step)
        assert OLD_SECRET not in json.dumps(step.to_json()) and OLD_SECRET not in repr(step)
    put = next(i for i, s in enumerate(built.steps) if isinstance(s, PutConnector) and s.name == "new-conn")
    delete = next(i for i, s in enumerate(built.steps) if isinstance(s, DeleteConnector))
    assert built.secrets[put].config["db.password"] == SECRET
    assert built.secrets[delete].previous.config["x.password"] == OLD_SECRET
    assert all(isinstance(v, ConnectorSecrets) for v in built.secrets.values())
    assert SECRET not in repr(built) and OLD_SECRET not in repr(built.secrets[delete])


def test_connector_steps_carry_what_their_undo_needs():
    built = build(*_args(everything()))
    cdc = next(s for s in built.steps if isinstance(s, PutConnector) and s.name == "cdc")
    assert (cdc.create, cdc.state, cdc.set_state, cdc.restart) == (False, ConnectorState.RUNNING, False, False)
    assert cdc.changed_keys == ("table.include.list",)
    assert cdc.previous.state == "running" and cdc.previous.config["table.include.list"] == "public.a"
    delete = next(s for s in built.steps if isinstance(s, DeleteConnector))
    assert delete.to_json()["before"] == {"config": {"connector.class": "Y", "x.password": {"__masked__": True}},
                                          "state": "running"}


def _args(t):
    stack, live, plan = t
    return plan, stack, live


def test_an_on_destroy_password_that_does_not_resolve_is_a_plan_error_before_anything_is_deleted():
    stack, live, plan = pg_destroy()  # no secrets resolved
    errors = [d for d in plan.errors if d.code == "secret-unresolved"]
    assert len(errors) == 1 and errors[0].address == "connector.pg"
    assert "on_destroy of connector 'pg' cannot connect to PostgreSQL" in errors[0].message
    resolved = make_plan(stack, live, destroy=True, secrets=SecretValues({"${secret:env:PG_PW}": "pw"}))
    assert not resolved.has_errors
    assert any(d.code == "cdc-database-objects-dropped" for d in resolved.diagnostics)


def test_a_feature_step_runs_before_the_share_groups_it_enables():
    assert [s.kind for s in build(*_args(share_groups_plan())).steps] == [
        "update-features", "alter-share-group-offsets", "record-ownership"]
