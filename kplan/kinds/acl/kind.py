"""The ACL kind: one resource per principal (`acl.User:orders-app`), whose attributes are its ACL bindings.

A plan shows each binding that is added, removed or left alone as one line, e.g.
`+ topic["orders"]["WRITE"] = allow` or `# drift: group["prefix:ops-"]["READ"] = allow`. The rules:

* a declared binding the cluster lacks is created (and recorded as created by kplan);
* a live binding of a declared principal that the stack does not declare is deleted when kplan created it (the
  ownership record keeps the keys of the bindings it created) or the principal is `authoritative`; otherwise it is
  drift, shown and left alone;
* a principal no longer declared, and destroy: only the bindings kplan created are deleted.

ACLs hold no secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Mapping

from kplan.kinds.acl.live import LiveAcls
from kplan.kinds.acl.model import AclSpec
from kplan.kinds.base import Kind, PlanContext, rights_problems
from kplan.kinds.planned import payloads
from kplan.model.bindings import AclBinding, binding_json
from kplan.model.live import Problem
from kplan.model.ownership import Entry, Ownership, keys_after, keys_of
from kplan.model.plan import (
    Action,
    AttributeChange,
    AttrKind,
    Flag,
    NoteKind,
    PlanDiagnostic,
    PlannedPayload,
    Reason,
    ResourceChange,
    ResourceType,
)
from kplan.model.status import Difference, ResourceStatus
from kplan.words import plural

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Claim, Stack
    from kplan.model.live import LiveState
    from kplan.model.orphans import Orphan
    from kplan.model.plan import Plan
    from kplan.model.source import Origin

ACL = ResourceType.ACL


@dataclass(frozen=True)
class AclStatus(ResourceStatus):
    """An ACL principal's status: the number of its bindings on the cluster, and of the declared ones."""

    bindings: int | None = None
    declared_bindings: int | None = None

# Why ACLs could not be read (LiveState.of(ResourceType.ACL).problem), as the plan says it.
PROBLEMS = {
    Problem.SECURITY_DISABLED: "the cluster has no authorizer (describe_acls answered SECURITY_DISABLED), so it "
                               "cannot hold ACLs; configure authorizer.class.name on the brokers, or remove the acls "
                               "section",
    **rights_problems("ACLs"),
}


# Why ACLs could not be read, as a reference's check says it (the plan's own wording, PROBLEMS, is for stacks with an
# acls section).
REFERENCE_PROBLEMS = {
    Problem.SECURITY_DISABLED: "the cluster has no authorizer (describe_acls answered SECURITY_DISABLED), so it holds "
                               "no ACLs",
    Problem.NOT_AUTHORIZED: "kplan's principal may not read ACLs (needs DESCRIBE on the cluster)",
}
REFERENCE_KEYS = ("produce", "consume", "allow")  # what an ACL reference may expect
WILDCARD = "User:*"  # the principal whose bindings the authorizer applies to every principal
# An ALLOW of one of these operations allows the key's too (Kafka's authorizer: READ, WRITE, DELETE and ALTER imply
# DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS); a DENY denies only what it names.
IMPLIED_BY = {"DESCRIBE": frozenset({"READ", "WRITE", "DELETE", "ALTER"}),
              "DESCRIBE_CONFIGS": frozenset({"ALTER_CONFIGS"})}


def grants(bindings: Iterable[AclBinding], want: AclBinding) -> tuple[bool, AclBinding | None]:
    """(whether an ALLOW binding covers all of `want` — its operation on every resource it names, from its host —,
    the first DENY binding that takes some of it away). A binding covers a literal name when it names it, is the
    literal `*`, or is a prefix of it; a prefixed `want` only by a shorter-or-equal prefix or the literal `*`."""
    allowed, denied = False, None
    for b in sorted(bindings):
        if b.resource != want.resource:
            continue
        if b.permission == "DENY":
            if denied is None and b.operation in ("ALL", want.operation) and _overlaps(b, want) \
                    and (b.host == want.host or "*" in (b.host, want.host)):
                denied = b
        elif (b.operation in ("ALL", want.operation) or b.operation in IMPLIED_BY.get(want.operation, ())) \
                and b.host in ("*", want.host) and _covers(b, want):
            allowed = True
    return allowed, denied


def _covers(b: AclBinding, want: AclBinding) -> bool:
    if b.pattern == "literal" and b.name == "*":
        return True
    if b.pattern == "prefixed":
        return want.name.startswith(b.name)
    return want.pattern == "literal" and b.name == want.name


