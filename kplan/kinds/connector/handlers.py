"""Running and undoing connector steps. Secrets are never journaled: in the process that planned the run, the
unmasked configs are at hand (`ctx.secrets`, a `ConnectorSecrets`); from a journal alone, an undo restores a
masked value only when the step did not change it (from the live connector), and otherwise says it cannot."""

from __future__ import annotations

import uuid
from typing import Mapping

from kplan.errors import KplanError, TakenMeanwhile
from kplan.kinds.connector.io import ConnectorWrites, ConnectWrites
from kplan.kinds.connector.steps import (
    ConnectorImage,
    ConnectorSecrets,
    CopyConnectorOffsets,
    DeleteConnector,
    DropCdcDatabaseObjects,
    PutConnector,
    RestartConnector,
    SnapshotSignal,
    StartConnector,
    StopConnector,
)
from kplan.kinds.handler import StepContext, StepHandler, UndoImpossible, handles
from kplan.model.desired import ConnectorState
from kplan.rules.plugin_versions import CONNECTOR_PIN, LATEST
from kplan.secrets import is_masked


def _secrets(ctx: StepContext) -> ConnectorSecrets:
    return ctx.secrets if isinstance(ctx.secrets, ConnectorSecrets) else ConnectorSecrets()


def _previous(ctx: StepContext, image: ConnectorImage) -> ConnectorImage:
    """The connector's before-image: unmasked in this process, else the journal's (`image`, masked)."""
    return _secrets(ctx).previous or image


def _restorable_config(step: PutConnector, image: ConnectorImage, ctx: StepContext,
                       live_config: Mapping[str, str] | None, changed: set[str] | None) -> dict[str, str]:
    """The connector config to put back. In this process the unmasked before-image is at hand; from a journal alone
    (`image`), a masked key is taken from the live connector when the step did not change it (`changed`: the keys it
    wrote; None: it replaced everything)."""
    config = dict(_previous(ctx, image).config)
    masked = [key for key, value in config.items() if is_masked(value)]
    kept = {key: live_config[key] for key in masked if changed is not None and key not in changed
            and live_config is not None and key in live_config}
    config.update(kept)
    lost = [key for key in masked if key not in kept]
    if lost:
        raise UndoImpossible(
            f"connector {step.name}'s previous values of {', '.join(sorted(lost))} are secrets, which kplan never "
            "writes to its journal; restore the connector by applying the previous version of the stack")
    return config


