"""The plan data model: one immutable structure that every renderer, the saved-plan file and apply read.

A plan never holds a plaintext secret: the planner replaces sensitive values with `SENSITIVE` before building it,
so nothing downstream (renderers, JSON, saved plans) can leak one by accident.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import cached_property
from typing import Any, ClassVar, Collection, Iterable, Mapping

from kplan.model.consumers import ConsumerContext
from kplan.model.diagnostics import Diagnostic, Severity
from kplan.model.metadata import EMPTY, Meta
from kplan.model.source import Origin
from kplan.secrets import MASK

# The plan JSON format's version (schemas/plan.schema.json). Bump on any incompatible change.
FORMAT_VERSION = "1"

# What a sensitive value is replaced by, everywhere (a value that is only a `${...}` reference may be shown).
SENSITIVE = MASK

# The fingerprint of a resource that does not exist on the cluster.
ABSENT = "absent"


class Action(str, Enum):
    """The closed set of things a plan can do to one resource."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REPLACE = "replace"  # delete then create: the topic's data is lost
    NOOP = "no-op"
    RESTART = "restart"  # a connector's FAILED connector/tasks restarted (restart_failed); nothing declared changes
    # Only its owner, description or labels change (kplan.model.metadata): apply writes kplan's ownership record and
    # touches nothing on the cluster. Not `is_change` (no step of the kind's own); a change of the plan all the same.
    METADATA = "update-metadata"
    # The stack stops owning it (`forget:`): apply drops it from kplan's record and leaves it, and its data, on the
    # cluster. Not `is_change` either: no step of the kind's own.
    FORGET = "forget"
    # Renamed (`moved_from:`): the resource of `ResourceChange.previous_address` becomes this one, keeping what it
    # carries (a connector's offsets), instead of a delete and a create (Terraform's `moved` block).
    MOVE = "move"


class ResourceType(str, Enum):
    """The closed set of resource kinds (each is one unit in `kplan.kinds`). The value is the address prefix and
    the word the plan JSON uses."""

    TOPIC = "topic"
    CONNECTOR = "connector"
    ACL = "acl"  # one resource per principal: acl.User:orders-app
    USER = "user"  # a SCRAM user: user.orders-app
    QUOTA = "quota"  # one resource per client-quota entity: quota.user=orders-service
    OFFSETS = "offsets"  # a connector's declared offsets request: offsets.pg-src (kplan.kinds.offsets.kind)
    SUBJECT = "subject"  # a schema registry subject: subject.orders-value (kplan.kinds.subject.kind)
    CONSUMER_GROUP = "consumer_group"  # a group's declared request: consumer_group.orders-app (kinds/group_request)
    BROKER_CONFIG = "broker_config"  # dynamic broker configs: broker_config.<default> (cluster-wide), broker_config.1
    GROUP_CONFIG = "group_config"  # a group's dynamic configs (KIP-848): group_config.orders-app (kinds/dynamic_config)
    SHARE_GROUP = "share_group"  # a share group's declared request (KIP-932): share_group.jobs (kinds/group_request)
    STREAMS_APP = "streams_app"  # a Kafka Streams application: streams_app.<application.id> (kinds/streams_app)
    FEATURE = "feature"  # a finalized feature version (KIP-584): feature.share.version (kinds/feature)
    RECORDS = "records"  # a topic's delete-records request: records.orders (kinds/records)


