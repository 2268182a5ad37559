"""A resource kind's one registration (`UNIT` in `kplan/kinds/<kind>/unit.py`, or in its family's folder:
`kplan.kinds.unit_module`): what the rest of kplan derives its
per-kind lists from — the planner's and the status report's kinds (`kplan.kinds.KINDS`), apply's step types and
builders (`kplan.apply.steps`), the run/undo handlers the executor dispatches to (`kplan.apply.executor`), the
ownership record's parts, the follow-up reads, the live-state document, `kplan import` and `kplan render`, the
secret references every plan checks and the secrets a run masks, the groups the consumer guard discounts, apply's
last words — and the loader's view of its stack section (`StackSection`). Every part is a hook over the kind's
modules (`lambda: kind.KIND`), typed here so that mypy checks it; a `unit.py` imports those modules for mypy alone
and binds them at run time to `lazy` ones, imported when a hook is first asked, so loading a stack imports the
units and the sections' modules only, and planning never loads apply's steps. Jikkou's extension registration is the
model: one place per kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from importlib import import_module
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Generic, Iterable, Mapping, Protocol, Sequence, TypeVar, cast

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.base import AnyKind
    from kplan.kinds.flows import FlowPart
    from kplan.kinds.importing import KindImporter
    from kplan.kinds.keepers import TopicKeepers
    from kplan.kinds.policy import PolicyPart
    from kplan.kinds.shape import Shape
    from kplan.kinds.step import Planned
    from kplan.model.consumers import Disruption, LiveConsumers
    from kplan.model.desired import ClusterSpec, Stack
    from kplan.model.diagnostics import Diagnostics
    from kplan.model.live import KindState, LiveState
    from kplan.model.plan import Plan, PlanDiagnostic, ResourceChange
    from kplan.model.rebalance import Rebalancing
    from kplan.model.source import Loc, Origin, SourceMap
    from kplan.model.status import StateTally, StatusReport

# A step builder: the plan (with each change's planned payload), the stack and the live state -> the kind's steps,
# each with the unmasked values its run needs in memory only.
StepBuilder = Callable[["Plan", "Stack", "LiveState"], Sequence["Planned"]]
FollowUp = Callable[["Stack", "LiveState", Any, bool], "LiveState"]  # the reader: the kind's own read Protocol
# A declared value that may hold a `${secret:...}` reference: (the value, its attribute path, its origin).
SecretField = tuple[str, tuple[str, ...], "Origin | None"]


class LivePart(Protocol):
    """A kind's slice of the live state (`KindUnit.live_ref`: its live.py, or its family kind's object)."""

    @property
    def live_from_json(self) -> Callable[[Mapping[str, Any]], KindState]:
        """From a live-state document (kplan.kinds.livejson)."""
        ...

    @property
    def kind_state(self) -> Callable[[Any, Any, Any], KindState]:
        """From what the batched read answered for its section (`KindUnit.kind_state`)."""
        ...


class FamilySection(Protocol):
    """The one object of a family's kind that builds its section's entries and words them (`StackSection.of`)."""

    def build(self, entries: Any, smap: Any, diags: Any) -> tuple[object, ...]: ...

    def entry_word(self, item: Any) -> str: ...


class Lazy:
    """A module of a kind's, as its unit names it (`lazy`): imported when a name of it is first read, so that loading
    a stack, which imports the units, imports none of their kinds' planning, apply or I/O modules."""

    __slots__ = ("name", "_module")

    def __init__(self, name: str) -> None:
        self.name, self._module = name, cast(Any, None)

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            self._module = import_module(self.name)
        return getattr(self._module, attr)


def lazy(unit: str, names: str) -> tuple[Any, ...]:
    """The modules `names` ("kind steps io.read") of the package of the unit `unit` (its `__name__`), each a `Lazy`.
    A unit binds them to the names its `if TYPE_CHECKING:` imports give them, so that mypy checks every hook it
    writes (`lambda: kind.KIND`) against the type the registration declares."""
    package = unit.rpartition(".")[0]
    return tuple(Lazy(f"{package}.{name}") for name in names.split())


