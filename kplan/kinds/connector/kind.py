"""The connector kind: how a declared connector is diffed against the live one (config key by key, secrets by
digest, its state), deleted, fingerprinted, reported in status (with its tasks and traces) and labelled.

Connect stores strings and adds `name`; config-provider placeholders (`${file:...}`) come back unresolved, so they
are compared as written. kplan's own `${secret:...}` references are resolved here only to compare digests with
the live value; neither the resolved nor the live secret ever reaches the plan.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence

from kplan.errors import KplanError
from kplan.kinds.base import Kind, PlanContext, Scrub, TraceDict
from kplan.kinds.connect_features import Feature, connect_facts, connect_version_checks
from kplan.kinds.connector.cdc_cleanup import cleanup_notes
from kplan.kinds.connector.connects import shared_sink_groups, unread_connects, unread_system
from kplan.kinds.connector.live import facts_of
from kplan.kinds.connector.mirrors import flow_notes, mirrored_topics
from kplan.kinds.connector.model import ConnectorSpec
from kplan.kinds.connector.move import move_checks, move_note
from kplan.kinds.connector.planned import ConnectorPlanned
from kplan.kinds.connector.plugin_versions import alias_matches, pin_checks, pin_notes
from kplan.kinds.connector.restart import failure_notes, restart_change, scrubber, wants_restart
from kplan.kinds.ignoring import ignored_note, missed_notes
from kplan.model.cdc_cleanup import POSTGRES_CLASS, slot_and_publication
from kplan.model.cdc_health import health_dict
from kplan.model.desired import ConnectorState, connect_of
from kplan.model.diagnostics import Severity
from kplan.model.live import LiveConnector
from kplan.model.plan import (
    SENSITIVE,
    Action,
    AttributeChange,
    AttrKind,
    Flag,
    NotRead,
    PlanDiagnostic,
    Reason,
    ResourceChange,
    ResourceType,
    address_of,
    attribute_changes,
    error,
    warning,
    with_planned,
)
from kplan.model.status import TRACE_LINES, Difference, ResourceStatus, StateTally, Status, TaskStatus, Trace, owned
from kplan.rules.connect import failure_line, trace_lines
from kplan.rules.documents import KeyChange, key_changes
from kplan.rules.ignore import ignored
from kplan.secrets import MASK, display_value, has_secret_ref, is_reference_only, secret_keys
from kplan.words import plural

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.unit import SecretField
    from kplan.model.desired import Stack
    from kplan.model.live import LiveState
    from kplan.model.source import Origin
    from kplan.secrets import SecretValues

CONNECTOR = ResourceType.CONNECTOR

UNHEALTHY_STATES = ("FAILED", "UNASSIGNED")

# The Connect features a connector's change needs, and the worker versions that brought them (kplan.kinds
# .connect_features says why a plan checks them and how; docs/compatibility.md).
INITIAL_STATE: Feature = ((3, 7), "creating a connector in its declared state (initial_state, KIP-980)", "")
DELETE: Feature = ((3, 6), "deleting a connector (kplan resets its offsets first, with the offsets API, KIP-875)",
                   ", or delete the connector by hand and remove it from the stack")
STOP: Feature = ((3, 5), "the STOPPED connector state (KIP-875)", ", or declare state: paused")


def sensitive_keys(spec: ConnectorSpec | None, config: Mapping[str, str],
                   recorded: frozenset[str] = frozenset()) -> frozenset[str]:
    """Keys whose values are secrets: declared so, named like one, set from a ${secret:...} reference, or
    recorded as such when the connector was applied (`recorded`, from the ownership record)."""
    if spec is None:
        return secret_keys(config, recorded=recorded)
    return secret_keys(config, spec.config, declared=spec.sensitive_keys, recorded=recorded)


def live_config(live: LiveConnector) -> dict[str, str]:
    """The stored config without the `name` key Connect adds (kept if it differs: that would be a change)."""
    return {k: v for k, v in live.config.items() if not (k == "name" and v == live.connect_name)}


def connector_repr(name: str, config: Mapping[str, str], state: str | None, sensitive: frozenset[str]
                   ) -> dict[str, Any]:
    """The before/after shape; a sensitive value is masked unless it is only a reference (which is kept, so a
    saved plan can be re-resolved at apply time)."""
    return {"name": name, "config": {k: _show(k, config[k], sensitive) for k in sorted(config)}, "state": state}


def live_connector_repr(live: LiveConnector, sensitive: frozenset[str]) -> dict[str, Any]:
    return connector_repr(live.name, live_config(live), live.state.lower() if live.state else None, sensitive)


def _said(value: str | None, sensitive: bool) -> str:
    """A value as an ignore note says it: masked when secret, `unset` when there is none."""
    return "unset" if value is None else SENSITIVE if sensitive else value


def plan_connector(spec: ConnectorSpec, live: LiveConnector | None, ctx: PlanContext
                   ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
    addr = address_of(CONNECTOR, spec.name)
    diags = _plugin_check(spec, ctx)
    resolved, secret_diags = _resolve(spec, ctx)
    diags += secret_diags
    if live is None:
        return _created(spec, addr), diags

    current = live_config(live)
    sens = sensitive_keys(spec, current, live.sensitive_keys)
    flags: set[Flag] = set()
    # Keys whose secret could not be resolved are already an error; they cannot be compared.
    unresolved = {k for k in spec.config if resolved.get(k) is None}
    wanted = {k: v for k, v in resolved.items() if v is not None}
    have = {k: v for k, v in current.items() if k not in unresolved}
    # ignore_changes: what the cluster has of an ignored key stays (apply writes it back), said once
    left = {k for k in {*wanted, *have} if ignored(spec.ignore_changes, k)}
    differing = key_changes(have, wanted, sens)
    if left & set(differing):
        diags.append(ignored_note("connector", spec.name, addr, [
            f"{k} ({_said(current.get(k), k in sens)}; "
            f"{'declared ' + _said(spec.config.get(k), k in sens) if k in spec.config else 'not declared'})"
            for k in sorted(left & set(differing))], spec.origin))
    differing = {k: c for k, c in differing.items() if k not in left}
    diags += missed_notes("connector", spec.name, addr, spec.ignore_changes, {*resolved, *current}, sorted(differing),
                          spec.origin)
    unchanged = len((set(have) & set(wanted)) - left) - sum(1 for c in differing.values() if c == KeyChange.CHANGED)
    attrs = attribute_changes({("config", k): _show(k, current.get(k), sens) for k in differing},
                              {("config", k): _show(k, spec.config.get(k), sens) for k in differing},
                              compare=False, sensitive=_paths(sens))

    desired_state, live_state = spec.state.value, (live.state or "").lower() or None
    config_changed = bool(attrs)
    if live_state == desired_state:
        unchanged += 1
    elif ConnectorState.steady(live_state) or (live_state is not None and spec.state is not ConnectorState.RUNNING):
        attrs.append(AttributeChange(("state",), AttrKind.UPDATE, live_state, desired_state))
    elif live_state is None:
        diags.append(PlanDiagnostic(Severity.INFO, f"Connect did not report the state of connector {spec.name!r}; "
                                    "its state is not compared", "connector-state-unknown", address=addr))
    restart = wants_restart(spec, live)  # restart_failed: kplan.kinds.connector.restart
    if restart:
        diags += failure_notes(spec, live, scrubber(current, resolved, sens), updated=bool(attrs))
    unhealthy = _unhealthy(live, scrubber(current, resolved, sens))
    if unhealthy and not restart:
        flags.add(Flag.UNHEALTHY)
        diags.append(warning(f"connector {spec.name!r} is unhealthy ({unhealthy}); the plan does not restart it "
                             "(restart_failed: true would)",
                             "connector-unhealthy", address=addr, origin=spec.origin))
    new_tables = _snapshotted_tables(spec, current, config_changed, addr, diags)
    if config_changed and spec.restart_on_change:
        flags.add(Flag.RESTART)
    if not ctx.owned:
        flags.add(Flag.ADOPT)
    if restart and not attrs:
        return restart_change(spec, live, live_connector_repr(live, sens),
                              connector_repr(spec.name, spec.config, desired_state, sens), unchanged, _paths(sens),
                              frozenset(flags)), diags
    action = Action.UPDATE if attrs else Action.NOOP
    planned = ConnectorPlanned(config_changed, tuple(sorted(a.path[1] for a in attrs if a.path[0] == "config")),
                               any(a.path == ("state",) for a in attrs), tuple(new_tables), restart) if attrs else None
    return with_planned(ResourceChange(
        address=addr, type=CONNECTOR, name=spec.name, action=action,
        before=live_connector_repr(live, sens),
        after=connector_repr(spec.name, spec.config, desired_state, sens),
        attributes=tuple(attrs), unchanged_attributes=unchanged, sensitive_paths=_paths(sens),
        flags=frozenset(flags), reason=Reason.DIFFERS if attrs else Reason.MATCHES, origin=spec.origin,
    ), planned), diags


def _created(spec: ConnectorSpec, addr: str) -> ResourceChange:
    sens = sensitive_keys(spec, {})
    create_attrs = attribute_changes({}, {**{("config", k): _show(k, v, sens) for k, v in spec.config.items()},
                                          ("state",): spec.state.value}, sort=False, sensitive=_paths(sens))
    return ResourceChange(
        address=addr, type=CONNECTOR, name=spec.name, action=Action.CREATE,
        after=connector_repr(spec.name, spec.config, spec.state.value, sens), attributes=tuple(create_attrs),
        sensitive_paths=_paths(sens), reason=Reason.NOT_ON_CLUSTER, origin=spec.origin,
        planned=ConnectorPlanned(True, tuple(sorted(spec.config)), True),
    )


def _snapshotted_tables(spec: ConnectorSpec, current: Mapping[str, str], config_changed: bool, addr: str,
                        diags: list[PlanDiagnostic]) -> list[str]:
    """The tables a CDC source newly captures that an incremental snapshot reads after the update (when the source
    asks for such snapshots and has a signal topic), with a note in `diags` on what is or is not read of them."""
    added = _new_tables(spec, current)
    if added and not spec.snapshot_new_tables:
        diags.append(warning(
            f"newly captured table(s) {', '.join(added)}: their existing rows are not read, only the changes made "
            f"from now on (set snapshot_new_tables: true on cdc source {spec.name!r} to have an incremental "
            "snapshot read them)", "cdc-new-tables-not-snapshotted", address=addr, origin=spec.origin))
    new_tables = added if config_changed and spec.snapshot_new_tables and spec.signal.get("topic") else []
    if new_tables:
        diags.append(PlanDiagnostic(
            Severity.INFO, f"after updating connector {spec.name!r}, apply asks Debezium for an incremental snapshot "
            f"of the newly captured table(s) {', '.join(new_tables)} (signal topic {spec.signal['topic']}), so their "
            "existing rows arrive too", "incremental-snapshot", address=addr, origin=spec.origin))
    return new_tables


def _resolve(spec: ConnectorSpec, ctx: PlanContext) -> tuple[dict[str, str | None], list[PlanDiagnostic]]:
    """Desired values with `${secret:...}` resolved (None where that failed, with an error naming the key)."""
    out: dict[str, str | None] = {}
    diags: list[PlanDiagnostic] = []
    for key, value in spec.config.items():
        try:
            out[key] = ctx.secrets.substitute(value) if has_secret_ref(value) else value
        except KplanError as e:  # the message names the reference, never a value
            out[key] = None
            diags.append(error(f"cannot resolve the secret for {key!r}: {e}", "secret-unresolved",
                               address=address_of(CONNECTOR, spec.name), path=("config", key),
                               origin=spec.config_origins.get(key, spec.origin)))
    return out, diags


def _new_tables(spec: ConnectorSpec, current: Mapping[str, str]) -> list[str]:
    """CDC tables the stack captures that the live connector's include list does not name yet."""
    live_tables = {t.strip() for t in current.get("table.include.list", "").split(",") if t.strip()}
    return [t for t in spec.captured_tables if t not in live_tables]