@handles(PutConnector)
class PutConnectorHandler(StepHandler[PutConnector]):
    def run(self, step: PutConnector, ctx: StepContext) -> None:
        w, name, state = ctx.io(ConnectWrites), step.name, step.state
        missing = sorted(set(step.requires_topics) - ctx.io(ConnectorWrites).topic_names())
        if missing:  # the seeds' rule: a connector never runs without its topics
            raise KplanError(f"connector {name} needs topics that do not exist: {', '.join(missing)}")
        source = _secrets(ctx).config if _secrets(ctx).config is not None else step.config
        config = {k: ctx.secret_values.substitute(v) for k, v in source.items()} if source is not None else None
        if step.create:
            # From its request on, a connector of that name is the run's (its undo deletes it), unless Connect
            # answers that someone else made it meanwhile: a request cut short (no answer, Ctrl-C) may have landed.
            ctx.outcome = {"created": True}
            # The offsets it finds (left by an earlier connector of that name) are read before it runs, so that a
            # rollback leaves exactly those behind: one to run is created STOPPED, then resumed; one to pause or
            # stop is created so (it does not run either).
            initial = ConnectorState.STOPPED if state == ConnectorState.RUNNING else state
            if config is None:  # a step that creates its connector always carries the config to create
                raise KplanError(f"connector {name} is to be created without a config")
            try:
                w.create_connector(name, config, initial)
            except TakenMeanwhile:
                ctx.outcome = {"created": False}
                raise
            if initial != state:
                w.wait_connector(name, initial)
            ctx.outcome = {"created": True, "offsets_before": w.connector_offsets(name)}
            if initial != state:
                w.set_connector_state(name, state)
        else:
            if config is not None:
                w.put_connector_config(name, config)
            if step.restart:
                w.restart_connector(name)
            if step.set_state:
                w.set_connector_state(name, state)
            # the config write may not restart a FAILED task (RestartConnectorHandler)
            if step.restart_failed:
                w.restart_failed(name)
        w.wait_connector(name, state)
        _wait_pinned(w, name, step.config, state)

    def undo(self, step: PutConnector, ctx: StepContext) -> None:
        w, name = ctx.io(ConnectWrites), step.name
        existing, _ = w.get_connector(name)
        if step.previous is None:
            # ours to delete only if this run created it (a crash leaves no outcome: then it is the run's)
            outcome = ctx.outcome or {}
            if existing is not None and not outcome.get("created", True):
                return  # someone else's, created meanwhile
            if existing is not None:
                # what it ran from must not outlive it: its offsets go back to those it found (none, unless an
                # earlier connector of that name left some; unknown after a crash: none)
                w.bring_to_state(name, ConnectorState.STOPPED)
                w.reset_connector_offsets(name)
                if outcome.get("offsets_before"):
                    w.alter_connector_offsets(name, outcome["offsets_before"])
                w.delete_connector(name)
            w.wait_connector_gone(name)  # reported undone only once Connect no longer lists it
            return
        state = ConnectorState.restored(_previous(ctx, step.previous).state)
        if existing is None:
            w.create_connector(name, _restorable_config(step, step.previous, ctx, None, None), state)
        else:
            current = {k: v for k, v in existing.items() if k != "name"}
            if step.config is not None:
                config = _restorable_config(step, step.previous, ctx, current, set(step.changed_keys))
                if current != config:  # never write an unchanged config (Connect restarts on every write)
                    w.put_connector_config(name, config)
            w.set_connector_state(name, state)
        if ConnectorState.steady(step.previous.state):  # a connector that had FAILED may fail again
            w.wait_connector(name, state)
            if step.config is not None:
                _wait_pinned(w, name, step.previous.config, state)


def _wait_pinned(w: ConnectWrites, name: str, config: Mapping[str, str] | None, state: ConnectorState) -> None:
    """A running connector with a pinned plugin version (connector.plugin.version, KIP-891) is done once it and
    its tasks run that version (a config write restarts them)."""
    pin = (config or {}).get(CONNECTOR_PIN)
    if state == ConnectorState.RUNNING and isinstance(pin, str) and pin.strip() not in ("", LATEST):
        w.wait_plugin_version(name, pin.strip())
        w.wait_connector(name, state)  # the instances on that version, running


@handles(DeleteConnector)
class DeleteConnectorHandler(StepHandler[DeleteConnector]):
    """Deleting a connector resets its offsets first (Connect keeps a deleted connector's offsets, and a connector
    created later under the same name would resume from them: a Debezium source would skip its snapshot). Connect
    changes offsets of a STOPPED connector only: stop it, read its offsets (journaled before anything is reset, so
    that an undo from the journal alone can put them back), reset them, delete it."""

    def run(self, step: DeleteConnector, ctx: StepContext) -> None:
        w, name = ctx.io(ConnectWrites), step.name
        if w.get_connector(name)[0] is None:  # deleted meanwhile, by someone else: not ours to bring back
            ctx.outcome = {"gone": True}
            w.wait_connector_gone(name)
            return
        w.bring_to_state(name, ConnectorState.STOPPED)
        ctx.record({"offsets": w.connector_offsets(name)})
        w.reset_connector_offsets(name)
        w.delete_connector(name)
        w.wait_connector_gone(name)

    def undo(self, step: DeleteConnector, ctx: StepContext) -> None:
        w, name = ctx.io(ConnectWrites), step.name
        if (ctx.outcome or {}).get("gone"):
            return
        offsets = (ctx.outcome or {}).get("offsets")  # None: never read, so never reset
        existing, _ = w.get_connector(name)
        state = _previous(ctx, step.previous).state
        if existing is None:
            w.create_connector(name, _deleted_config(step, ctx), ConnectorState.STOPPED)  # its offsets go back first
            w.wait_connector(name, ConnectorState.STOPPED)
            _check_listed(w, step)
        elif offsets:
            w.bring_to_state(name, ConnectorState.STOPPED)
        if offsets:
            w.alter_connector_offsets(name, offsets)
        w.set_connector_state(name, ConnectorState.restored(state))
        if ConnectorState.steady(state):  # a connector that had FAILED may fail again
            w.wait_connector(name, ConnectorState.restored(state))


