"""Loading a stack for a command: every problem printed as one line, then exit 1 — never a traceback."""

from __future__ import annotations

import os
from typing import Mapping

import click


def load_or_exit(ctx: click.Context, path: str, environment: str | None, environ: Mapping[str, str] | None = None):
    from kplan.stackfile import StackError, load_stack

    try:
        return load_stack(path, environment=environment, environ=os.environ if environ is None else environ)
    except StackError as e:
        for d in e.diagnostics or []:
            click.echo(f"Error: {d.format()}" if d.severity == "error" else d.format(), err=True)
        if not e.diagnostics:
            click.echo(f"Error: {e}", err=True)
        ctx.exit(1)


def confirm_yes(prompt: str, expected: str = "yes") -> bool:
    """Ask on a terminal; without one, refuse to prompt (the caller says to pass --auto-approve)."""
    import sys

    if not sys.stdin.isatty():
        from kplan.errors import KplanError

        raise KplanError("no terminal to ask for approval: pass --auto-approve to go ahead without asking")
    answer = click.prompt(prompt, default="", show_default=False)
    return answer.strip() == expected
