"""The exit codes are listed once, in the code (kplan.exiting.EXIT_CODES), which the site's generated Exit codes page
shows (dev/docs_reference.py): every code kplan uses is in it, every command is covered, and the commands said to
take --wait-for-cluster (exit 4) are the ones whose options have it. A copy of the table written in README.md or
docs/ (none is, today) must be the same table."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from kplan.cli import COMMANDS
from kplan.cluster.wait import EXIT_NOT_READY
from kplan.exiting import EXIT_CODES, EXIT_USAGE

ROOT = Path(__file__).resolve().parents[2]


def copies() -> dict[str, list[list[str]]]:
    """Each exit-code table written in README.md or docs/*.md, by file."""
    found = {}
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        m = re.search(r"#+ Exit codes\n\n(?:<!--.*?-->\n)?((?:\|.*\n)+)", path.read_text())
        if m:
            found[path.name] = [[cell.strip() for cell in line.strip().strip("|").split("|")]
                                for line in m.group(1).splitlines()[2:]]
    return found


def test_a_written_copy_of_the_table_is_the_codes_table():
    table = [[str(code), meaning, commands] for code, meaning, commands in EXIT_CODES]
    for name, rows in copies().items():
        assert rows == table, f"{name}'s exit-code table differs from kplan.exiting.EXIT_CODES"


def test_every_code_kplan_uses_is_in_the_table_and_every_command_is_covered():
    rows = {code: (meaning, commands) for code, meaning, commands in EXIT_CODES}
    assert {0, 1, 2, 3, EXIT_NOT_READY, EXIT_USAGE, 130} <= set(rows)
    for code in (0, 1, EXIT_USAGE):
        assert rows[code][1] == "all"
    named = {c for _, commands in rows.values() for c in re.findall(r"`(\w+)`", commands)}
    assert named <= set(COMMANDS), named - set(COMMANDS)


def test_exit_4_lists_exactly_the_commands_with_wait_for_cluster():
    rows = {code: commands for code, _, commands in EXIT_CODES}
    listed = set(re.findall(r"`(\w+)`", rows[EXIT_NOT_READY]))
    having = set()
    for name, (target, _) in COMMANDS.items():
        module, attr = target.split(":")
        command = getattr(importlib.import_module(module), attr)
        if any("--wait-for-cluster" in p.opts for p in command.params):
            having.add(name)
    assert listed == having == {"plan", "apply", "destroy", "status"}
