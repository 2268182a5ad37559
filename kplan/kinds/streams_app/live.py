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

from kplan.kinds.acl.model import AclBinding
from kplan.model.desired import freeze
from kplan.model.live import KindState, Problem, problem_of
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


def live_from_json(doc: Mapping[str, Any]) -> KindState:
    apps = {n: _app(n, a) for n, a in (doc.get("streams_apps") or {}).items()}
    return KindState(freeze(apps), frozenset(n for n, a in apps.items() if a.owned),
                     problem=problem_of(doc.get("acl_problem")))


def _app(name: str, a: Mapping[str, Any]) -> LiveStreamsApp:
    held = frozenset((str(b["principal"]), AclBinding(str(b["resource"]), str(b.get("pattern", "literal")),
                                                       str(b["name"]), str(b["operation"]),
                                                       str(b.get("permission", "ALLOW")), str(b.get("host", "*"))))
                     for b in a.get("bindings") or ())
    return LiveStreamsApp(name, held, frozenset(a.get("owned") or ()), tuple(sorted(a.get("internal_topics") or ())))