def _overlaps(b: AclBinding, want: AclBinding) -> bool:
    """Whether `b` names some resource `want` names."""
    if (b.pattern == "literal" and b.name == "*") or (want.pattern == "literal" and want.name == "*"):
        return True
    if want.pattern == "literal":
        return want.name.startswith(b.name) if b.pattern == "prefixed" else b.name == want.name
    return b.name.startswith(want.name) or (b.pattern == "prefixed" and want.name.startswith(b.name))


@dataclass(frozen=True)
class AclPlanned(PlannedPayload):
    """What apply does to one principal's ACLs: the exact bindings it creates and those it deletes (in the plan's
    order)."""

    type: ClassVar[ResourceType] = ACL

    create: tuple[AclBinding, ...] = ()
    delete: tuple[AclBinding, ...] = ()


def _planned(created: Iterable[AclBinding], deleted: Iterable[AclBinding]) -> AclPlanned | None:
    """In attribute order (by path, then by binding), as the plan lists them; None when nothing changes."""
    create, delete = (tuple(sorted(sorted(bindings), key=binding_path)) for bindings in (created, deleted))
    return AclPlanned(create, delete) if create or delete else None


def binding_path(b: AclBinding) -> tuple[str, ...]:
    """`("topic", "prefix:orders.", "WRITE")`: shown as `topic["prefix:orders."]["WRITE"]`."""
    return (b.resource, b.resource_label, b.operation)


def acl_repr(principal: str, bindings: Iterable[AclBinding]) -> dict[str, Any]:
    """The before/after shape of a principal's ACLs: its bindings, sorted."""
    return {"principal": principal, "bindings": [binding_json(b) for b in sorted(bindings)]}


def _attr(b: AclBinding, kind: AttrKind, note: NoteKind | None = None) -> AttributeChange:
    if kind == AttrKind.ADD:
        return AttributeChange(binding_path(b), kind, None, b.grant, note=note)
    return AttributeChange(binding_path(b), kind, b.grant, None, note=note)


def orphan_bindings(live: LiveAcls, spec: AclSpec | None, claims: "tuple[Claim, ...]"
                    ) -> "dict[Claim, list[AclBinding]]":
    """A principal's bindings under the claims (by the resource name they are on; the cluster's are no one's
    prefix) that kplan did not create and the stack does not declare, by the claim that decides for each. None of
    an authoritative principal's: the plan deletes every binding it does not declare anyway."""
    from kplan.model.orphans import claim_for

    if spec is not None and spec.authoritative:
        return {}
    mine = set(spec.bindings) if spec is not None else set()
    out: dict[Claim, list[AclBinding]] = {}
    for b in sorted(live.bindings):
        if b in mine or b.key in live.owned or b.resource == "cluster":
            continue
        claim = claim_for(claims, "acls", b.name)
        if claim is not None:
            out.setdefault(claim, []).append(b)
    return out


def _binding_of(a: AttributeChange, pruned: set[AclBinding]) -> AclBinding | None:
    """The pruned binding a drift attribute shows (its path and grant), if it is one."""
    if a.kind is not AttrKind.DRIFT:
        return None
    return next((b for b in pruned if binding_path(b) == a.path and b.grant == a.before), None)