def _plugin_check(spec: ConnectorSpec, ctx: PlanContext) -> list[PlanDiagnostic]:
    cls, plugins = spec.connector_class, connect_facts(ctx.facts).plugins
    if plugins is None or cls in plugins:
        return []
    matches = alias_matches(cls, plugins)
    if len(matches) == 1:
        return []
    what = f"connector class {cls!r}" if cls else "no connector.class"
    message = (f"{what} names several plugins on the Connect worker ({', '.join(matches)}): write the full class "
               "name" if matches else f"{what} is not installed on the Connect worker")
    return [error(message, "unknown-connector-class",
                  address=address_of(CONNECTOR, spec.name), path=("config", "connector.class"),
                  origin=spec.config_origins.get("connector.class", spec.origin))]


def _unhealthy(live: LiveConnector, scrub: Scrub) -> str:
    """Each instance FAILED or UNASSIGNED; a FAILED one with its error, root cause first."""
    def one(what: str, state: str, trace: str) -> str:
        return f"{what} {state}: {failure_line(trace, scrub)}" if state == "FAILED" else f"{what} {state}"

    bad = [one("connector", live.state, live.trace)] if live.state in UNHEALTHY_STATES else []
    bad += [one(f"task {t.id}", t.state, t.trace) for t in live.tasks if t.state in UNHEALTHY_STATES]
    return "; ".join(bad)


