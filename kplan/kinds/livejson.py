"""LiveState from a JSON document: golden tests, unit tests and offline planning (`kplan plan --live-state`).

    {"cluster_id": "c1", "broker_count": 3,
     "topics": {"orders": {"partitions": 6, "replication_factor": 3,
                           "overrides": {"retention.ms": "86400000"}, "effective": {...}, "sensitive_keys": []}},
     "connectors": {"pg-src": {"config": {...}, "state": "RUNNING", "tasks": [{"id": 0, "state": "RUNNING"}]}},
     "owned_topics": [...], "owned_connectors": [...], "protected_topics": [...], "protected_connectors": [...],
     "connector_plugins": [...] or null, "connect_version": "3.9.2" or null (the default Connect cluster's worker;
     "connect_versions": {name: version} for the others), "all_topic_names": [...] or null,
     "unfinished_run": "run ... started ..." or null, "locked": false,
     "foreign_owners": {"topic.x": "other-stack"}, "connect_problems": {"analytics": "why it was not read"}}

A connector on a named Connect cluster is keyed "<connect>/<name>" (docs/stack-format.md). A connector may carry
"sensitive_keys" (the keys its ownership record names as secrets). Each kind's part of the document (topics and
connectors included) is read by the kind (`kplan/kinds/<kind>/live.py`, its `KindUnit.live_from_json`).

`effective` defaults to the overrides (overrides always win over it). A topic may carry "assignment" (the replica
broker ids of each partition, [[1, 2], [2, 3]]) and the state "broker_racks" ({"1": "rack-a", ...}): without
both, a replication-factor change cannot be planned as a reassignment.

Consumer groups (docs/consumers.md; `kplan.model.consumers.consumers_from_json`): the state's "consumer_groups"
({"orders-app": {"state": "Stable", "members": 2, "offsets": {"orders": {"0": 12, "1": 30}}}}; optionally each
group's "assigned" ({"orders": [0, 1]}: its members' partitions) and "protocol" ("classic" or "consumer")) and
"consumers_read_at" (epoch ms the ages are measured from); a topic may carry "end_offsets" ({"0": 40, "1": 30}),
"kept_from" (for a retention cut: {"<new retention.ms>": {"0": 20}}, the first offset that retention keeps) and
"timestamps" ({"0": {"12": <epoch ms of the record at offset 12>}}). Without "consumer_groups" the plan shows no
consumer context; with it, the groups are those the document lists.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from kplan.errors import KplanError
from kplan.kinds import UNITS
from kplan.model.consumers import consumers_from_json
from kplan.model.desired import DEFAULT_CONNECT, freeze
from kplan.model.live import LiveState
from kplan.model.metadata import Meta


def live_state_from_dict(doc: Any) -> LiveState:
    try:
        plugins = doc.get("connector_plugins")
        names = doc.get("all_topic_names")
        return LiveState(
            cluster_id=str(doc.get("cluster_id", "")),
            broker_count=int(doc.get("broker_count", 1)),
            connector_plugins=None if plugins is None else frozenset(plugins),
            connect_versions=freeze({**({DEFAULT_CONNECT: str(doc["connect_version"])} if doc.get("connect_version")
                                        else {}),
                                     **{str(k): str(v) for k, v in (doc.get("connect_versions") or {}).items()}}),
            all_topic_names=None if names is None else frozenset(names),
            unfinished_run=doc.get("unfinished_run") or None,
            locked=bool(doc.get("locked", False)),
            foreign_owners=freeze({str(k): str(v) for k, v in (doc.get("foreign_owners") or {}).items()}),
            broker_racks=MappingProxyType({int(k): (None if v is None else str(v))
                                           for k, v in sorted((doc.get("broker_racks") or {}).items())}),
            registry_level=doc.get("registry_level") or None,
            kinds=freeze({u.kind.type: u.live_from_json(doc) for u in UNITS if u.live_from_json is not None}),
            consumers=consumers_from_json(doc),
            connect_problems=freeze({str(k): str(v) for k, v in (doc.get("connect_problems") or {}).items()}),
            metadata=freeze({str(a): Meta.from_json(m) for a, m in (doc.get("metadata") or {}).items()}),
        )
    except (AttributeError, KeyError, TypeError, ValueError) as e:
        raise KplanError(f"malformed live state: {type(e).__name__}: {e}") from None

