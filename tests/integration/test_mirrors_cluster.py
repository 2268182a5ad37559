"""`mirrors:` (issue 44) on the real stack: a mirror's MirrorMaker 2 connectors, checked by the real plugin at plan,
replicate the declared topics under the planned names, translate a consumer group's offsets (the group resumes on
the replica without missing a record), take a pattern change as reviewed, never list their replicas as orphans, and
are destroyed leaving the replicas' data. Two real clusters: the local stack's (the source) and a second broker with
a Connect worker of its own (the target, which runs the mirror), started by the project's launcher."""

from __future__ import annotations

import json

import by_hand
import pytest
import requests
from confluent_kafka import Consumer, Producer, TopicPartition
from kplan_helpers import can_log_in, kplan, topic_ends, wait_for, write_stack
from mirror_pair import committed_offsets
from second_stack import topic_names


def _records(bootstrap: str, topic: str) -> int:
    return sum(topic_ends(bootstrap, topic).values())


def _produce(bootstrap: str, topic: str, n: int, start: int = 0) -> None:
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for i in range(start, start + n):
        p.produce(topic, key=str(i).encode(), value=f"record {i}".encode(), partition=i % 2)
    assert p.flush(30) == 0


def _stack(stack, dr, prefix: str, topics: list[str], **extra) -> dict:
    """Stack `prefix` on two clusters: `main` (the local stack, where the source topics are declared) and `dr` (a
    broker and Connect worker of its own, whose Connect runs the mirror)."""
    return {
        "stack": prefix,
        "clusters": {"main": {"bootstrap_servers": stack.bootstrap_servers, "timeout": "20s"},
                     "dr": {"bootstrap_servers": dr.bootstrap, "connect_url": dr.connect_url, "timeout": "20s"}},
        "claims": [{"prefix": f"main.{prefix}", "cluster": "dr"}],
        "topics": [{"name": f"{prefix}.{t}", "cluster": "main", "partitions": 2, "replication_factor": 1}
                   for t in ("orders", "payments")],
        "mirrors": [{"name": prefix, "cluster": "dr", "source": "main", "replication_factor": 1, "topics": topics,
                     "refresh_topics_interval": "5s", **extra}],
    }


@pytest.fixture(scope="module")
def dr(stack, second_cluster):
    """A second broker with a Connect worker of its own (the MirrorMaker 2 plugin is in the local stack's jars):
    this test process's second cluster."""
    return second_cluster.get("kafka", "connect")


