"""`kplan show`: render a saved plan."""

from __future__ import annotations

import click

from kplan.commands._output import FORMAT_OPTION, NO_COLOR_OPTION, emit, use_color


@click.command("show")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@FORMAT_OPTION
@NO_COLOR_OPTION
def show_command(file, fmt, no_color):
    """Show a plan saved with `kplan plan -out FILE`."""
    from kplan.state.planfile import load_plan

    emit(load_plan(file), fmt, use_color(no_color))