def module_of(hook: Callable[[], object]) -> str:
    """The module a unit's hook (`lambda: read.TopicRead`) reads, without importing it: for a thread that imports
    it ahead of a read (kplan.cluster.prefetch)."""
    module = hook.__globals__[hook.__code__.co_names[0]]
    return module.name if isinstance(module, Lazy) else module.__name__


T = TypeVar("T")


class _Ref(Generic[T]):
    """A registration's part, as an attribute: what its field `<name>_ref` (or `field`, a dotted path:
    "io.read_scope_ref") gives when called, its module imported then; None when the unit names none. With `attr`,
    the part is that attribute of what the field gives (a kind's live part: `live_from_json`, `kind_state`)."""

    def __init__(self, field: str = "", attr: str = "") -> None:
        self.field, self.attr = field, attr

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.field = name, self.field or f"{name}_ref"

    def __get__(self, registration: Any, owner: type | None = None) -> T | None:
        hook = reduce(getattr, self.field.split("."), registration)
        if hook is None:
            return None
        return cast(T, getattr(hook(), self.attr) if self.attr else hook())


# `kplan watch`'s samples of a kind: (metric name, help, labels, value) each (kplan.commands.watch exports them)
Samples = list[tuple[str, str, dict[str, str], float]]

@dataclass(frozen=True)
class StackSection:
    """A kind's stack section as the loader (kplan.stackfile) and `kplan validate` know it."""

    key: str  # the section's key in a stack file; the kind's `section`
    noun: str  # how `kplan validate` counts its declared resources (a noun, pluralised)
    # `entry_word(item)`: an entry as the loader's messages say it
    entry_word_ref: Callable[[], Callable[[Any], str]]
    # How its entries become specs: `build_section(entries, smap, diags)` (a plain list), or `build_member(inp)`
    # (`member=True`: from the cluster's whole part of the stack, after the other sections); None for a section the
    # loader builds itself (topics and connectors, which cdc sources give entries too).
    build_ref: Callable[[], Callable[..., tuple[object, ...]]] | None = None
    member: bool = False
    claimable: bool = False  # a claim (`claims:`) may cover its resources by name (docs/orphans.md)
    # The keys of other sections' entries it builds from, by section (not those entries' settings): a topic's
    # `key_schema` declares a subject.
    borrows: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # its checks across the clusters of a several-cluster stack
    check_members_ref: Callable[[], Callable[[Sequence[Any], Any], None]] | None = None
    # the files its specs read, for the stack's inputs digest
    digest_inputs_ref: Callable[[], Callable[[tuple[Any, ...]], Mapping[str, bytes]]] | None = None
    # `kplan validate`'s summary counts its entries even when the stack declares none (the sections every stack
    # is about); another section is counted only when it has entries.
    always_counted: bool = False
    # The selected environment may overlay its entries by name (`environments.<env>.<key>.<name>`); an overlay of a
    # name nothing declares is an error.
    overlaid: bool = False
    # It may list thousands of entries: the schema checks them once per distinct shape (kplan.stackfile.schema).
    many: bool = False
    # Its checks across the whole stack: a class, one instance per load (`Context.checks`), that its builder reports
    # into and that reports each problem once (`flush(diags)`) when every cluster is built.
    load_checks_ref: Callable[[], Callable[[], Any]] | None = None

    @classmethod
    def of(cls, key: str, noun: str, part: Callable[[], FamilySection]) -> "StackSection":
        """The section of a family's kind, whose one object (`part`) builds its entries and words them."""
        return cls(key, noun, lambda: part().entry_word, build_ref=lambda: part().build)

    @classmethod
    def named(cls, key: str, noun: str, word: str, shape: Callable[[], Shape], make: Callable[[], Callable[..., object]]
              ) -> "StackSection":
        """A section read by its shape alone: each entry, named by `name` (`word 'its name'` in messages; one
        declared twice is refused), into `make(**values, origin=...)` (kplan.kinds.shape.named_section)."""
        def build(entries: list[tuple[Any, Loc]], smap: SourceMap, diags: Diagnostics) -> tuple[object, ...]:
            from kplan.kinds.shape import named_section
            return named_section(shape(), make(), word, entries, smap, diags)

        def entry_word() -> Callable[[Any], str]:
            from kplan.model.diagnostics import entry_words
            return entry_words("name", word)

        return cls(key, noun, entry_word, build_ref=lambda: build)

    @property
    def build(self) -> Callable[..., tuple[object, ...]]:
        assert self.build_ref is not None, self.key
        return self.build_ref()

    @property
    def entry_word(self) -> Callable[[Any], str]:
        return self.entry_word_ref()

    load_checks: ClassVar[_Ref[Callable[[], Any]]] = _Ref()
    check_members: ClassVar[_Ref[Callable[[Sequence[Any], Any], None]]] = _Ref()
    digest_inputs: ClassVar[_Ref[Callable[[tuple[Any, ...]], Mapping[str, bytes]]]] = _Ref()