def _show(key: str, value: str | None, sensitive: frozenset[str]) -> str | None:
    return None if value is None else display_value(key, value, sensitive)


def _paths(keys: frozenset[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(("config", k) for k in sorted(keys))


def _delete_planned(live: LiveConnector, spec: ConnectorSpec | None) -> ConnectorPlanned:
    """A PostgreSQL source's `on_destroy`: its slot and publication apply drops after the connector."""
    opt = spec.on_destroy if spec is not None else None
    if opt is None or live.config.get("connector.class") != POSTGRES_CLASS:
        return ConnectorPlanned()
    slot, publication = slot_and_publication(live.config)
    return ConnectorPlanned(drop_database_objects=True, drop_slot=slot if opt.drop_slot else None,
                            drop_publication=publication if opt.drop_publication else None)


def offsets_reset(change: ResourceChange, live: LiveConnector | None) -> PlanDiagnostic:
    """What deleting a connector does to its offsets, in words (see the DeleteConnector step)."""
    cdc = live is not None and live_config(live).get("connector.class", "").startswith("io.debezium.")
    return PlanDiagnostic(
        Severity.INFO, f"connector {change.name!r} is stopped and its offsets are reset before it is deleted: a "
        "connector created later under this name starts from scratch"
        + (" (a new snapshot of its tables)" if cdc else ""), "connector-offsets-reset",
        address=change.address, origin=change.origin)


def required_topics(specs: Iterable[ConnectorSpec], topics: Mapping[str, ResourceChange], live: "LiveState"
                    ) -> list[PlanDiagnostic]:
    """A connector's required topics must exist after apply (declared, or on the cluster and not deleted)."""
    everything = live.topic_names()
    diags = []
    for spec in specs:
        for name in spec.requires_topics:
            change = topics.get(f"topic.{name}")
            if change is not None and change.action == Action.DELETE:
                problem = "is planned for deletion"
            elif change is None and name not in everything:
                problem = "is neither declared nor on the cluster"
            else:
                continue
            diags.append(error(f"connector {spec.name!r} needs topic {name!r}, which {problem}",
                               "missing-required-topic", address=address_of(CONNECTOR, spec.name),
                               origin=spec.origin))
    return diags


def needed(change: ResourceChange) -> Feature | None:
    """The newest Connect feature a connector's change needs, or None."""
    if change.action == Action.CREATE:
        return INITIAL_STATE
    if change.action == Action.DELETE:
        return DELETE
    if change.action == Action.UPDATE and any(a.path == ("state",) and a.after == "stopped"
                                              for a in change.attributes):
        return STOP
    return None


def secret_fields(spec: ConnectorSpec) -> Iterator["SecretField"]:
    """A connector's secrets as the checks over every kind ask for them (its UNIT's `secret_fields`): every config
    value, each at its own line where the stack writes it, and a CDC source's `on_destroy` password, whose
    `${secret:...}` references must resolve on every plan. Which keys hold secrets is `secret_keys`' rule."""
    for key, value in spec.config.items():
        yield value, ("config", key), spec.config_origins.get(key, spec.origin)
    if spec.on_destroy is not None:
        yield spec.on_destroy.password, ("on_destroy", "password"), spec.origin


def run_secrets(stack: "Stack", live: "LiveState") -> set[str]:
    """The plaintext secret values a run may meet, which its masks cover (the UNIT's `run_secrets`): the declared
    connectors' (a reference resolves into the run's own secrets), and the live connectors' (a before-image may be
    restored)."""
    return ({v for spec in stack.of("connectors") for k in secret_keys(spec.config, declared=spec.sensitive_keys)
             if not has_secret_ref(v := spec.config[k])}
            | {conn.config[k] for conn in live.of(ResourceType.CONNECTOR).resources.values()
               for k in secret_keys(conn.config, recorded=conn.sensitive_keys)})


def _trace(text: str, scrub: Scrub) -> Trace:
    """What status shows of a FAILED connector's or task's trace, scrubbed of secrets: its root cause first
    (kplan.rules.connect.trace_lines)."""
    lines, more = trace_lines(scrub(text or ""), TRACE_LINES)
    return Trace(tuple(line.expandtabs(4) for line in lines), more)


class ConnectorKind(Kind[ConnectorSpec, LiveConnector, ResourceStatus]):
    type = CONNECTOR
    planned_type = ConnectorPlanned
    title = "Connectors"
    section = "connectors"
    status_note_codes = frozenset({"mirror-topics", "mirror-lag", "mirror-failover", "mirror-checkpoint-age",
                                   "mirror-source-unread", "mirror-checkpoints-unread"})  # kinds.connector.mirrors

    def unmet(self, expect: Mapping[str, Any], current: LiveConnector) -> list[str]:
        """A referenced connector's state and each expected config value as Connect stores it."""
        out = [f"config {key} is {current.config.get(key, 'unset')}, {value} expected"
               for key, value in sorted((expect.get("config") or {}).items()) if current.config.get(key) != value]
        state = (current.state or "unknown").lower()
        if expect.get("state") and state != expect["state"]:
            out.insert(0, f"its state is {state}, {expect['state']} expected")
        return out

    def refusal(self, spec: ConnectorSpec) -> PlanDiagnostic | None:
        if spec.name != spec.name.strip():
            return error(f"connector name {spec.name!r} starts or ends with a space, which Kafka Connect removes: "
                         "the connector it created would have another name", "connector-name-spaces",
                         address=self.address(spec.name), origin=spec.origin)
        return None

    def deletion_notes(self, stack: Stack, changes: Mapping[str, ResourceChange],
                       all_changes: Mapping[str, ResourceChange], live: LiveState,
                       secrets: SecretValues | None = None) -> list[PlanDiagnostic]:
        return [offsets_reset(c, self.live(live).get(c.name)) for c in changes.values()
                if c.action == Action.DELETE] + cleanup_notes(stack, changes, live, secrets)

    # Without the connectors of a Connect cluster that could not be read (one line each, an error unless `allowed`):
    # unknown, they are neither created nor changed (nor deleted: the read has none of them).
    readable = staticmethod(unread_connects)

    def not_read(self, live: "LiveState", allowed: frozenset[str]) -> list[NotRead]:
        """The Connect clusters that could not be read and that the run allows to plan without."""
        return [NotRead(unread_system(c), why) for c, why in sorted(facts_of(live).problems.items())
                if unread_system(c) in allowed]

    def version_checks(self, changes: Sequence[ResourceChange], live: "LiveState") -> list[PlanDiagnostic]:
        return connect_version_checks(changes, facts_of(live).versions, needed)

    def reference_unread(self, name: str, live: "LiveState") -> str | None:
        """A referenced connector's Connect cluster that could not be read. --allow-unreadable does not waive the
        check: it lets a plan leave that cluster's own connectors alone (no step touches them), but a reference is
        what the stack's other changes rely on, and unknown is not met."""
        connect = connect_of(name)
        why = facts_of(live).problems.get(connect)
        return None if why is None else (f"Kafka Connect cluster {connect!r} was not read: {why}; "
                                         f"--allow-unreadable {unread_system(connect)} does not waive a reference")

    def plan(self, spec: ConnectorSpec, current: LiveConnector | None, ctx: PlanContext
             ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        return plan_connector(spec, current, ctx)

    def moved_from(self, spec: ConnectorSpec) -> str | None:
        return spec.moved_from

    def move(self, spec: ConnectorSpec, previous: LiveConnector, ctx: PlanContext
             ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        """Planned as an update of the old connector into the new one (kplan.kinds.connector.move), as a move: the
        name's change first, then what else differs; apply creates the new connector with the whole config."""
        change, diags = plan_connector(spec, previous, ctx)
        diags = [d for d in diags if d.code != "incremental-snapshot"]  # a move asks for none (move_note says so)
        name = AttributeChange(("name",), AttrKind.UPDATE, previous.name, spec.name)
        change = replace(
            change, action=Action.MOVE, reason=Reason.MOVED, previous_address=self.address(previous.name),
            attributes=(name, *(a for a in change.attributes if a.kind != AttrKind.DRIFT)),
            flags=frozenset(change.flags - {Flag.ADOPT, Flag.RESTART}),
            planned=ConnectorPlanned(config_changed=True, changed_keys=tuple(sorted(spec.config)), state_changed=True,
                                     moved_from=previous.name))
        return change, [*diags, *move_checks(spec, previous), move_note(spec, previous)]

    def delete(self, current: LiveConnector, spec: ConnectorSpec | None, reason: Reason,
               origin: Origin | None = None) -> ResourceChange:
        sens = sensitive_keys(spec, live_config(current), current.sensitive_keys)
        before = live_connector_repr(current, sens)
        attrs = attribute_changes({**{("config", k): v for k, v in before["config"].items()},
                                   ("state",): before["state"]}, {}, sort=False, sensitive=_paths(sens))
        return ResourceChange(
            address_of(CONNECTOR, current.name), CONNECTOR, current.name, Action.DELETE, before=before, after=None,
            attributes=tuple(attrs), reason=reason, origin=spec.origin if spec else None,
            sensitive_paths=tuple(("config", k) for k in sorted(sens) if k in before["config"]),
            planned=_delete_planned(current, spec),
        )

    def live_repr(self, current: LiveConnector, spec: ConnectorSpec | None = None) -> dict[str, Any]:
        return live_connector_repr(current, sensitive_keys(spec, live_config(current), current.sensitive_keys))

    def checks(self, stack: Stack, changes: Mapping[str, ResourceChange],
               all_changes: Mapping[str, ResourceChange], live: LiveState) -> list[PlanDiagnostic]:
        declared = {c.name: c for c in self.declared(stack)}
        pins = pin_checks(declared.values(), live)  # plugin_versions.py
        return (required_topics(declared.values(), all_changes, live) + shared_sink_groups(declared.values())
                + flow_notes(stack, live)
                + pins + pin_notes(declared, changes, live, frozenset(d.address for d in pins if d.address)))

    covers = staticmethod(mirrored_topics)  # the replicas and MirrorMaker topics a declared mirror made here

    def canonical(self, current: LiveConnector, secret: frozenset[str]) -> dict[str, Any]:
        config = live_config(current)
        # A saved plan must not carry even a digest of a secret (it could be brute-forced offline): secret values
        # are left out; the fresh plan at apply time compares them itself.
        hidden = secret_keys(config, declared=secret, recorded=current.sensitive_keys)
        return {
            "type": "connector",
            "name": current.name,
            "config": {k: (MASK if k in hidden and not is_reference_only(config[k]) else config[k])
                       for k in sorted(config)},
            "state": current.state.upper() if current.state else None,
        }

    def declared_secret_keys(self, spec: ConnectorSpec) -> frozenset[str]:
        return secret_keys(spec.config, declared=spec.sensitive_keys)

    def recorded_secret_keys(self, current: LiveConnector) -> frozenset[str]:
        return current.sensitive_keys

    def still_there(self, name: str, live: "LiveState") -> bool:
        """A connector on a Connect cluster that was not read (--allow-unreadable) is unknown, not gone: kept."""
        state = live.of(CONNECTOR)
        return name in state.resources or connect_of(name) in connect_facts(state).problems

    def status(self, spec: ConnectorSpec | None, current: LiveConnector | None, change: ResourceChange | None,
               scrub: Scrub) -> "ResourceStatus":

        named = spec or current
        if named is None:
            raise ValueError("a connector's status needs its declaration or its live connector")
        name = named.name
        declared = spec.state.value if spec is not None else None
        origin = spec.origin if spec is not None else None
        if current is None:
            return ResourceStatus(CONNECTOR, name, Status.MISSING, False, origin=origin, declared_state=declared)
        want = declared.upper() if declared else None
        tasks = tuple(TaskStatus(t.id, t.state, t.worker_id, want is None or t.state == want,
                                 _trace(t.trace, scrub) if t.state == "FAILED" else Trace())
                      for t in sorted(current.tasks, key=lambda t: t.id))
        in_state = want is None or (current.state == want and all(t.in_declared_state for t in tasks))
        diffs = () if change is None or spec is None else tuple(
            Difference(a.path, a.kind, sensitive=a.sensitive) for a in change.attributes if a.path[0] == "config")
        status = (Status.NOT_DECLARED if spec is None else Status.DRIFTED if diffs else Status.IN_SYNC if in_state
                  else Status.WRONG_STATE)
        return ResourceStatus(
            CONNECTOR, name, status, True, origin=origin, owned=owned(change), differences=diffs,
            state=current.state, declared_state=declared, connector_type=current.type, in_declared_state=in_state,
            trace=_trace(current.trace, scrub) if current.state == "FAILED" else Trace(), tasks=tasks,
            plugin_version=current.version,
        )

    def status_undeclared(self, current: LiveConnector, change: ResourceChange, scrub: Scrub) -> "ResourceStatus":
        return self.status(None, current, change, scrub)

    def live_secrets(self, stack: "Stack", live: "LiveState") -> set[str]:
        specs = {c.name: c for c in stack.of("connectors")}
        return {value for conn in live.of(ResourceType.CONNECTOR).resources.values()
                for key in sensitive_keys(specs.get(conn.name), live_config(conn), conn.sensitive_keys)
                if (value := conn.config.get(key)) and not is_reference_only(value)}

    def status_detail(self, r: "ResourceStatus") -> str:
        if not r.exists:
            return f"declared {r.declared_state}"
        parts = [r.state or "state unknown"]
        if r.declared_state and (r.state or "").lower() != r.declared_state:
            parts.append(f"declared {r.declared_state}")
        parts += [f"task {t.id} {t.state}" for t in r.tasks if not t.in_declared_state] or [
            plural(len(r.tasks), "task")]
        if r.plugin_version:
            parts.append(f"plugin {r.plugin_version}")
        return ", ".join(parts)

    def difference_text(self, r: "ResourceStatus", d: "Difference") -> str:
        # never a value: a connector's config may hold secrets
        what = {AttrKind.ADD: "is declared but not set on the cluster",
                AttrKind.REMOVE: "is set on the cluster but not declared"}
        return f"~ {d.label} {what.get(d.kind, 'differs from the stack')}"

    def status_fields(self, r: "ResourceStatus", trace_dict: TraceDict) -> dict[str, Any]:
        return {"state": r.state, "declared_state": r.declared_state, "connector_type": r.connector_type,
                "in_declared_state": r.in_declared_state, "trace": trace_dict(r.trace),
                "tasks": [{"id": t.id, "state": t.state, "worker_id": t.worker_id,
                           "in_declared_state": t.in_declared_state, "trace": trace_dict(t.trace)} for t in r.tasks],
                "differences": [{"path": list(d.path), "kind": d.kind.value} for d in r.differences],
                **({"plugin_version": r.plugin_version} if r.plugin_version else {}),
                # CDC sources, when status read their database (docs/cdc-health.md)
                **({"cdc_health": health_dict(r.cdc_health)} if r.cdc_health is not None else {})}


def overall_state(r: "ResourceStatus") -> str | None:
    """A connector's state for the status summary: FAILED / UNASSIGNED when the connector or any task is, else the
    connector's own state (lower case); None for a missing connector."""
    if not r.exists:
        return None
    states = [r.state or ""] + [t.state for t in r.tasks]
    return next((bad for bad in UNHEALTHY_STATES if bad in states), (r.state or "unknown").lower())


# `connectors: 2 running, 1 FAILED`: the summary's connectors part, in this order of states (and spelling)
TALLY = StateTally(CONNECTOR, "connectors", ("running", "paused", "stopped", "restarting", "unknown", "UNASSIGNED",
                                             "FAILED"), overall_state)

KIND = ConnectorKind()
