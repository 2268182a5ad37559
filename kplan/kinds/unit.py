"""A resource kind's one registration (`UNIT` in `kplan/kinds/<kind>/unit.py`, or in its family's folder:
`kplan.kinds.unit_module`): what the rest of kplan derives its
per-kind lists from — the planner's and the status report's kinds (`kplan.kinds.KINDS`), apply's step types and
builders (`kplan.apply.steps`), the run/undo handlers the executor dispatches to (`kplan.apply.executor`), the
ownership record's parts, the follow-up reads, the live-state document, `kplan import` and `kplan render`, the
secret references every plan checks and the secrets a run masks, the groups the consumer guard discounts, apply's
last words — and the loader's view of its stack section (`StackSection`). A `unit.py` imports nothing but this
module: every part is named by reference ("module:name") and imported on first use, so loading a stack imports the
units and the sections' modules only, and planning never loads apply's steps. Jikkou's extension registration is the
model: one place per kind."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from functools import cache, reduce
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
    from kplan.model.plan import Plan, ResourceChange
    from kplan.model.rebalance import Rebalancing
    from kplan.model.source import Loc, Origin, SourceMap
    from kplan.model.status import StateTally, StatusReport

# A step builder: the plan (with each change's planned payload), the stack and the live state -> the kind's steps,
# each with the unmasked values its run needs in memory only.
StepBuilder = Callable[["Plan", "Stack", "LiveState"], Sequence["Planned"]]
FollowUp = Callable[["Stack", "LiveState", Any, bool], "LiveState"]  # the reader: the kind's own read Protocol
# A declared value that may hold a `${secret:...}` reference: (the value, its attribute path, its origin).
SecretField = tuple[str, tuple[str, ...], "Origin | None"]


@cache
def resolve(ref: str) -> Any:
    """"package.module:name" -> that object, imported on first use ("package.module:name.attribute": an attribute of
    it, e.g. a method of one of a family's kinds; "package.module": the module). What it is, is what the property
    resolving it declares: not checked statically (tests/unit/kinds/test_registration.py resolves the sections'
    references)."""
    module, _, name = ref.partition(":")
    return reduce(getattr, name.split(".") if name else (), import_module(module))


T = TypeVar("T")


class _Ref(Generic[T]):
    """A registration's part by reference, as an attribute: what its field `<name>_ref` (or `field`, a dotted path:
    "io.read_scope_ref") names, imported on first use; None when it names nothing. With `hook`, `field` names a
    module ("package.module"), or an object in one ("package.module:NAME": the part a family's kinds write once, one
    object per kind), and the part is its hook of the attribute's name."""

    def __init__(self, field: str = "", hook: bool = False) -> None:
        self.field, self.hook = field, hook

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.field = name, self.field or f"{name}_ref"

    def __get__(self, registration: Any, owner: type | None = None) -> T | None:
        ref = reduce(getattr, self.field.split("."), registration)
        if not ref:
            return None
        if self.hook:
            ref = f"{ref}.{self.name}" if ":" in ref else f"{ref}:{self.name}"
        return cast(T, resolve(ref))


# `kplan watch`'s samples of a kind: (metric name, help, labels, value) each (kplan.commands.watch exports them)
Samples = list[tuple[str, str, dict[str, str], float]]