class Reason(str, Enum):
    """Why a resource change has its action (Terraform's ActionReason). The value is the plan JSON's `reason`
    text, which renderers show as is; nothing branches on the text."""

    NOT_ON_CLUSTER = "not on the cluster"
    NOT_ON_REGISTRY = "not on the registry"
    DIFFERS = "differs from the stack"
    MATCHES = "matches the stack"
    CANNOT_CHANGE = "cannot change as declared"
    REMOVED_FROM_STACK = "removed from the stack"
    DESTROY = "destroy"
    PROTECTED = "protected: never deleted"
    REPLACE_PARTITIONS = "partition decrease with allow_replace"
    REPLACE_REPLICATION = "replication factor change with allow_replace"
    REPLACE_BOTH = "partition decrease and replication factor change with allow_replace"
    FAILED_RESTART = "failed, and restart_failed is set"
    OFFSETS_REQUESTED = "offsets request not applied yet"
    OFFSETS_APPLIED = "offsets request already applied"
    GROUP_REQUESTED = "consumer group request not applied yet"
    GROUP_APPLIED = "consumer group request already applied"
    GROUP_AT_TARGET = "already at the requested positions"
    GROUP_ABSENT = "no such group: nothing to delete"
    SHARE_GROUP_REQUESTED = "share group request not applied yet"
    SHARE_GROUP_APPLIED = "share group request already applied"
    RECORDS_REQUESTED = "delete-records request not applied yet"
    RECORDS_APPLIED = "delete-records request already applied"
    RECORDS_NONE_BEFORE = "no record before the requested offsets: nothing to delete"
    RECORDS_TOPIC_CREATED = "the topic is created by this plan: no record to delete yet"
    ORPHAN = "orphan under a claimed prefix, with prune"  # docs/orphans.md
    METADATA = "owner, description or labels differ from kplan's record"
    FORGOTTEN = "forget: no longer owned, left on the cluster"
    MOVED = "moved_from"
    REBALANCE = "rebalance requested (kplan plan --rebalance)"  # docs/rebalance.md
    ELECT_LEADERS = "preferred leader election requested (kplan plan --elect-leaders)"
    NONE = ""


class NoteKind(str, Enum):
    """Why an attribute change is shown the way it is. The value is the plan JSON's `note` text."""

    INHERITED = "inherited"  # a new override replaces a value inherited from the broker (`before`)
    IRREVERSIBLE = "irreversible: keys move to other partitions"
    TIERED_ON = "one-way: turning it off again deletes the segments copied to remote storage"
    TIERED_OFF = "DATA LOSS: deletes the topic's remote segments"
    REASSIGNMENT = "by partition reassignment: replicas are copied to their new brokers, then the old ones removed"
    REBALANCE = "rebalance: replicas copied to their new brokers (throttled if asked), then the old ones removed"
    PREFERRED_LEADER = "leadership moved to the preferred (first) replica"
    REFUSED = "refused"
    DRIFT_LEFT_ALONE = "override not declared; left alone"
    AUTHORITATIVE_REMOVAL = "not declared (authoritative config)"
    BINDING_LEFT_ALONE = "binding not declared and not created by kplan; left alone"
    BINDING_AUTHORITATIVE_REMOVAL = "not declared (authoritative principal)"
    BINDING_NO_LONGER_DECLARED = "created by kplan, no longer declared"
    BINDING_ORPHAN = "orphan under a claimed prefix, with prune"
    PASSWORD_SET = "sets the declared password (SCRAM credentials cannot be read back)"
    PASSWORD_REPLACED = "replaces the existing password, which kplan cannot read or restore"
    PASSWORD_ROTATION = "rotation requested: sets the declared password again"
    CREDENTIAL_NO_LONGER_DECLARED = "mechanism no longer declared: its credential is deleted"
    QUOTA_LEFT_ALONE = "quota not declared and not set by kplan; left alone"
    QUOTA_NO_LONGER_DECLARED = "set by kplan, no longer declared"
    BROKER_CONFIG_LEFT_ALONE = "dynamic broker config not declared and not set by kplan; left alone"
    BROKER_CONFIG_NO_LONGER_DECLARED = "set by kplan, no longer declared"
    BROKER_CONFIG_AUTHORITATIVE_REMOVAL = "not declared (authoritative broker configs)"
    BROKER_CONFIG_OVERRIDES_STATIC = "the dynamic value overrides a static server.properties value"
    GROUP_CONFIG_LEFT_ALONE = "group config not declared and not set by kplan; left alone"
    GROUP_CONFIG_NO_LONGER_DECLARED = "set by kplan, no longer declared"
    GROUP_CONFIG_AUTHORITATIVE_REMOVAL = "not declared (authoritative group configs)"
    STREAMS_INTERNAL_TOPIC = "internal topic of the application (internal_topics: managed)"
    STREAMS_INTERNAL_TOPIC_DELETED = "internal topic of the application (delete_internal_topics_on_destroy)"
    OFFSET_RESET = "deleted: the connector starts this partition from scratch"
    OFFSET_SET = "moved to the declared position"
    OFFSETS_REQUEST = "a new offsets request: applied once, then recorded"
    GROUP_REQUEST = "a new consumer group request: applied once, then recorded"
    GROUP_OFFSET_MOVED = "moved to the requested position"
    GROUP_OFFSET_NEW = "no committed offset yet: set to the requested position"
    GROUP_OFFSET_DELETED = "deleted with the group"
    SHARE_GROUP_REQUEST = "a new share group request: applied once, then recorded"
    SHARE_GROUP_OFFSET_NEW = "no start offset yet: set to the requested position"
    SHARE_GROUP_OFFSET_AGAIN = "set again: records acknowledged after it are delivered again"
    RECORDS_REQUEST = "a new delete-records request: applied once, then recorded"
    RECORDS_DELETED = "low watermark moved: the records before it are deleted (irreversible)"
    SCHEMA_FIELD = "the schema's part differs"
    DECLARED_IS_OLDER = "the declared schema is an older version: registries do not register it again"


