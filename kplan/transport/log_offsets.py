"""Where a named position ("earliest", "latest", a timestamp) is on a partition's log now: ListOffsets through the
admin client, batched (a request asks one position per partition). Used by the plans' follow-up reads of the one-time
requests (a consumer group's reset, a delete-records request)."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from kplan.errors import KplanError
from kplan.transport.kafka import describe_kafka_error


def resolve(admin, wanted: Iterable[tuple[str, int, Any]], timeout_s: float) -> dict[tuple[str, int, Any], int]:
    """(topic, partition, spec) -> the offset the spec ("earliest", "latest" or a timestamp in ms) means now. Keyed
    by the spec too: two groups on one partition may ask for different positions, and each gets its own. One
    list_offsets request per distinct spec of a partition (a request asks one spec per partition), and one more
    for the partitions without a record after their timestamp: their end."""
    from confluent_kafka import TopicPartition
    from confluent_kafka.admin import OffsetSpec

    def ask(specs: Mapping[tuple[str, int], Any]) -> dict[tuple[str, int], int]:
        if not specs:
            return {}
        request = {TopicPartition(t, p): (OffsetSpec.earliest() if s == "earliest" else OffsetSpec.latest()
                                          if s == "latest" else OffsetSpec.for_timestamp(int(s)))
                   for (t, p), s in specs.items()}
        out = {}
        for tp, fut in admin.list_offsets(request, request_timeout=timeout_s).items():
            try:
                out[(tp.topic, tp.partition)] = int(fut.result(timeout=timeout_s + 2).offset)
            except Exception as e:  # noqa: BLE001
                raise KplanError(f"could not read the offsets of {tp.topic}/{tp.partition}: "
                                 f"{describe_kafka_error(e)}") from None
        return out

    found: dict[tuple[str, int, Any], int] = {}
    for batch in spec_batches(wanted):
        found.update({(t, p, batch[(t, p)]): o for (t, p), o in ask(batch).items()})
    ends = ask({(t, p): "latest" for (t, p, _), o in found.items() if o < 0})
    return {k: ends.get((k[0], k[1]), o) if o < 0 else o for k, o in found.items()}


def spec_batches(wanted: Iterable[tuple[str, int, Any]]) -> list[dict[tuple[str, int], Any]]:
    """The distinct (topic, partition, spec) asked, as list_offsets requests: each holds a partition at most once
    (the n-th request holds each partition's n-th distinct spec), so as many requests as the most specs one
    partition is asked for."""
    per: dict[tuple[str, int], list[Any]] = {}
    for t, p, s in wanted:
        if s not in per.setdefault((t, p), []):
            per[(t, p)].append(s)
    return [{tp: specs[i] for tp, specs in sorted(per.items()) if len(specs) > i}
            for i in range(max((len(v) for v in per.values()), default=0))]
