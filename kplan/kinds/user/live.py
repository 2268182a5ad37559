"""The user kind's part of a live-state document (`kplan.kinds.livejson`: golden tests, unit tests and
`kplan plan --live-state`).

SCRAM users: {"users": {"app": {"credentials": {"SCRAM-SHA-512": 4096}}}, "owned_users": {"app": "<rotation>"},
"user_problem": null | "not-authorized" | "not-authorized-alter"}: `owned_users` maps the users the stack's record
owns to the rotation token kplan last applied ("" for none); a list of names means no tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from kplan.model.desired import freeze
from kplan.model.live import KindState, Problem, problem_of


@dataclass(frozen=True)
class LiveUser:
    """A SCRAM user's credentials on the cluster (mechanism -> iterations: all Kafka tells; never a password), and
    the rotation token this stack's record says kplan last applied (None: not owned)."""

    name: str
    credentials: frozenset[tuple[str, int]] = frozenset()
    rotation: str | None = None

def kind_state(found: Mapping[str, Mapping[str, int]], part: Mapping[str, Any], problem: Problem | None
               ) -> KindState:
    """The users' slice of the live state from the cluster's credentials by user (mechanism -> iterations) and the
    stack's part of the ownership record (user -> the rotation token kplan last applied)."""
    users = {u: LiveUser(u, frozenset(c.items()), part[u] if isinstance(part.get(u), str) else None)
             for u, c in found.items()}
    return KindState(freeze(users), frozenset(part), problem=problem)


def live_from_json(doc: Mapping[str, Any]) -> KindState:
    """The SCRAM users' slice of a live-state document."""
    owned = doc.get("owned_users") or {}
    owned = owned if isinstance(owned, dict) else {u: "" for u in owned}
    users = {u: _user(u, x, owned) for u, x in (doc.get("users") or {}).items()}
    return KindState(freeze(users), frozenset(owned), problem=problem_of(doc.get("user_problem")))


def _user(name: str, u: Mapping[str, Any], owned: Mapping[str, Any]) -> LiveUser:
    credentials = frozenset((str(m), int(i)) for m, i in (u.get("credentials") or {}).items())
    return LiveUser(name, credentials, str(owned[name] or "") if name in owned else None)
