"""What a resource kind brings to kplan, in one place (see docs/architecture.md, "Adding a resource kind").

The planner, the fingerprints of saved plans, the status report and its renderer iterate over the registry in
`kplan.kinds` and ask each kind for its part; none of them names a kind. Apply steps and their run/undo handlers
are registered per kind under `kplan.apply`, and the live read per kind under `kplan.cluster`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Generic, Mapping, Protocol, Sequence, Type, TypeAlias, TypeVar

from kplan.model.live import Problem, problem_line
from kplan.model.orphans import Orphan, claim_for
from kplan.model.ownership import Entry, NamesPart, Ownership
from kplan.model.plan import (
    Action,
    AttributeChange,
    AttrKind,
    Flag,
    NotRead,
    Path,
    PlanDiagnostic,
    PlannedPayload,
    Reason,
    ResourceChange,
    ResourceType,
    address_of,
    error,
    split_address,
)
from kplan.model.status import Difference, Status, Trace
from kplan.model.status import owned as owned_after

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Claim, Stack
    from kplan.model.live import LiveState
    from kplan.model.plan import Plan
    from kplan.model.source import Origin
    from kplan.model.status import ResourceStatus
    from kplan.secrets import SecretValues


@dataclass(frozen=True)
class PlanContext:
    """What planning one resource may look at besides its desired and live state."""

    broker_count: int
    secrets: "SecretValues"
    stack_authoritative: bool = False
    # what the read learnt of the kind's own system beside its resources (its slice's `KindState.facts`)
    facts: Any = None
    owned: bool = True
    broker_racks: Mapping[int, str | None] = field(default_factory=dict)  # broker id -> rack (placing replicas)


Scrub = Callable[[str], str]
# How the status JSON writes a resource's trace (kplan.render.status): None when there is none to write.
TraceDict: TypeAlias = Callable[[Trace], "dict[str, Any] | None"]


def rights_problems(what: str) -> dict[Problem, str]:
    """Why `what` could not be read, or may not be changed, when kplan's principal lacks DESCRIBE (or ALTER) on the
    cluster, as the plan says it (a kind's `PROBLEMS`)."""
    return {problem: f"kplan's principal may not {verb} {what} (needs {right} on the cluster); grant it, or run kplan "
                     "as a principal that has it"
            for problem, verb, right in ((Problem.NOT_AUTHORIZED, "read", "DESCRIBE"),
                                         (Problem.NOT_AUTHORIZED_ALTER, "alter", "ALTER"))}


class Named(Protocol):
    @property
    def name(self) -> str: ...


class Declared(Named, Protocol):
    """What the shared planning rules read of any declared resource."""

    @property
    def origin(self) -> "Origin | None": ...


SpecT = TypeVar("SpecT", bound=Declared)  # what the stack declares of the kind (TopicSpec, AclSpec...)
LiveT = TypeVar("LiveT", bound=Named)  # what the cluster has of it (LiveTopic, LiveAcls...)
StatusT = TypeVar("StatusT", bound="ResourceStatus")  # its status entry: ResourceStatus or a subclass of its own


class Kind(Generic[SpecT, LiveT, StatusT]):
    """One resource kind, over its declared and live types and its status entry. Subclasses set `type`, `title`
    and `section` and implement the abstract parts."""

    type: ResourceType
    title: str  # section title in status output, e.g. "Topics"
    # A flag whose words depend on the kind (the renderers' FLAG_NOTES say the rest), e.g. an ACL's drift.
    flag_notes: Mapping[Flag, str] = {}
    # its stack section: its entries' key in a stack file (also the word of its "<section>-unavailable" error code)
    section: str
    # what its changes carry for apply (`ResourceChange.planned`); `Type`, as `type` is a field here
    planned_type: Type[PlannedPayload]
    # Whether another stack's record owning one of its resources makes it that stack's (`foreign_owners`): not for a
    # request that goes with another resource (a connector's offsets request goes with its connector).
    owned_on_its_own: bool = True
    # The codes of the kind's plan notes (Info) that `status` shows too (e.g. a mirror's replication lag).
    status_note_codes: frozenset[str] = frozenset()
    # Whether apply of a saved plan runs the saved change of this kind (what was reviewed) rather than a fresh one,
    # which must otherwise show the same: a one-time request, whose targets the plan resolved (`latest`, a time)
    # and whose shown positions move on their own (kplan.plan.fingerprint.as_reviewed).
    applies_saved: bool = False
    # Its resources in words ("SCRAM users") and why its slice could not be read, by problem: its deletion notes
    # then hold the one error of a stack that declares or owns resources of it the cluster would not let kplan read
    # (`unreadable`). None: its deletion notes say what they say.
    unread: tuple[str, Mapping[Problem, str]] | None = None
    # Whether its declared resources are not planned at all while its slice could not be read (`readable`).
    refuses_unread: bool = False
    # Why a referenced resource of it could not be read, by problem (`reference_unread`).
    reference_problems: Mapping[Problem, str] = {}
    # Its status entries' type (`status`): ResourceStatus, or its subclass with the kind's own fields.
    status_type: Callable[..., StatusT]
    # How its status words a difference, by attribute kind (`status_difference`); None: by each attribute's note.
    difference_notes: Mapping[AttrKind, str] | None = None

    def change_flag_note(self, change: ResourceChange, flag: Flag) -> str | None:
        """A flag's words for one change, where they depend on what the change does (a topic is irreversible for
        a partition increase or for turning tiered storage on); by default the kind's `flag_notes`."""
        return self.flag_notes.get(flag)

    # -- desired and live state ------------------------------------------------------------------------------

    def declared(self, stack: "Stack") -> Sequence[SpecT]:
        return stack.of(self.section)

    def live(self, live: "LiveState") -> Mapping[str, LiveT]:
        return live.of(self.type).resources

    def owned(self, live: "LiveState") -> frozenset[str]:
        return live.of(self.type).owned

    def protected(self, live: "LiveState") -> frozenset[str]:
        return live.of(self.type).protected

    def address(self, name: str) -> str:
        return address_of(self.type, name)

    # -- planning --------------------------------------------------------------------------------------------

    def readable(self, declared: Mapping[str, SpecT], live: "LiveState", allowed: frozenset[str] = frozenset()
                 ) -> tuple[dict[str, SpecT], list[PlanDiagnostic]]:
        """The declared resources the live state could tell about (all, unless part of the kind's system could not
        be read: then a line says which are unknown and left alone — an error, unless the run allows that system
        not to be read, `allowed`: `--allow-unreadable`). A kind that `refuses_unread` plans none of them while its
        slice could not be read: its `unread` error, at the first."""
        if not self.refuses_unread or self.unread is None or live.of(self.type).problem is None or not declared:
            return dict(declared), []
        return {}, self.unreadable(live, [declared[n] for n in sorted(declared)], *self.unread)

    def reference_unread(self, name: str, live: "LiveState") -> str | None:
        """Why a referenced resource of this kind (`references:`, kplan.plan.references) could not be read, in
        words; None when its system was read. `readable`'s counterpart for what the stack only references: a
        resource that was not read is unknown, never missing, and the reference check cannot be made. By default
        the kind's slice's `problem` (one that only refuses changes, NOT_AUTHORIZED_ALTER, still read it), worded
        by `reference_problems` or else as the reader said it."""
        state = live.of(self.type)
        if state.problem is None or state.problem is Problem.NOT_AUTHORIZED_ALTER:
            return None
        return self.reference_problems.get(state.problem) or problem_line(state.problem, state.problem_detail)

    def protects(self, spec: SpecT) -> bool:
        """The user's `protect: true`, its declaration's `protect` (a kind without the setting: never)."""
        return bool(getattr(spec, "protect", False))

    def refusal(self, spec: SpecT) -> PlanDiagnostic | None:
        """An error that stops this declared resource from being planned at all (e.g. an internal topic)."""
        return None

    def untouchable(self, name: str) -> bool:
        """A live resource kplan never deletes, even if a record says the stack owns it."""
        return False

    def plan(self, spec: SpecT, current: LiveT | None, ctx: PlanContext) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        raise NotImplementedError

    def delete(self, current: LiveT, spec: SpecT | None, reason: Reason, origin: "Origin | None" = None
               ) -> ResourceChange:
        raise NotImplementedError

    def live_repr(self, current: LiveT, spec: SpecT | None = None) -> dict[str, Any]:
        """The `before` shape of a live resource, secrets masked."""
        raise NotImplementedError

    def unmet(self, expect: Mapping[str, Any], current: LiveT) -> list[str] | None:
        """What a referenced resource of this kind (`references:`, kplan.plan.references) has otherwise than the
        stack expects, one phrase each (`3 partitions, at least 6 expected`); None for a kind a stack cannot
        reference. `expect` is as `expectation` made it."""
        return None

    def referenced(self, name: str, live: "LiveState") -> LiveT | None:
        """What a reference to `name` is checked against (`unmet`); None: it does not exist. By default the live
        resource of that name; a kind whose resources take effect through others too (an ACL principal: the
        wildcard principal's bindings) says so here."""
        return self.live(live).get(name)

    def expectation(self, expect: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[tuple[str, str]]]:
        """A reference's `expect` as the stack wrote it (its keys the schema and the loader allow for this kind) ->
        (the form `unmet` compares, the problems the schema cannot see as (the key, or `key[i]`, it is at;
        message)). By default as written."""
        return expect, []

    def moved_from(self, spec: SpecT) -> str | None:
        """The name of the resource this declared one renames (`moved_from:`), for a kind whose resources can be
        renamed keeping what they carry (a connector's offsets); None otherwise."""
        return None

    def move(self, spec: SpecT, previous: LiveT, ctx: PlanContext) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        """The change renaming the live `previous` into `spec`: Action.MOVE, its `previous_address` set (only for a
        kind whose `moved_from` can say a name)."""
        raise NotImplementedError

    def keeps_undeclared(self, name: str, stack: "Stack") -> PlanDiagnostic | None:
        """An owned resource no longer declared that is nevertheless kept (with a note why), e.g. the topic of
        a table a CDC source stopped capturing."""
        return None

    def checks(self, stack: "Stack", changes: Mapping[str, ResourceChange], all_changes: Mapping[str, ResourceChange],
               live: "LiveState") -> list[PlanDiagnostic]:
        """Checks across the resources of this kind (e.g. name collisions, required topics); not on destroy."""
        return []

    def version_checks(self, changes: Sequence[ResourceChange], live: "LiveState") -> list[PlanDiagnostic]:
        """What the version of the system its `changes` go to cannot do, one error per change (a Connect worker
        older than the REST feature a change needs: kplan.kinds.connect_features): said at plan time instead of
        failing at apply, destroy included."""
        return []

    def not_read(self, live: "LiveState", allowed: frozenset[str]) -> list[NotRead]:
        """The parts of its system that could not be read and that the run plans without (`allowed`:
        `--allow-unreadable`): the plan's `not_read`. Those not allowed are `readable`'s errors."""
        return []

    def protected_for(self, spec: SpecT) -> str | None:
        """Generated protection: the address of the resource this one exists for (a CDC source's schema-history
        topic: its connector), or None. Unlike a user's `protect: true` it does not refuse a destroy: destroy
        deletes this resource when it deletes that one (or that one is gone), and keeps it when that one stays."""
        return None

    def kept_with(self, spec: SpecT, owner: str) -> PlanDiagnostic:
        """Why destroy keeps a resource whose `protected_for` resource stays (asked only of a kind whose
        `protected_for` names one)."""
        raise NotImplementedError

    def deletion_notes(self, stack: "Stack", changes: Mapping[str, ResourceChange],
                       all_changes: Mapping[str, ResourceChange], live: "LiveState",
                       secrets: "SecretValues | None" = None) -> list[PlanDiagnostic]:
        """What deleting resources of this kind does beyond the deletion itself, in words (destroy and removals
        alike), e.g. a connector's offsets are reset; an error when what it needs cannot be had (`secrets`: the
        run's resolved references). By default the kind's `unread` error, plans and destroys alike (unless
        `readable` said it)."""
        declared = self.declared(stack)
        if self.unread is None or (self.refuses_unread and declared):
            return []
        return self.unreadable(live, declared, *self.unread)

    def unreadable(self, live: "LiveState", declared: Sequence[Any], what: str,
                   problems: Mapping["Problem", str]) -> list[PlanDiagnostic]:
        """The one error of a stack that declares or owns resources of this kind the cluster would not let kplan
        read (its slice's `problem`, worded by `problems`; one they do not word is said as the reader said it, its
        `problem_detail`): they cannot be planned, nor destroyed. None without a problem."""
        state = live.of(self.type)
        if state.problem is None or not (declared or state.owned):
            return []
        first = declared[0] if declared else None
        verb = "declares" if declared else "owns"
        why = problems.get(state.problem) or problem_line(state.problem, state.problem_detail)
        return [error(f"the stack {verb} {what}, but {why}",
                      f"{self.section}-unavailable", address=self.address(first.name) if first else None,
                      origin=first.origin if first else None)]

    def protected_change(self, name: str, before: dict[str, Any], origin: "Origin | None" = None) -> ResourceChange:
        """A protected resource the plan would otherwise delete: shown, never deleted."""
        return ResourceChange(self.address(name), self.type, name, Action.NOOP, before=before, after=before,
                              flags=frozenset({Flag.PROTECTED, Flag.REFUSED}), reason=Reason.PROTECTED,
                              origin=origin)

    def protected_error(self, name: str, declared: bool, origin: "Origin | None" = None) -> PlanDiagnostic:
        what = self.type.value
        if declared:
            return error(f"{what} {name!r} is protected (protect: true) and is never deleted; set protect: "
                         "false first if you mean to destroy it", "protected", address=self.address(name),
                         origin=origin)
        return error(f"{what} {name!r} was applied with protect: true and is never deleted; it is no longer in the "
                     "stack: declare it again (with protect: false first, if you mean to delete it)",
                     "protected", address=self.address(name))

    # -- its part of the ownership record: names only (`NamesPart`) unless the kind says otherwise --------------

    def record_after(self, plan: Plan, stack: "Stack", live: "LiveState", destroy: bool, parts: Ownership
                     ) -> NamesPart | Mapping[str, Entry]:
        """Its part of the record once the plan is applied (the RecordOwnership step's record; `parts`: those of
        the kinds before it): every resource the stack declares (created now, or adopted because it already existed
        as declared) and those the record owns that are still there (`still_there`), minus what the plan deletes or
        renames away (a move's old name); which of them are protected (declared so now, or recorded so and no
        longer declared); and the config keys of each that hold secrets (`declared_secret_keys`, or as recorded,
        `recorded_secret_keys`). What the record owns that no longer exists is dropped: if someone creates a
        resource of that name later, it is theirs, not this stack's."""
        state = live.of(self.type)
        declared = {s.name: s for s in self.declared(stack)}
        kept = {n for n in state.owned if self.still_there(n, live)}
        mine = [c for c in plan.changes if c.type == self.type]
        gone = {c.name for c in mine if c.action == Action.DELETE}
        gone |= {split_address(c.previous_address)[1] for c in mine if c.action == Action.MOVE and c.previous_address}
        names = (kept if destroy else kept | set(declared)) - gone

        def secrets(name: str) -> frozenset[str]:
            if name in declared:
                return self.declared_secret_keys(declared[name])
            current = state.resources.get(name)
            return self.recorded_secret_keys(current) if current is not None else frozenset()

        return NamesPart(frozenset(names),
                         frozenset(n for n in names if (self.protects(declared[n]) if n in declared else
                                                        n in state.protected)),
                         {n: tuple(sorted(keys)) for n in sorted(names) if (keys := secrets(n))})

    def entries_after(self, plan: Plan, kept: Mapping[str, Entry], declared: Mapping[str, Entry], destroy: bool
                      ) -> dict[str, Entry]:
        """A record part of entries (name -> what kplan set on it) once the plan is applied: those `kept` (owned and
        still there) and, but on destroy, each `declared` one the plan has a change for (it creates, changes or
        finds it as declared), minus those the plan deletes; sorted by name."""
        actions = {c.name: c.action for c in plan.changes if c.type == self.type}
        after = {**kept, **({} if destroy else {n: e for n, e in declared.items() if n in actions})}
        return {n: e for n, e in sorted(after.items()) if actions.get(n) != Action.DELETE}

    def record_of(self, live: "LiveState") -> NamesPart | Mapping[str, Entry]:
        """Its part of the record as the live state shows it (the RecordOwnership step's before-image)."""
        state = live.of(self.type)
        return NamesPart(state.owned, state.protected,
                         {n: tuple(sorted(keys)) for n in sorted(state.owned)
                          if n in state.resources and (keys := self.recorded_secret_keys(state.resources[n]))})

    def still_there(self, name: str, live: "LiveState") -> bool:
        """Whether a resource the record owns is still there, so stays owned: by default when it was read."""
        return name in live.of(self.type).resources

    def recorded_secret_keys(self, current: LiveT) -> frozenset[str]:
        """The keys of a live resource the record says hold secrets (none by default)."""
        return frozenset()

    # -- orphans under claimed prefixes (docs/orphans.md) ----------------------------------------------------

    def internal(self, name: str) -> bool:
        """A live resource that is never an orphan: Kafka's, Connect's, the registry's or kplan's own."""
        return self.untouchable(name)

    def orphans(self, live: "LiveState", claims: "tuple[Claim, ...]", declared: Mapping[str, Any]) -> list[Orphan]:
        """The live resources of this kind under `claims` (each decided by its longest covering prefix) that no
        stack owns — neither this stack's record nor another's (`LiveState.foreign_owners`) — and `declared` does
        not hold. Kinds whose resources are not named on their own (an ACL binding) override it."""
        owned, foreign = self.owned(live), live.foreign_owners
        return [Orphan.of(self.type, name, claim) for name in sorted(self.live(live))
                if (claim := claim_for(claims, self.section, name)) is not None and name not in declared
                and name not in owned and not self.internal(name) and self.address(name) not in foreign]

    def covers(self, stack: "Stack", live: "LiveState") -> frozenset[str]:
        """The addresses of other kinds' live resources that belong to this kind's declared ones (a Kafka Streams
        application's internal topics): never orphans."""
        return frozenset()

    def prune(self, orphans: list[Orphan], live: "LiveState", change: ResourceChange | None) -> ResourceChange:
        """The change that deletes the pruned orphans of one address (`change`: what the plan already has for it,
        None for a resource it does not touch)."""
        return self.delete(self.live(live)[orphans[0].name], None, Reason.ORPHAN)

    # -- saved-plan fingerprints -----------------------------------------------------------------------------

    def canonical(self, current: LiveT, secret: frozenset[str]) -> dict[str, Any]:
        """A canonical document of a live resource (no secret, not even its digest) to fingerprint."""
        raise NotImplementedError

    def declared_secret_keys(self, spec: SpecT) -> frozenset[str]:
        """Keys the stack treats as secrets for this resource (left out of its fingerprint)."""
        return frozenset()

    def gone(self, name: str, then: Mapping[str, Any] | None, live: "LiveState") -> tuple[Path, str, str]:
        """How a resource a saved plan found, and `live` no longer holds, moved (kplan.plan.stale; `then`: its
        canonical document when planned, None in an older plan): the path that moved, () for the resource itself,
        and its words when planned and now."""
        return (), "present", "absent"

    # -- status --------------------------------------------------------------------------------------------

    def status(self, spec: SpecT, current: LiveT | None, change: ResourceChange | None,
               scrub: Scrub) -> StatusT:
        """A declared resource's status: missing, else in sync or drifted by the attributes of the plan's `change`
        for it (not owned while the change adopts it). Its kind's own fields are `status_declared`'s and, when it
        exists, `status_live`'s (those win where both name one, e.g. a subject's schema type)."""
        declared = self.status_declared(spec)
        if current is None:
            return self.status_type(self.type, spec.name, Status.MISSING, False, origin=spec.origin, **declared)
        diffs = tuple(self.status_difference(a) for a in (change.attributes if change is not None else ()))
        return self.status_type(self.type, spec.name, Status.DRIFTED if diffs else Status.IN_SYNC, True,
                                origin=spec.origin, owned=owned_after(change), differences=diffs,
                                **{**declared, **self.status_live(current)})

    def status_undeclared(self, current: LiveT, change: ResourceChange, scrub: Scrub) -> StatusT:
        """An owned resource that is no longer declared (the next apply deletes it)."""
        return self.status_type(self.type, current.name, Status.NOT_DECLARED, True,
                                differences=tuple(self.status_difference(a) for a in change.attributes),
                                **self.status_live(current))

    def status_declared(self, spec: SpecT) -> dict[str, Any]:
        """The kind's own fields of a declared resource's status entry from what the stack declares: by default
        each of its `declared_keys` as the spec has it, in the record's `declared_<key>`."""
        return {f"declared_{key}": getattr(spec, key) for key in self.declared_keys}

    def status_live(self, current: LiveT) -> dict[str, Any]:
        """The kind's own fields of a status entry from what the cluster has: by default each field of its
        `status_keys` as the live resource has it."""
        return {f: getattr(current, f) for f in self.status_keys.values()}

    def status_difference(self, a: AttributeChange) -> Difference:
        """How the status shows one attribute of the plan's change: worded by `difference_notes` per attribute kind
        (a kind they do not word: no words), or without them by the attribute's own note."""
        notes = self.difference_notes
        words = (a.note.value if a.note is not None else "") if notes is None else notes.get(a.kind, "")
        return Difference(a.path, a.kind, a.before, a.after, a.sensitive, words)

    def live_secrets(self, stack: "Stack", live: "LiveState") -> set[str]:
        """Plaintext secret values visible in this kind's live state, to scrub from any text kplan prints."""
        return set()

    # -- labels in output ------------------------------------------------------------------------------------

    def status_detail(self, r: StatusT) -> str:
        raise NotImplementedError

    def difference_text(self, r: StatusT, d: "Difference") -> str:
        raise NotImplementedError

    # The status record's fields the status JSON shows (its key there -> the field), and those of its keys shown
    # again as declared (the record's `declared_<key>`).
    status_keys: Mapping[str, str] = {}
    declared_keys: tuple[str, ...] = ()

    def status_fields(self, r: StatusT, trace_dict: TraceDict) -> dict[str, Any]:
        """The kind's own fields of a resource in the status JSON (`kplan status --format json`)."""
        return {**{key: getattr(r, f) for key, f in self.status_keys.items()},
                "declared": {key: getattr(r, f"declared_{key}") for key in self.declared_keys},
                "differences": [self.difference_fields(d) for d in r.differences]}

    def difference_fields(self, d: Difference) -> dict[str, Any]:
        """A difference in the status JSON."""
        return {"path": list(d.path), "kind": d.kind.value, "live": d.live, "declared": d.declared}


# A kind over whichever types it has: what code over every kind (the registry, the planner, status) holds.
AnyKind: TypeAlias = Kind[Any, Any, Any]