def _read_half(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """The group reads 5 of partition 0's 10 records and commits: its position there."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                         "auto.offset.reset": "earliest"})
    consumer.assign([TopicPartition(topic, 0, 0)])
    read = 0
    while read < 5:
        msg = consumer.poll(5)
        if msg is not None and not msg.error():
            read += 1
    consumer.commit(asynchronous=False)
    position = {tp.partition: tp.offset for tp in consumer.position([TopicPartition(topic, 0)])}
    consumer.close()
    return position


def test_a_mirror_replicates_translates_offsets_changes_as_reviewed_and_is_destroyed(stack, dr, unique, tmp_path):
    prefix = unique("mir")
    orders, payments, group = f"{prefix}.orders", f"{prefix}.payments", f"{prefix}-billing"
    pattern, replica = orders.replace(".", "\\."), f"main.{orders}"
    v1 = write_stack(tmp_path / "v1.yaml", _stack(stack, dr, prefix, [pattern], groups=[group],
                                                  checkpoint_interval="1s"))
    plan = kplan("plan", str(v1), "--no-color")
    assert plan.code == 0, plan.text
    assert (f"mirror '{prefix}' replicates the topics of main matching {pattern} to dr as main.<topic>; the "
            f"committed offsets of consumer groups {group} are translated to the target every 1 s") in plan.out
    last = v1
    try:
        r = kplan("apply", str(v1), "--auto-approve", "--no-color")
        assert r.code == 0, r.text
        # one record per partition first, replicated before the rest: MirrorMaker then has an offset sync at each
        # partition's start, which a group's translation needs (a burst may leave a partition without one:
        # docs/replication-facts.md)
        _produce(stack.bootstrap_servers, orders, 2)
        wait_for(lambda: replica in topic_names(dr.bootstrap) and _records(dr.bootstrap, replica) == 2, timeout=120,
                 what=f"{replica}'s first records on dr")
        _produce(stack.bootstrap_servers, orders, 18, start=2)
        _produce(stack.bootstrap_servers, payments, 6)
        position = _read_half(stack.bootstrap_servers, group, orders)
        wait_for(lambda: replica in topic_names(dr.bootstrap) and _records(dr.bootstrap, replica) == 20, timeout=120,
                 what=f"{replica} to hold the 20 records on dr")
        assert f"main.{payments}" not in topic_names(dr.bootstrap)
        # the group resumes on the replica where it stopped on the source, or before: no record missed
        resumed = wait_for(lambda: committed_offsets(dr.bootstrap, group, replica).get(0) is not None
                           and committed_offsets(dr.bootstrap, group, replica), timeout=120,
                           what=f"group {group}'s translated offsets on dr")
        assert 0 <= resumed[0] <= position[0], (resumed, position)
        print(f"group {group}: at {position} on main, resumes at {resumed} on dr")

        again = kplan("plan", str(v1), "--detailed-exitcode", "--no-color")
        assert again.code == 0 and "No changes" in again.out, again.text
        assert f"1 replica topic(s) on dr now: {replica}" in again.out
        assert f"mirror '{prefix}' replicates 1 topic of main: {orders}" in again.out  # read from the source
        lag = f"mirror '{prefix}' replication lag on dr (the source's end offsets less the replica's, summed over "
        assert f"{lag}partitions): every replica is caught up" in again.out
        reread = position[0] - resumed[0]  # the drill's numbers, from the offsets read independently above
        what = "it would re-read none and miss none" if reread == 0 else f"it would re-read {reread} record"
        assert (f"failover of consumer group {group} to dr now: {10 - resumed[0]} record") in again.out, again.out
        assert f"left to read there from its translated offsets, {10 - position[0]} on main: {what}" in again.out
        status = kplan("status", str(v1), "--no-color")
        assert f"{lag}partitions): every replica is caught up" in status.out, status.text
        assert f"mirror '{prefix}': its newest checkpoint on dr was written " in status.out, status.text
        assert "orphan" not in again.out  # the replica is under the stack's claim on dr, and the mirror's

        # the pattern grows: the plan shows the source connector's new topic list, apply replicates the new topic
        last = write_stack(tmp_path / "v2.yaml", _stack(stack, dr, prefix, [pattern, payments.replace(".", "\\.")],
                                                        groups=[group], checkpoint_interval="1s"))
        page = tmp_path / "plan.html"
        plan = kplan("plan", str(last), "--no-color", "--report", str(page))
        assert plan.code == 0 and f'connector "{prefix}-source"' in plan.out, plan.text
        # the page's picture: source topic -> mirror -> target topic -> the group whose offsets it translates
        html = page.read_text()
        for edge in (f"topic:main: {payments}&gt;mirror:{prefix}", f"mirror:{prefix}&gt;topic:main.{payments}",
                     f"topic:main: {orders}&gt;mirror:{prefix}", f"topic:main.{orders}&gt;group:{group}"):
            assert f'data-edge="{edge}"' in html, edge
        assert 'config["topics"]' in plan.out and "0 to add, 1 to change, 0 to destroy" in plan.out, plan.out
        assert f"replicates 2 topics of main: {orders}, {payments}; this change adds {payments}" in plan.out
        assert kplan("apply", str(last), "--auto-approve").code == 0
        wait_for(lambda: f"main.{payments}" in topic_names(dr.bootstrap)
                 and _records(dr.bootstrap, f"main.{payments}") == 6, timeout=120, what="the new topic's replica")

        # the pattern shrinks: the plan names the topic dropped; after apply its new records stay on the source
        last = write_stack(tmp_path / "v3.yaml", _stack(stack, dr, prefix, [payments.replace(".", "\\.")],
                                                        groups=[group], checkpoint_interval="1s"))
        plan = kplan("plan", str(last), "--no-color")
        assert plan.code == 0, plan.text
        assert (f"replicates 1 topic of main: {payments}; it drops {orders} (their replicas on dr stay, no longer "
                "updated)") in plan.out
        assert kplan("apply", str(last), "--auto-approve").code == 0
        # Connect hands the running tasks their new partitions asynchronously, after the config is written
        wait_for(lambda: orders not in str(requests.get(f"{dr.connect_url}/connectors/{prefix}-source/tasks",
                                                        timeout=30).json()),
                 timeout=60, what="the source connector's tasks to drop the topic")
        _produce(stack.bootstrap_servers, orders, 4)
        _produce(stack.bootstrap_servers, payments, 4)
        wait_for(lambda: _records(dr.bootstrap, f"main.{payments}") == 10, timeout=120,
                 what="the kept topic's new records on dr")
        assert _records(dr.bootstrap, replica) == 20  # the dropped topic's new records were not copied
    finally:
        # destroy: the connectors and the source topics go; the replicas and their data stay on dr
        d = kplan("destroy", str(last), "--auto-approve", "--no-color")
    assert d.code == 0, d.text
    assert not [n for n in requests.get(f"{dr.connect_url}/connectors", timeout=30).json() if n.startswith(prefix)]
    assert _records(dr.bootstrap, replica) == 20


def test_a_replica_the_mirror_stopped_updating_is_never_an_orphan_nor_pruned(stack, dr, unique, tmp_path):
    """Issue 56 item 1: a pattern change drops a topic from two mirrors (the prefixed and the identity policy) whose
    replicas lie under pruning claims on dr. The replicas stay theirs: neither the plan of the change nor one after it
    lists them as orphans or deletes them, while a topic under the same claim that no mirror made is pruned (the kit's
    `made` promise of the connector kind: conformance.never_orphans)."""
    from confluent_kafka.admin import AdminClient, NewTopic
    from conformance import never_orphans

    from kplan.transport.kafka import dispose

    prefix = unique("mirp")
    a, b = f"{prefix}.a", f"{prefix}.b"

    def doc(topics: list[str]) -> dict:
        d = _stack(stack, dr, prefix, [], heartbeats=False)
        d["topics"] = [{"name": t, "cluster": "main", "partitions": 2, "replication_factor": 1} for t in (a, b)]
        d["claims"] = [{"prefix": f"main.{prefix}", "cluster": "dr", "prune": True},
                       {"prefix": prefix, "cluster": "dr", "prune": True}]
        (prefixed,) = d["mirrors"]
        patterns = [t.replace(".", "\\.") for t in topics]
        d["mirrors"] = [{**prefixed, "name": f"{prefix}-p", "topics": patterns},
                        {**prefixed, "name": f"{prefix}-i", "topics": patterns, "replication_policy": "identity"}]
        return d

    replicas = (f"main.{a}", a)  # the prefixed mirror's and the identity mirror's replica of a
    last = write_stack(tmp_path / "v1.yaml", doc([a, b]))
    try:
        r = kplan("apply", str(last), "--auto-approve", "--no-color")
        assert r.code == 0, r.text
        _produce(stack.bootstrap_servers, a, 3)
        _produce(stack.bootstrap_servers, b, 3)
        for t in (*replicas, f"main.{b}", b):
            wait_for(lambda t=t: t in topic_names(dr.bootstrap) and _records(dr.bootstrap, t) == 3, timeout=120,
                     what=f"{t}'s 3 records on dr")

        def stray(name: str) -> str:
            """A topic under the identity mirror's claim on dr that no mirror made: the claims prune it."""
            admin = AdminClient({"bootstrap.servers": dr.bootstrap})
            try:
                by_hand.create_topics(admin, [NewTopic(name, 1, 1)])
            finally:
                dispose(admin)
            return f"topic.{name}"

        def planned(stray_name: str) -> tuple[str, dict]:
            """The plan (JSON) once the kit's check holds: neither replica an orphan nor deleted, the stray both."""
            r = never_orphans(lambda: kplan("plan", str(last), "--format", "json"), made, stray(stray_name))
            return r.out, json.loads(r.out)["summary"]

        made = [f"topic.{replica}" for replica in replicas]
        last = write_stack(tmp_path / "v2.yaml", doc([b]))
        out, summary = planned(f"{prefix}.stray")  # the pattern change's own plan
        assert f"it drops {a} (their replicas on dr stay, no longer updated)" in out, out
        assert (summary["add"], summary["change"], summary["destroy"]) == (0, 2, 1), summary
        assert kplan("apply", str(last), "--auto-approve").code == 0
        _, summary = planned(f"{prefix}.stray2")  # a plan after it
        assert (summary["change"], summary["destroy"]) == (0, 1), summary
        assert kplan("apply", str(last), "--auto-approve").code == 0
        assert not {f"{prefix}.stray", f"{prefix}.stray2"} & set(topic_names(dr.bootstrap))
        assert all(_records(dr.bootstrap, replica) == 3 for replica in replicas)
    finally:
        d = kplan("destroy", str(last), "--auto-approve", "--no-color")
    assert d.code == 0, d.text


def _checkpoint(bootstrap: str, group: str, replica: str) -> dict[int, int]:
    """The latest checkpoints of a group on the target (`main.checkpoints.internal`), read as kplan reads them."""
    from kplan.kinds.connector.io.mirrors import read_checkpoints

    if "main.checkpoints.internal" not in topic_names(bootstrap):
        return {}
    return {c.partition: c.offset for c in read_checkpoints({"bootstrap.servers": bootstrap},
                                                            "main.checkpoints.internal", 1, 20)
            if c.group == group and c.topic == replica}


def _commit(bootstrap: str, group: str, offsets: dict[tuple[str, int], int]) -> None:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        c.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()], asynchronous=False)
    finally:
        c.close()