class Flag(str, Enum):
    """Markers on a resource change that renderers and apply pay attention to."""

    IRREVERSIBLE = "irreversible"  # e.g. a partition increase: cannot be undone, keys move partitions
    DATA_LOSS = "data_loss"  # a topic replacement or deletion drops its records
    DRIFT = "drift"  # the cluster has values the stack does not declare (left alone)
    UNHEALTHY = "unhealthy"  # connector or task FAILED/UNASSIGNED; not a config change
    REFUSED = "refused"  # part of the desired change cannot be done (see the plan's error diagnostics)
    PROTECTED = "protected"  # `protect: true`: never deleted or replaced
    RESTART = "restart"  # apply restarts the connector after writing its config (restart_on_change)
    ADOPT = "adopt"  # exists on the cluster but is not yet recorded as owned by this stack


class AttrKind(str, Enum):
    """How one attribute differs between the live and the desired state."""

    ADD = "add"  # set a value that is not set now (a new override, a new connector key)
    UPDATE = "update"
    REMOVE = "remove"  # unset (an undeclared override in authoritative mode, a connector key no longer declared)
    DRIFT = "drift"  # differs from / not declared in the stack, but left alone
    REFUSED = "refused"  # wanted but impossible without replacement; an error diagnostic explains


Path = tuple[str, ...]  # e.g. ("partitions",), ("config", "retention.ms"), ("state",)
Value = str | int | None


@dataclass(frozen=True)
class AttributeChange:
    path: Path
    kind: AttrKind
    before: Value = None  # None: not set (or, for a new override, see `note`)
    after: Value = None
    sensitive: bool = False  # before/after are SENSITIVE markers; `changed` says whether the secret differs
    forces_replacement: bool = False
    note: NoteKind | None = None

    @property
    def changed(self) -> bool:
        """True when apply will change this attribute (drift and refused changes are not applied)."""
        return self.kind in (AttrKind.ADD, AttrKind.UPDATE, AttrKind.REMOVE)


def attribute_changes(before: Mapping[Path, Value], after: Mapping[Path, Value], *, sort: bool = True,
                      notes: Mapping[AttrKind, NoteKind] = {}, path_notes: Mapping[Path, NoteKind | None] = {},
                      sensitive: Collection[Path] = (), drift: Collection[Path] = (),
                      inherited: Mapping[Path, Value] = {}, compare: bool = True) -> list[AttributeChange]:
    """What differs between two images of a resource (path -> value; None, or no such path: absent), the one diff
    of every kind's attributes: ADD for a path only `after` has, REMOVE for one only `before` has (DRIFT, left
    alone, for one of `drift`), UPDATE for one whose value differs; sorted by path, else (`sort` False) in `after`'s
    order, then `before`'s. A change's note is its path's in `path_notes`, else its kind's in `notes`. `inherited`:
    the value in effect of a path `before` does not set (a default): its ADD shows it before, noted INHERITED.
    `compare` False: every path given differs, as the caller compared them (masked values may look alike)."""
    out = []
    paths = [*after, *(p for p in before if p not in after)]
    for path in sorted(paths) if sort else paths:
        a, b = before.get(path), after.get(path)
        if compare and a == b:
            continue
        kind = AttrKind.ADD if a is None else AttrKind.UPDATE if b is not None else \
            AttrKind.DRIFT if path in drift else AttrKind.REMOVE
        note = path_notes[path] if path in path_notes else notes.get(kind)
        if kind is AttrKind.ADD and inherited.get(path) is not None:
            a, note = inherited[path], NoteKind.INHERITED
        out.append(AttributeChange(path, kind, a, b, sensitive=path in sensitive, note=note))
    return out


