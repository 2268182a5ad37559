"""`kplan plan`: compare a stack with the cluster and show what apply would do."""

from __future__ import annotations

import json
import os
from typing import Mapping

import click

from kplan.commands._output import FORMAT_OPTION, NO_COLOR_OPTION, emit, use_color
from kplan.errors import KplanError


@click.command("plan")
@click.argument("path", type=click.Path(exists=True))
@click.option("-e", "--env", "--environment", "environment", metavar="ENV", help="Environment overlay to apply.")
@FORMAT_OPTION
@NO_COLOR_OPTION
@click.option("--destroy", is_flag=True, help="Show what `kplan destroy` would remove.")
@click.option("-out", "--out", "out", metavar="FILE", type=click.Path(dir_okay=False),
              help="Save the plan (no secrets) for `kplan show` and `kplan apply`.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 = no changes, 2 = changes, 1 = error.")
@click.option("--live-state", metavar="FILE", type=click.Path(exists=True, dir_okay=False), hidden=True,
              help="Plan against a live-state JSON file instead of the cluster (tests, offline demos).")
@click.pass_context
def plan_command(ctx, path, environment, fmt, no_color, destroy, out, detailed_exitcode, live_state):
    """Show the changes that would make the cluster match the stack at PATH."""
    environ = os.environ
    try:
        plan = compute_plan(path, environment, destroy=destroy, live_state=live_state, environ=environ)
    except _StackInvalid as e:
        for line in e.lines:
            click.echo(line, err=True)
        ctx.exit(1)
    emit(plan, fmt, use_color(no_color))
    if out:
        if plan.has_errors:
            click.echo(f"Error: the plan has errors; it was not saved to {out}.", err=True)
        else:
            from kplan.state.planfile import save_plan

            save_plan(plan, out, stack_path=path)
            click.echo(f"Saved the plan to {out}: `kplan show {out}` shows it, `kplan apply {out}` applies exactly it.",
                       err=True)
    if plan.has_errors:
        ctx.exit(1)
    ctx.exit(2 if detailed_exitcode and plan.has_changes else 0)


class _StackInvalid(Exception):
    def __init__(self, lines: list[str]):
        self.lines = lines


def compute_plan(path: str, environment: str | None, *, destroy: bool = False, live_state: str | None = None,
                 environ: Mapping[str, str] | None = None):
    """Load the stack, read the live state (batched), plan, then validate the plan against the real systems."""
    from kplan.plan.model import error
    from kplan.plan.planner import make_plan
    from kplan.stackfile import StackError, load_stack

    environ = os.environ if environ is None else environ
    try:
        stack = load_stack(path, environment=environment, environ=environ)
    except StackError as e:
        raise _StackInvalid([f"Error: {d.format()}" if d.severity == "error" else d.format()
                             for d in e.diagnostics] or [f"Error: {e}"]) from None
    for line in stack.warnings:
        click.echo(line, err=True)
    reader, validator, close = _open(stack, live_state, environ)
    try:
        live = reader.read(stack.name, topic_names=[t.name for t in stack.topics])
        plan = make_plan(stack, live, destroy=destroy, environ=environ)
        try:
            extra = validator.validate(stack, plan)
        except KplanError as e:  # e.g. a secret the plan already reports as unresolvable: one more error line
            extra = [error(f"plan-time validation failed: {e}", "validation-failed")]
        return plan.with_diagnostics(extra)
    finally:
        close()


def _open(stack, live_state: str | None, environ):
    if live_state is None:
        from kplan.cluster.reader import open_cluster

        return open_cluster(stack.cluster, environ)
    from kplan.model.live import StaticReader
    from kplan.model.livejson import live_state_from_dict
    from kplan.plan.validation import NoopValidator

    try:
        with open(live_state, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise KplanError(f"cannot read the live state {live_state}: {e}") from None
    return StaticReader(live_state_from_dict(doc)), NoopValidator(), lambda: None
