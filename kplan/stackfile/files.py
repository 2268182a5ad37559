"""Finding and reading a stack's files, within limits: a file or a directory's `*.yaml`/`*.yml` files, at most
5 MiB each, UTF-8 text. Every refusal is a located diagnostic, not a traceback."""

from __future__ import annotations

import os
from dataclasses import dataclass

from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc

MAX_FILE_BYTES = 5 * 1024 * 1024
STACK_SUFFIXES = (".yaml", ".yml")
# A path a stack names may hold a NUL byte (YAML's "\0"), which the OS refuses (Python: ValueError): one located
# error, the byte shown escaped.
NUL_IN_PATH = "holds a NUL byte (\\0), which no file name can"


def shown_path(path: str) -> str:
    """A path as messages print it: a NUL byte escaped, never written raw to the terminal."""
    return path.replace("\0", "\\0")


@dataclass
class SourceFile:
    display: str  # shown in diagnostics and origins
    relpath: str  # relative to the stack root (for the inputs digest)
    data: bytes


def list_stack_files(path: str, diags: Diagnostics) -> list[tuple[str, str]]:
    """(display path, path relative to the stack root) of each stack file: the file itself, or the directory's
    `*.yaml`/`*.yml` files (not hidden, not recursive) in name order."""
    if not os.path.exists(path):
        diags.error(Loc(path, 0, 0), "no such file or directory")
        return []
    if os.path.isdir(path):
        names = stack_file_names(path)
        if not names:
            diags.error(Loc(path, 0, 0), "directory contains no stack files (*.yaml, *.yml)")
        return [(os.path.join(path, n), n) for n in names]
    return [(path, os.path.basename(path))]


def stack_file_names(directory: str) -> list[str]:
    """The names of a directory's `*.yaml`/`*.yml` files (not hidden, not recursive), in name order; OSError when
    it cannot be listed."""
    return sorted(n for n in os.listdir(directory) if not n.startswith(".") and n.endswith(STACK_SUFFIXES)
                  and os.path.isfile(os.path.join(directory, n)))


def read_file(display: str, diags: Diagnostics) -> bytes | None:
    limit = MAX_FILE_BYTES
    if "\0" in display:
        diags.error(Loc(shown_path(display), 0, 0), f"the path {NUL_IN_PATH}")
        return None
    try:
        size = os.stat(display).st_size
        if size > limit:
            diags.error(Loc(display, 0, 0),
                        f"file is too large ({size / 1024 / 1024:.1f} MiB; "
                        f"stack files are limited to {limit // 1024 // 1024} MiB)")
            return None
        with open(display, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        diags.error(Loc(display, 0, 0), f"cannot read the file: {e.strerror or e}")
        return None
    if len(data) > limit:
        diags.error(Loc(display, 0, 0), f"file is too large (stack files are limited to {limit // 1024 // 1024} MiB)")
        return None
    return data


def decode(display: str, data: bytes, diags: Diagnostics) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        diags.error(Loc(display, 1, 1), "file is UTF-16 text: save it as UTF-8")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        diags.error(Loc(display, *line_col(data, e.start)),
                    f"file is not UTF-8 text (invalid byte 0x{data[e.start]:02x})")
        return None


def line_col(data: bytes | str, pos: int) -> tuple[int, int]:
    """The 1-based line and column of the byte (or character) at `pos`."""
    newline = b"\n" if isinstance(data, bytes) else "\n"
    return data.count(newline, 0, pos) + 1, pos - (data.rfind(newline, 0, pos) + 1) + 1  # type: ignore[arg-type]
