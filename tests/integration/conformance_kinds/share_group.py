"""Share-group requests (KIP-932): setup writes 10 records to a topic of its own (`<P>.t`, made out of band: a
request acts on a share group's start offsets, which kplan never creates) and sets two share groups' start offset
there to 3 (AlterShareGroupOffsets, which makes the groups). v1: group `<P>-g` reset to earliest (request r1); v2:
a new request for it (r2, explicit offset 7) and a first one for `<P>-h` (r1, latest). Read on the wire with
kafka-python and Kafka's own share-group messages (ShareGroupDescribe, DescribeShareGroupOffsets: the message
definitions of kplan.transport.share_protocol, not kplan's reader): each group's start offsets, or None once the
group is gone. Needs a Kafka with share groups (4.1+, share.version 1: 4.3.1 enables it by default).

Again (`AGAIN`): `<P>-h`'s request r2 to latest, where v2 left it: planned "set again", and apply sends it (the
share coordinator writes the group's state to `__share_group_state`: what drops the records acknowledged after it).
Saved (`SAVED`): `<P>-g`'s request r3 to latest, saved as 10; five records arrive; the saved plan sets 10. Rights: a
request for a share group of its own, planned as a principal that may DESCRIBE the cluster and the topic but not
the group, is an error before and after the group gets a start offset."""

from __future__ import annotations

from confluent_kafka import Producer
from confluent_kafka.admin import NewTopic
from conformance import (
    AGAIN,
    SAVED,
    Again,
    Ctx,
    KindFixture,
    NotApplicable,
    Rights,
    Saved,
    lists_every_group,
    rights_user,
)
from kafka.admin import KafkaAdminClient
from kplan_helpers import wait_for

from kplan.transport.share_protocol import (
    AlterShareGroupOffsetsRequest,
    DescribeShareGroupOffsetsRequest,
    ShareGroupDescribeRequest,
)

START = 3  # where setup puts both groups
RECORDS = 10
GROUP_ID_NOT_FOUND = 69


def _topic(ctx: Ctx) -> str:
    return f"{ctx.prefix}.t"


def _groups(ctx: Ctx) -> list[str]:
    return [f"{ctx.prefix}-g", f"{ctx.prefix}-h"]


def sections(ctx: Ctx, version: int) -> dict:
    g, h = _groups(ctx)
    if version == 1:
        return {"share_groups": [{"name": g, "offsets": {"request": "r1", "reset": "earliest"}}]}
    at_7 = {"request": "r2", "reset": [{"topic": _topic(ctx), "partition": 0, "offset": 7}]}
    return {"share_groups": [
        {"name": g, "offsets": {"request": "r3", "reset": "latest"} if version == SAVED else at_7},
        {"name": h, "offsets": {"request": "r2" if version in (AGAIN, SAVED) else "r1", "reset": "latest"}}]}


def _send(ctx: Ctx, request):
    admin = KafkaAdminClient(bootstrap_servers=ctx.bootstrap)
    try:
        async def call():  # to the group coordinator: the one broker of the plain stack
            return await admin._manager.send(request)

        return admin._manager.run(call)
    finally:
        admin.close()


def _starts(ctx: Ctx, group: str) -> dict[str, int] | None:
    described = _send(ctx, ShareGroupDescribeRequest(group_ids=[group], include_authorized_operations=False))
    gone = described.groups[0].error_code == GROUP_ID_NOT_FOUND
    answer = _send(ctx, DescribeShareGroupOffsetsRequest(groups=[(group, None)]))
    offsets = {f"{t.topic_name}/{p.partition_index}": p.start_offset for g in answer.groups for t in g.topics or ()
               for p in t.partitions or () if p.error_code == 0 and p.start_offset >= 0}
    return None if gone and not offsets else dict(sorted(offsets.items()))


def read(ctx: Ctx) -> dict:
    return {g: _starts(ctx, g) for g in _groups(ctx)}


def _produce(ctx: Ctx, n: int) -> None:
    producer = Producer({"bootstrap.servers": ctx.bootstrap})
    for i in range(n):
        producer.produce(_topic(ctx), value=f"record-{i}".encode(), partition=0)
    assert producer.flush(30) == 0


def _start_at(ctx: Ctx, group: str, offset: int) -> None:
    """The share group's start offset on the topic's partition (AlterShareGroupOffsets, which makes the group)."""
    answer = _send(ctx, AlterShareGroupOffsetsRequest(group_id=group, topics=[(_topic(ctx), [(0, offset)])]))
    assert answer.error_code == 0, answer


def setup(ctx: Ctx) -> None:
    """The topic with its records, and both share groups at 3 (no member: kplan refuses a group with one)."""
    topic = _topic(ctx)
    ctx.admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    wait_for(lambda: topic in ctx.admin.list_topics(timeout=10).topics, 30, f"{topic} listed")
    _produce(ctx, RECORDS)
    for g in _groups(ctx):
        _start_at(ctx, g, START)
    wait_for(lambda: read(ctx) == {g: {f"{topic}/0": START} for g in _groups(ctx)}, 30, "both share groups at 3")


def teardown(ctx: Ctx) -> None:
    admin = KafkaAdminClient(bootstrap_servers=ctx.bootstrap)
    try:
        for g in _groups(ctx):
            try:
                admin.delete_groups([g])
            except Exception:  # noqa: BLE001 - already gone
                pass
    finally:
        admin.close()
    topic = _topic(ctx)
    if topic in ctx.admin.list_topics(timeout=20).topics:
        ctx.admin.delete_topics([topic])[topic].result(30)


RIGHTS = Rights(
    sections=lambda ctx: {"share_groups": [
        {"name": rights_user(ctx), "offsets": {"request": "r1", "reset": "earliest", "topics": [_topic(ctx)]}}]},
    grants=lists_every_group,
    commit=lambda ctx: _start_at(ctx, rights_user(ctx), START),
    named=lambda ctx: [f"kplan's principal User:{rights_user(ctx)} may not describe share group {rights_user(ctx)} "
                       "(GROUP_AUTHORIZATION_FAILED)"])

FIXTURE = KindFixture(
    kind="share_group", section="share_groups", sections=sections, read=read, setup=setup, teardown=teardown,
    rights=RIGHTS, again=Again("__share_group_state", lambda ctx: _groups(ctx)[1]),
    saved=Saved(move=lambda ctx: _produce(ctx, 5),  # a fresh plan would resolve latest to 15
                want=lambda ctx: {g: {f"{_topic(ctx)}/0": RECORDS} for g in _groups(ctx)}),
    secret=NotApplicable("a share group request holds a token and positions: nothing secret"),
    imported=NotApplicable("`kplan import` writes no share_groups: a request is a one-time action, and nothing on "
                           "the cluster says which was asked (its token is only in kplan's record)"),
    orphan=NotApplicable("share groups are not claimable (docs/orphans.md: topics, connectors, ACL bindings, "
                         "subjects): kplan does not own groups, it applies requests to them"),
    destroy_restores=NotApplicable(
        "destroy applies no request and never moves a share group's start offsets back (docs/share-groups.md: a "
        "request is never undone; `destroy` applies no request, the record forgets its token): the groups stay "
        "where v2 moved them"),
)
