"""The quota kind's part of a live-state document (`kplan.kinds.livejson`: golden tests, unit tests and
`kplan plan --live-state`).

Client quotas, by entity name: {"quotas": {"user=app": {"user": "app", "client_id": null,
"values": {"producer_byte_rate": 1048576}, "owned": ["producer_byte_rate"]}}, "quota_problem": null |
"not-authorized"}: `owned` are the keys the stack's record says kplan set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from kplan.kinds.live_codec import kind_slice, owning, shape
from kplan.kinds.quota.model import QuotaEntity
from kplan.model.desired import freeze
from kplan.model.live import KindState, Problem


@dataclass(frozen=True)
class LiveQuota:
    """The client quotas of one entity on the cluster (key -> value, as Kafka stores them: doubles), and which
    keys this stack's ownership record says kplan set."""

    entity: QuotaEntity
    values: Mapping[str, float] = field(default_factory=lambda: freeze({}))
    owned: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return self.entity.name

def kind_state(found: Mapping[QuotaEntity, Mapping[str, float]], part: Mapping[str, Any],
               problem: Problem | None) -> KindState:
    """The quotas' slice of the live state from the cluster's answer (entity -> key -> value) and the stack's part
    of the ownership record (entity name -> the keys kplan set)."""
    quotas = {e.name: LiveQuota(e, freeze(v), frozenset(part.get(e.name, ()))) for e, v in found.items() if v}
    return KindState(freeze(quotas), frozenset(part), problem=problem)


def _entity(q: Mapping[str, Any]) -> Mapping[str, Any]:
    """An entry's entity is its own `user` and `client_id`, one of them at least."""
    if q.get("user") is None and q.get("client_id") is None:
        raise ValueError("a quota entity needs a user or a client_id")
    return {**q, "entity": q}


_quota = shape(LiveQuota, _entity)
# The client quotas' slice of a live-state document: each entry by its entity's name (the document's keys are not
# read); the entities of which kplan set some key are owned.
live_from_json = kind_slice(
    resources=("quotas", lambda entries: freeze({q.name: q for q in map(_quota, (entries or {}).values())})),
    problem="quota_problem", after=owning)