def only_left_alone(kinds: Iterable[AttrKind]) -> bool:
    """Whether a resource whose attributes differ by these kinds differs only by values kplan leaves alone
    (AttrKind.DRIFT: an undeclared override, a binding kplan did not create). The one test of it: such a resource is
    shown but is not drift; its plan has no change (`plan --detailed-exitcode` exits 0), `status` does not count it
    and `kplan watch` exports it as `left_alone`, on which no alert fires (`standing`)."""
    seen = tuple(kinds)
    return bool(seen) and all(k is AttrKind.DRIFT for k in seen)


# Plans, plan-time validation and status use the one diagnostic type.
PlanDiagnostic = Diagnostic


def error(message: str, code: str, **kw: Any) -> PlanDiagnostic:
    return PlanDiagnostic(Severity.ERROR, message, code, **kw)


def warning(message: str, code: str, **kw: Any) -> PlanDiagnostic:
    return PlanDiagnostic(Severity.WARNING, message, code, **kw)


class PlannedPayload:
    """What apply does for one change, decided at plan time (Terraform's `PlannedState`): one frozen dataclass per
    kind, defined next to it in `kplan.kinds` and filled by it. Apply's step builders read it instead of parsing
    the plan's display values. Saved plans carry it, written and read by the plan's converter from its fields
    (kplan.kinds.codec: its `json_keys` say where its JSON differs); never a secret value."""

    type: ClassVar[ResourceType]


@dataclass(frozen=True)
class ResourceChange:
    address: str  # "topic.orders", "connector.pg-src"
    type: ResourceType
    name: str
    action: Action
    # Live and planned representations (None when absent); sensitive values already replaced by SENSITIVE.
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    attributes: tuple[AttributeChange, ...] = ()  # changed, drifted and refused attributes only
    unchanged_attributes: int = 0  # declared attributes that already match (hidden by renderers)
    sensitive_paths: tuple[Path, ...] = ()
    flags: frozenset[Flag] = frozenset()
    reason: Reason = Reason.NONE
    origin: Origin | None = None
    # What apply does (None on a no-op, and in a plan saved by a kplan older than the payload).
    planned: PlannedPayload | None = None
    # A topic the plan disrupts: the consumer groups reading it (kplan.kinds.consumer_guard); None when not looked at.
    consumers: ConsumerContext | None = None
    # Its owner, description and labels (kplan.model.metadata): as declared, else (no longer declared) as recorded.
    meta: Meta = EMPTY
    # A move (Action.MOVE): the address it had (Terraform's `previous_address`); None otherwise.
    previous_address: str | None = None

    @property
    def actions(self) -> tuple[Action, ...]:
        """Terraform-style list form; currently always exactly one action."""
        return (self.action,)

    @property
    def is_change(self) -> bool:
        """Apply does something to the resource itself (a metadata update only writes kplan's record)."""
        return self.action not in (Action.NOOP, Action.METADATA, Action.FORGET)

    def has(self, flag: Flag) -> bool:
        return flag in self.flags


# Plan errors that are drift of their resource apply cannot undo (partitions added by hand, a replication factor it
# cannot change): shown as the resource's refused attribute, drifted (`standing`), by `status` and `kplan watch`,
# which go on with the rest of the stack; `plan` cannot make a plan with them.
SHOWN_AS_DRIFT = frozenset({"partition-decrease", "replication-factor-change"})