@dataclass(frozen=True)
class StackSection:
    """A kind's stack section as the loader (kplan.stackfile) and `kplan validate` know it."""

    key: str  # the section's key in a stack file; the kind's `section`
    noun: str  # how `kplan validate` counts its declared resources (a noun, pluralised)
    # How its entries become specs: "module:name" of `build_section(entries, smap, diags)` (a plain list), or of
    # `build_member(inp)` (`member=True`: from the cluster's whole part of the stack, after the other sections);
    # None for a section the loader builds itself (topics and connectors, which cdc sources give entries too).
    build_ref: str | None = None
    member: bool = False
    entry_word_ref: str | None = ".section:entry_word"  # `entry_word(item)`: an entry as the loader's messages say it
    claimable: bool = False  # a claim (`claims:`) may cover its resources by name (docs/orphans.md)
    # The keys of other sections' entries it builds from, by section (not those entries' settings): a topic's
    # `key_schema` declares a subject.
    borrows: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    check_members_ref: str | None = None  # its checks across the clusters of a several-cluster stack
    digest_inputs_ref: str | None = None  # the files its specs read, for the stack's inputs digest
    # `kplan validate`'s summary counts its entries even when the stack declares none (the sections every stack
    # is about); another section is counted only when it has entries.
    always_counted: bool = False
    # The selected environment may overlay its entries by name (`environments.<env>.<key>.<name>`); an overlay of a
    # name nothing declares is an error.
    overlaid: bool = False
    # It may list thousands of entries: the schema checks them once per distinct shape (kplan.stackfile.schema).
    many: bool = False
    # "module:name" of its checks across the whole stack: a class, one instance per load (`Context.checks`),
    # that its builder reports into and that reports each problem once (`flush(diags)`) when every cluster is built.
    load_checks_ref: str | None = None

    @classmethod
    def of(cls, key: str, noun: str, part: str) -> "StackSection":
        """The section of a family's kind, whose one object (`part`: "module:NAME") builds its entries and words
        them (`build`, `entry_word`)."""
        return cls(key, noun, build_ref=f"{part}.build", entry_word_ref=f"{part}.entry_word")

    @property
    def build(self) -> Callable[..., tuple[object, ...]]:
        assert self.build_ref is not None, self.key
        return cast("Callable[..., tuple[object, ...]]", resolve(self.build_ref))

    @property
    def entry_word(self) -> Callable[[object], str]:
        assert self.entry_word_ref is not None, self.key
        return cast("Callable[[object], str]", resolve(self.entry_word_ref))

    load_checks: ClassVar[_Ref[Callable[[], Any]]] = _Ref()
    check_members: ClassVar[_Ref[Callable[[Sequence[Any], Any], None]]] = _Ref()
    digest_inputs: ClassVar[_Ref[Callable[[tuple[object, ...]], Mapping[str, bytes]]]] = _Ref()


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
    """Where a kind's I/O lives, by reference into its system's room (kplan.cluster): the batched read and the
    plan-time validation find each kind's here, through kplan.cluster.kind_io, so that neither names a kind. The
    references are strings: a kind stays pure, its unit imports nothing of the I/O rooms."""

    read_ref: str | None = None  # "module:name" of its read (`read_via` says of what shape)
    read_via: str = ADMIN  # PRIMARY, ADMIN or OWN
    read_first: bool = False  # a primary read whose requests go out before the others' (Connect's, on its own thread)
    # "module:name" of (the RealValidator) -> its kplan.transport.reads.KindValidation, made when a plan first
    # changes the kind
    validation_ref: str | None = None
    # The validation has an early part, `ahead(stack, live)`: apply's lock thread starts it as soon as it has read
    # the cluster (kplan.session.early). Its module is then imported by that thread: it is in
    # kplan.cluster.prefetch's _READ_IMPORTS.
    validation_ahead: bool = False
    # "module:name" of (the loaded Stack) -> the names of the kind's resources a plan of the stack asks the batched
    # read for (those it declares and those its references name; the read adds those its record owns), a pure
    # function in the kind's own modules; None: its read is not limited by name. The early read's preview takes the
    # names its section's entries declare (kplan.kinds.scoped_sections).
    read_scope_ref: str | None = None
    # "module:name" of (the batched reader, names) -> name -> what the kind's read answers for it: the kind's resources
    # described by name after the batched read (settling, a claim's orphans, a prefetched read topped up), which the
    # reader asks through `kplan.cluster.kind_io.DESCRIBE` (the topics' configs: `describe_topic_configs`; one kind)
    describe_ref: str | None = None
    # "module:name" of the loop a plan is made in until the broker's metadata agrees with its controller: (plan_once,
    # the reader, timeout in seconds, validated=) -> (live, plan); kplan.session.plan asks it (the topics'; one kind)
    settle_ref: str | None = None
    # "module:name" of (an admin client, topic names, timeout in seconds) -> the leader of each of their partitions:
    # `kplan plan --elect-leaders`'s read, which kplan.session.plan asks (the topics'; one kind)
    leaders_ref: str | None = None
    # "module:name" of `kplan status`'s own read of the kind (never a plan's, never with a live-state file):
    # (its declared resources, the run's SecretValues, the batched reader, timeout in seconds) -> what it read, which
    # the unit's `status_with` puts on the report (a CDC source's health at its database)
    status_read_ref: str | None = None
    # "module:name" of `kplan watch`'s own read of the kind, each round: (its declared resources, the run's
    # SecretValues, the batched reader, timeout in seconds) -> samples, each (metric name, help, labels, value) (a
    # consumer group's lag)
    metrics_read_ref: str | None = None


