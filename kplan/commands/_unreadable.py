"""`--allow-unreadable SYSTEM` (plan, status, apply, destroy, recover --resume): the explicit opt-in to go on
without one of a stack's declared systems when it cannot be read. Without it such a system is an error (plan,
apply, destroy: exit 1; status: exit 2): unknown is not unchanged. With it the plan leaves that system alone, says
so in its summary (never "No changes"; status never calls it "in sync") and records it (`not_read` in the plan and
status JSON); applying a saved plan honours what it records."""

from __future__ import annotations

from typing import Iterable

import click

ALLOW_UNREADABLE_OPTION = click.option(
    "--allow-unreadable", "allow_unreadable", metavar="connect:NAME", multiple=True,
    help="Go on without this declared system when it cannot be read (repeatable): a Kafka Connect cluster of "
         "several, `connect:NAME`. Nothing on it is planned or reported as in sync; the summary and the JSON say it "
         "was not read.")


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