class Loading(Protocol):
    """What every section is built with, as a section built from the cluster's whole part of the stack reads it (the
    loader's kplan.stackfile.member.Context): where each value was written, the load's diagnostics, and the one way a
    builder reads a file a stack names, (the path as written, the file that names it) -> its text."""

    @property
    def smap(self) -> "SourceMap": ...
    @property
    def diags(self) -> "Diagnostics": ...
    @property
    def read_text(self) -> Callable[[str, str | None], str]: ...


class MemberPart(Protocol):
    """What a section built from the cluster's whole part of the stack is given, `build_member(inp)` (the loader's
    kplan.stackfile.member.MemberInput): the cluster's name under `clusters:` (None: the stack's one `cluster:`), its
    settings (None: invalid, reported), where and how errors name them, each section's entries placed in it, and
    those the schema did not flag."""

    @property
    def ctx(self) -> Loading: ...
    @property
    def name(self) -> str | None: ...
    @property
    def cluster(self) -> "ClusterSpec | None": ...
    @property
    def loc(self) -> "Loc": ...
    @property
    def lists(self) -> Mapping[str, list[Any]]: ...
    @property
    def label(self) -> str: ...

    def unflagged(self, section: str) -> list[tuple[Any, "Loc"]]: ...


# How the batched read (kplan.cluster.reader) drives a kind's read (kplan.cluster.kind_io says what each takes):
PRIMARY = "primary"  # through the whole read, given the metadata and the names the record owns; always read
ADMIN = "admin"  # on the reader's admin client, beside its describe_cluster; always read
OWN = "own"  # with a client of its own, when the stack declares or owns the section


@dataclass(frozen=True)
class KindIO:
    """Where a kind's I/O lives, in its folder's io: the batched read and the plan-time validation find each kind's
    here, through kplan.cluster.kind_io, so that neither names a kind. Each is a hook of the unit's (`lambda:
    read.TopicRead`): its module is imported when it is first asked."""

    read_ref: Callable[[], Callable[..., Any]] | None = None  # its read (`read_via` says of what shape)
    read_via: str = ADMIN  # PRIMARY, ADMIN or OWN
    read_first: bool = False  # a primary read whose requests go out before the others' (Connect's, on its own thread)
    # (the RealValidator, a kplan.transport.reads.Systems) -> its kplan.transport.reads.KindValidation, made when a
    # plan first changes the kind (typed where kplan.cluster.kind_io makes it: the kinds' planning reaches no client
    # library, and the transport's types do)
    validation_ref: Callable[[], Callable[[Any], Any]] | None = None
    # The validation has an early part, `ahead(stack, live)`: apply's lock thread starts it as soon as it has read
    # the cluster (kplan.session.early). Its module is then imported by that thread: it is in
    # kplan.cluster.prefetch's _READ_IMPORTS.
    validation_ahead: bool = False
    # (the loaded Stack) -> the names of the kind's resources a plan of the stack asks the batched read for (those it
    # declares and those its references name; the read adds those its record owns), a pure function in the kind's
    # own modules; None: its read is not limited by name. The early read's preview takes the names its section's
    # entries declare (kplan.kinds.scoped_sections).
    read_scope_ref: Callable[[], Callable[[Stack], Iterable[str]]] | None = None
    # (the batched reader, names) -> name -> what the kind's read answers for it: the kind's resources described by
    # name after the batched read (settling, a claim's orphans, a prefetched read topped up), which the reader asks
    # through `kplan.cluster.kind_io.DESCRIBE` (the topics' configs: `describe_topic_configs`; one kind)
    describe_ref: Callable[[], Callable[[Any, list[str]], Mapping[str, Any]]] | None = None
    # The loop a plan is made in until the broker's metadata agrees with its controller: (plan_once, the reader,
    # timeout in seconds, validated=) -> (live, plan); kplan.session.plan asks it (the topics'; one kind)
    settle_ref: Callable[[], Callable[..., tuple[Any, Any]]] | None = None
    # (an admin client, topic names, timeout in seconds) -> the leader of each of their partitions: `kplan plan
    # --elect-leaders`'s read, which kplan.session.plan asks (the topics'; one kind)
    leaders_ref: Callable[[], Callable[[Any, Iterable[str], float], Mapping[str, tuple[int, ...]]]] | None = None
    # `kplan watch`'s own read of the kind, each round: (its declared resources, the run's SecretValues, the batched
    # reader, timeout in seconds) -> samples, each (metric name, help, labels, value) (a consumer group's lag)
    metrics_read_ref: Callable[[], Callable[[Sequence[Any], Any, Any, float], Samples]] | None = None