def _read_from_committed(bootstrap: str, group: str, topic: str, partition: int, end: int) -> list[str]:
    """The keys a consumer of the group reads on one partition, from its committed offset to `end`."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                         "auto.offset.reset": "latest"})
    try:
        (start,) = consumer.committed([TopicPartition(topic, partition)], timeout=20)
        assert start.offset >= 0, start
        consumer.assign([TopicPartition(topic, partition, start.offset)])
        keys: list[str] = []
        while start.offset + len(keys) < end:
            msg = consumer.poll(5)
            if msg is not None and not msg.error():
                keys.append(msg.key().decode())
        return keys
    finally:
        consumer.close()


def test_a_failover_request_resumes_a_group_on_the_target_at_its_translated_offsets(stack, dr, unique, tmp_path):
    """Item 4 of issue 44 on two real clusters: MirrorMaker does not sync the group's offsets itself
    (sync_group_offsets: false); a group that read half of a source partition gets a checkpoint on dr; the plan of a
    failover request (`reset: {mirror: ...}`) shows where it resumes and what it re-reads; a run that fails after
    moving it puts its offsets on dr back exactly; the applied request sets the translated offsets, and the group's
    consumer on dr reads every record it had not read on the source."""
    from kplan_helpers import faulty_kplan

    prefix = unique("mirf")
    orders, group = f"{prefix}.orders", f"{prefix}-billing"
    pattern, replica = orders.replace(".", "\\."), f"main.{orders}"
    doc = _stack(stack, dr, prefix, [pattern], groups=[group], checkpoint_interval="1s", sync_group_offsets=False)
    v1 = write_stack(tmp_path / "v1.yaml", doc)
    last = v1
    try:
        r = kplan("apply", str(v1), "--auto-approve", "--no-color")
        assert r.code == 0, r.text
        _produce(stack.bootstrap_servers, orders, 2)  # an offset sync at each partition's start (see above)
        wait_for(lambda: replica in topic_names(dr.bootstrap) and _records(dr.bootstrap, replica) == 2, timeout=120,
                 what=f"{replica}'s first records on dr")
        _produce(stack.bootstrap_servers, orders, 18, start=2)
        position = _read_half(stack.bootstrap_servers, group, orders)  # 5 of partition 0's 10 records
        wait_for(lambda: _records(dr.bootstrap, replica) == 20, timeout=120, what=f"{replica}'s 20 records on dr")
        translated = wait_for(lambda: _checkpoint(dr.bootstrap, group, replica), timeout=120,
                              what=f"a checkpoint of {group} on dr")
        assert 0 <= translated[0] <= position[0], (translated, position)
        assert committed_offsets(dr.bootstrap, group, replica) == {}  # MirrorMaker committed nothing itself
        _commit(dr.bootstrap, group, {(replica, 0): 0})  # a stale position on dr: what a rollback must put back

        doc["consumer_groups"] = [{"name": group, "cluster": "dr",
                                   "offsets": {"request": "drill-1", "reset": {"mirror": prefix}}}]
        last = write_stack(tmp_path / "v2.yaml", doc)
        plan = kplan("plan", str(last), "--no-color")
        assert plan.code == 0, plan.text
        assert f'~ consumer_group "{group}"' in plan.out, plan.out
        assert f'offsets["{replica}/0"] = 0 -> {translated[0]}' in plan.out, plan.out
        reread = position[0] - translated[0]
        said = (f"it re-reads {reread} record" if reread else "it re-reads none and misses none")
        assert (f"failover of consumer group '{group}' to dr: the offsets mirror '{prefix}' translated") in plan.out
        assert f"{10 - translated[0]} record" in plan.out and said in plan.out, plan.out

        failed = faulty_kplan("apply", str(last), "--auto-approve", "--no-color", fail_at="step:2")
        assert failed.code != 0 and "The cluster is as it was before this apply" in failed.text, failed.text
        assert committed_offsets(dr.bootstrap, group, replica) == {0: 0}  # put back exactly

        r = kplan("apply", str(last), "--auto-approve", "--no-color")
        assert r.code == 0, r.text
        assert committed_offsets(dr.bootstrap, group, replica) == {0: translated[0]}
        keys = _read_from_committed(dr.bootstrap, group, replica, 0, 10)
        unread = [str(2 * i) for i in range(position[0], 10)]  # partition 0 holds keys 0, 2, ... 18
        assert keys[len(keys) - len(unread):] == unread and len(keys) - len(unread) == reread, (keys, position)
        print(f"group {group}: at {position} on main, checkpoint {translated}, resumed on dr reading {keys}")
        again = kplan("plan", str(last), "--detailed-exitcode", "--no-color")
        assert again.code == 0 and "No changes" in again.out, again.text
    finally:
        d = kplan("destroy", str(last), "--auto-approve", "--no-color")
    assert d.code == 0, d.text


@pytest.fixture
def mm2_user(stack, secured, unique):
    """A SCRAM user of the local broker's secured listener (an authorizer, allow.everyone.if.no.acl.found=false) that
    may only DESCRIBE one topic, which holds 6 records: (user, password, topic, the super user's admin client, a
    function granting it one more ACL). Removed afterwards, with its ACLs and the topic."""
    from confluent_kafka.admin import (
        AclBinding,
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
        AdminClient,
        NewTopic,
        ResourcePatternType,
        ResourceType,
        ScramMechanism,
        UserScramCredentialDeletion,
    )

    from kplan.transport.kafka import dispose

    user, password = unique("mm2"), "mm2-limited-pw-1"
    topic = f"{user}.orders"
    admin = AdminClient(secured.kafka_config())
    # each returns once the broker shows it: the test's first plan logs in as the user at once
    by_hand.upsert_scram(admin, {user: password}, iterations=8192)
    wait_for(lambda: can_log_in(secured, user, password), 30, f"the new SCRAM user {user} to log in")
    by_hand.create_topics(admin, [NewTopic(topic, 2, 1)])

    def grant(resource: str, name: str, operation: str, pattern: str = "LITERAL") -> None:
        """One more binding for the user, in the broker's authorizer when this returns."""
        by_hand.create_acls(admin, [AclBinding(ResourceType[resource], name, ResourcePatternType[pattern],
                                               f"User:{user}", "*", AclOperation[operation], AclPermissionType.ALLOW)])

    grant("TOPIC", topic, "DESCRIBE")
    _produce(stack.bootstrap_servers, topic, 6)
    yield user, password, topic, admin, grant
    for f in admin.delete_topics([topic]).values():
        f.result(30)
    for f in admin.delete_acls([AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, f"User:{user}", None,
                                                 AclOperation.ANY, AclPermissionType.ANY)]).values():
        f.result(30)
    for f in admin.alter_user_scram_credentials([UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)]
                                                ).values():
        f.result(20)
    dispose(admin)


