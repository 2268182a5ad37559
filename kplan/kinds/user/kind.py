"""The SCRAM user kind: one resource per user (`user.orders-app`), whose attributes are its credentials
(`iterations["SCRAM-SHA-512"] = 4096`), its password (always shown as sensitive) and its rotation token.

Kafka never gives a SCRAM password back (only each mechanism's iteration count), so:

* a new user is created with the declared password;
* an existing user kplan does not own is adopted by setting the declared password — shown as replacing a password
  kplan cannot read or restore, so it is irreversible and the plan says so;
* an owned user's password is set again only when asked: the stack's `rotation` token differs from the token
  kplan recorded when it last set the password (a changed secret alone cannot be seen), or a mechanism's
  iterations change (Kafka's upsert always takes a password);
* a mechanism no longer declared loses its credential; a user no longer declared (and destroy) loses all of its
  credentials — only users kplan owns. Every change to an existing user is irreversible: the previous password is
  gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Iterator, Mapping

from kplan.errors import KplanError
from kplan.kinds.base import Kind, PlanContext, TraceDict, rights_problems
from kplan.kinds.codec import JsonKey
from kplan.kinds.shape import Change
from kplan.kinds.user.live import LiveUser
from kplan.kinds.user.model import SHAPE, UserSpec
from kplan.model.plan import (
    SENSITIVE,
    Action,
    AttributeChange,
    AttrKind,
    Flag,
    NoteKind,
    Path,
    Plan,
    PlanDiagnostic,
    PlannedPayload,
    Reason,
    ResourceChange,
    ResourceType,
    Value,
    attribute_changes,
    error,
    with_planned,
)
from kplan.model.status import Difference, ResourceStatus

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.unit import SecretField
    from kplan.model.desired import Stack
    from kplan.model.live import LiveState
    from kplan.model.ownership import Entry, Ownership
    from kplan.model.source import Origin

USER = ResourceType.USER


@dataclass(frozen=True)
class UserStatus(ResourceStatus):
    """A SCRAM user's status: (mechanism, iterations) on the cluster, and declared."""

    credentials: tuple[tuple[str, int], ...] | None = None
    declared_credentials: tuple[tuple[str, int], ...] | None = None

# Why users could not be read (LiveState.of(ResourceType.USER).problem), as the plan says it.
PROBLEMS = rights_problems("SCRAM credentials")
PASSWORD = ("password",)
ROTATION = ("rotation",)


Credentials = tuple[tuple[str, int], ...]  # (mechanism, iterations)
CREDENTIALS = JsonKey(write=lambda cs: [{"mechanism": m, "iterations": i} for m, i in cs],
                      read=lambda docs: tuple((d["mechanism"], int(d["iterations"])) for d in docs))


@dataclass(frozen=True)
class UserPlanned(PlannedPayload):
    """What apply does to one SCRAM user: the credentials it writes with the declared password (`write`) and those
    it deletes (`remove`, with the iterations they had). The password is never here: apply takes the stack's
    `${secret:...}` reference and resolves it when it writes."""

    type: ClassVar[ResourceType] = USER
    json_keys: ClassVar[Mapping[str, JsonKey]] = {"write": CREDENTIALS, "remove": CREDENTIALS}

    write: Credentials = ()
    remove: Credentials = ()


def _update_planned(declared: dict[str, int], current: dict[str, int], attrs: list[AttributeChange]) -> UserPlanned:
    """With the password set again every declared mechanism is written (one password for all); otherwise only the
    mechanisms added or changed. Mechanisms no longer declared are removed."""
    changed = {a.path for a in attrs if a.changed}
    write = [(m, declared[m]) for m in sorted(declared) if PASSWORD in changed or ("iterations", m) in changed]
    return UserPlanned(tuple(write), tuple((m, current[m]) for m in sorted(current) if m not in declared))


def secret_fields(spec: UserSpec) -> Iterator["SecretField"]:
    """Its password's reference (`secret_fields` in the UNIT: it must resolve on every plan, also one that does not
    set the password; kplan.plan.secret_refs)."""
    yield spec.password, ("password",), spec.origin


