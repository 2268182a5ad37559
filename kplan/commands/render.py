"""`kplan render PATH [-e ENV] [--format yaml|json]`: the fully expanded, normalized resources of a stack.

Shows what a CDC declaration becomes and what an environment overlay changes: sorted, deterministic output,
sensitive values masked as "(sensitive)" (a value that is only a `${...}` reference is shown, since it holds
no secret), each resource with its origin. Problems go to stderr, one line each, and the exit status is 1.
"""

from __future__ import annotations

import os
import sys

import click

from kplan.commands._output import ENV_OPTION, TEMPLATE_DIR_OPTION


@click.command("render")
@click.argument("path", type=click.Path())
@ENV_OPTION
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True,
              help="Output format.")
@TEMPLATE_DIR_OPTION
@click.pass_context
def render_command(ctx, path, environment, fmt, template_dirs):
    """Print the expanded resources of the stack at PATH."""
    from kplan.stackfile import validate_stack
    from kplan.stackfile.export import dump, stack_data

    stack, diags = validate_stack(path, environment, os.environ, template_dirs)
    for d in diags:
        click.echo(d.located(), err=True)
    if stack is None:
        sys.exit(1)  # not ctx.exit: the exit status must survive a non-standalone click main
    click.echo(dump(stack_data(stack), fmt), nl=False)