def _whole(value: Any, package: str) -> Any:
    """A reference (or a tuple of them, or a `KindIO` or `StackSection` of them) relative to `package` (".kind:KIND")
    made whole; any other value as it is."""
    if isinstance(value, (KindIO, StackSection)):
        return replace(value, **{f.name: _whole(getattr(value, f.name), package) for f in fields(value)})
    if isinstance(value, tuple):
        return tuple(_whole(r, package) for r in value)
    return package + value if isinstance(value, str) and value.startswith(".") else value


@dataclass(frozen=True)
class KindUnit:
    """A kind's registration: every part named by reference ("module:name"), imported when first used. A reference
    that starts with "." is relative to the unit's package (".kind:KIND": `kplan.kinds.<kind>.kind:KIND`), and a
    part the unit does not name is where a kind's folder keeps it (the defaults below); a kind without it says None."""

    module: str  # the unit's module (`__name__`): its package is the kind's folder, or its family's
    section: StackSection | None  # its stack section (None: a kind no entry declares on its own, offsets)
    kind_ref: str = ".kind:KIND"  # its Kind: planning, status, fingerprints, labels
    # Plan -> its steps (within a phase, the builders' order holds); (): `.steps:build_<folder>_steps`
    builder_refs: tuple[str, ...] = ()
    # Its follow-up read after the batched one (stack, live, reader, destroy -> live with what it read), for a
    # kind whose read depends on the batched read's answer.
    follow_up_ref: str | None = None
    # A module (or "module:name" of an object) with `live_from_json`, its slice of a live-state document
    # (kplan.kinds.livejson), and `kind_state`.
    live_module: str | None = ".live"
    # "module:name" of (a live-state document) -> the document's top-level facts its part gives where the document
    # does not say them (the topics' part: `all_topic_names`, the names it describes); kplan.kinds.livejson
    live_defaults_ref: str | None = None
    # Its resources written as stack entries by `kplan import` (a KindImporter, kplan.kinds.importing).
    importer_ref: str | None = ".importer:IMPORTER"
    # A declared resource as `kplan render` shows it (kplan.stackfile.export).
    render_ref: str | None = ".section:rendered"
    # The values of a declared resource that may hold a `${secret:...}` reference, each as (value, its attribute
    # path, its origin): every one must resolve on every plan (kplan.plan.secret_refs).
    secret_fields_ref: str | None = None
    # The plaintext secret values a run may meet in its declared and live resources (stack, live -> values): the
    # executor masks them, and no output shows them (kplan.session.plan.run_secrets).
    run_secrets_ref: str | None = None
    # The consumer groups a change of one of its resources takes away before any topic step (change, live -> group
    # -> what takes it away, in words): the consumer guard shows them so and does not count them
    # (kplan.plan.planner.leaving).
    takes_groups_ref: str | None = None
    # What its changes leave for a person to do once applied (plan -> lines, e.g. a deleted PostgreSQL source's
    # slot and publication with the SQL to drop them): apply repeats them after its summary.
    left_behind_ref: str | None = None
    # "module:name" of (the status report, what its `io.status_read_ref` read) -> the report with it (kplan status)
    status_with_ref: str | None = None
    # "module:name" of (what its `io.status_read_ref` read) -> the samples `kplan watch` exports of it, each (metric
    # name, help, labels, value): a CDC source's slot and binlog lag (kplan.commands.watch names no kind)
    metrics_ref: str | None = None
    # "module:name" of (the live state a plan was made on, the plan) -> `kplan watch`'s samples of the kind's resources
    # the plan names, from the live state alone (no read of its own): a connector's and its tasks' states
    live_metrics_ref: str | None = None
    # "module:name" of how the status summary counts its resources by state (a `kplan.model.status.StateTally`:
    # `connectors: 2 running, 1 FAILED`, and the status JSON's summary key of that word); None: it counts none
    status_tally_ref: str | None = None
    # "module:name" of its part of a stack's policy (a `kplan.kinds.policy.PolicyPart`: the rule types it checks on
    # each of its declared resources, the owner totals that sum its section); kplan.policy.check composes them
    policy_ref: str | None = None
    # "module:name" of how its resources keep topics beyond their declarations (a `kplan.kinds.keepers.TopicKeepers`:
    # a CDC source's schema history and table topics), which the topic kind asks; None: its resources keep none
    keeps_topics_ref: str | None = None
    # "module:name" of its part of the plan's data-flows picture (a `kplan.kinds.flows.FlowPart`: what it draws of
    # its changes; kplan.render.html.flows composes them and names no kind)
    flows_ref: str | None = None
    # "module:name" of its part in `kplan plan --rebalance/--elect-leaders` (a `kplan.model.rebalance.Rebalancing`:
    # the moves and elections as updates of its changes, the same request again from a saved plan or a journal;
    # kplan.kinds.rebalancing finds it); None: its resources have no replicas to move
    rebalance_ref: str | None = None
    # "module:name" of its consumer guard (a `kplan.kinds.unit.ConsumerGuard`: which of its changes disrupt the
    # consumer groups reading its resources, and the plan with them and the guard's diagnostics;
    # kplan.kinds.consumer_guard asks it); None: no consumer group reads its resources
    consumer_guard_ref: str | None = None
    # "module:name" of its shape (a `kplan.kinds.shape.Shape`: its entries' keys, one row each), from which its parts
    # of the stack and plan schemas are derived (`make schemas`); None: its parts are files (`*.part.json`)
    shape_ref: str | None = None
    io: KindIO = KindIO()  # its reads and plan-time validation by the real systems

    def __post_init__(self) -> None:
        package = self.module.rpartition(".")[0]
        for f in fields(self):
            object.__setattr__(self, f.name, _whole(getattr(self, f.name), package))
        if not self.builder_refs:
            object.__setattr__(self, "builder_refs", (f"{package}.steps:build_{package.rpartition('.')[2]}_steps",))

    @property
    def kind(self) -> "AnyKind":
        return cast("AnyKind", resolve(self.kind_ref))

    @property
    def builders(self) -> tuple[StepBuilder, ...]:
        return tuple(resolve(r) for r in self.builder_refs)

    follow_up: ClassVar[_Ref[FollowUp]] = _Ref()
    live_from_json: ClassVar[_Ref[Callable[[Mapping[str, Any]], KindState]]] = _Ref("live_module", hook=True)
    live_defaults: ClassVar[_Ref[Callable[[Mapping[str, Any]], Mapping[str, Any]]]] = _Ref()

    # Its slice of the live state from what the batched read answered for its section (its `io.read_ref`; nothing for
    # a kind without one): (the answer, its part of the ownership record — a names-only kind's `NamesPart` —, why it
    # could not be read or None) -> its KindState.
    kind_state: ClassVar[_Ref[Callable[[Any, Any, Any], KindState]]] = _Ref("live_module", hook=True)

    importer: ClassVar[_Ref[KindImporter]] = _Ref()
    render: ClassVar[_Ref[Callable[[Any], dict[str, Any]]]] = _Ref()
    secret_fields: ClassVar[_Ref[Callable[[Any], Iterable[SecretField]]]] = _Ref()
    run_secrets: ClassVar[_Ref[Callable[[Stack, LiveState], Iterable[str]]]] = _Ref()
    takes_groups: ClassVar[_Ref[Callable[[ResourceChange, LiveState], Mapping[str, str]]]] = _Ref()
    status_read: ClassVar[_Ref[Callable[[Sequence[Any], Any, Any, float], Any]]] = _Ref("io.status_read_ref")
    status_with: ClassVar[_Ref[Callable[[StatusReport, Any], StatusReport]]] = _Ref()
    metrics: ClassVar[_Ref[Callable[[Any], Samples]]] = _Ref()
    metrics_read: ClassVar[_Ref[Callable[[Sequence[Any], Any, Any, float], Samples]]] = _Ref("io.metrics_read_ref")
    live_metrics: ClassVar[_Ref[Callable[[LiveState, Plan], Samples]]] = _Ref()
    status_tally: ClassVar[_Ref[StateTally]] = _Ref()
    policy: ClassVar[_Ref[PolicyPart]] = _Ref()
    keeps_topics: ClassVar[_Ref[TopicKeepers]] = _Ref()
    left_behind: ClassVar[_Ref[Callable[[Plan], list[str]]]] = _Ref()
    flows: ClassVar[_Ref[FlowPart]] = _Ref()
    read_scope: ClassVar[_Ref[Callable[[Stack], Iterable[str]]]] = _Ref("io.read_scope_ref")
    rebalance: ClassVar[_Ref[Rebalancing]] = _Ref()
    consumer_guard: ClassVar[_Ref[ConsumerGuard]] = _Ref()
    shape: ClassVar[_Ref[Shape]] = _Ref()


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