def test_the_plan_names_the_rights_mirrormakers_principal_lacks_asked_as_it(stack, secured, dr, mm2_user,
                                                                              tmp_path):
    """Preflight on a cluster with an authorizer: the source's login is a user that may only DESCRIBE the topic; the
    plan names what MirrorMaker would lack (READ and DESCRIBE_CONFIGS on the topic, CREATE on its offset-syncs topic)
    as an error; once granted, the plan is clean and the mirror, logged in as that user, copies the records."""
    from conformance import named_whatever_the_group

    user, password, topic, admin, grant = mm2_user
    prefix = user
    doc = _stack(stack, dr, prefix, [topic.replace(".", "\\.")], groups=[f"{prefix}-app"], sync_topic_acls=True)
    del doc["topics"]  # the topic is the fixture's; main is read as the limited user
    doc["clusters"]["main"] = {"bootstrap_servers": secured.bootstrap_servers, "timeout": "20s", "client": {
        "security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": user,
        "sasl.password": "${secret:env:MM2_PASSWORD}", "ssl.ca.location": secured.ca_file}}
    path = write_stack(tmp_path / "s.yaml", doc)
    env = {"MM2_PASSWORD": password}
    lacks = f"mirror '{prefix}': User:{user}, as whom MirrorMaker logs in to main (the source), lacks: "

    def described_and_committed() -> None:
        grant("BROKER", "kafka-cluster", "DESCRIBE")
        _commit(stack.bootstrap_servers, f"{prefix}-app", {(topic, 0): 3})

    # issue 56 item 2 (the kit's `rights` promise of the connector kind: conformance.named_whatever_the_group): then a
    # login that may DESCRIBE the cluster lists every group, the mirror's too once it has committed an offset on the
    # source; its offsets are refused to the user: still the same error, not a warning that the source could not be
    # read
    runs = named_whatever_the_group(
        lambda: kplan("plan", str(path), "--no-color", env=env),
        [lacks, f"READ on topic {topic} (no records are copied)", f"DESCRIBE_CONFIGS on topic {topic}",
         "CREATE on topic mm2-offset-syncs.dr.internal", f"DESCRIBE on group {prefix}-app"], described_and_committed)
    for r, cluster_described in zip(runs, (False, True)):
        assert password not in r.text, r.text
        # sync_topic_acls: DESCRIBE on the source cluster, which the broker answers a principal without it by naming
        # no operation at all (a warning: only the ACLs are not synced)
        warned = [x.split("Error: ")[0] for x in r.text.replace("\n", " ").split("Warning: ")[1:] if lacks in x]
        assert ["DESCRIBE on cluster (topic ACLs are not synced)" in x for x in warned] == \
            ([] if cluster_described else [True]), warned

    grant("TOPIC", topic, "READ")
    grant("TOPIC", topic, "DESCRIBE_CONFIGS")
    grant("TOPIC", "mm2-offset-syncs.dr.internal", "ALL")
    grant("GROUP", f"{prefix}-app", "DESCRIBE")
    clean = wait_for(lambda: (lambda run: run if lacks not in run.text else None)(
        kplan("plan", str(path), "--no-color", env=env)), 30, "the plan without the missing rights")
    assert clean.code == 0 and "mirror-rights" not in clean.text, clean.text
    grant("TOPIC", "__kplan", "ALL", "PREFIXED")  # kplan's lock, record and journal on main (it logs in as the user)
    try:
        r = kplan("apply", str(path), "--auto-approve", "--no-color", env=env)
        assert r.code == 0, r.text
        wait_for(lambda: f"main.{topic}" in topic_names(dr.bootstrap) and _records(dr.bootstrap, f"main.{topic}") == 6,
                 timeout=120, what="the records copied as the limited user")
    finally:
        d = kplan("destroy", str(path), "--auto-approve", env=env)
        admin.delete_consumer_groups([f"{prefix}-app"])[f"{prefix}-app"].result(30)
    assert d.code == 0, d.text


