"""What the commands share at the terminal: a stack's problems printed one line each (then exit 1, never a
traceback), and asking for approval."""

from __future__ import annotations

import os
from typing import Iterable

import click

from kplan.errors import KplanError
from kplan.session.open import load_and_open


def load_or_exit(ctx: click.Context, path: str, environment: str | None, template_dirs=()):
    """The stack, or every problem printed as one line each and exit 1 (never a traceback)."""
    from kplan.stackfile import load_stack

    return _or_exit(ctx, lambda: load_stack(path, environment=environment, environ=os.environ,
                                            template_dirs=template_dirs))


def load_and_open_or_exit(ctx: click.Context, path: str, environment: str | None, allow_unreadable: Iterable[str], *,
                          live_state: str | None, template_dirs, wait_s: float | None):
    """`load_and_open` (every problem of the stack printed as one line each, then exit 1) and the systems
    --allow-unreadable names (kplan.commands._unreadable.allowances): (stack, session, allowed). The open session
    (if any) is closed before a usage error of the option leaves the command; then the stack's warnings, once the
    options are known to be good."""
    from kplan.commands._unreadable import allowances

    stack, session = _or_exit(ctx, lambda: load_and_open(path, environment, live_state=live_state, environ=os.environ,
                                                         template_dirs=template_dirs, wait_s=wait_s))
    try:
        allowed = allowances(stack, allow_unreadable)
    except click.UsageError:
        if session is not None:
            session.close()
        raise
    for line in stack.warnings:
        click.echo(line, err=True)
    return stack, session, allowed


def _or_exit(ctx: click.Context, load):
    """`load()`, or the problems of the stack it raised (StackError) printed one line each and exit 1."""
    from kplan.stackfile import StackError

    try:
        return load()
    except StackError as e:
        for line in e.lines():
            click.echo(line, err=True)
        ctx.exit(1)


def confirm_yes(prompt: str, expected: str = "yes") -> bool:
    """Ask on a terminal; without one, refuse to prompt (the caller says to pass --auto-approve)."""
    import sys

    if not sys.stdin.isatty():
        raise KplanError("no terminal to ask for approval: pass --auto-approve to go ahead without asking")
    answer = click.prompt(prompt, default="", show_default=False)
    return answer.strip() == expected