@dataclass(frozen=True)
class KindUnit:
    """A kind's registration: every part a hook (`lambda: kind.KIND`) over the modules its unit names (`lazy`),
    typed here so that mypy checks each against what its users expect, and imported when first asked; a kind
    without a part says None."""

    section: StackSection | None  # its stack section (None: a kind no entry declares on its own, offsets)
    kind_ref: Callable[[], AnyKind]  # its Kind: planning, status, fingerprints, labels
    # Plan -> its steps (within a phase, the builders' order holds)
    builders_ref: Callable[[], tuple[StepBuilder, ...]]
    # The module of the run/undo of its step types (`kplan.kinds.handler.handles`), which the executor imports
    handlers_ref: Callable[[], object]
    # A module (or an object) with `live_from_json`, its slice of a live-state document (kplan.kinds.livejson), and
    # `kind_state`; None: a kind with no live slice
    live_ref: Callable[[], LivePart] | None
    # Its shape (a `kplan.kinds.shape.Shape`: its entries' keys, one row each), from which its parts of the stack and
    # plan schemas are derived (`make schemas`)
    shape_ref: Callable[[], Shape]
    # Its resources written as stack entries by `kplan import` (kplan.kinds.importing); None: it imports none
    importer_ref: Callable[[], KindImporter] | None = None
    # A declared resource as `kplan render` shows it (kplan.stackfile.export); None: its shape's `rendered`, the
    # image of its rows (a kind without a section renders none)
    render_ref: Callable[[], Callable[[Any], dict[str, Any]]] | None = None
    # Its follow-up read after the batched one (stack, live, reader, destroy -> live with what it read), for a
    # kind whose read depends on the batched read's answer.
    follow_up_ref: Callable[[], FollowUp] | None = None
    # (a live-state document) -> the document's top-level facts its part gives where the document
    # does not say them (the topics' part: `all_topic_names`, the names it describes); kplan.kinds.livejson
    live_defaults_ref: Callable[[], Callable[[Mapping[str, Any]], Mapping[str, Any]]] | None = None
    # The values of a declared resource that may hold a `${secret:...}` reference, each as (value, its attribute
    # path, its origin): every one must resolve on every plan (kplan.plan.secret_refs).
    secret_fields_ref: Callable[[], Callable[[Any], Iterable[SecretField]]] | None = None
    # The consumer groups a change of one of its resources takes away before any topic step (change, live -> group
    # -> what takes it away, in words): the consumer guard shows them so and does not count them
    # (kplan.plan.planner.leaving).
    takes_groups_ref: Callable[[], Callable[[ResourceChange, LiveState], Mapping[str, str]]] | None = None
    # its resources' run on workers of their own (a `Runtime`: connectors on Connect), which status, watch, apply,
    # the run's secrets and the topic kind ask; None: its resources do not run
    runtime_ref: Callable[[], Runtime] | None = None
    # its part of a stack's policy (a `kplan.kinds.policy.PolicyPart`: the rule types it checks on
    # each of its declared resources, the owner totals that sum its section); kplan.policy.check composes them
    policy_ref: Callable[[], PolicyPart] | None = None
    # its part of the plan's data-flows picture (a `kplan.kinds.flows.FlowPart`: what it draws of
    # its changes; kplan.render.html.flows composes them and names no kind)
    flows_ref: Callable[[], FlowPart] | None = None
    # its part in `kplan plan --rebalance/--elect-leaders` (a `kplan.model.rebalance.Rebalancing`:
    # the moves and elections as updates of its changes, the same request again from a saved plan or a journal;
    # kplan.kinds.rebalancing finds it); None: its resources have no replicas to move
    rebalance_ref: Callable[[], Rebalancing] | None = None
    # its consumer guard (a `kplan.kinds.unit.ConsumerGuard`: which of its changes disrupt the
    # consumer groups reading its resources, and the plan with them and the guard's diagnostics;
    # kplan.kinds.consumer_guard asks it); None: no consumer group reads its resources
    consumer_guard_ref: Callable[[], ConsumerGuard] | None = None
    io: KindIO = KindIO()  # its reads and plan-time validation by the real systems

    @property
    def kind(self) -> AnyKind:
        return self.kind_ref()

    @property
    def builders(self) -> tuple[StepBuilder, ...]:
        return self.builders_ref()

    @property
    def shape(self) -> Shape:
        return self.shape_ref()

    @property
    def render(self) -> Callable[[Any], dict[str, Any]]:
        return self.shape.rendered if self.render_ref is None else self.render_ref()

    follow_up: ClassVar[_Ref[FollowUp]] = _Ref()
    live_from_json: ClassVar[_Ref[Callable[[Mapping[str, Any]], KindState]]] = _Ref("live_ref", "live_from_json")
    live_defaults: ClassVar[_Ref[Callable[[Mapping[str, Any]], Mapping[str, Any]]]] = _Ref()

    # Its slice of the live state from what the batched read answered for its section (its `io.read_ref`; nothing for
    # a kind without one): (the answer, its part of the ownership record — a names-only kind's `NamesPart` —, why it
    # could not be read or None) -> its KindState.
    kind_state: ClassVar[_Ref[Callable[[Any, Any, Any], KindState]]] = _Ref("live_ref", "kind_state")

    importer: ClassVar[_Ref[KindImporter]] = _Ref()
    secret_fields: ClassVar[_Ref[Callable[[Any], Iterable[SecretField]]]] = _Ref()
    takes_groups: ClassVar[_Ref[Callable[[ResourceChange, LiveState], Mapping[str, str]]]] = _Ref()
    runtime: ClassVar[_Ref[Runtime]] = _Ref()
    metrics_read: ClassVar[_Ref[Callable[[Sequence[Any], Any, Any, float], Samples]]] = _Ref("io.metrics_read_ref")
    policy: ClassVar[_Ref[PolicyPart]] = _Ref()
    flows: ClassVar[_Ref[FlowPart]] = _Ref()
    read_scope: ClassVar[_Ref[Callable[[Stack], Iterable[str]]]] = _Ref("io.read_scope_ref")
    rebalance: ClassVar[_Ref[Rebalancing]] = _Ref()
    consumer_guard: ClassVar[_Ref[ConsumerGuard]] = _Ref()