def test_a_mirror_the_target_cannot_hold_or_of_a_cluster_into_itself_is_refused(stack, dr, unique, tmp_path):
    prefix = unique("mir")
    doc = _stack(stack, dr, prefix, [f"{prefix}\\..*"])
    del doc["mirrors"][0]["replication_factor"]  # MirrorMaker's defaults: 2 and 3, on a one-broker cluster
    r = kplan("plan", str(write_stack(tmp_path / "s.yaml", doc)), "--no-color")
    assert r.code == 1 and "set replication_factor: 1 or fewer" in r.text, r.text
    doc = _stack(stack, dr, prefix, [f"{prefix}\\..*"])
    doc["clusters"]["main"]["bootstrap_servers"] = dr.bootstrap
    r = kplan("validate", str(write_stack(tmp_path / "self.yaml", doc)))
    assert r.code == 1 and "copies them into new topics without end" in r.text, r.text
    doc = _stack(stack, dr, prefix, [f"{prefix}\\..*"])
    doc["mirrors"][0]["source"] = "mian"  # issue 56 item 8: a misspelt source gets the hint its cluster gets
    r = kplan("validate", str(write_stack(tmp_path / "typo.yaml", doc)))
    assert r.code == 1 and 'source "mian" is not a cluster of `clusters:`' in r.text, r.text
    assert '(did you mean "main"?)' in r.text, r.text