def _deleted_config(step: DeleteConnector, ctx: StepContext) -> dict[str, str]:
    """The deleted connector's config, secrets included. In the run that deleted it, the unmasked
    before-image is in memory. From a journal alone (`kplan recover --rollback`), each masked value is the stack's
    declaration of that key with its `${secret:...}` references resolved again: the stack must declare the
    connector exactly as the journal saw it (every value kplan could journal equal), else it was not what kplan
    applied and the connector is reported as not restored. No value is ever printed, only keys."""
    config, name = dict(_previous(ctx, step.previous).config), step.name
    masked = sorted(k for k, v in config.items() if is_masked(v))
    if not masked:
        return config
    todo = (f"; restore connector {name} by applying the stack it was applied from (`kplan apply`), or by hand")
    spec = (next((c for c in ctx.stack.of("connectors") if name in (c.name, c.moved_from)), None)  # or renamed
            if ctx.stack is not None else None)
    if spec is None:
        raise UndoImpossible(f"connector {name}'s previous values of {', '.join(masked)} are secrets, which kplan "
                             f"never writes to its journal, and the stack does not declare connector {name}{todo}")
    declared = {k: str(v) for k, v in spec.config.items() if k != "name"}
    differs = sorted(k for k in set(config) | set(declared)
                     if k not in masked and str(config.get(k)) != declared.get(k) or k in masked and k not in declared)
    if differs:
        raise UndoImpossible(f"connector {name}'s previous values of {', '.join(masked)} are secrets, which kplan "
                             "never writes to its journal, and the stack declares the connector differently from the "
                             f"one deleted ({', '.join(differs)}){todo}")
    for key in masked:
        try:
            config[key] = ctx.secret_values.substitute(declared[key])
        except KplanError as e:  # names the reference's variable or file, never a value
            raise UndoImpossible(f"connector {name}'s previous value of {key} is a secret, which kplan never writes "
                                 f"to its journal, and the stack's value for it cannot be resolved now: {e}{todo}"
                                 ) from None
    return config


def _check_listed(w: ConnectWrites, step: DeleteConnector) -> None:
    """Re-created means Connect lists it with the journaled config (every value but the masked ones)."""
    live, _ = w.get_connector(step.name)
    if live is None:
        raise KplanError(f"connector {step.name} was created again, but Connect does not list it")
    wrong = sorted(k for k, v in step.previous.config.items() if not is_masked(v) and live.get(k) != v)
    wrong += sorted(k for k in live if k != "name" and k not in step.previous.config)
    if wrong:
        raise KplanError(f"connector {step.name} was created again, but Connect shows other values of "
                         f"{', '.join(wrong)} than it had")


@handles(SnapshotSignal)
class SnapshotSignalHandler(StepHandler[SnapshotSignal]):
    def run(self, step: SnapshotSignal, ctx: StepContext) -> None:
        # One id per run and step: a signal with this id is never sent twice (the writer checks the signal topic
        # before a repeat), so a second incremental snapshot of the same tables cannot come from this step.
        run_id = (ctx.marker or {}).get("run_id")
        signal_id = f"kplan-{run_id}-{ctx.index + 1}" if run_id else f"kplan-{uuid.uuid4().hex}"
        ctx.outcome = {"signal_id": signal_id}
        ctx.io(ConnectorWrites).send_snapshot_signal(step.connector, list(step.tables), step.topic, step.key,
                                                     step.table_topic, signal_id)

    def undo(self, step: SnapshotSignal, ctx: StepContext) -> None:
        pass  # a snapshot request cannot be taken back; it only re-reads existing rows


@handles(RestartConnector)
class RestartConnectorHandler(StepHandler[RestartConnector]):
    def run(self, step: RestartConnector, ctx: StepContext) -> None:
        if not _exists(ctx, step.name):
            raise KplanError(f"connector {step.name} no longer exists (deleted meanwhile); run `kplan plan` again")
        ctx.io(ConnectWrites).restart_failed(step.name)

    def undo(self, step: RestartConnector, ctx: StepContext) -> None:
        pass  # nothing declared was changed; the restarted instances are left running (or failed again)


