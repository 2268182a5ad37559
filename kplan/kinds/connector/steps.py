"""Connector steps: create or update a connector and drive it to its declared state, signal an incremental
snapshot of newly captured CDC tables, delete a connector, restart its failed instances, drop a destroyed PostgreSQL
source's slot and publication, rename it (`moved_from:`) — and the pure builder that makes them from a plan.

A connector config may hold plaintext secrets (written in the stack, or read from the live connector for the
before-image). Steps hold configs in their journal form, secret values masked (`kplan.secrets.mask_config`); the
unmasked configs go beside the step as `ConnectorSecrets`, for this process only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Mapping

from kplan.errors import KplanError
from kplan.kinds.codec import UNSET_OMITTED, JsonKey
from kplan.kinds.connector.kind import sensitive_keys
from kplan.kinds.connector.model import ConnectorSpec
from kplan.kinds.connector.planned import ConnectorPlanned
from kplan.kinds.planned import payloads
from kplan.kinds.step import Immutable, Phase, Planned, StepBase
from kplan.kinds.topic.steps import CreateTopics
from kplan.model.desired import ConnectorState, Stack
from kplan.model.live import LiveConnector, LiveState
from kplan.model.plan import Action, Plan, ResourceType
from kplan.rules.ignore import ignored
from kplan.secrets import mask_config, secret_keys


@dataclass(frozen=True)
class ConnectorImage(Immutable):
    """A connector as it was: its config (without Connect's `name` key) and its state, lower-case as read
    (running, paused, stopped — or failed, unassigned)."""

    config: Mapping[str, Any]
    state: str

    @classmethod
    def of_live(cls, current: LiveConnector) -> "ConnectorImage":
        """Unmasked: for `ConnectorSecrets` only (use `masked()` for a step). A running connector with a FAILED task
        was failed: an undo that resumes it puts it back running without waiting for its tasks to run (Connect's
        resume does not restart a FAILED task)."""
        state = current.state or "RUNNING"
        if state == "RUNNING" and any(t.state == "FAILED" for t in current.tasks):
            state = "FAILED"
        return cls({k: v for k, v in current.config.items() if k != "name"}, state.lower())

    def masked(self, secret: frozenset[str]) -> "ConnectorImage":
        return ConnectorImage(mask_config(self.config, secret), self.state)


@dataclass(frozen=True)
class ConnectorSecrets(Immutable):
    """The unmasked configs a connector step needs in this process (never journaled, never printed): the
    config to write when its journal form masks a value, and the connector as it was (for an exact undo)."""

    config: Mapping[str, str] | None = field(default=None, repr=False)
    previous: ConnectorImage | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return "ConnectorSecrets(<not shown>)"


@dataclass(frozen=True)
class PutConnector(StepBase):
    """Create or update a connector and wait until it (and every task) reaches its declared state (a new one is
    created STOPPED, its offsets read, then brought to that state). Undo: delete it if this run created it, its
    offsets back to those it found, else put its previous config (if this step wrote one) and state back."""

    kind: ClassVar[str] = "put-connector"
    phase: ClassVar[Phase] = Phase.PUT_CONNECTORS
    undo_holds_back: ClassVar[tuple[str, ...]] = (CreateTopics.kind,)  # it may still use the run's new topics
    before_keys: ClassVar[Mapping[str, str]] = {"absent": "absent", "previous": ""}
    json_keys: ClassVar[Mapping[str, JsonKey]] = {"restart_failed": UNSET_OMITTED}

    name: str
    create: bool
    config: Mapping[str, Any] | None  # journal form (secrets masked; references unresolved); None: not written
    state: ConnectorState
    set_state: bool
    restart: bool
    changed_keys: tuple[str, ...] = ()  # the keys it writes differently (an undo from the journal keeps the others)
    requires_topics: tuple[str, ...] = ()
    sensitive_keys: tuple[str, ...] = ()
    previous: ConnectorImage | None = None  # before-image (secrets masked); None: the connector did not exist
    restart_failed: bool = False  # then restart its FAILED instances (restart_failed; kplan.kinds.connector.restart)

    def describe(self) -> str:
        return f"{'create' if self.create else 'update'} connector {self.name} ({self.state.value})"

    def undo_by_hand(self) -> str:
        if self.previous is None:
            return f"delete connector {self.name} by hand (DELETE /connectors/{self.name}; this run created it)"
        return (f"put connector {self.name}'s previous config and state back by hand (the journal's before-image of "
                "the step holds them, secrets masked)")

    @property
    def absent(self) -> bool:  # its before-image: the connector did not exist
        return self.previous is None


@dataclass(frozen=True)
class SnapshotSignal(StepBase):
    """Ask a Debezium connector (Kafka signal channel) for an incremental snapshot of newly captured tables, once,
    and wait for its evidence that the snapshot started. Runs right after its connector's update. Undo: none
    needed (it re-reads rows)."""

    kind: ClassVar[str] = "snapshot-signal"
    phase: ClassVar[Phase] = Phase.PUT_CONNECTORS

    connector: str
    tables: tuple[str, ...]
    topic: str  # the signal topic
    key: str  # the signal's key: the connector's topic.prefix unless the source says otherwise
    table_topic: str | None = None  # the signaling table's change topic, where the snapshot's watermarks appear

    def describe(self) -> str:
        return f"signal an incremental snapshot of {', '.join(self.tables)} to connector {self.connector}"


@dataclass(frozen=True)
class DeleteConnector(StepBase):
    """Stop a connector, reset its offsets (journaled first, as the step's outcome) and delete it, so that a
    connector created later under its name starts from scratch. Undo: re-create it stopped with its previous
    config, put its offsets back, then its previous state."""

    kind: ClassVar[str] = "delete-connector"
    phase: ClassVar[Phase] = Phase.DELETE_CONNECTORS
    before_keys: ClassVar[Mapping[str, str]] = {"previous": ""}

    name: str
    previous: ConnectorImage  # before-image, secrets masked

    def describe(self) -> str:
        return f"delete connector {self.name} (and reset its offsets)"


@dataclass(frozen=True)
class RestartConnector(StepBase):
    """`POST /connectors/<name>/restart?includeTasks=true&onlyFailed=true`, then wait (at most cluster.timeout)
    until the connector and every task are RUNNING; an instance that fails again fails the step with its error.
    One step per `restart` change (`restart_failed`), after the connector writes.

    Undo: none. A restart changes nothing the stack declares (config, state, offsets stay as they were), so a
    rollback has nothing to put back: the journal records the step `undone` with nothing done, and the restarted
    instances keep running (or have failed again). It is not `irreversible`: that status means the cluster was
    changed for good and a rollback is incomplete, which a restart never makes it."""

    kind: ClassVar[str] = "restart-connector"
    phase: ClassVar[Phase] = Phase.RESTART_CONNECTORS

    name: str
    connector_failed: bool  # as planned: the connector itself was FAILED
    tasks: tuple[int, ...] = ()  # as planned: the FAILED tasks (Connect restarts whatever is FAILED when it runs)

    def describe(self) -> str:
        what = ["the connector"] if self.connector_failed else []
        if self.tasks:
            what.append(f"task{'s' if len(self.tasks) > 1 else ''} {', '.join(map(str, self.tasks))}")
        return f"restart failed {' and '.join(what) or 'instances'} of connector {self.name}"


@dataclass(frozen=True)
class DropCdcDatabaseObjects(StepBase):
    """Drop a destroyed PostgreSQL CDC source's replication slot and publication (`on_destroy`). The step runs after
    the connector is deleted (its slot is active while the connector runs), in the irreversible part of the order
    (Phase.DROP_CDC_DATABASE_OBJECTS, after the topic deletions): a dropped slot cannot be brought back (a new one
    starts at the current WAL position, so a re-created connector snapshots again). The step holds the password only
    as its `${secret:...}` reference; it is resolved when the step runs."""

    kind: ClassVar[str] = "drop-cdc-database-objects"
    phase: ClassVar[Phase] = Phase.DROP_CDC_DATABASE_OBJECTS
    irreversible: ClassVar[bool] = True

    connector: str
    host: str
    port: int
    user: str
    database: str
    password: str  # a ${secret:...} reference, never the value
    slot: str | None  # None: kept
    publication: str | None  # None: kept

    def describe(self) -> str:
        what = " and ".join(w for w in (self.slot and f"replication slot {self.slot}",
                                        self.publication and f"publication {self.publication}") if w)
        return f"drop {what} of connector {self.connector} (PostgreSQL {self.database} at {self.host}:{self.port})"


# -- a rename (`moved_from:`, kplan.kinds.connector.move). In order:
# 1. stop the old connector (its offsets are final; a PostgreSQL source lets go of its replication slot);
# 2. create the new one STOPPED (`PutConnector`: it never runs before it has the old one's position);
# 3. copy the old one's offsets to it (Connect's offsets API: both are stopped);
# 4. delete the old one (`DeleteConnector`: its offsets are reset; nothing of a PostgreSQL source's slot is dropped);
# 5. start the new one, once the old one is gone (Phase.START_RENAMED_CONNECTORS).
# Each step is undone exactly (in reverse): the new one stopped, the old one re-created stopped with its offsets, the
# copied offsets taken back, the new one deleted, the old one in its state again.


@dataclass(frozen=True)
class StopConnector(StepBase):
    """Stop the connector a rename replaces and wait until Connect says STOPPED. Undo: its previous state back."""

    kind: ClassVar[str] = "stop-connector"
    phase: ClassVar[Phase] = Phase.PUT_CONNECTORS
    before_keys: ClassVar[Mapping[str, str]] = {"previous_state": "state"}

    name: str
    renamed_to: str
    previous_state: str  # lower-case, as read at plan time (running, paused, stopped)

    def describe(self) -> str:
        return f"stop connector {self.name} (renamed to {self.renamed_to})"

    def renames(self) -> tuple[ResourceType, str, str]:
        return (ResourceType.CONNECTOR, self.name, self.renamed_to)


@dataclass(frozen=True)
class CopyConnectorOffsets(StepBase):
    """Copy a stopped connector's offsets to another stopped one, and check Connect shows them there. Undo: the
    target's offsets back to those it had (none, for a connector this run created)."""

    kind: ClassVar[str] = "copy-connector-offsets"
    phase: ClassVar[Phase] = Phase.PUT_CONNECTORS

    source: str
    target: str

    def describe(self) -> str:
        return f"copy connector {self.source}'s offsets to connector {self.target}"


@dataclass(frozen=True)
class StartConnector(StepBase):
    """Bring a renamed connector to its declared state, once the old one is deleted. Undo: stop it again."""

    kind: ClassVar[str] = "start-connector"
    phase: ClassVar[Phase] = Phase.START_RENAMED_CONNECTORS

    name: str
    state: ConnectorState

    def describe(self) -> str:
        return f"start connector {self.name} ({self.state.value})"


def created_stopped(spec: ConnectorSpec, plan: Plan, current: LiveConnector | None) -> ConnectorSpec:
    """A connector created by this plan with an offsets request is created STOPPED: its offsets are changed
    before it ever runs; the offsets step then brings it to its declared state."""
    if current is None and spec.offsets is not None and any(  # its request is one this plan applies
            c.type == ResourceType.OFFSETS and c.is_change and c.name == spec.name for c in plan.changes):
        return replace(spec, state=ConnectorState.STOPPED)
    return spec


def build_connector_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    """One step per connector to create, update or delete (and a snapshot signal after a CDC connector that
    starts capturing tables), in the plan's order; then the restarts, the drops of destroyed PostgreSQL sources'
    objects and the renames. What to do comes from each change's `ConnectorPlanned`. The config written is the
    stack's and the before-image the live connector's: both may hold secrets, which the plan never carries, so they
    are read here (masked in the journal, the values in memory only)."""
    declared = {c.name: c for c in stack.of("connectors")}
    connectors = live.of(ResourceType.CONNECTOR).resources
    out: list[Planned] = []
    restarts: list[Planned] = []
    moves: list[Planned] = []
    for change, p in payloads(plan, ConnectorPlanned):
        current = connectors.get(change.name)
        if change.action == Action.RESTART:
            restarts.append(Planned(RestartConnector(change.name, p.restart_connector, p.restart_tasks)))
        elif change.action == Action.MOVE:
            moves += _move(p, declared[change.name], connectors.get(p.moved_from or ""), current)
        elif change.action == Action.DELETE:
            if current is None:  # a deletion is planned from the live connector
                raise KplanError(f"the plan deletes connector {change.name}, which the live state does not have")
            out.append(_delete(current, declared.get(change.name)))
        else:
            spec = created_stopped(declared[change.name], plan, current)  # an offsets request first
            put = put_step(spec, p, current)
            out.append(put)
            # the signal's settings are the source's, declared
            if p.snapshot_tables and isinstance(put.step, PutConnector) and put.step.config is not None:
                out.append(Planned(SnapshotSignal(
                    spec.name, p.snapshot_tables, spec.signal["topic"],
                    spec.signal.get("key") or spec.config.get("topic.prefix", spec.name),
                    spec.signal.get("table_topic"))))
    return out + restarts + build_cdc_cleanup_steps(plan, stack) + moves


def build_cdc_cleanup_steps(plan: Plan, stack: Stack) -> list[Planned]:
    """One step per deleted Debezium PostgreSQL connector whose declared source asks for it (the change's
    `ConnectorPlanned` names the slot and publication). Where to connect is read from the source's `on_destroy` in
    the stack: it holds the database password, which the plan never carries."""
    declared = {c.name: c for c in stack.of("connectors")}
    drops = [(change.name, p, declared[change.name].on_destroy) for change, p in payloads(plan, ConnectorPlanned)
             if change.action == Action.DELETE and p.drop_database_objects]
    return [Planned(DropCdcDatabaseObjects(name, opt.host, opt.port, opt.user, opt.database, opt.password, p.drop_slot,
                                           p.drop_publication)) for name, p, opt in drops if opt is not None]


def _move(p: ConnectorPlanned, spec: ConnectorSpec, old: LiveConnector | None, new: LiveConnector | None
          ) -> list[Planned]:
    """The five steps of a rename, from its change's `ConnectorPlanned.moved_from`. The new connector's config is the
    stack's and the old one's before-image the live connector's (secrets masked in the journal, as for any connector
    step)."""
    if old is None:
        raise KplanError(f"the plan renames connector {p.moved_from} to {spec.name}, but the live state does "
                         f"not have connector {p.moved_from}")
    return [
        Planned(StopConnector(old.name, spec.name, ConnectorImage.of_live(old).state)),
        # created stopped; one a resumed rename's run created already is written and kept stopped
        put_step(replace(spec, state=ConnectorState.STOPPED),
                 ConnectorPlanned(True, p.changed_keys, state_changed=new is not None), new),
        Planned(CopyConnectorOffsets(old.name, spec.name)),
        _delete(old, spec, stopped=True),
        Planned(StartConnector(spec.name, spec.state)),
    ]


def _delete(current: LiveConnector, declared: ConnectorSpec | None, stopped: bool = False) -> Planned:
    """`stopped`: a rename's delete, which finds the old connector stopped by the rename's first step."""
    previous = ConnectorImage.of_live(current)
    if stopped:
        previous = replace(previous, state="stopped")
    secret = sensitive_keys(declared, previous.config, current.sensitive_keys)
    return Planned(DeleteConnector(current.name, previous.masked(secret)), ConnectorSecrets(previous=previous))


def _written(spec: ConnectorSpec, current: LiveConnector | None) -> dict[str, str]:
    """The config a create or update writes: the stack's; but an update keeps the live value of every key the
    connector's `ignore_changes` matches (Connect replaces the whole config), and writes no ignored key the cluster
    lacks (kplan.rules.ignore)."""
    if current is None or not spec.ignore_changes:
        return dict(spec.config)
    kept = {k: v for k, v in current.config.items() if k != "name" and ignored(spec.ignore_changes, k)}
    return {**{k: v for k, v in spec.config.items() if not ignored(spec.ignore_changes, k)}, **kept}


def put_step(spec: ConnectorSpec, p: ConnectorPlanned, current: LiveConnector | None) -> Planned:
    recorded = current.sensitive_keys if current is not None else frozenset()
    config = _written(spec, current) if p.config_changed else None  # references unresolved
    # a plaintext secret written in the stack is journaled masked; the run writes it from memory
    masked = (mask_config(config, secret_keys(config, declared=spec.sensitive_keys, recorded=recorded))
              if config is not None else None)
    previous = ConnectorImage.of_live(current) if current is not None else None
    step = PutConnector(
        name=spec.name,
        create=current is None,
        config=masked,
        state=spec.state,
        set_state=p.state_changed,
        restart=bool(p.config_changed and spec.restart_on_change and current is not None),
        changed_keys=p.changed_keys,
        requires_topics=tuple(spec.requires_topics),
        sensitive_keys=tuple(sorted(spec.sensitive_keys)),
        previous=previous.masked(secret_keys(previous.config, declared=spec.sensitive_keys, recorded=recorded))
        if previous is not None else None,
        restart_failed=p.restart_failed)
    unmasked_config = config if config is not None and masked != config else None
    if unmasked_config is None and previous is None:
        return Planned(step)
    return Planned(step, ConnectorSecrets(unmasked_config, previous))
