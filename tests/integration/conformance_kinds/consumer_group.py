"""Consumer-group requests: setup writes 10 records to a topic of its own (`<P>.t`, made out of band: the request
acts on a group's committed offsets, which kplan never creates) and commits two groups there at offset 3. v1: group
`<P>-g` reset to earliest (request r1); v2: a new request for it (r2, explicit offset 7) and a first one for `<P>-h`
(r1, latest). Read with confluent-kafka's admin client (DescribeConsumerGroups, OffsetFetch), not kplan's reader:
each group's committed offsets, or None once the group is gone.

Saved (`SAVED`): `<P>-g`'s request r3 to latest, saved as 10; five records arrive; the saved plan sets 10. Rights: a
request for a group of its own, planned as a principal that may DESCRIBE the cluster (so Kafka lists it every group)
and the topic but not the group, is the error naming the group's DESCRIBE before and after the group commits."""

from __future__ import annotations

from confluent_kafka import ConsumerGroupTopicPartitions, Producer, TopicPartition
from confluent_kafka.admin import NewTopic
from conformance import (
    SAVED,
    Ctx,
    KindFixture,
    NotApplicable,
    Rights,
    Saved,
    commit_group,
    lists_every_group,
    rights_user,
)
from kplan_helpers import wait_for

COMMITTED = 3  # where setup commits both groups
RECORDS = 10


def _topic(ctx: Ctx) -> str:
    return f"{ctx.prefix}.t"


def _groups(ctx: Ctx) -> list[str]:
    return [f"{ctx.prefix}-g", f"{ctx.prefix}-h"]


def sections(ctx: Ctx, version: int) -> dict:
    g, h = _groups(ctx)
    if version == 1:
        return {"consumer_groups": [{"name": g, "offsets": {"request": "r1", "reset": "earliest"}}]}
    if version == SAVED:
        return {"consumer_groups": [{"name": g, "offsets": {"request": "r3", "reset": "latest"}},
                                    {"name": h, "offsets": {"request": "r1", "reset": "latest"}}]}
    return {"consumer_groups": [
        {"name": g, "offsets": {"request": "r2", "reset": [{"topic": _topic(ctx), "partition": 0, "offset": 7}]}},
        {"name": h, "offsets": {"request": "r1", "reset": "latest"}}]}


def _committed(ctx: Ctx, group: str) -> dict[str, int] | None:
    state = ctx.admin.describe_consumer_groups([group])[group].result(timeout=30).state.name
    answer = ctx.admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(30)
    offsets = {f"{tp.topic}/{tp.partition}": tp.offset for tp in answer.topic_partitions or () if tp.offset >= 0}
    return None if state == "DEAD" and not offsets else dict(sorted(offsets.items()))


def read(ctx: Ctx) -> dict:
    return {g: _committed(ctx, g) for g in _groups(ctx)}


def _produce(ctx: Ctx, n: int) -> None:
    producer = Producer({"bootstrap.servers": ctx.bootstrap})
    for i in range(n):
        producer.produce(_topic(ctx), value=f"record-{i}".encode(), partition=0)
    assert producer.flush(30) == 0


def setup(ctx: Ctx) -> None:
    """The topic with its records, and both groups committed at 3 (no member: kplan refuses a group with one)."""
    topic = _topic(ctx)
    ctx.admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    wait_for(lambda: topic in ctx.admin.list_topics(timeout=10).topics, 30, f"{topic} listed")
    _produce(ctx, RECORDS)
    for g in _groups(ctx):
        ctx.admin.alter_consumer_group_offsets(
            [ConsumerGroupTopicPartitions(g, [TopicPartition(topic, 0, COMMITTED)])])[g].result(30)
    wait_for(lambda: read(ctx) == {g: {f"{topic}/0": COMMITTED} for g in _groups(ctx)}, 30, "both groups at 3")


def teardown(ctx: Ctx) -> None:
    for g in _groups(ctx):
        try:
            ctx.admin.delete_consumer_groups([g])[g].result(30)
        except Exception:  # noqa: BLE001 - already gone
            pass
    topic = _topic(ctx)
    if topic in ctx.admin.list_topics(timeout=20).topics:
        ctx.admin.delete_topics([topic])[topic].result(30)


RIGHTS = Rights(
    sections=lambda ctx: {"consumer_groups": [
        {"name": rights_user(ctx), "offsets": {"request": "r1", "reset": "earliest", "topics": [_topic(ctx)]}}]},
    grants=lists_every_group,
    commit=lambda ctx: commit_group(ctx, rights_user(ctx), _topic(ctx), COMMITTED),
    named=lambda ctx: [f"kplan's principal User:{rights_user(ctx)} may not describe consumer group {rights_user(ctx)} "
                       "(GROUP_AUTHORIZATION_FAILED): it needs DESCRIBE on the group"])

FIXTURE = KindFixture(
    kind="consumer_group", section="consumer_groups", sections=sections, read=read, setup=setup, teardown=teardown,
    rights=RIGHTS,
    again=NotApplicable("a group already at every target is no change, and nothing is sent: a committed offset set "
                        "again changes nothing (docs/consumer-groups.md)"),
    saved=Saved(move=lambda ctx: _produce(ctx, 5),  # a fresh plan would resolve latest to 15
                want=lambda ctx: {g: {f"{_topic(ctx)}/0": RECORDS} for g in _groups(ctx)}),
    secret=NotApplicable("a group request holds a token and positions: nothing secret"),
    imported=NotApplicable("`kplan import` writes no consumer_groups: a request is a one-time action, and nothing "
                           "on the cluster says which was asked (its token is only in kplan's record)"),
    orphan=NotApplicable("consumer groups are not claimable (docs/orphans.md: topics, connectors, ACL bindings, "
                         "subjects): kplan does not own groups, it applies requests to them"),
    destroy_restores=NotApplicable(
        "destroy applies no request and never moves a group's offsets back (docs/consumer-groups.md: a request is "
        "never undone; `destroy` applies no request, the record forgets its token): the groups stay where v2 "
        "moved them"),
)