# -- kills at every step of a mirror's apply ---------------------------------------------------------------------

def _kill_sections(ctx, version: int) -> dict:
    """v1: a mirror of the second broker's topics into the local stack (whose Connect runs it); v2: other patterns and
    a translated group (its checkpoint connector added)."""
    mirror = {"name": ctx.prefix, "source": {"alias": "dr", "bootstrap_servers": ctx.extra["source"]},
              "replication_factor": 1, "heartbeats": False, "topics": [f"{ctx.prefix}\\.a"]}
    if version == 2:
        mirror.update(topics=[f"{ctx.prefix}\\..*"], groups=[f"{ctx.prefix}-g"], checkpoint_interval="5s")
    return {"mirrors": [mirror]}


def _kill_read(ctx) -> dict:
    """The mirror's connectors (config and state) through Connect's REST API directly, once settled: Connect shows a
    connector UNASSIGNED or RESTARTING for a moment after its config is written."""
    def read() -> dict:
        body = requests.get(f"{ctx.connect_url}/connectors?expand=info&expand=status", timeout=30).json()
        return {n: {"config": c["info"]["config"], "state": (c.get("status") or {}).get("connector", {}).get("state")}
                for n, c in sorted(body.items()) if n.startswith(ctx.prefix)}
    def settled() -> tuple[dict] | None:  # a tuple: a read of no connectors is settled too
        now = read()
        return (now,) if all(c["state"] not in (None, "UNASSIGNED", "RESTARTING") for c in now.values()) else None
    return wait_for(settled, timeout=60, what="the mirror's connectors to settle")[0]