class Healing(Protocol):
    """What `kplan watch` does on running resources' own policy (`Runtime.healing`: a connector's `auto_restart`):
    each round it steps each one's track (by its key, the watcher keeps them) against the live state the round read,
    and acts on what is due; `kplan status` shows the watcher's record (each key's `as_json` track) as notes."""

    def declares(self, stack: "Stack") -> bool:
        """Whether the stack has a resource with a policy (otherwise nothing is read or done for it)."""
        ...

    def round(self, stack: "Stack", live: "LiveState", tracks: Mapping[str, Any], now: float) -> list[Any]:
        """Each resource with a policy, stepped: items with `key`, `address`, `track` (with `as_json()`,
        `attempts`, `restarts`, `exhausted`), `decided` ("restart", "exhausted", "reset" or "nothing") and
        `max_restarts`."""
        ...

    def restart(self, stack: "Stack", secrets: Any, key: str) -> None:
        """Ask the system to restart the resource's failed instances (raises KplanError when it does not)."""
        ...

    def track_of(self, record: Mapping[str, Any]) -> Any:
        """A resource's track from the watcher's record of it (its `as_json`): a watcher started again goes on."""
        ...

    def notes(self, stack: "Stack", records: Mapping[str, Any]) -> tuple["PlanDiagnostic", ...]:
        """`kplan status`'s notes of what the watcher did (`records`: key -> its track as kept)."""
        ...


