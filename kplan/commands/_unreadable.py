"""`--allow-unreadable SYSTEM` (plan, apply, destroy): the explicit opt-in to plan the rest of a stack when one of
its declared systems cannot be read. Without it such a system is an error (exit 1): unknown is not unchanged. With
it the plan leaves that system alone, says so in its summary (never "No changes") and records it (`not_read` in
the plan JSON); applying a saved plan honours what it records."""

from __future__ import annotations

from typing import Iterable

import click

ALLOW_UNREADABLE_OPTION = click.option(
    "--allow-unreadable", "allow_unreadable", metavar="connect:NAME", multiple=True,
    help="Plan the rest when this declared system cannot be read (repeatable): a Kafka Connect cluster of several, "
         "`connect:NAME`. Nothing on it is planned, and the summary and the plan JSON say it was not read.")


def allowances(stack, values: Iterable[str]) -> frozenset[str]:
    """The systems `values` names, each one the stack declares; a usage error (exit 2) for any other."""
    names = sorted({n for member in (stack.members or (stack,)) for n in member.cluster.connect_names()})
    out = set()
    for value in values:
        kind, sep, name = value.partition(":")
        if kind != "connect" or not sep or not name:
            raise click.UsageError(f"--allow-unreadable {value}: expected connect:NAME, a Connect cluster the stack "
                                   "declares")
        if name not in names:
            raise click.UsageError(f"--allow-unreadable {value}: the stack declares no Connect cluster {name!r} "
                                   f"(it declares: {', '.join(names) or 'none'})")
        out.add(value)
    return frozenset(out)
