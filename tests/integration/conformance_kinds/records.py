"""Delete-records requests: setup writes 10 records to a topic of its own (`<P>.t`, made out of band: a request
deletes records of a topic, it makes none). v1: records before offset 3 deleted (request r1); v2: before offset 6
(r2). Each version also creates a topic beside the request (v1 `<P>.u`, v2 `<P>.v` too: a reversible step the same
apply runs first). Read with a plain consumer's watermarks and the topic listing, not kplan's reader: `<P>.t`'s low and
high watermarks, whether `<P>.u` and `<P>.v` exist.

A deletion is irreversible (kplan.kinds.records.steps): a rollback of an apply killed once the DeleteRecords request
was answered exits 3 naming it and deletes the topic that apply created again; the kit judges the low watermark as
before or as after
(`irreversible`)."""

from __future__ import annotations

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import NewTopic
from conformance import Ctx, KindFixture, NotApplicable
from kplan_helpers import wait_for

RECORDS = 10


def _topic(ctx: Ctx) -> str:
    return f"{ctx.prefix}.t"


def sections(ctx: Ctx, version: int) -> dict:
    offset, token = (3, "r1") if version == 1 else (6, "r2")
    out: dict = {"delete_records": [{"topic": _topic(ctx), "request": token,
                                     "before": [{"partition": 0, "offset": offset}]}]}
    # a topic created beside the request by the same apply (a reversible step that runs first): .u, then .v too
    out["topics"] = [{"name": f"{ctx.prefix}.{t}", "partitions": 1, "replication_factor": 1}
                     for t in ("u", "v")[:version]]
    return out


def read(ctx: Ctx) -> dict:
    consumer = Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": "kplan-kit-unused"})
    try:
        low, high = consumer.get_watermark_offsets(TopicPartition(_topic(ctx), 0), timeout=30)
    finally:
        consumer.close()
    listed = ctx.admin.list_topics(timeout=20).topics
    return {"low": low, "high": high, **{t: f"{ctx.prefix}.{t}" in listed for t in ("u", "v")}}


def setup(ctx: Ctx) -> None:
    topic = _topic(ctx)
    ctx.admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    wait_for(lambda: topic in ctx.admin.list_topics(timeout=10).topics, 30, f"{topic} listed")
    producer = Producer({"bootstrap.servers": ctx.bootstrap})
    for i in range(RECORDS):
        producer.produce(topic, value=f"record-{i}".encode(), partition=0)
    assert producer.flush(30) == 0
    wait_for(lambda: read(ctx) == {"low": 0, "high": RECORDS, "u": False, "v": False}, 30, "the records written")


def teardown(ctx: Ctx) -> None:
    existing = ctx.admin.list_topics(timeout=20).topics
    for topic in (_topic(ctx), f"{ctx.prefix}.u", f"{ctx.prefix}.v"):
        if topic in existing:
            ctx.admin.delete_topics([topic])[topic].result(30)


FIXTURE = KindFixture(
    kind="records", section="delete_records", sections=sections, read=read, setup=setup, teardown=teardown,
    again=NotApplicable("a new request before offsets deleted already deletes nothing: no change, nothing sent "
                        "(test_delete_records.py)"),
    saved=NotApplicable("explicit offsets are the positions as written; a saved plan's resolved offsets are applied "
                        "as reviewed like any request's (applies_saved), but records arriving later do not move them"),
    imported=NotApplicable("`kplan import` writes no delete_records: a request is a one-time action, and nothing on "
                           "the cluster says which was asked (its token is only in kplan's record)"),
    destroy_restores=NotApplicable("destroy applies no request, and deleted records cannot be brought back "
                                   "(docs/delete-records.md)"),
    irreversible={"delete-records": (("low",),)},
)
