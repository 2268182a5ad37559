"""The stacks of a repository: every stack root under a directory tree, and the stacks a list of changed files
touches (`kplan plan --tree DIR --changed-files FILE`, docs/ci.md).

A stack is one YAML file or a directory of them (docs/stack-format.md, Directory stacks), so a tree is read
directory by directory, looking only at each YAML file's top-level keys (no YAML parse: hundreds of stacks are
found in milliseconds). A *stack part* is a `*.yaml`/`*.yml` file (not hidden) whose top-level keys are all the
stack format's (`stack`, `cluster`, `topics`, ...): a `docker-compose.yml` or a CI file beside them is not one. In
each directory:

- no part names a stack (`stack:`): no root here (a policy file, a directory of schemas);
- one part only: that file is a stack;
- every part names a stack, each a different one: each file is a stack (a directory of one-file stacks);
- otherwise the directory is one stack (its parts are concatenated, as kplan loads a directory), unless its parts
  name several stacks, which is reported: kplan could load it neither as one stack nor file by file.

Sub-directories are searched too (hidden ones are not), also under a directory stack: kplan never reads a stack's
sub-directories as stack files.

A changed file touches the stack nearest above it: the file stack it is; else the deepest directory above it (or
its own) that is a directory stack, or that holds file stacks: then every file stack there (a schema file or a
policy beside several one-file stacks may be any of theirs: planning them all misses nothing)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache

from kplan.stackfile.files import MAX_FILE_BYTES, stack_file_names

_TOP_KEY = re.compile(rb"^([A-Za-z_$][\w$.-]*)[ \t]*:(?:[ \t]|$)", re.M)
_STACK_NAME = re.compile(rb"^stack[ \t]*:[ \t]*(['\"]?)([^'\"#\r\n]*?)\1[ \t]*(?:#.*)?$", re.M)


@lru_cache(maxsize=1)
def stack_keys() -> frozenset[str]:
    """The top-level keys of the stack format (its JSON Schema)."""
    from kplan.stackfile.schema import load_schema

    return frozenset(load_schema().get("properties", {}))


@dataclass(frozen=True)
class Part:
    """A stack part: its path and the stack it names (None: it names none)."""

    path: str
    stack: str | None


@dataclass
class Tree:
    """What a tree holds: the stack roots in path order (a file or a directory, as `kplan plan` takes it), and the
    directories whose parts name several stacks (not a root: reported)."""

    roots: list[str] = field(default_factory=list)
    mixed: dict[str, list[str]] = field(default_factory=dict)  # directory -> the stack names its parts give
    file_roots_by_dir: dict[str, list[str]] = field(default_factory=dict)  # directory -> its file stacks
    dir_roots: set[str] = field(default_factory=set)


def read_part(path: str) -> Part | None:
    """The file as a stack part, or None when it is not one (other top-level keys, none, unreadable, too big)."""
    try:
        if os.path.getsize(path) > MAX_FILE_BYTES:
            return None
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    keys = {m.group(1).decode("utf-8", "replace") for m in _TOP_KEY.finditer(data)}
    if not keys or not keys <= stack_keys():
        return None
    named = _STACK_NAME.search(data)
    return Part(path, named.group(2).decode("utf-8", "replace").strip() if named else None)


def declared_name(root: str) -> str | None:
    """The stack name a root's files declare (`stack:`), read as a tree is: for a stack whose files kplan could not
    load, so that what is said of it still names it. None when none reads as a name the stack format allows
    literally (`stack: [unclosed` is no name; nor is a `${VAR}` not resolved): then it is told by its path."""
    parts = parts_of(root) if os.path.isdir(root) else [p for p in [read_part(root)] if p is not None]
    return next((p.stack for p in parts if p.stack and _is_name(p.stack)), None)


def _is_name(text: str) -> bool:
    """A name as the stack format's JSON Schema allows it literally (its `resourceName`'s plain form)."""
    from kplan.stackfile.schema import load_schema

    plain = load_schema()["$defs"]["resourceName"]["anyOf"][0]
    return len(text) <= plain["maxLength"] and re.fullmatch(plain["pattern"], text) is not None


def parts_of(directory: str) -> list[Part]:
    try:
        names = stack_file_names(directory)
    except OSError:
        return []
    parts = (read_part(os.path.join(directory, name)) for name in names)
    return [part for part in parts if part is not None]


def find_stacks(top: str) -> Tree:
    """Every stack root under `top` (itself included), in path order, as normalised paths."""
    tree = Tree()
    for directory, subdirs, _ in os.walk(top):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        directory = os.path.normpath(directory)
        parts = parts_of(directory)
        named = [p for p in parts if p.stack is not None]
        if not named:
            continue
        names = {p.stack for p in named}
        if len(parts) == 1 or (len(named) == len(parts) and len(names) == len(parts)):
            tree.roots += [p.path for p in named]
            tree.file_roots_by_dir[directory] = [p.path for p in named]
        elif len(names) == 1:
            tree.roots.append(directory)
            tree.dir_roots.add(directory)
        else:
            tree.mixed[directory] = sorted(n for n in names if n is not None)
    tree.roots.sort()
    return tree


def touched(tree: Tree, changed: list[str]) -> tuple[list[str], list[str]]:
    """(the roots of `tree` the changed files touch, in path order; the changed files that touch none). Paths are
    compared normalised and absolute (relative ones are taken from the working directory)."""
    file_roots = {os.path.abspath(r): r for rs in tree.file_roots_by_dir.values() for r in rs}
    dir_roots = {os.path.abspath(d): d for d in tree.dir_roots}
    holders = {os.path.abspath(d): rs for d, rs in tree.file_roots_by_dir.items()}
    found: set[str] = set()
    untouched: list[str] = []
    for path in changed:
        full = os.path.abspath(path)
        if full in file_roots:
            found.add(file_roots[full])
            continue
        hit = _nearest(os.path.dirname(full), dir_roots, holders)
        if hit is None:
            untouched.append(path)
        else:
            found.update(hit)
    return sorted(found), untouched


def _nearest(directory: str, dir_roots: dict[str, str], holders: dict[str, list[str]]) -> list[str] | None:
    while True:
        if directory in dir_roots:
            return [dir_roots[directory]]
        if directory in holders:
            return list(holders[directory])
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def read_changed_files(path: str) -> list[str]:
    """The paths a changed-files list names, one a line (`git diff --name-only`; `-`: standard input); blank lines
    and surrounding spaces ignored."""
    import sys

    if path == "-":
        text = sys.stdin.read()
    else:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    return [line.strip() for line in text.splitlines() if line.strip()]
