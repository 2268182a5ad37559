"""Output helpers and options shared by the commands."""

from __future__ import annotations

import os
import sys
from typing import Mapping

import click

FORMAT_OPTION = click.option(
    "--format", "fmt", type=click.Choice(["text", "markdown", "json", "html"]), default="text",
    show_default=True,
    help="text for terminals, markdown for a pull-request comment, json (schemas/plan.schema.json) for tools, html "
         "for one self-contained page (docs/html-report.md).",
)
ENV_OPTION = click.option("-e", "--env", "--environment", "environment", metavar="ENV",
                          help="Environment overlay to apply.")
NO_COLOR_OPTION = click.option("--no-color", is_flag=True, help="No ANSI colors (also: the NO_COLOR variable).")
# Every command that loads a stack takes it: a stack whose CDC engine lives in such a directory loads everywhere.
TEMPLATE_DIR_OPTION = click.option(
    "-T", "--template-dir", "template_dirs", multiple=True, type=click.Path(file_okay=False),
    help="Extra CDC engine template directory (searched before the built-in templates; repeatable).",
)


def use_color(no_color: bool, environ: Mapping[str, str] | None = None, isatty: bool | None = None) -> bool:
    """Colors only on a terminal, never with --no-color or a non-empty NO_COLOR (https://no-color.org)."""
    environ = os.environ if environ is None else environ
    if no_color or environ.get("NO_COLOR", ""):
        return False
    return sys.stdout.isatty() if isatty is None else isatty


def emit(plan, fmt: str, color: bool) -> None:
    from kplan.render import render

    click.echo(render(plan, fmt, color=color), nl=False, color=color)
    if fmt != "text":  # text shows diagnostics inline; elsewhere errors also go to stderr, one line each
        for d in plan.errors:
            click.echo(d.format(), err=True)


def write_report(plan, path: str) -> None:
    """The plan as one HTML page at `path` (`kplan plan --report`); one error line when it cannot be written."""
    from kplan.errors import KplanError
    from kplan.render import render

    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(render(plan, "html"))
    except OSError as e:
        raise KplanError(f"{path}: cannot write the HTML report: {e.strerror or e}") from None
    click.echo(f"Wrote the HTML report to {path} (one self-contained page: open it in a browser).", err=True)


class DurationType(click.ParamType):
    """A positive duration in kplan's syntax (`90s`, `2m`, `1m30s`, or a number of seconds), as seconds."""

    name = "DURATION"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        from kplan.rules.units import UnitError, parse_duration_seconds

        try:
            seconds = parse_duration_seconds(value)
        except UnitError as e:
            self.fail(str(e).replace("a number of milliseconds", "a number of seconds"), param, ctx)
        if not 0 < seconds < float("inf"):  # also NaN
            self.fail(f"must be a positive duration, e.g. 90s or 2m (got {value!r})", param, ctx)
        return seconds


WAIT_OPTION = click.option(
    "--wait-for-cluster", "wait_s", type=DurationType(), metavar="DURATION",
    help="First wait up to DURATION (e.g. 90s, 2m) until Kafka answers and Kafka Connect is healthy "
         "(init containers); exit 4 if they do not in time.",
)
