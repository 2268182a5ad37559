"""`kplan validate PATH... [-e ENV]`: every problem in a stack, one line each, before anything touches a cluster.

Output (stdout): one `file:line:column: path: message` line per problem (warnings marked `warning:`), sorted
by file and line, then one summary line per environment checked. Without -e the base stack and every declared
environment are checked (a typo in the prod overlay is found in a dev run). Several stacks may be given (each a
file or a directory stack): `kplan validate stacks/*.yaml`. Exit 1 when there is any error.
"""

from __future__ import annotations

import os
import sys

import click

from kplan.commands._output import TEMPLATE_DIR_OPTION
from kplan.words import plural


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(), metavar="PATH...")
@click.option("-e", "--env", "--environment", "environment", metavar="ENV",
              help="Check this environment overlay only (default: the base stack and every environment).")
@TEMPLATE_DIR_OPTION
@click.option("-q", "--quiet", is_flag=True, help="Print problems only, no summary.")
@click.pass_context
def validate_command(ctx, paths, environment, template_dirs, quiet):
    """Check the stack at each PATH (a file or a directory) and report every problem with its file and line."""
    ok = True
    for path in paths:
        ok = run_validate(path, environment, template_dirs, quiet) and ok
    sys.exit(0 if ok else 1)  # not ctx.exit: the exit status must survive a non-standalone click main


def run_validate(path: str, environment: str | None, template_dirs, quiet: bool) -> bool:
    from kplan.kinds import UNITS
    from kplan.model.diagnostics import Severity
    from kplan.stackfile import validate_stack

    # Without -e: the base stack first, then every environment its files declare (read by that first load).
    targets: list[str | None] = [environment] if environment is not None else [None]
    declared: list[str] = []
    shown: dict = {}  # each problem once, as first met (the environments repeat the base stack's)
    summaries: list[str] = []
    ok = True
    sections = [u.section for u in UNITS if u.section is not None]  # in the kinds' order
    for env in targets:
        stack, diags = validate_stack(path, env, os.environ, template_dirs,
                                      environments_out=declared if environment is None and env is None else None,
                                      with_policy=True)
        if environment is None and env is None:
            targets.extend(declared)
        errors = [d for d in diags if d.is_error]
        warnings = [d for d in diags if d.severity is Severity.WARNING]
        for d in diags:
            shown.setdefault(d.located(), d)
        label = path + (f" [{env}]" if env else "")
        if stack is not None:
            counts = [plural(len(stack.of(s.key)), s.noun) for s in sections if s.always_counted or stack.of(s.key)]
            counts += [plural(len(warnings), 'warning')] if warnings else []
            summaries.append(f"{label}: valid ({', '.join(counts)})")
        else:
            ok = False
            extra = f", {plural(len(warnings), 'warning')}" if warnings else ""
            summaries.append(f"{label}: invalid ({plural(len(errors), 'error')}{extra})")
    for d in sorted(shown.values(), key=lambda d: d.sort_key()):
        if not (quiet and d.severity is Severity.INFO):  # -q: problems only
            click.echo(d.located())
    if not quiet:
        for s in summaries:
            click.echo(s)
    return ok
