"""The user kind's part of a live-state document (`kplan.kinds.livejson`: golden tests, unit tests and
`kplan plan --live-state`).

SCRAM users: {"users": {"app": {"credentials": {"SCRAM-SHA-512": 4096}}}, "owned_users": {"app": "<rotation>"},
"user_problem": null | "not-authorized" | "not-authorized-alter"}: `owned_users` maps the users the stack's record
owns to the rotation token kplan last applied ("" for none); a list of names means no tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from kplan.kinds.live_codec import by_name, kind_slice, shape
from kplan.model.desired import freeze
from kplan.model.live import KindState, Problem


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


def _rotations(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """"owned_users" as user -> token (a list of names: no tokens); each user's `rotation`: its token ("" for none),
    None when the record does not own it."""
    owned = doc.get("owned_users") or {}
    owned = owned if isinstance(owned, dict) else dict.fromkeys(owned, "")
    return {**doc, "owned_users": owned, "users": {u: {**x, "rotation": owned[u] or "" if u in owned else None}
                                                   for u, x in (doc.get("users") or {}).items()}}


# The SCRAM users' slice of a live-state document; a user's credentials: mechanism -> iterations.
live_from_json = kind_slice(
    _rotations, owned="owned_users", problem="user_problem",
    resources=("users", by_name(shape(LiveUser, credentials=lambda c: frozenset(
        (str(m), int(i)) for m, i in (c or {}).items())))))
