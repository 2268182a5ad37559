"""make_plan: desired state + live state -> Plan. Pure: no I/O, nothing read but its arguments (secret references
are compared through the `SecretValues` resolved at the edge and passed in).

The rules every kind shares live here (ownership, protection, one owner per resource, destroy, deleting what was
removed from the stack); what is particular to a kind is asked of it (`kplan.kinds`). Order of changes: by kind
(the registry's order: topics, then connectors), each by name. Apply orders its own work; the plan's order is
only for stable output.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from kplan.kinds import KINDS, UNITS, consumer_guard, kind_of
from kplan.kinds.base import AnyKind, Declared, Named, PlanContext
from kplan.model.desired import Forget, Stack
from kplan.model.diagnostics import Severity
from kplan.model.live import LiveState
from kplan.model.plan import Action, Plan, PlanDiagnostic, Reason, ResourceChange, error, warning
from kplan.plan.fingerprint import fingerprint_of, live_documents, stack_sensitive_keys
from kplan.plan.metadata import attach_metadata
from kplan.plan.orphans import plan_orphans
from kplan.plan.references import check_references
from kplan.plan.secret_refs import CODE as SECRET_CODE
from kplan.plan.secret_refs import unresolved_references
from kplan.policy.check import check_policy
from kplan.secrets import SecretValues


def make_plan(stack: Stack, live: LiveState, *, destroy: bool = False, secrets: SecretValues | None = None,
              allow_active_consumers: bool = False, allow_unreadable: frozenset[str] = frozenset(),
              renames_before: frozenset[tuple[str, str]] = frozenset()) -> Plan:
    """Compare `stack` with `live`. `destroy=True` plans the removal of everything this stack owns. When `live`
    holds the consumer groups (a live-state file's, or after the session's follow-up read), the disrupted topics
    carry them and the consumer guard runs (kplan.kinds.consumer_guard; `allow_active_consumers`: the run's allowance).
    `allow_unreadable`: the declared systems the run may plan without when they could not be read
    (`connect:NAME`); any other that could not be read is an error, and those allowed are the plan's `not_read`.
    `renames_before`: (a resume) the renames, (old address, new address), the resumed run started: continued
    although both names are taken.

    Errors (refused changes, protected deletions, impossible values) are diagnostics on the plan, not exceptions:
    callers check `plan.has_errors`."""
    secrets = SecretValues() if secrets is None else secrets
    diags: list[PlanDiagnostic] = []
    if live.unfinished_run:
        diags.append(error(f"an earlier apply did not finish (or is still running): {live.unfinished_run}; if it is "
                           "not running, recover it with "
                           "`kplan recover --rollback` or `kplan recover --resume`", "unfinished-run"))
    elif live.locked:
        diags.append(warning(f"stack {stack.name!r} is locked: an apply is running now (another apply is refused "
                             "until it ends), or one died before it changed anything; if none is running, "
                             "`kplan recover --rollback` releases the lock", "locked"))
    by_kind: dict[AnyKind, dict[str, ResourceChange]] = {}
    declared_by_kind = {}
    deferred: list[_Deferred] = []
    forgotten = _forgotten(stack, live, diags)
    if not destroy:  # what the stack needs of others' resources (a destroy needs none)
        diags += check_references(stack, live)
    for kind in KINDS:
        declared, unread = kind.readable(_unique(kind, kind.declared(stack), diags), live, allow_unreadable)
        declared_by_kind[kind] = declared
        diags += unread
        by_kind[kind] = _plan_kind(kind, declared, stack, live, destroy, secrets, diags, deferred, forgotten,
                                   renames_before)
        diags += _foreign(kind, declared.values(), live)
    _destroy_with_owners(deferred, by_kind, live, diags)
    if not destroy:  # what no stack owns under the stack's claims (docs/orphans.md)
        diags += plan_orphans(stack, live, by_kind)

    changes_of = {kind: attach_metadata([by_kind[kind][name] for name in sorted(by_kind[kind])], kind.section,
                                        frozenset(declared_by_kind[kind]), stack, live, destroy) for kind in KINDS}
    changes = tuple(c for kind in KINDS for c in changes_of[kind])
    for kind in KINDS:  # what the version of the system a change goes to cannot do (a Connect worker's)
        diags += kind.version_checks(changes_of[kind], live)
    every = {c.address: c for c in changes}
    if not destroy:
        for kind in KINDS:
            diags += kind.checks(stack, by_kind[kind], every, live)
        diags += check_policy(stack)  # the platform's rules (a destroy is never refused by them)
    for kind in KINDS:
        diags += kind.deletion_notes(stack, by_kind[kind], every, live, secrets)
    told = frozenset((d.address, d.path) for d in diags if d.code == SECRET_CODE)
    diags += unresolved_references(stack, secrets, destroy=destroy, reported=told)  # a broken secret source

    documents = live_documents(live, [a for c in changes if c.is_change for a in (c.address, c.previous_address) if a],
                               stack_sensitive_keys(stack))
    plan = Plan(
        stack=stack.name,
        environment=stack.environment,
        cluster_id=live.cluster_id,
        changes=changes,
        diagnostics=_ordered(diags),
        fingerprints={a: fingerprint_of(doc) for a, doc in documents.items()},
        fingerprinted={a: doc for a, doc in documents.items() if doc is not None},
        inputs_digest=stack.inputs_digest,
        destroy=destroy,
        # the systems that could not be read and that the run allowed to plan without (the others are errors)
        not_read=tuple(n for kind in KINDS for n in kind.not_read(live, allow_unreadable)),
        references=() if destroy else tuple(sorted(r.address for r in stack.references)),
    )
    # the consumer context on each disrupted change and the guard's diagnostics; the same plan when the consumers
    # were not read (`live.consumers` is None) or nothing is disrupted
    return consumer_guard().attach(plan, stack, live, allow_active_consumers, leaving)


def leaving(plan: Plan, live: LiveState) -> dict[str, str]:
    """group -> what takes it away, for the consumer groups of what this plan removes before any topic step (the
    connectors' phases and DELETE_ACLS run before REPLACE_TOPICS and DELETE_TOPICS, kplan.kinds.step.Phase), as
    each kind's UNIT says it (`takes_groups`): a sink connector it deletes (apply stops it and resets its offsets
    first) or stops, a Kafka Streams application it removes (its group is its application.id; its READ on it is
    deleted first, with its other ACLs). The consumer guard shows them so and does not count them."""
    taken = {u.kind.type: u.takes_groups for u in UNITS if u.takes_groups is not None}
    return {group: what for c in plan.changes if (takes := taken.get(c.type)) is not None
            for group, what in takes(c, live).items()}


def _forgotten(stack: Stack, live: LiveState, diags: list[PlanDiagnostic]) -> dict[str, Forget]:
    """The stack's `forget:` entries by address. One it also declares is an error (it cannot both own and forget
    a resource); one for a resource that exists nowhere a warning (a misspelt address would forget nothing)."""
    out = {}
    declared = {k.address(s.name) for k in KINDS for s in k.declared(stack)}
    for f in stack.forget:
        kind = next((k for k in KINDS if k.type.value == f.type_word), None)
        if f.address in declared:
            diags.append(error(f"{f.address} is declared and forgotten: remove it from the stack's resources to "
                               "forget it, or the forget entry to keep owning it", "forget-declared",
                               address=f.address, origin=f.origin))
            continue
        if kind is not None and f.name not in kind.live(live) and f.name not in kind.owned(live):
            diags.append(warning(f"forget: {f.address} is not on the cluster: nothing to forget (is the address "
                                 "spelt as the plan says it?)", "forget-absent", address=f.address, origin=f.origin))
        out[f.address] = f
    return out


def _plan_kind(kind: AnyKind, declared: Mapping[str, Declared], stack: Stack, live: LiveState, destroy: bool,
               secrets: SecretValues, diags: list[PlanDiagnostic], deferred: list["_Deferred"],
               forgotten: Mapping[str, Forget], renames_before: frozenset[tuple[str, str]] = frozenset()
               ) -> dict[str, ResourceChange]:
    current_of, owned = kind.live(live), kind.owned(live)
    out: dict[str, ResourceChange] = {}
    moved: set[str] = set()  # the names renamed by a declared resource's `moved_from` (not deleted: carried over)
    # A resource that does not exist yet will be owned once created; an existing one must be in the record.
    contexts = {is_owned: PlanContext(live.broker_count, secrets, stack.authoritative_config, live.of(kind.type).facts,
                                      owned=is_owned, broker_racks=live.broker_racks) for is_owned in (True, False)}
    for spec in declared.values():
        current = current_of.get(spec.name)
        refusal = kind.refusal(spec)
        if refusal is not None:
            diags.append(refusal)
        elif destroy:
            _destroy(kind, spec, current, spec.name in owned, out, diags, deferred)
        else:
            ctx = contexts[current is None or spec.name in owned]
            previous = _move_source(kind, spec, current, declared, live, diags, renames_before)
            if previous is not None:
                out[spec.name], more = kind.move(spec, previous, ctx)
                moved.add(previous.name)
            else:
                out[spec.name], more = kind.plan(spec, current, ctx)
            diags += more

    # Removed from the stack: delete only what this stack owns, never what kplan must not touch, and not what the
    # kind keeps on purpose (e.g. a CDC table's topic when the source does not prune).
    for name in sorted(owned - set(declared) - moved):
        if name not in current_of or kind.untouchable(name):
            continue
        forget = forgotten.get(kind.address(name))
        if forget is not None:  # kplan's record drops it; the resource and its data stay
            before = kind.live_repr(current_of[name])
            out[name] = ResourceChange(kind.address(name), kind.type, name, Action.FORGET, before=before, after=before,
                                       reason=Reason.FORGOTTEN, origin=forget.origin)
            continue
        kept = None if destroy else kind.keeps_undeclared(name, stack)
        if kept is not None:
            diags.append(kept)
            continue
        if name in kind.protected(live):
            diags.append(kind.protected_error(name, declared=False))
            out[name] = kind.protected_change(name, kind.live_repr(current_of[name]))
            continue
        out[name] = kind.delete(current_of[name], None, Reason.REMOVED_FROM_STACK)
    return out


def _move_source(kind: AnyKind, spec: Declared, current: Named | None, declared: Mapping[str, Declared],
                 live: LiveState, diags: list[PlanDiagnostic], renames_before: frozenset[tuple[str, str]] = frozenset()
                 ) -> Named | None:
    """The live resource `spec` renames (`moved_from:`, Terraform's `moved` block), or None: then it is planned as
    usual, with a line saying why when it names one. Only what this stack owns is renamed, into a name not taken
    (unless a resumed run started this very rename: `renames_before`); once renamed (the old name gone, the new one
    there) the entry does nothing."""
    old = kind.moved_from(spec)
    if old is None:
        return None
    what, address = kind.type.value, kind.address(spec.name)
    previous: Named | None = kind.live(live).get(old)
    if old in declared:
        diags.append(error(f"{what} {spec.name!r} is moved from {old!r}, which the stack also declares: a rename "
                           f"needs the old name gone from the stack (remove {old!r}, or moved_from)", "move-declared",
                           address=address, origin=spec.origin))
        return None
    if previous is None:
        if current is None:
            diags.append(warning(f"moved_from: {what} {old!r} does not exist, so nothing is carried over: "
                                 f"{what} {spec.name!r} is created from scratch", "move-source-absent",
                                 address=address, origin=spec.origin))
        else:  # the rename is done
            diags.append(PlanDiagnostic(Severity.INFO, f"{what} {spec.name!r} was renamed from {old!r}: moved_from "
                                        "does nothing now (it may stay or go)", "move-done", address=address,
                                        origin=spec.origin))
        return None
    resumed = (kind.address(old), address) in renames_before and address not in live.foreign_owners
    if current is not None and not resumed:
        diags.append(error(f"{what} {spec.name!r} is moved from {old!r}, but both exist: a rename needs the new "
                           f"name free (delete one of them, or remove moved_from)", "move-both-exist",
                           address=address, origin=spec.origin))
        return None
    if old not in kind.owned(live):
        owner = live.foreign_owners.get(kind.address(old))
        whose, todo = ((f"stack {owner!r} owns it", "that stack hands it over first with forget:") if owner else
                       ("this stack does not own it", "adopt it first by declaring it under its old name"))
        diags.append(error(f"{what} {spec.name!r} is moved from {old!r}, but {whose}: only what a stack owns is "
                           f"renamed by it ({todo})", "move-not-owned", address=address, origin=spec.origin))
        return None
    if old in kind.protected(live) and not kind.protects(spec):
        diags.append(error(f"{what} {old!r} was applied with protect: true; renaming it to {spec.name!r} deletes "
                           "the old name: declare the new one with protect: true too", "protected",
                           address=address, origin=spec.origin))
        return None
    return previous


def _foreign(kind: AnyKind, specs: Iterable[Declared], live: LiveState) -> list[PlanDiagnostic]:
    """A resource belongs to one stack: declaring what another stack owns would make two stacks fight over it."""
    return [error(f"{kind.type.value} {spec.name!r} is owned by stack {owner!r}; a resource belongs to one stack: "
                  f"remove it from one of them (or destroy it there first)", "owned-by-another-stack",
                  address=kind.address(spec.name), origin=spec.origin)
            for spec in specs if (owner := live.foreign_owners.get(kind.address(spec.name))) is not None]


def _unique(kind: AnyKind, specs: Iterable[Declared], diags: list[PlanDiagnostic]) -> dict[str, Declared]:
    out: dict[str, Declared] = {}
    for spec in specs:
        if spec.name in out:
            diags.append(error(f"{kind.type.value} {spec.name!r} is declared more than once", "duplicate-resource",
                               address=kind.address(spec.name), origin=spec.origin))
        out[spec.name] = spec
    return out


# A resource destroy deletes only together with the resource it exists for (`Kind.protected_for`): decided once every
# kind is planned. (its kind, its declaration, the live resource, the address of the resource it exists for)
_Deferred = tuple[AnyKind, Declared, Named, str]


def _destroy(kind: AnyKind, spec: Declared, current: Named | None, owned: bool, into: dict[str, ResourceChange],
             diags: list[PlanDiagnostic], deferred: list[_Deferred]) -> None:
    if current is None:
        return
    if not owned:
        diags.append(PlanDiagnostic(Severity.INFO, f"{kind.type.value} {spec.name!r} is not owned by this stack; "
                                    "destroy leaves it alone", "not-owned", address=kind.address(spec.name),
                                    origin=spec.origin))
        return
    if kind.protects(spec):  # the user's protection: never deleted, not even by destroy
        diags.append(kind.protected_error(spec.name, declared=True, origin=spec.origin))
        into[spec.name] = kind.protected_change(spec.name, kind.live_repr(current, spec), spec.origin)
        return
    owner = kind.protected_for(spec)
    if owner is not None:
        deferred.append((kind, spec, current, owner))
        return
    into[spec.name] = kind.delete(current, spec, Reason.DESTROY, spec.origin)


def _destroy_with_owners(deferred: list[_Deferred], by_kind: dict[AnyKind, dict[str, ResourceChange]],
                         live: LiveState, diags: list[PlanDiagnostic]) -> None:
    """Generated protection on destroy: a resource goes with the resource it exists for — deleted when destroy
    deletes that one or it is gone from the cluster, kept (with a note) when that one stays."""
    changes = {c.address: c for kind_changes in by_kind.values() for c in kind_changes.values()}
    for kind, spec, current, owner in deferred:
        owner_type, _, owner_name = owner.partition(".")
        owner_change = changes.get(owner)
        gone = owner_name not in kind_of(owner_type).live(live)
        if gone or (owner_change is not None and owner_change.action == Action.DELETE):
            by_kind[kind][spec.name] = kind.delete(current, spec, Reason.DESTROY, spec.origin)
        else:
            diags.append(kind.kept_with(spec, owner))


def _ordered(diags: list[PlanDiagnostic]) -> tuple[PlanDiagnostic, ...]:
    """Stable output: diagnostics follow the plan's resource order (kinds in registry order, then by name)."""
    rank = {k.type.value: i for i, k in enumerate(KINDS)}

    def key(d: PlanDiagnostic) -> tuple[int, str]:
        kind, _, name = (d.address or "").partition(".")
        return (rank.get(kind, -1), name)

    return tuple(sorted(diags, key=key))