@pytest.fixture
def mirror_ctx(request, stack, dr, unique, tmp_path):
    from confluent_kafka.admin import AdminClient
    from conformance import Ctx

    from kplan.transport.kafka import dispose

    def make():
        prefix = unique("kit-mir")
        (tmp_path / prefix).mkdir()
        admin = AdminClient({"bootstrap.servers": stack.bootstrap_servers})
        request.addfinalizer(lambda: dispose(admin))
        cluster = {"bootstrap_servers": stack.bootstrap_servers, "timeout": "20s", "connect_url": stack.connect_url}
        return Ctx(prefix, tmp_path / prefix, stack.bootstrap_servers, stack.connect_url, stack.schema_registry_url,
                   admin, cluster, {"bootstrap.servers": stack.bootstrap_servers}, extra={"source": dr.bootstrap})
    return make


def test_a_kill_at_any_step_of_a_mirrors_apply_rolls_back_or_resumes_exactly(mirror_ctx):
    """The kit's kill harness (tests/integration/conformance.py) over a mirror's applies: its connectors exactly as
    before or after. A rollback deletes the connectors it created; what MirrorMaker itself made meanwhile on the
    clusters (replica topics, its internal topics) stays, as after a destroy (docs/replication.md)."""
    import os
    import time

    from conformance import KillTrial, KindFixture, kill_trials, learn, run_kill

    fx = KindFixture(kind="mirror", section="mirrors", sections=_kill_sections, read=_kill_read)
    learned = {v: learn(fx, mirror_ctx(), v) for v in (1, 2)}
    assert (learned[1].steps, learned[2].steps) == (2, 3), learned  # put source, record / update, put checkpoint
    trials = (kill_trials(fx, learned) if os.environ.get("KPLAN_MIRROR_KILLS") == "all" else
              [KillTrial("mirror", 2, 2, "middle", "rollback"), KillTrial("mirror", 2, 1, "middle", "resume")])
    outcomes = []
    for trial in trials:
        started = time.monotonic()
        outcome = run_kill(fx, mirror_ctx(), trial, learned[trial.version])
        outcomes.append({**outcome, "seconds": round(time.monotonic() - started, 1)})
    for o in outcomes:
        print(o["trial"], o["verdict"], o["seconds"], "ok" if o["ok"] else o)
    assert all(o["ok"] for o in outcomes), [o for o in outcomes if not o["ok"]]


