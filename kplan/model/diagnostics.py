"""One diagnostic type for every stage: the stack loader (`kplan validate`), the planner, plan-time validation by
the real systems, and status. Its location is always an `Origin` (file, line, column); what it is about is a
resource address and attribute path (planner), or the YAML path in `address` (loader).

Two renderings of the same thing: `located()` is the `file:line:column: path: message` line `kplan validate`
prints (warnings marked), `format()` the `Error: file:line:column: address.path: message` line of plans.

`Diagnostics` collects the loader's: every check reports into it instead of raising, so that `kplan validate` can
show every problem at once (the stack loader's `StackError` carries them when a caller needs a loaded stack).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Hashable, Iterable, Iterator, TypeVar

from kplan.model.source import Loc, Origin


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


_K = TypeVar("_K", bound=Hashable)
_MARKS = {Severity.WARNING: ("warning",), Severity.INFO: ("note",)}  # how `located` marks what is not an error


@dataclass(frozen=True)
class Diagnostic:
    """A finding. Errors stop a plan (or a load); `origin` points at the stack file when known."""

    severity: Severity
    message: str
    code: str = ""  # stable machine-readable id, e.g. "partition-decrease" (plans)
    address: str | None = None  # "topic.orders"; for the loader, the YAML path "topics[2].partitions"
    path: tuple[str, ...] | None = None  # attribute path inside the resource, e.g. ("config", "retention.ms")
    origin: Origin | None = None

    @classmethod
    def at(cls, file: str, line: int, column: int, yaml_path: str, message: str,
           severity: Severity | str = Severity.ERROR) -> "Diagnostic":
        """A loader finding at a YAML node (line 0: the whole file or directory)."""
        return cls(Severity(severity), message, address=yaml_path or None, origin=Origin(file, line, column))

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def file(self) -> str:
        return self.origin.file if self.origin else ""

    @property
    def line(self) -> int:
        return self.origin.line if self.origin else 0

    @property
    def column(self) -> int:
        return self.origin.column if self.origin and self.origin.line > 0 else 0

    @property
    def target(self) -> str:
        """What the finding is about: `topic.x.partitions`, or a YAML path."""
        return (self.address or "") + ("." + ".".join(self.path) if self.address and self.path else "")

    def _where(self) -> str:
        if self.origin is None:
            return ""
        return f"{self.file}:{self.line}:{self.origin.column}" if self.line > 0 else self.file

    def format(self) -> str:
        """One line: `Error: file:line:col: topic.x.partitions: message`."""
        parts = [f"{self.severity.value.capitalize()}:"]
        if self.origin is not None:
            parts.append(f"{self._where()}:")
        if self.target:
            parts.append(f"{self.target}:")
        parts.append(re.sub(r"\s*\n\s*", " ", self.message.strip()))
        return " ".join(parts)

    def located(self, where: str | None = None) -> str:
        """`file:line:column: path: message` (warnings: `file:line:column: warning: path: message`, information:
        `note: message`); without a position (line 0) the location is just `file`; without a path, `path: ` is
        left out. `where`: another name of the place than file:line:column (a resource's field path)."""
        parts = [where] if where else [self._where()] if self.origin is not None else []
        parts += _MARKS.get(self.severity, ())
        if self.target:
            parts.append(self.target)
        parts.append(self.message)
        return ": ".join(parts)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line, self.column, self.target, self.message)


def entry_words(key: str, noun: str, unnamed: str | None = None) -> Callable[[object], str]:
    """A section's `entry_word(item)`, how the loader's messages name an entry (before it is built: `item` may be
    any YAML value): `noun 'its name'` for an entry named by `key`, else `unnamed` (default: `noun`)."""
    def entry_word(item: object) -> str:
        name = item.get(key) if isinstance(item, dict) else None
        return f"{noun} {name!r}" if isinstance(name, str) else noun if unnamed is None else unnamed
    return entry_word


class Diagnostics:
    """Collects diagnostics. Exact duplicates are dropped.

    Loading runs in phases (read/parse, variable substitution, schema, semantic checks; `begin_phase()`). An
    error on a node that an earlier phase already flagged is dropped: it would describe the same mistake again
    (an undefined variable, then "not an integer" for the text left in its place)."""

    def __init__(self) -> None:
        self._items: list[Diagnostic] = []
        self._seen: set[tuple[str, int, int, str | None, str, Severity]] = set()
        self._flagged: dict[tuple[str, int, int], int] = {}  # (file, line, column) -> the phase that flagged it
        self.phase = 0

    def begin_phase(self) -> None:
        self.phase += 1

    def add(self, loc: Loc | None, message: str, severity: Severity | str = Severity.ERROR,
            path: str | None = None) -> None:
        """`severity` may be the word (kplan.rules, below the model, says "error" / "warning")."""
        severity = Severity(severity)
        file, line, col, p = (loc.file, loc.line, loc.column, loc.path) if loc else ("<stack>", 0, 0, "")
        if path is not None:
            p = path
        d = Diagnostic.at(file, line, col, p, message, severity)
        key = (d.file, d.line, d.column, d.address, d.message, d.severity)
        if key in self._seen:
            return
        where = (d.file, d.line, d.column)
        if severity is Severity.ERROR:
            if self._flagged.get(where, self.phase) < self.phase:
                return
            self._flagged.setdefault(where, self.phase)
        self._seen.add(key)
        self._items.append(d)

    def error(self, loc: Loc | None, message: str, path: str | None = None) -> None:
        self.add(loc, message, Severity.ERROR, path)

    def declared_again(self, seen: dict[_K, Loc], key: _K, loc: Loc, what: str, hint: str) -> bool:
        """Whether `key` was declared before (one error at `loc`, naming the first place, and `hint`); otherwise
        `seen` records where it is declared."""
        if key in seen:
            first = seen[key]
            self.error(loc, f"{what} is declared twice (also at {first.file}:{first.line}); {hint}")
            return True
        seen[key] = loc
        return False

    def named_entries(self, entries: Iterable[tuple[Any, Loc]], key: str, what: str, hint: str
                      ) -> Iterator[tuple[Any, Loc, str]]:
        """A section's entries that are mappings with a text `key` (the schema reported any other), each with that
        name, where it is first declared: declared again is an error (`declared_again`, `what` formatting the name)."""
        seen: dict[str, Loc] = {}
        for item, loc in entries:
            if isinstance(item, dict) and isinstance(item.get(key), str) and not self.declared_again(
                    seen, item[key], loc, what.format(item[key]), hint):
                yield item, loc, item[key]

    def warning(self, loc: Loc | None, message: str, path: str | None = None) -> None:
        self.add(loc, message, Severity.WARNING, path)

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        for d in diags:
            self.add(Loc(d.file, d.line, d.column, d.address or ""), d.message, d.severity)

    @property
    def items(self) -> list[Diagnostic]:
        return sorted(self._items, key=Diagnostic.sort_key)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self._items)

