"""Running and undoing connector steps. Secrets are never journaled: in the process that planned the run, the
unmasked configs are at hand (`ctx.secrets`, a `ConnectorSecrets`); from a journal alone, an undo restores a
masked value only when the step did not change it (from the live connector), and otherwise says it cannot."""

from __future__ import annotations

from typing import Mapping

from kplan.apply.handlers.base import StepContext, StepHandler, UndoImpossible, handles
from kplan.apply.steps.connector import ConnectorSecrets, DeleteConnector, PutConnector, SnapshotSignal
from kplan.errors import KplanError
from kplan.model.desired import ConnectorState
from kplan.secrets import is_masked

STEADY_STATES = ("running", "paused", "stopped")


def steady_state(state: str | None) -> ConnectorState:
    """The declared state to restore from a live one: FAILED/UNASSIGNED/unknown connectors were meant to run."""
    try:
        return ConnectorState((state or "running").lower())
    except ValueError:
        return ConnectorState.RUNNING


def _secrets(ctx: StepContext) -> ConnectorSecrets:
    return ctx.secrets if isinstance(ctx.secrets, ConnectorSecrets) else ConnectorSecrets()


def _previous_state(step: PutConnector | DeleteConnector, ctx: StepContext) -> str:
    return (_secrets(ctx).previous or step.previous).state


def _restorable_config(step: PutConnector | DeleteConnector, ctx: StepContext, live_config: Mapping[str, str] | None,
                       changed: set[str] | None) -> tuple[dict[str, str], str]:
    """The connector config and state to put back. In this process the unmasked before-image is at hand; from a
    journal alone, a masked key is taken from the live connector when the step did not change it (`changed`: the
    keys it wrote; None: it replaced everything)."""
    previous = _secrets(ctx).previous
    if previous is not None:
        return dict(previous.config), previous.state
    config = dict(step.previous.config)
    lost = []
    for key, value in config.items():
        if not is_masked(value):
            continue
        if changed is not None and key not in changed and live_config is not None and key in live_config:
            config[key] = live_config[key]
        else:
            lost.append(key)
    if lost:
        raise UndoImpossible(
            f"connector {step.name}'s previous values of {', '.join(sorted(lost))} are secrets, which kplan never "
            "writes to its journal; restore the connector by applying the previous version of the stack")
    return config, step.previous.state


@handles(PutConnector)
class PutConnectorHandler(StepHandler[PutConnector]):
    def run(self, step: PutConnector, ctx: StepContext) -> None:
        w, name, state = ctx.writer, step.name, step.state
        missing = sorted(set(step.requires_topics) - w.topic_names())
        if missing:  # the seeds' rule: a connector never runs without its topics
            raise KplanError(f"connector {name} needs topics that do not exist: {', '.join(missing)}")
        source = _secrets(ctx).config if _secrets(ctx).config is not None else step.config
        config = {k: ctx.secret_values.substitute(v) for k, v in source.items()} if source is not None else None
        if step.create:
            ctx.outcome = {"created": False}  # until Connect confirms the connector is ours
            w.create_connector(name, config, state)
            ctx.outcome = {"created": True}
        else:
            if config is not None:
                w.put_connector_config(name, config)
            if step.restart:
                w.restart_connector(name)
            if step.set_state:
                w.set_connector_state(name, state)
        w.wait_connector(name, state)

    def undo(self, step: PutConnector, ctx: StepContext) -> None:
        w, name = ctx.writer, step.name
        existing, _ = w.get_connector(name)
        if step.previous is None:
            # ours to delete only if this run created it (a crash leaves no outcome: then it is the run's)
            if existing is not None and (ctx.outcome or {}).get("created", True):
                w.delete_connector(name)
                w.wait_connector_gone(name)
            return
        changed = set(step.changed_keys)
        current = {k: v for k, v in (existing or {}).items() if k != "name"}
        if existing is None:
            config, state = _restorable_config(step, ctx, None, None)
            w.create_connector(name, config, steady_state(state))
        else:
            state = _previous_state(step, ctx)
            if step.config is not None:
                config, state = _restorable_config(step, ctx, current, changed)
                if current != config:  # never write an unchanged config (Connect restarts on every write)
                    w.put_connector_config(name, config)
            w.set_connector_state(name, steady_state(state))
        if step.previous.state in STEADY_STATES:  # a connector that had FAILED may fail again
            w.wait_connector(name, steady_state(step.previous.state))


@handles(DeleteConnector)
class DeleteConnectorHandler(StepHandler[DeleteConnector]):
    def run(self, step: DeleteConnector, ctx: StepContext) -> None:
        ctx.writer.delete_connector(step.name)
        ctx.writer.wait_connector_gone(step.name)

    def undo(self, step: DeleteConnector, ctx: StepContext) -> None:
        existing, _ = ctx.writer.get_connector(step.name)
        if existing is None:
            config, state = _restorable_config(step, ctx, None, changed=None)
            ctx.writer.create_connector(step.name, config, steady_state(state))
        else:
            state = _previous_state(step, ctx)
        ctx.writer.wait_connector(step.name, steady_state(state))


@handles(SnapshotSignal)
class SnapshotSignalHandler(StepHandler[SnapshotSignal]):
    def run(self, step: SnapshotSignal, ctx: StepContext) -> None:
        ctx.writer.send_snapshot_signal(step.connector, list(step.tables), step.topic, step.key, step.table_topic)

    def undo(self, step: SnapshotSignal, ctx: StepContext) -> None:
        pass  # a snapshot request cannot be taken back; it only re-reads existing rows