class AclKind(Kind[AclSpec, LiveAcls, AclStatus]):
    type = ACL
    planned_type = AclPlanned
    title = "ACLs"
    section = "acls"
    flag_notes = {Flag.DRIFT: "drift: the principal has bindings the stack does not declare and kplan did not "
                              "create (left alone)"}
    unread = ("ACLs", PROBLEMS)  # ACLs that cannot be read cannot be planned (plans and destroys alike)
    reference_problems = REFERENCE_PROBLEMS
    status_type = AclStatus
    difference_notes = {AttrKind.ADD: "missing", AttrKind.DRIFT: "not declared",
                        AttrKind.REMOVE: "not declared (deleted by the next apply)"}

    def plan(self, spec: AclSpec, current: LiveAcls | None, ctx: PlanContext
             ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        declared = set(spec.bindings)
        bindings = set(current.bindings) if current is not None else set()
        owned = current.owned if current is not None else frozenset()
        attrs = [_attr(b, AttrKind.ADD) for b in sorted(declared - bindings)]
        after = bindings | declared
        flags: set[Flag] = set()
        removed: list[AclBinding] = []
        for b in sorted(bindings - declared):
            if b.key in owned or spec.authoritative:
                attrs.append(_attr(b, AttrKind.REMOVE, NoteKind.BINDING_NO_LONGER_DECLARED if b.key in owned
                                   else NoteKind.BINDING_AUTHORITATIVE_REMOVAL))
                after.discard(b)
                removed.append(b)
            else:
                attrs.append(_attr(b, AttrKind.DRIFT, NoteKind.BINDING_LEFT_ALONE))
                flags.add(Flag.DRIFT)
        attrs.sort(key=lambda a: a.path)
        changed = any(a.changed for a in attrs)
        if not bindings:
            action, reason = (Action.CREATE, Reason.NOT_ON_CLUSTER) if declared else (Action.NOOP, Reason.MATCHES)
        else:
            action, reason = (Action.UPDATE, Reason.DIFFERS) if changed else (Action.NOOP, Reason.MATCHES)
        return ResourceChange(
            address=f"{ACL.value}.{spec.name}", type=ACL, name=spec.name, action=action,
            before=acl_repr(spec.name, bindings) if bindings else None,
            after=acl_repr(spec.name, after), attributes=tuple(attrs),
            unchanged_attributes=len(declared & bindings), flags=frozenset(flags), reason=reason, origin=spec.origin,
            planned=_planned(declared - bindings, removed)), []

    def delete(self, current: LiveAcls, spec: AclSpec | None, reason: Reason,
               origin: Origin | None = None) -> ResourceChange:
        """Delete the bindings kplan created for this principal; any other binding stays (shown as drift)."""
        ours = {b for b in current.bindings if b.key in current.owned}
        others = set(current.bindings) - ours
        attrs = sorted([_attr(b, AttrKind.REMOVE) for b in ours]
                       + [_attr(b, AttrKind.DRIFT, NoteKind.BINDING_LEFT_ALONE) for b in others], key=lambda a: a.path)
        action = Action.NOOP if not ours else (Action.UPDATE if others else Action.DELETE)
        return ResourceChange(
            address=f"{ACL.value}.{current.name}", type=ACL, name=current.name, action=action,
            before=acl_repr(current.name, current.bindings), after=acl_repr(current.name, others) if others else None,
            attributes=tuple(attrs), flags=frozenset({Flag.DRIFT}) if others else frozenset(), reason=reason,
            origin=origin, planned=_planned((), ours))

    def live_repr(self, current: LiveAcls, spec: AclSpec | None = None) -> dict[str, Any]:
        return acl_repr(current.name, current.bindings)

    def referenced(self, name: str, live: "LiveState") -> LiveAcls:
        """The principal's bindings with the wildcard principal's (`User:*`: the authorizer applies them to every
        principal); a principal without any holds nothing, which is not "missing"."""
        acls = self.live(live)
        own = acls[name].bindings if name in acls else frozenset()
        every = acls[WILDCARD].bindings if name != WILDCARD and WILDCARD in acls else frozenset()
        return LiveAcls(name, own | every)

    def expectation(self, expect: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[tuple[str, str]]]:
        """`produce`, `consume` and `allow`, as in the acls section, expanded to the ALLOW bindings they mean:
        `{"allow": (AclBinding, ...)}`."""
        from kplan.kinds.acl.section import expand_acl

        if not any(expect.get(k) for k in REFERENCE_KEYS):
            return expect, [("", "an ACL reference says what the principal must be allowed: expect "
                                 f"{', '.join(REFERENCE_KEYS)} (as in the acls section)")]
        bindings, problems = expand_acl({k: expect[k] for k in REFERENCE_KEYS if k in expect})
        return {"allow": tuple(bindings)}, problems

    def unmet(self, expect: Mapping[str, Any], current: LiveAcls) -> list[str]:
        """Each expected operation the principal may not do, as Kafka's authorizer decides (`grants`): no ALLOW
        binding covers it, or a DENY binding takes some of it away."""
        out = []
        for want in expect.get("allow") or ():
            allowed, deny = grants(current.bindings, want)
            what = f"{want.operation} on {want.resource} {want.resource_label}" + (
                "" if want.host == "*" else f" from {want.host}")
            if deny is not None:
                out.append(f"{what} is denied ({deny.describe()})")
            elif not allowed:
                out.append(f"no {what}")
        return out

    def orphans(self, live: "LiveState", claims: tuple[Claim, ...], declared: Mapping[str, AclSpec]) -> "list[Orphan]":
        """Bindings, not principals: a principal's bindings under a claim (`orphan_bindings`), one orphan per
        principal and claim. A principal another stack owns is that stack's: none of its bindings is an orphan."""
        from kplan.model.orphans import Orphan

        out = []
        for principal, current in sorted(self.live(live).items()):
            if self.address(principal) in live.foreign_owners:
                continue
            found = orphan_bindings(current, declared.get(principal), claims)
            for claim, bindings in sorted(found.items(), key=lambda kv: kv[0].prefix):
                out.append(Orphan.of(ACL, principal, claim, tuple(b.key for b in bindings),
                                     tuple(b.describe() for b in bindings)))
        return out

    def prune(self, orphans: list[Orphan], live: "LiveState", change: ResourceChange | None) -> ResourceChange:
        """The principal's change with its pruned orphan bindings (the orphans' `parts`) deleted too: the plan's
        change for it (a declared principal's, whose undeclared bindings were drift, or an owned one's removal) or,
        for a principal the stack neither declares nor owns, one that deletes only them."""
        current = self.live(live)[orphans[0].name]
        keys = {k for o in orphans for k in o.parts}
        pruned = {b for b in current.bindings if b.key in keys}
        if change is None:
            change = self.delete(LiveAcls(current.name, current.bindings, frozenset()), None, Reason.ORPHAN)
        attrs = [_attr(b, AttrKind.REMOVE, NoteKind.BINDING_ORPHAN)
                 if (b := _binding_of(a, pruned)) is not None else a for a in change.attributes]
        before = set(current.bindings)
        planned = change.planned if isinstance(change.planned, AclPlanned) else AclPlanned()
        create, delete = set(planned.create), set(planned.delete) | pruned
        after = (before | create) - delete
        flags = set(change.flags)
        if not any(a.kind is AttrKind.DRIFT for a in attrs):
            flags.discard(Flag.DRIFT)
        action = Action.DELETE if not after else (Action.CREATE if not before else Action.UPDATE)
        return ResourceChange(
            address=change.address, type=ACL, name=current.name, action=action, before=change.before,
            after=acl_repr(current.name, after) if after else None, attributes=tuple(attrs),
            unchanged_attributes=change.unchanged_attributes, flags=frozenset(flags),
            reason=Reason.ORPHAN if change.reason in (Reason.MATCHES, Reason.NONE) else change.reason,
            origin=change.origin, planned=_planned(create, delete))

    def record_after(self, plan: Plan, stack: "Stack", live: "LiveState", destroy: bool, parts: Ownership
                     ) -> dict[str, Entry]:
        """Its part of the ownership record once the plan is applied, principal -> the keys of the bindings kplan
        created: those it created before that still exist, plus those the plan creates, minus those it deletes. A
        declared binding that someone else created is never owned."""
        return keys_after({p: a.owned & {b.key for b in a.bindings} for p, a in self.live(live).items()},
                          ((c.name, (b.key for b in p.create), (b.key for b in p.delete))
                           for c, p in payloads(plan, AclPlanned)))

    def record_of(self, live: "LiveState") -> dict[str, Entry]:
        return keys_of(self.live(live))

    def canonical(self, current: LiveAcls, secret: frozenset[str]) -> dict[str, Any]:
        return {"type": "acl", "principal": current.name, "bindings": sorted(b.key for b in current.bindings)}

    def status_declared(self, spec: AclSpec) -> dict[str, Any]:
        return {"declared_bindings": len(spec.bindings)}

    def status_live(self, current: LiveAcls) -> dict[str, Any]:
        return {"bindings": len(current.bindings)}

    def status_detail(self, r: AclStatus) -> str:
        if not r.exists:
            return f"declared {plural(r.declared_bindings or 0, 'binding')}"
        return f"{plural(r.bindings or 0, 'binding')} on the cluster"

    def difference_text(self, r: AclStatus, d: "Difference") -> str:
        what = " ".join(d.path)  # resource, name, operation
        return {AttrKind.ADD: f"+ {d.declared} {what}: declared, not on the cluster",
                AttrKind.REMOVE: f"- {d.live} {what}: on the cluster, not declared (the next apply deletes it)",
                }.get(d.kind, f"~ {d.live} {what}: on the cluster, not declared (left alone)")

    status_keys, declared_keys = {"bindings": "bindings"}, ("bindings",)

    def difference_fields(self, d: Difference) -> dict[str, Any]:
        return {"resource": d.path[0], "name": d.path[1], "operation": d.path[2], "kind": d.kind.value,
                "live": d.live, "declared": d.declared}


KIND = AclKind()
