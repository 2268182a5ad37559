"""What `kplan watch` has done under the resources' restart policies (docs/auto-restart.md), kept where `kplan status`
reads it: one record per stack on its cluster's compacted topic `__kplan_restarts`, each resource's restarts by its
key (its kind's track, `as_json`). Counts and times only."""

from __future__ import annotations

import json
from typing import Any, Mapping

from kplan.state.records import ensure_internal_topic, read_compacted, write_record

RESTARTS_TOPIC = "__kplan_restarts"


def write_restarts(cluster: Any, records: Mapping[str, Mapping[str, Any]]) -> None:
    """The stack's record (resource key -> its restarts) on its cluster (kplan.session.cluster.Cluster)."""
    timeout_s = cluster.stack.cluster.timeout_s
    ensure_internal_topic(cluster.writer.admin, RESTARTS_TOPIC, cluster.broker_count, timeout_s)
    value = json.dumps({k: dict(v) for k, v in sorted(records.items())}, sort_keys=True).encode()
    write_record(cluster.producer, RESTARTS_TOPIC, cluster.stack.name.encode(), value, timeout_s,
                 "the restarts record", cluster.writer.link)


def read_restarts(conf: dict[str, Any], stack: str, admin: Any, timeout_s: float) -> dict[str, dict[str, Any]]:
    """The stack's record (empty when kplan watch has restarted nothing of it on this cluster)."""
    md = admin.list_topics(RESTARTS_TOPIC, timeout=timeout_s)
    if RESTARTS_TOPIC not in md.topics or md.topics[RESTARTS_TOPIC].error is not None:
        return {}
    value = read_compacted(conf, RESTARTS_TOPIC, timeout_s).get(stack.encode())
    return json.loads(value) if value else {}