class Runtime(Protocol):
    """The part of a kind whose resources run on workers of their own (`KindUnit.runtime_ref`: connectors and their
    tasks on Connect): how the status summary counts them by state, `kplan status`'s and `kplan watch`'s own reads
    of them, what `kplan watch` does on their own restart policy, what their changes leave for a person to do, the
    secrets they hold at run time, and the topics they keep beyond their declarations, which the topic kind asks."""

    @property
    def tally(self) -> StateTally:
        """The status summary's count by state (`connectors: 2 running, 1 FAILED`, the status JSON's key)."""
        ...

    @property
    def keepers(self) -> TopicKeepers:
        """The topics they keep (a CDC source's schema history and table topics)."""
        ...

    def run_secrets(self, stack: Stack, live: LiveState) -> Iterable[str]:
        """The plaintext secret values a run may meet in them, declared and live: the executor masks them, and no
        output shows them (kplan.session.plan.run_secrets)."""
        ...

    def left_behind(self, plan: Plan) -> list[str]:
        """What the plan's changes leave for a person to do once applied (a deleted PostgreSQL source's slot and
        publication, with the SQL to drop them): apply repeats it after its summary."""
        ...

    def status_read(self, declared: Sequence[Any], secrets: Any, reader: Any, timeout_s: float) -> Any:
        """`kplan status`'s and `kplan watch`'s own read of the declared ones (I/O, in the kind's io; never a plan's,
        never with a live-state file): a CDC source's health at its database."""
        ...

    def status_with(self, report: StatusReport, found: Any) -> StatusReport:
        """The status report with what `status_read` found."""
        ...

    def metrics(self, found: Any) -> Samples:
        """`kplan watch`'s samples of what `status_read` found (a CDC source's slot and binlog lag)."""
        ...

    def live_metrics(self, live: LiveState, plan: Plan) -> Samples:
        """`kplan watch`'s samples of those the plan names, from the live state it was made on (their and their
        tasks' states)."""
        ...

    def healing(self) -> Healing:
        """What `kplan watch` does on their own restart policy, and the notes `kplan status` shows of it."""
        ...


class ConsumerGuard(Protocol):
    """The part of the kind whose resources consumer groups read (`KindUnit.consumer_guard_ref`, asked by
    kplan.kinds.consumer_guard): which of a plan's changes disrupt their readers, and the plan with what was read of
    them on those changes and the guard's diagnostics."""

    def disrupted(self, plan: "Plan", live: "LiveState") -> dict[str, Disruption]:
        """The resources whose consumers `plan` affects, by name (the follow-up read asks for these)."""
        ...

    def attach(self, plan: "Plan", stack: "Stack", live: "LiveState", allow_active: bool,
               leaving: "Callable[[Plan, LiveState], Mapping[str, str]]") -> "Plan":
        """`plan` with the consumer context on each disrupted change and the guard's diagnostics (`leaving`: group
        -> what in this plan takes it away first, not counted; asked only when something is disrupted)."""
        ...

    def from_json(self, doc: Mapping[str, Any]) -> LiveConsumers | None:
        """A live-state document's consumer side (kplan.kinds.livejson), None when it has none."""
        ...
