"""The topics under a stack's claimed prefixes that the batched read did not describe (docs/orphans.md), and the
one way a read is topped up with topics it did not describe (a prefetched read handed over, kplan.cluster.prefetch).

The read describes only the topics a plan can touch (declared, owned); an orphan under a claim needs its live
state too (status shows it, a pruning plan deletes it). Described after the read, only for the names the metadata
lists under a claim that no stack owns: a stack without claims, or with no orphan topic, asks nothing more."""

from __future__ import annotations

from typing import Iterable

from kplan.model.desired import Stack, freeze
from kplan.model.live import LiveState, live_topic
from kplan.model.orphans import claim_for
from kplan.model.plan import ResourceType, address_of
from kplan.rules.names import is_platform_topic


def unread_claimed_topics(stack: Stack, live: LiveState) -> list[str]:
    """The listed topics under the stack's topic claims that the read did not describe and no stack owns."""
    claims = tuple(c for c in stack.claims if "topics" in c.kinds)
    if not claims or live.all_topic_names is None:
        return []
    read = live.of(ResourceType.TOPIC).resources
    return sorted(n for n in live.all_topic_names
                  if n not in read and claim_for(claims, "topics", n) is not None and not is_platform_topic(n)
                  and address_of("topic", n) not in live.foreign_owners)


def read_claimed_topics(stack: Stack, live: LiveState, reader) -> LiveState:
    """`live` with the unread topics under the claims described (one chunked describe; none when there are none).
    A reader that cannot describe (a live-state file) leaves `live` as it is: the file says what it has."""
    names = unread_claimed_topics(stack, live)
    if not names or not hasattr(reader, "describe_topic_configs"):
        return live
    return with_topics_described(live, reader, names)


def undescribed_topics(live: LiveState, names: Iterable[str]) -> list[str]:
    """Of `names`, those the metadata lists that the read did not describe (not Kafka's own `__` topics), sorted:
    what a read handed over lacks for a stack that turned out to declare more (kplan.cluster.prefetch)."""
    listed = live.all_topic_names or frozenset()
    candidates = [n for n in set(names) if n in listed and not n.startswith("__")]
    read = live.of(ResourceType.TOPIC).resources if candidates else {}
    return sorted(n for n in candidates if n not in read)


def with_topics_described(live: LiveState, reader, names: Iterable[str]) -> LiveState:
    """`live` with the topics `names` described by `reader` (one chunked describe of those its last metadata
    lists) added to the topics' slice: the one way a read is topped up after the batched read."""
    metadata = reader.last_metadata
    configs = reader.describe_topic_configs([n for n in names if n in metadata])
    extra = {n: live_topic(n, metadata[n], configs[n]) for n in names if n in metadata and n in configs}
    if not extra:
        return live
    topics = live.of(ResourceType.TOPIC).resources
    return live.with_kind(ResourceType.TOPIC, resources=freeze({**topics, **extra}))
