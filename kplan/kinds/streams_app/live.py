"""The streams_app kind's live type and its slice of the live state.

The batched read has nothing of its own for it: what an application has on the cluster — its principal's
bindings that kplan generates or created for it, and its internal topics — comes from the ACLs and topic names
the read already made (`follow_up`, no request). A live-state document holds it as it is:
{"streams_apps": {"orders-enricher": {"bindings": [{"principal": "User:x", "resource": "topic", ...}],
"owned": ["User:x|topic|literal|orders|READ|ALLOW|*"], "internal_topics": ["orders-enricher-x-changelog"]}}}.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from kplan.kinds.live_codec import NOT_READ, by_name, each, kind_slice, owning, shape
from kplan.model.bindings import AclBinding
from kplan.model.desired import freeze
from kplan.model.live import KindState, Problem
from kplan.model.plan import ResourceType

STREAMS_APP = ResourceType.STREAMS_APP
Held = tuple[str, AclBinding]  # (principal, binding)


def held_key(h: Held) -> str:
    """A binding's identity with its principal, as the ownership record keeps it."""
    return f"{h[0]}|{h[1].key}"


def topic_key(name: str) -> str:
    """An internal topic kplan created (internal_topics: managed), as the ownership record keeps it."""
    return f"topic|{name}"


@dataclass(frozen=True)
class LiveStreamsApp:
    """What one application has on the cluster: the bindings of its principal(s) kplan generates for it or
    created for it, which of them (and of its internal topics) kplan created (`owned`: their record keys), and its
    internal topics."""

    name: str  # the application.id
    bindings: frozenset[Held] = frozenset()
    owned: frozenset[str] = frozenset()
    internal_topics: tuple[str, ...] = ()
    read: bool = True  # False: only the record's part, until the follow-up fills it in


def kind_state(found: Mapping[str, Any], part: Mapping[str, Any], problem: Problem | None) -> KindState:
    """The record's part only (application -> the keys kplan created); the follow-up adds what the cluster has."""
    apps = {a: LiveStreamsApp(a, owned=frozenset(k for k in keys if isinstance(k, str)), read=False)
            for a, keys in part.items() if isinstance(keys, tuple)}
    return KindState(freeze(apps), frozenset(part), problem=problem)


_binding = shape(AclBinding, lambda b: {"pattern": "literal", **b})


def _held(b: Mapping[str, Any]) -> Held:
    """A binding held for an application: its principal, and the binding (its pattern literal unless it says)."""
    return str(b["principal"]), _binding(b)


# What each application has on the cluster (its internal topics sorted); those of which kplan created something are
# owned; the ACLs' problem is theirs.
live_from_json = kind_slice(
    resources=("streams_apps", by_name(shape(LiveStreamsApp, bindings=each(_held), read=NOT_READ,
                                             internal_topics=each(str, lambda topics: tuple(sorted(topics)))))),
    problem="acl_problem", after=owning)