def _password_problem(spec: UserSpec, ctx: PlanContext) -> PlanDiagnostic | None:
    try:
        value = ctx.secrets.substitute(spec.password)
    except KplanError as e:  # names the reference, never a value
        return error(f"cannot resolve the password of user {spec.name!r}: {e}", "secret-unresolved",
                     address=f"{USER.value}.{spec.name}", path=PASSWORD, origin=spec.origin)
    if not value:
        return error(f"the password of user {spec.name!r} is empty ({spec.password}); SCRAM needs a password",
                     "empty-password", address=f"{USER.value}.{spec.name}", path=PASSWORD, origin=spec.origin)
    return None


def _iterations(credentials: Iterable[tuple[str, int]]) -> dict[Path, Value]:
    """A user's credentials as attributes (`attribute_changes`): each mechanism's iterations."""
    return {("iterations", m): i for m, i in credentials}


class UserKind(Kind[UserSpec, LiveUser, UserStatus]):
    type = USER
    planned_type = UserPlanned
    title = "SCRAM users"
    section = "users"
    flag_notes = {Flag.IRREVERSIBLE: "IRREVERSIBLE: Kafka never gives a SCRAM password back, so the one this "
                                     "replaces or deletes cannot be put back"}
    unread = ("SCRAM users", PROBLEMS)  # users that cannot be read cannot be planned
    status_type = UserStatus

    def plan(self, spec: UserSpec, live: LiveUser | None, ctx: PlanContext
             ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        declared = dict(spec.credentials)
        address = f"{USER.value}.{spec.name}"
        after = SHAPE.image(spec)
        if live is None:
            attrs = attribute_changes({}, {**_iterations(spec.credentials), PASSWORD: SENSITIVE,
                                           ROTATION: spec.rotation or None},
                                      sensitive=(PASSWORD,), path_notes={PASSWORD: NoteKind.PASSWORD_SET})
            problem = _password_problem(spec, ctx)
            return ResourceChange(address, USER, spec.name, Action.CREATE, before=None, after=after,
                                  attributes=tuple(attrs), sensitive_paths=(PASSWORD,),
                                  reason=Reason.NOT_ON_CLUSTER, origin=spec.origin,
                                  planned=UserPlanned(tuple(spec.credentials))), [problem] if problem else []

        current = dict(live.credentials)
        attrs = attribute_changes(_iterations(live.credentials), _iterations(spec.credentials),
                                  notes={AttrKind.REMOVE: NoteKind.CREDENTIAL_NO_LONGER_DECLARED})
        # adopted: kplan sets the declared password, the only way to know what it is
        flags = set() if ctx.owned else {Flag.ADOPT}
        rotated = ctx.owned and spec.rotation != (live.rotation or "")
        upsert = any(a.kind in (AttrKind.ADD, AttrKind.UPDATE) for a in attrs)
        note = (NoteKind.PASSWORD_REPLACED if not ctx.owned else NoteKind.PASSWORD_ROTATION if rotated else
                NoteKind.PASSWORD_SET if upsert else None)
        if note is not None:
            attrs.append(AttributeChange(PASSWORD, AttrKind.UPDATE, SENSITIVE, SENSITIVE, sensitive=True, note=note))
        if not ctx.owned and spec.rotation:
            attrs.append(AttributeChange(ROTATION, AttrKind.ADD, None, spec.rotation))
        elif rotated:
            attrs.append(AttributeChange(ROTATION, AttrKind.UPDATE, live.rotation or None, spec.rotation or None))
        attrs.sort(key=lambda a: a.path)
        diags: list[PlanDiagnostic] = []
        if any(SHAPE[a.path[0]].change == Change.IRREVERSIBLE for a in attrs):
            flags.add(Flag.IRREVERSIBLE)  # the password before is gone for good (the table's rows say which)
        if any(a.path == PASSWORD for a in attrs) and (problem := _password_problem(spec, ctx)):
            diags.append(problem)
        unchanged = sum(1 for m in declared if current.get(m) == declared[m])
        change = ResourceChange(address, USER, spec.name, Action.UPDATE if attrs else Action.NOOP,
                                before=SHAPE.image(live), after=after,
                                attributes=tuple(attrs), unchanged_attributes=unchanged, sensitive_paths=(PASSWORD,),
                                flags=frozenset(flags), reason=Reason.DIFFERS if attrs else Reason.MATCHES,
                                origin=spec.origin)
        return with_planned(change, _update_planned(declared, current, attrs)), diags

    def delete(self, live: LiveUser, spec: UserSpec | None, reason: Reason,
               origin: Origin | None = None) -> ResourceChange:
        """Delete every credential of an owned user (irreversible: its password cannot be put back)."""
        credentials = sorted(live.credentials)
        attrs = tuple(attribute_changes(_iterations(credentials), {}))
        return ResourceChange(f"{USER.value}.{live.name}", USER, live.name, Action.DELETE,
                              before=SHAPE.image(live), after=None,
                              attributes=attrs, flags=frozenset({Flag.IRREVERSIBLE}), reason=reason, origin=origin,
                              planned=UserPlanned(remove=tuple(credentials)))

    def live_repr(self, current: LiveUser, spec: UserSpec | None = None) -> dict[str, Any]:
        return SHAPE.image(current)

    def canonical(self, current: LiveUser, secret: frozenset[str]) -> dict[str, Any]:
        # the recorded token is part of it: a saved plan made before another apply rotated the password is stale
        return {"type": "user", "name": current.name, "credentials": sorted(current.credentials),
                "rotation": current.rotation}

    def record_after(self, plan: Plan, stack: Stack, live: LiveState, destroy: bool, parts: Ownership
                     ) -> dict[str, Entry]:
        """Its part of the ownership record once the plan is applied: the SCRAM users kplan owns, each with the
        rotation token its password was last set with. Owned users that still exist and are not deleted keep their
        token; a declared user the plan creates or changes (or that matches) is owned with the declared token."""
        users = live.of(USER)
        return self.entries_after(plan, {n: u.rotation or "" for n, u in users.resources.items() if n in users.owned},
                                  {u.name: u.rotation for u in stack.of("users")}, destroy)

    def record_of(self, live: LiveState) -> dict[str, Entry]:
        """Its part of the record as the live state shows it: user -> the rotation token ("" for none)."""
        users = live.of(USER)
        return {n: (users.resources[n].rotation or "") if n in users.resources else "" for n in sorted(users.owned)}

    def status_declared(self, spec: UserSpec) -> dict[str, Any]:
        return {"declared_credentials": tuple(sorted(spec.credentials))}

    def status_live(self, current: LiveUser) -> dict[str, Any]:
        return {"credentials": tuple(sorted(current.credentials))}

    def status_detail(self, r: UserStatus) -> str:
        creds = r.credentials if r.exists else r.declared_credentials
        text = ", ".join(f"{m} ({i} iterations)" for m, i in creds or ())
        if not r.exists:
            return f"declared {text}"
        return text + ("" if r.owned else "; not owned by this stack (the next apply sets the declared password)")

    def difference_text(self, r: UserStatus, d: "Difference") -> str:
        if d.path == PASSWORD:
            return f"~ password: {d.note}"
        if d.path == ROTATION:
            return f"~ rotation {d.live!r} -> {d.declared!r}: the next apply sets the password again"
        mechanism = d.path[-1]
        if d.kind is AttrKind.ADD:
            return f"+ {mechanism}: declared ({d.declared} iterations), no credential on the cluster"
        if d.kind is AttrKind.REMOVE:
            return f"- {mechanism}: credential on the cluster, not declared (the next apply deletes it)"
        return f"~ {mechanism}: {d.live} iterations on the cluster, {d.declared} declared"

    def status_fields(self, r: UserStatus, trace_dict: TraceDict) -> dict[str, Any]:
        return {"credentials": {m: i for m, i in r.credentials or ()},
                "declared": {"credentials": {m: i for m, i in r.declared_credentials or ()}},
                "differences": [{"path": list(d.path), "kind": d.kind.value,
                                 "live": None if d.sensitive else d.live,
                                 "declared": None if d.sensitive else d.declared, "note": d.note}
                                for d in r.differences]}


KIND = UserKind()
