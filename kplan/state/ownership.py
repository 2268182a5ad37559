"""The ownership record: which resources each stack created, kept in the cluster itself.

A compacted topic `__kplan_ownership`, keyed by stack name, whose latest value is `{"stack": ..., "updated_at":
...}` with the record's JSON form (`kplan.model.ownership.Ownership.to_json`: each kind's part under its word — a
names-only kind's `"<word>": [...]` and `"protected_<word>": [...]` lists, another kind's entries by name — and the
run marker). A record that owns nothing (a destroyed stack's, a first run's rolled back) is written as a tombstone:
every plan reads and decodes every stack's record, and compaction drops a tombstone (after `delete.retention.ms`)
but keeps a value for good; read back, either is the empty record a stack never applied has. Plans delete only what
their stack owns; a resource created by a person or another stack is never touched. Keeping it in the cluster (not
in a local state file) means every machine planning against the cluster sees the same record.
"""

from __future__ import annotations

import json
import time
from typing import Any

from kplan.model.ownership import Ownership
from kplan.state.lock import lock_topic, read_holder
from kplan.state.records import read_compacted

OWNERSHIP_TOPIC = "__kplan_ownership"
# kplan's compacted record topics roll segments hourly so compaction keeps them small (reads are full scans).
RECORD_TOPIC_CONFIG = {"segment.ms": "3600000", "min.cleanable.dirty.ratio": "0.1", "delete.retention.ms": "3600000"}


def encode(stack: str, ownership: Ownership) -> tuple[bytes, bytes | None]:
    if ownership.empty:
        return stack.encode(), None
    value = {"stack": stack, **ownership.to_json(), "run": dict(ownership.run) if ownership.run else None,
             "updated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    return stack.encode(), json.dumps(value, sort_keys=True).encode()


def decode(value: bytes | None) -> Ownership:
    if not value:  # a tombstone: the stack owns nothing
        return Ownership()
    return Ownership.from_json(json.loads(value))


def read_ownership(conf: dict[str, Any], stack: str, timeout_s: float) -> Ownership:
    return decode(read_compacted(conf, OWNERSHIP_TOPIC, timeout_s).get(stack.encode()))


class _Records:
    """kplan's record topics as the cluster's batched read takes them (kplan.cluster.reader.KplanRecords)."""

    ownership_topic = OWNERSHIP_TOPIC
    lock_topic = staticmethod(lock_topic)  # the name of a stack's lock topic

    def read_all(self, conf: dict[str, Any], timeout_s: float) -> dict[str, Ownership]:
        """Every stack's record (one read of the compacted topic): plans also need to know what other stacks own."""
        return {key.decode(errors="replace"): decode(value)
                for key, value in read_compacted(conf, OWNERSHIP_TOPIC, timeout_s).items() if key}

    def lock_held(self, conf: dict[str, Any], stack_name: str, timeout_s: float) -> bool:
        return read_holder(conf, self.lock_topic(stack_name), timeout_s)[0]


RECORDS = _Records()
