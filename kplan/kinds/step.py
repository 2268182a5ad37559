"""What every apply step shares: the phase that orders it, its journal codec, and immutable values.

A step is a frozen dataclass, one type per thing apply does, with its arguments and the before-image its undo
needs as typed fields. Its `kind` is the word the journal records; `to_json()`/`from_json()` are the journal
codec (the JSON shape is {"kind", "args", "before", "irreversible"}, unchanged since steps were dicts), generated
from its fields (kplan.kinds.codec): its fields are its args, but those `before_keys` names.

A step never holds a secret: a value the journal must mask is kept in its masked form (`kplan.secrets.MASKED`),
and the unmasked value travels beside it, in `Planned.secrets`, into the executor's memory only.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, NamedTuple, TypeVar

from kplan.errors import KplanError
from kplan.kinds.codec import JsonKey, converter

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.plan import ResourceType


class Phase(IntEnum):
    """The global apply order. Steps run phase by phase; within a phase, in the order their builder gives (a
    connector's snapshot signal right after the connector). The seeds' rules: a connector never runs without its
    topics, and nothing irreversible runs before every reversible step has succeeded.

    The gaps leave room for kinds to come: ACLs (30), SCRAM users (40) and quotas (45) after the topics they concern,
    schema subjects (50) before the connectors that use them; their removals after the connectors' deletions (75).
    A new reversible kind belongs before INCREASE_PARTITIONS."""

    UPDATE_FEATURES = 5  # finalized feature versions first: the share groups and group configs may need them
    CREATE_TOPICS = 10
    MIGRATE_TOPICS = 12  # a migration's copy and its groups' offsets moved (undone by forgetting the copy's group)
    ALTER_TOPIC_CONFIGS = 20
    REASSIGN_REPLICAS = 25  # replication-factor changes and rebalances (undone by reassigning back)
    ELECT_LEADERS = 26  # preferred leader elections (kplan plan --elect-leaders): nothing to undo
    CREATE_ACLS = 30
    CREATE_USERS = 40
    ALTER_QUOTAS = 45  # set and remove client quotas (one batch)
    ALTER_BROKER_CONFIGS = 47  # set and delete dynamic broker configs (cluster-wide defaults, per-broker overrides)
    ALTER_GROUP_CONFIGS = 48  # set and delete groups' dynamic configs (KIP-848)
    REGISTER_SUBJECTS = 50  # schema registry subjects: compatibility levels and new schema versions
    # a consumer group's offsets request: after the topic phases, before any connector (a new sink connector's group
    # is moved before the connector ever runs); reversible, so before INCREASE_PARTITIONS
    ALTER_GROUP_OFFSETS = 55
    ALTER_SHARE_GROUP_OFFSETS = 56  # a share group's start offsets (KIP-932), undone by putting them back
    PUT_CONNECTORS = 60
    ALTER_OFFSETS = 64  # a connector's declared offsets request, after it is created or updated
    RESTART_CONNECTORS = 66  # restart a connector's FAILED instances (restart_failed); nothing to undo
    DELETE_CONNECTORS = 70
    START_RENAMED_CONNECTORS = 72  # a renamed connector (moved_from) runs once the old one is gone; undone by a stop
    DELETE_ACLS = 75
    INCREASE_PARTITIONS = 80  # the irreversible phases start here
    CHANGE_TIERED_STORAGE = 82  # a topic's tiered storage turned on or off (KIP-950: one-way)
    ALTER_USERS = 85  # a password replaced cannot be put back
    REPLACE_TOPICS = 90
    DELETE_RECORDS = 91  # a topic's delete-records request: irreversible (the records are gone)
    DELETE_CONSUMER_GROUPS = 92  # a group's delete request: irreversible (its committed offsets are gone)
    DELETE_USERS = 93
    DELETE_SUBJECTS = 94  # soft (and, when the stack says so, hard) deletes of schema registry subjects
    DELETE_TOPICS = 95
    DROP_CDC_DATABASE_OBJECTS = 96  # a destroyed PostgreSQL source's replication slot and publication (on_destroy)
    RECORD_OWNERSHIP = 100


_BY_KIND: dict[str, type["StepBase"]] = {}


class Immutable:
    """For frozen dataclasses: whatever a field is given (a dict, a list), it holds a deep immutable copy."""

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            object.__setattr__(self, f.name, frozen(getattr(self, f.name)))


@dataclass(frozen=True)
class StepBase(Immutable):
    """The base of the step types (`kplan.apply.steps.Step` is their closed union). Immutable all the way down."""

    kind: ClassVar[str]  # the journal's word for this step type
    phase: ClassVar[Phase]
    irreversible: ClassVar[bool] = False
    # The step kinds whose undo must wait while this step's undo fails: what this step's effect may still need
    # (a connector that could not be deleted or restored may still write to the topics the run created).
    undo_holds_back: ClassVar[tuple[str, ...]] = ()
    # The journal's before-image: a field's key there (a property's, computed from the fields; "": its value's keys
    # are the before-image's own), and what it always says. The other fields are the step's args.
    before_keys: ClassVar[Mapping[str, str]] = {}
    before_says: ClassVar[Mapping[str, Any]] = {}
    json_keys: ClassVar[Mapping[str, JsonKey]] = {}  # where its JSON differs from its fields (kplan.kinds.codec)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            if cls.kind in _BY_KIND:
                raise TypeError(f"two step types have the kind {cls.kind!r}")
            _BY_KIND[cls.kind] = cls

    def describe(self) -> str:
        """One line for the progress output and the failure report."""
        raise NotImplementedError

    def undo_by_hand(self) -> str:
        """What a person does when this step's undo cannot be done (`kplan recover` ended the run without it)."""
        return f"put back by hand what '{self.describe()}' changed (the journal's before-image of the step says how " \
               "it was)"

    def applies_request(self) -> tuple["ResourceType", str, str | None] | None:
        """The one-time request (versioned by a token) this step applies: (its kind, its name, the token recorded
        before the run); None for a step that converges a resource. `recover --resume` plans a request whose step
        is not done against the token recorded before the run (kplan.apply.resume)."""
        return None

    def renames(self) -> tuple["ResourceType", str, str] | None:
        """The rename (`moved_from`) this step is part of: (its kind, the old name, the new one); None for any other
        step. `recover --resume` lets its plan continue a rename its run started, which finds both names taken
        (kplan.apply.resume.renames_in_flight)."""
        return None

    def to_json(self) -> dict[str, Any]:
        """The step as the journal records it: plain JSON values, deterministic (the same step, the same JSON)."""
        doc: dict[str, Any] = converter().unstructure(self)
        return doc

    @staticmethod
    def from_json(doc: Mapping[str, Any]) -> "StepBase":
        """The step a journal entry records; an unknown kind is an error, never skipped."""
        kind = doc.get("kind")
        step_type = _BY_KIND.get(kind) if isinstance(kind, str) else None
        if step_type is None:
            raise KplanError(f"the journal holds a step of unknown kind {kind!r} (known: "
                                  f"{', '.join(sorted(_BY_KIND))}); was it written by another version of kplan?")
        step: StepBase = converter().structure(doc, step_type)
        return step


def step_types() -> dict[str, type[StepBase]]:
    """kind -> step type, for every step type defined."""
    return dict(_BY_KIND)


class Planned(NamedTuple):
    """A step as a builder makes it, with what its run needs in memory only (unmasked connector configs);
    `secrets` never reaches the journal."""

    step: StepBase
    secrets: object | None = None


# -- immutable values --------------------------------------------------------------------------------------------


_K = TypeVar("_K")
_V = TypeVar("_V")


class FrozenDict(dict[_K, _V]):
    """A dict that cannot be changed, so a step is immutable all the way down. A dict still (so the journal's
    masked marker, `{"__masked__": true}`, keeps satisfying `kplan.secrets.is_masked`, and JSON encodes it)."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("a step is immutable")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse  # type: ignore

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __reduce__(self) -> tuple[type[FrozenDict[_K, _V]], tuple[dict[_K, _V]]]:
        return (FrozenDict, (dict(self),))

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"


_ATOMS = frozenset({str, int, float, bool, type(None)})


def frozen(value: Any) -> Any:
    """A deep, immutable copy of a JSON-like value: mappings become FrozenDicts, lists and tuples tuples."""
    if type(value) in _ATOMS:  # most values: without the ABC checks below (a 1,000-topic build's ~8,000 calls)
        return value
    if isinstance(value, Mapping):
        return FrozenDict({k: frozen(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(frozen(v) for v in value)
    return value


def name_list(items: list[str], limit: int = 5) -> str:
    """`a, b, c, d, e and 2 more`."""
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
