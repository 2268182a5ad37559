"""Topics in `kplan import`: each topic's own overrides (never broker defaults), in human units only where they
convert back exactly; Kafka's, Connect's and kplan's internal topics and the topics another kind imports as parts of
its resources (a Streams application's internal topics) are left out."""

from __future__ import annotations

from typing import Any

from kplan.kinds.importing import ImportContext, KindImporter
from kplan.model.live import LiveState, LiveTopic
from kplan.model.plan import ResourceType
from kplan.rules.names import is_platform_topic
from kplan.rules.stack_values import topic_config_value


def entries(live: LiveState, ctx: ImportContext) -> list[dict[str, Any]]:
    found = live.of(ResourceType.TOPIC).resources
    out, skipped = [], 0
    for name in sorted(found):
        if not ctx.selects(name) or name in ctx.parts:  # a part of another kind's resource: imported with it
            continue
        if is_platform_topic(name):
            skipped += 1
            continue
        if not ctx.owned_elsewhere("topic", name):
            out.append(topic_entry(found[name]))
    if skipped:
        ctx.notes.append(f"{skipped} internal topic(s) of Kafka, Connect, the schema registry or kplan left out")
    return out


def topic_entry(topic: LiveTopic) -> dict[str, Any]:
    config = {k: topic_config_value(k, v) for k, v in sorted(topic.overrides.items())}
    return {"name": topic.name, "partitions": topic.partitions, "replication_factor": topic.replication_factor,
            **({"config": config} if config else {})}


IMPORTER = KindImporter(None, entries)  # counted by `kplan import` as `Imported.topics`
