"""SCRAM user steps and their pure builder.

  CreateUsers   (phase 40) upsert the credentials of users that did not exist. Undo: delete them again.
  AlterUsers    (phase 85) set passwords again, change iterations, drop a mechanism of existing users.
                IRREVERSIBLE: the password they replace cannot be read, so it cannot be put back.
  DeleteUsers   (phase 93) delete every credential of users kplan owns. Undo: only where the stack declares the
                user's password (a destroy) and it is the one kplan last set (same rotation token): the user is
                created again with it (`restore`); otherwise the undo reports the user as not restored.

A step holds a user's password as its `${secret:...}` reference (the stack allows nothing else), never the value:
the handler resolves it when it writes, so the journal and every printed step are free of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Mapping

from kplan.kinds.codec import UNSET_OMITTED, JsonKey
from kplan.kinds.planned import payloads
from kplan.kinds.step import Phase, Planned, StepBase, name_list
from kplan.kinds.user.kind import UserPlanned
from kplan.kinds.user.model import SHAPE, UserSpec
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Action, Plan, ResourceType


@dataclass(frozen=True, order=True)
class Credential:
    """One (user, mechanism) credential to write: its iterations and the reference its password comes from."""

    user: str
    mechanism: str
    iterations: int
    password: str  # a ${secret:...} reference


@dataclass(frozen=True, order=True)
class Removal:
    """One (user, mechanism) credential to delete, with the iterations it had (for the record)."""

    user: str
    mechanism: str
    iterations: int = 0


def _users(items: Iterable[Credential | Removal]) -> str:
    return name_list(sorted({i.user for i in items}))


@dataclass(frozen=True)
class CreateUsers(StepBase):
    """Create SCRAM users (every credential absent when planned). Undo: delete those credentials."""

    kind: ClassVar[str] = "create-users"
    phase: ClassVar[Phase] = Phase.CREATE_USERS
    before_says: ClassVar[Mapping[str, Any]] = {"absent": True}

    credentials: tuple[Credential, ...]

    def describe(self) -> str:
        return f"create SCRAM user(s) {_users(self.credentials)}"


@dataclass(frozen=True)
class AlterUsers(StepBase):
    """Set existing users' passwords again / change their iterations (`upserts`) and delete credentials of
    mechanisms no longer declared (`removals`). Irreversible."""

    kind: ClassVar[str] = "alter-users"
    phase: ClassVar[Phase] = Phase.ALTER_USERS
    irreversible: ClassVar[bool] = True
    before_says: ClassVar[Mapping[str, Any]] = {"password": "unknown"}  # SCRAM credentials cannot be read back

    upserts: tuple[Credential, ...] = ()
    removals: tuple[Removal, ...] = ()

    def describe(self) -> str:
        return f"set the credentials of SCRAM user(s) {_users(self.upserts + self.removals)}"


@dataclass(frozen=True)
class DeleteUsers(StepBase):
    """Delete every credential of these users. Kafka never gives a password back, so an undo can re-create only the
    credentials in `restore`: those whose password the stack declares (as a reference) and kplan itself last set."""

    kind: ClassVar[str] = "delete-users"
    phase: ClassVar[Phase] = Phase.DELETE_USERS
    before_says: ClassVar[Mapping[str, Any]] = {"password": "unknown"}
    json_keys: ClassVar[Mapping[str, JsonKey]] = {"restore": UNSET_OMITTED}

    removals: tuple[Removal, ...]
    restore: tuple[Credential, ...] = ()  # what the undo writes back (the password as its ${secret:...} reference)

    def describe(self) -> str:
        return f"delete SCRAM user(s) {_users(self.removals)}"


def build_user_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    """Which credentials to write and delete come from each change's `UserPlanned`; the password is read from the
    stack (its `${secret:...}` reference: the plan never holds a password)."""
    declared = {u.name: u for u in stack.of("users")}
    create: list[Credential] = []
    upserts: list[Credential] = []
    removals: list[Removal] = []
    deletions: list[Removal] = []
    restore: list[Credential] = []
    for change, p in payloads(plan, UserPlanned):
        gone = [Removal(change.name, m, i) for m, i in p.remove]
        if change.action == Action.DELETE:
            deletions += gone
            restore += _restorable(gone, declared.get(change.name), live)
            continue
        wanted = [Credential(change.name, m, i, declared[change.name].password) for m, i in p.write]
        if change.action == Action.CREATE:
            create += wanted
        else:
            upserts += wanted
            removals += gone
    steps = (CreateUsers(tuple(sorted(create))), AlterUsers(tuple(sorted(upserts)), tuple(sorted(removals))),
             DeleteUsers(tuple(sorted(deletions)), tuple(sorted(restore))))
    return [Planned(s) for s, wanted in zip(steps, (create, upserts or removals, deletions)) if wanted]


def _restorable(gone: list[Removal], spec: UserSpec | None, live: LiveState) -> list[Credential]:
    """The credentials an undo of their deletion may write back: only a user the stack still declares (a destroy),
    whose password kplan last set from that declaration (the rotation token the record holds for it is the
    declared one: a token changed since means the password was meant to change); else the password it had is
    unknown."""
    if spec is None or not gone:
        return []
    current = live.of(ResourceType.USER).resources.get(spec.name)
    recorded = getattr(current, "rotation", None)
    if recorded is not None and recorded != spec.rotation:
        return []
    return [Credential(r.user, r.mechanism, r.iterations or SHAPE["iterations"].default, spec.password) for r in gone]
