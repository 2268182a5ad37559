"""docs/commands.md gives each command's synopsis by hand (the generated reference has every option as `--help`
prints it): every option it names must be one the command takes, so the overview cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

import click

from kplan.cli import cli

PAGE = Path(__file__).resolve().parents[2] / "docs" / "commands.md"
OPTION = re.compile(r"(?<![\w./-])(--?[A-Za-z][\w-]*)")


def _command(words: list[str]) -> click.Command:
    command: click.Command = cli
    for word in words:
        sub = command.get_command(click.Context(command), word) if isinstance(command, click.Group) else None
        if sub is None:
            break
        command = sub
    return command


def _rows() -> list[tuple[int, click.Command, str]]:
    rows = []
    for number, line in enumerate(PAGE.read_text().splitlines(), 1):
        match = re.match(r"\| `kplan ((?:[a-z-]+ ?)+)", line)
        if match:
            rows.append((number, _command(match.group(1).split()), line))
    return rows


def _options(command: click.Command) -> set[str]:
    names = {"--help"}
    for param in command.params:
        if isinstance(param, click.Option):
            names.update(param.opts)
            names.update(param.secondary_opts)
    return names


def test_every_option_the_commands_page_names_is_one_its_command_takes():
    rows = _rows()
    assert len(rows) >= 15  # one row a command
    wrong = [f"docs/commands.md:{number}: {option} is not an option of `kplan {command.name}`"
             for number, command, line in rows for option in OPTION.findall(line) if option not in _options(command)]
    assert wrong == []


def test_a_misnamed_option_is_found():
    cell = "| `kplan plan PATH [--detailed-exit-code]` | ... |"
    command = _command(["plan"])
    assert [o for o in OPTION.findall(cell) if o not in _options(command)] == ["--detailed-exit-code"]
