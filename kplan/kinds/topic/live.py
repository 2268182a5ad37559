"""The topics' slice of the live state: from the batched read (`kind_state`: the described topics and the record's
names part) and from a live-state document (`live_from_json`, kplan.kinds.livejson)."""

from __future__ import annotations

from typing import Any, Mapping

from kplan.kinds.live_codec import by_name, kind_slice, shape
from kplan.model.desired import freeze
from kplan.model.live import KindState, LiveTopic, Problem
from kplan.model.ownership import NamesPart


def kind_state(found: Mapping[str, LiveTopic], part: Any, problem: Problem | None) -> KindState:
    """The described topics, and the names the stack's record owns and protects."""
    names = part if isinstance(part, NamesPart) else NamesPart()
    return KindState(freeze(dict(found)), names.names, names.protected, problem)


def _effective(t: Mapping[str, Any]) -> Mapping[str, Any]:
    """`effective` defaults to the overrides, which always win over it."""
    return {**t, "effective": {**(t.get("effective") or {}), **(t.get("overrides") or {})}}


# The document's "topics" (by name: partitions, replication_factor, overrides, effective, sensitive_keys,
# assignment), "owned_topics" and "protected_topics"; config values are kept as the document has them.
live_from_json = kind_slice(
    resources=("topics", by_name(shape(LiveTopic, _effective, overrides=freeze, effective=freeze))),
    owned="owned_topics", protected="protected_topics")