class Standing(str, Enum):
    """Where one resource stands against its stack, as its plan says (`standing`): the one notion of drift `plan`,
    `status`, `kplan watch`, its metrics and the alert rules share. The value is the state `kplan watch` exports."""

    IN_SYNC = "in_sync"  # nothing to do (a change of kplan's own record only is no difference on the cluster)
    LEFT_ALONE = "left_alone"  # the cluster holds values the stack leaves alone, and nothing else differs
    MISSING = "missing"  # apply would create it
    DRIFTED = "drifted"  # apply would change or replace it, or it differs in a way apply refuses to undo
    EXTRA = "extra"  # owned, no longer declared: apply would delete it
    UNHEALTHY = "unhealthy"  # a connector or task FAILED or UNASSIGNED

    @property
    def differs(self) -> bool:
        """Not as the stack wants it: what alerts and the audit feed report. Values left alone are not."""
        return self not in (Standing.IN_SYNC, Standing.LEFT_ALONE)


_STANDING_OF_ACTION = {Action.CREATE: Standing.MISSING, Action.DELETE: Standing.EXTRA, Action.UPDATE: Standing.DRIFTED,
                       Action.REPLACE: Standing.DRIFTED, Action.MOVE: Standing.DRIFTED,
                       Action.RESTART: Standing.UNHEALTHY}


def standing(change: ResourceChange) -> Standing:
    """One resource's standing in its plan. A change apply makes says it; without one (no-op, kplan's record only,
    forget) what still differs on the cluster does: a refused attribute (partitions added by hand: the plan's error
    says why apply cannot undo it) is drift, values left alone only (`only_left_alone`) are not."""
    if change.has(Flag.UNHEALTHY):
        return Standing.UNHEALTHY
    by_action = _STANDING_OF_ACTION.get(change.action)
    if by_action is not None:
        return by_action
    kinds = [a.kind for a in change.attributes if a.path[:1] != ("metadata",)]
    if AttrKind.REFUSED in kinds:
        return Standing.DRIFTED
    return Standing.LEFT_ALONE if only_left_alone(kinds) else Standing.IN_SYNC


@dataclass(frozen=True)
class Summary:
    add: int = 0  # creates + replaces
    change: int = 0  # updates
    destroy: int = 0  # deletes + replaces
    unchanged: int = 0
    drift: int = 0
    errors: int = 0
    warnings: int = 0
    restart: int = 0  # connectors whose failed instances apply restarts
    metadata: int = 0  # resources whose owner, description or labels only change (kplan's record only)
    forget: int = 0  # resources the stack stops owning, left on the cluster (kplan's record only)
    move: int = 0  # resources renamed (moved_from), keeping their position

    @classmethod
    def of(cls, changes: tuple[ResourceChange, ...], diagnostics: tuple[PlanDiagnostic, ...]) -> "Summary":
        def count(*acts: Action) -> int:
            return sum(1 for c in changes if c.action in acts)

        return cls(
            add=count(Action.CREATE, Action.REPLACE),
            change=count(Action.UPDATE),
            destroy=count(Action.DELETE, Action.REPLACE),
            unchanged=count(Action.NOOP),
            drift=sum(1 for c in changes if c.has(Flag.DRIFT)),
            errors=sum(1 for d in diagnostics if d.severity == Severity.ERROR),
            warnings=sum(1 for d in diagnostics if d.severity == Severity.WARNING),
            restart=count(Action.RESTART),
            metadata=count(Action.METADATA),
            forget=count(Action.FORGET),
            move=count(Action.MOVE),
        )


@dataclass(frozen=True)
class Selection:
    """What `kplan plan --owner X --label k=v` kept of a plan: the filter, and how many changes it hid."""

    owner: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    hidden_changes: int = 0  # changes (of resources or metadata) of other owners, not shown
    hidden_resources: int = 0  # every resource not shown, changed or not

    def describe(self) -> str:
        """`owner team-orders, label tier=gold`."""
        parts = ([f"owner {self.owner}"] if self.owner is not None else []) + [f"label {k}={v}" for k, v in
                                                                             sorted(self.labels.items())]
        return ", ".join(parts)


