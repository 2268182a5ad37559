"""The stack's `secret_commands:` (the stack's, overlaid by the selected environment's, name by name): what each
`${secret:cmd:NAME}` runs. Built here, located; run only by `kplan.stackfile.references`."""

from __future__ import annotations

from kplan.kinds.frame import COMMAND_TIMEOUT
from kplan.kinds.shape import read_rows
from kplan.model.desired import SecretCommand
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap, deep_merge


def build_secret_commands(base: object, overlay: object, smap: SourceMap, diags: Diagnostics, loc: Loc
                          ) -> dict[str, SecretCommand]:
    """name -> SecretCommand; one located error per entry that cannot run (what the schema lets through)."""
    merged = deep_merge(base if isinstance(base, dict) else {}, overlay if isinstance(overlay, dict) else {},
                        smap, loc)
    out: dict[str, SecretCommand] = {}
    for name, entry in merged.items():
        if not isinstance(entry, dict):
            continue  # null (an environment removing it), or flagged by the schema
        at = smap.value_loc(merged, name) or loc
        command, shell = entry.get("command"), entry.get("shell") is True
        if command is None:
            diags.error(at, "`command` is not set (the program and its arguments, e.g. "
                            "[vault, kv, get, -field=password, secret/kafka])")
            continue
        if shell != isinstance(command, str):  # a shell takes one string, a program its list of arguments
            diags.error(smap.value_loc(entry, "command") or at,
                        "with shell: true, the command is one string for /bin/sh -c" if shell else
                        "the command is a list, [program, argument, ...] (no shell is used); for a shell "
                        "command line set shell: true")
            continue
        argv = (command,) if isinstance(command, str) else tuple(command)
        if not argv or not all(isinstance(a, str) and a for a in argv):
            continue  # flagged by the schema
        read = read_rows((COMMAND_TIMEOUT,), entry, at, smap, diags)  # by its row: its unit, its default
        if read is None:
            continue
        out[name] = SecretCommand(name, argv, read["timeout"], shell, origin=f"{at.file}:{at.line}")
    return out
