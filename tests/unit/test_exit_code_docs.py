"""The exit codes are documented once, as one table that the README and docs/install-and-containers.md both hold:
the two stay equal, every command is covered, and the commands said to take --wait-for-cluster (exit 4) are the
ones whose options have it."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from kplan.cli import COMMANDS
from kplan.cluster.wait import EXIT_NOT_READY

ROOT = Path(__file__).resolve().parents[2]


def table(path: Path) -> list[list[str]]:
    text = path.read_text()
    m = re.search(r"#+ Exit codes\n\n(?:<!--.*?-->\n)?((?:\|.*\n)+)", text)
    assert m, f"no exit-code table in {path}"
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in m.group(1).splitlines()[2:]]


def test_the_readme_and_the_docs_hold_the_same_table():
    assert table(ROOT / "README.md") == table(ROOT / "docs" / "install-and-containers.md")


def test_every_code_kplan_uses_is_in_the_table_and_every_command_is_covered():
    rows = {int(code): (meaning, commands) for code, meaning, commands in table(ROOT / "README.md")}
    assert {0, 1, 2, 3, EXIT_NOT_READY, 130} <= set(rows)
    for code in (0, 1):
        assert rows[code][1] == "all"
    named = {c for _, commands in rows.values() for c in re.findall(r"`(\w+)`", commands)}
    assert named <= set(COMMANDS), named - set(COMMANDS)


def test_exit_4_lists_exactly_the_commands_with_wait_for_cluster():
    rows = {int(code): commands for code, _, commands in table(ROOT / "README.md")}
    listed = set(re.findall(r"`(\w+)`", rows[EXIT_NOT_READY]))
    having = set()
    for name, (target, _) in COMMANDS.items():
        module, attr = target.split(":")
        command = getattr(importlib.import_module(module), attr)
        if any("--wait-for-cluster" in p.opts for p in command.params):
            having.add(name)
    assert listed == having == {"plan", "apply", "destroy", "status"}