@dataclass(frozen=True)
class NotRead:
    """A system the stack declares that kplan could not read and that the run was allowed to plan without
    (`--allow-unreadable SYSTEM`): what it holds is unknown, so the plan neither creates, changes nor deletes
    anything on it, and says so. `system` is how the option names it (`connect:analytics`)."""

    system: str
    why: str = ""

    @property
    def words(self) -> str:
        """`Kafka Connect cluster 'analytics'`."""
        kind, _, name = self.system.partition(":")
        return f"Kafka Connect cluster {name!r}" if kind == "connect" else self.system

    def to_json(self) -> dict[str, Any]:
        return {"system": self.system, "why": self.why}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "NotRead":
        return cls(str(d["system"]), str(d.get("why") or ""))


@dataclass(frozen=True)
class Plan:
    stack: str
    environment: str | None
    cluster_id: str
    changes: tuple[ResourceChange, ...] = ()  # topics then connectors, each by name
    diagnostics: tuple[PlanDiagnostic, ...] = ()
    # address -> "sha256:<hex>" of the live resource the change was computed from, or ABSENT.
    fingerprints: Mapping[str, str] = field(default_factory=dict)
    # address -> the document each fingerprint but ABSENT was taken of (`Kind.canonical`: no secret), so that apply
    # can name what moved in a stale saved plan (kplan.plan.stale); saved plans only, empty in older ones.
    fingerprinted: Mapping[str, Any] = field(default_factory=dict)
    inputs_digest: str = ""
    destroy: bool = False
    format_version: str = FORMAT_VERSION
    # Several clusters (kplan.plan.clusters.combine): the cluster this plan is for (in a group), and on the
    # combined plan one plan per cluster; the combined plan's changes and diagnostics are theirs, in order.
    cluster_name: str | None = None
    groups: tuple["Plan", ...] = ()
    # `kplan plan --owner/--label` (kplan.plan.select): what the plan was narrowed to and what it hid; None when
    # whole. A filtered plan is a view: it is never saved nor applied.
    selection: "Selection | None" = None
    # The declared systems this plan was allowed not to read (`--allow-unreadable`): empty for a complete plan.
    # Never "No changes" while it is not (kplan.render.common.summary_line).
    not_read: tuple[NotRead, ...] = ()
    # The addresses the stack references (`references:`, kplan.plan.references): others' resources it needs, sorted;
    # empty on a destroy. Renderers mark them (the HTML page's data flows: owned by another stack).
    references: tuple[str, ...] = ()

    @cached_property
    def summary(self) -> Summary:  # a plan never changes: counted once (renderers ask several times)
        return Summary.of(self.changes, self.diagnostics)

    @property
    def has_changes(self) -> bool:
        """Apply has something to do: a change of a resource, or of its metadata in kplan's record."""
        return any(c.action != Action.NOOP for c in self.changes)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    @property
    def errors(self) -> tuple[PlanDiagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    @property
    def standing_known(self) -> bool:
        """Every resource's `standing` can be told: no error but drift apply cannot undo (SHOWN_AS_DRIFT)."""
        return all(d.code in SHOWN_AS_DRIFT for d in self.errors)

    def change(self, address: str) -> ResourceChange | None:
        return next((c for c in self.changes if c.address == address), None)

    def with_diagnostics(self, extra: list[PlanDiagnostic] | tuple[PlanDiagnostic, ...]) -> "Plan":
        """A copy with more diagnostics (e.g. from plan-time validation against the real systems)."""
        return replace(self, diagnostics=self.diagnostics + tuple(extra)) if extra else self


def with_planned(change: ResourceChange, planned: PlannedPayload | None) -> ResourceChange:
    """`change` carrying apply's payload; a no-op carries none (apply does nothing for it), and is returned as it
    is (a no-change plan of thousands of resources copies none of them)."""
    if not change.is_change:
        return change if change.planned is None else replace(change, planned=None)
    return replace(change, planned=planned)


def path_label(path: Path) -> str:
    """An attribute's path as plans show it: `partitions`, `config["retention.ms"]`."""
    head, *rest = path
    return head + "".join(f"[{json.dumps(p)}]" for p in rest)


def address_of(resource_type: ResourceType | str, name: str) -> str:
    return f"{ResourceType(resource_type).value}.{name}"


def split_address(address: str) -> tuple[str, str]:
    """("topic", "orders.v1") from "topic.orders.v1" (names may contain dots; the type never does)."""
    kind, _, name = address.partition(".")
    return kind, name