@handles(DropCdcDatabaseObjects)
class DropCdcDatabaseObjectsHandler(StepHandler[DropCdcDatabaseObjects]):
    """Irreversible: never undone (a run that failed before its drop was requested changed nothing). Before the
    run's first step the login and the right to drop are checked again (the plan checked them too): the drop runs
    after the connector, its ACLs, user and topics are deleted, so a login that broke since the plan must stop the
    run before anything is deleted."""

    def run(self, step: DropCdcDatabaseObjects, ctx: StepContext) -> None:
        password = ctx.secret_values.substitute(step.password)  # a reference that cannot be resolved fails here
        ctx.io(ConnectorWrites).drop_cdc_database_objects(step.host, step.port, step.user, step.database, password,
                                                          step.slot, step.publication, before_drop=ctx.requested)

    def preflight(self, step: DropCdcDatabaseObjects, ctx: StepContext) -> None:
        password = ctx.secret_values.substitute(step.password)
        ctx.io(ConnectorWrites).check_cdc_drop(step.host, step.port, step.user, step.database, password, step.slot,
                                               step.publication)

    def left_no_trace(self, step: DropCdcDatabaseObjects, ctx: StepContext) -> bool:
        return not (ctx.outcome or {}).get("requested")


# -- a rename's steps: each run is safe to run again (`recover --resume` re-runs the step a kill interrupted); each
# undo leaves the connector as the step found it, checked by reading it back.


def _exists(ctx: StepContext, name: str) -> bool:
    return ctx.io(ConnectWrites).get_connector(name)[0] is not None


@handles(StopConnector)
class StopConnectorHandler(StepHandler[StopConnector]):
    def run(self, step: StopConnector, ctx: StepContext) -> None:
        if not _exists(ctx, step.name):
            raise KplanError(f"connector {step.name} no longer exists: the rename to {step.renamed_to} has nothing "
                             "to carry over; plan again")
        ctx.io(ConnectWrites).bring_to_state(step.name, ConnectorState.STOPPED)

    def undo(self, step: StopConnector, ctx: StepContext) -> None:
        if not _exists(ctx, step.name):  # the delete's undo re-creates it first; gone means someone else deleted it
            raise KplanError(f"connector {step.name} does not exist: it cannot be put back to "
                             f"{step.previous_state}")
        state = ConnectorState.restored(step.previous_state)
        ctx.io(ConnectWrites).set_connector_state(step.name, state)
        if ConnectorState.steady(step.previous_state):
            ctx.io(ConnectWrites).wait_connector(step.name, state)


@handles(CopyConnectorOffsets)
class CopyConnectorOffsetsHandler(StepHandler[CopyConnectorOffsets]):
    """Both connectors are stopped (the steps before saw to it): Connect changes offsets of a stopped connector only,
    and the source's are final. What the target had is journaled before anything is written; the write is verified
    by reading the target's offsets back (`alter_connector_offsets`)."""

    def run(self, step: CopyConnectorOffsets, ctx: StepContext) -> None:
        connect = ctx.io(ConnectWrites)
        offsets = connect.connector_offsets(step.source)
        ctx.record({"target_before": connect.connector_offsets(step.target)})
        if offsets:
            connect.alter_connector_offsets(step.target, offsets)

    def undo(self, step: CopyConnectorOffsets, ctx: StepContext) -> None:
        connect = ctx.io(ConnectWrites)
        if not _exists(ctx, step.target):
            return  # nothing to take back: the offsets went with it (its create's undo reset them)
        before = (ctx.outcome or {}).get("target_before") or []
        connect.bring_to_state(step.target, ConnectorState.STOPPED)
        connect.reset_connector_offsets(step.target)
        if before:
            connect.alter_connector_offsets(step.target, before)


@handles(StartConnector)
class StartConnectorHandler(StepHandler[StartConnector]):
    def run(self, step: StartConnector, ctx: StepContext) -> None:
        ctx.io(ConnectWrites).bring_to_state(step.name, step.state)

    def undo(self, step: StartConnector, ctx: StepContext) -> None:
        if _exists(ctx, step.name):
            ctx.io(ConnectWrites).bring_to_state(step.name, ConnectorState.STOPPED)