def test_a_mirror_from_a_secured_cluster_takes_its_login_from_the_cluster_settings(stack, secured, dr, unique,
                                                                                    tmp_path):
    """The source is the local broker's SASL_SSL listener, declared in `clusters:` with its client settings (a SCRAM
    login whose password is a secret reference, a PEM CA file): MirrorMaker gets them as source.cluster.* settings,
    replicates, and the password is in no output."""
    prefix = unique("mirs")
    doc = _stack(stack, dr, prefix, [f"{prefix}\\.orders"])
    doc["clusters"]["main"] = {"bootstrap_servers": secured.bootstrap_servers, "timeout": "20s", "client": {
        "security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": secured.admin_user,
        "sasl.password": "${secret:env:MIRROR_SOURCE_PASSWORD}", "ssl.ca.location": secured.ca_file}}
    path = write_stack(tmp_path / "s.yaml", doc)
    env = {"MIRROR_SOURCE_PASSWORD": secured.admin_password}
    plan = kplan("plan", str(path), "--no-color", env=env)
    assert plan.code == 0, plan.text
    assert 'config["source.cluster.sasl.jaas.config"]' in plan.out and secured.admin_password not in plan.text
    try:
        r = kplan("apply", str(path), "--auto-approve", "--no-color", env=env)
        assert r.code == 0 and secured.admin_password not in r.text, r.text
        _produce(stack.bootstrap_servers, f"{prefix}.orders", 8)
        wait_for(lambda: f"main.{prefix}.orders" in topic_names(dr.bootstrap)
                 and _records(dr.bootstrap, f"main.{prefix}.orders") == 8, timeout=120,
                 what="the secured source's topic replicated")
    finally:
        d = kplan("destroy", str(path), "--auto-approve", env=env)
    assert d.code == 0, d.text
