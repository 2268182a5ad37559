"""Collecting the loader's diagnostics (`kplan.model.diagnostics.Diagnostic`): every problem in a stack, located
at a file, line, column and YAML path.

Every check reports into a `Diagnostics` collector instead of raising, so that `kplan validate` can show every
problem at once. `StackError` carries them all when a caller needs a loaded stack and there were errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from kplan.errors import KplanError
from kplan.model.diagnostics import Diagnostic


class StackError(KplanError):
    """A stack that cannot be loaded; `diagnostics` lists every problem found (errors and warnings)."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.located() for d in self.diagnostics) or "invalid stack")

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


@dataclass(frozen=True)
class Loc:
    """Where a YAML node sits: file, 1-based line and column, and its path inside its document."""

    file: str
    line: int
    column: int
    path: str = ""

    def child(self, path: str) -> "Loc":
        return Loc(self.file, self.line, self.column, path)


class Diagnostics:
    """Collects diagnostics. Exact duplicates are dropped.

    Loading runs in phases (read/parse, variable substitution, schema, semantic checks; `begin_phase()`). An
    error on a node that an earlier phase already flagged is dropped: it would describe the same mistake again
    (an undefined variable, then "not an integer" for the text left in its place)."""

    def __init__(self):
        self._items: list[Diagnostic] = []
        self._seen: set[tuple] = set()
        self._flagged: dict[tuple, int] = {}
        self.phase = 0

    def begin_phase(self) -> None:
        self.phase += 1

    def add(self, loc: Loc | None, message: str, severity: str = "error", path: str | None = None) -> None:
        file, line, col, p = (loc.file, loc.line, loc.column, loc.path) if loc else ("<stack>", 0, 0, "")
        if path is not None:
            p = path
        d = Diagnostic.at(file, line, col, p, message, severity)
        key = (d.file, d.line, d.column, d.address, d.message, d.severity)
        if key in self._seen:
            return
        where = (d.file, d.line, d.column)
        if severity == "error":
            if self._flagged.get(where, self.phase) < self.phase:
                return
            self._flagged.setdefault(where, self.phase)
        self._seen.add(key)
        self._items.append(d)

    def error(self, loc: Loc | None, message: str, path: str | None = None) -> None:
        self.add(loc, message, "error", path)

    def declared_again(self, seen: dict, key, loc: Loc, what: str, hint: str) -> bool:
        """Whether `key` was declared before (one error at `loc`, naming the first place, and `hint`); otherwise
        `seen` records where it is declared."""
        if key in seen:
            first = seen[key]
            self.error(loc, f"{what} is declared twice (also at {first.file}:{first.line}); {hint}")
            return True
        seen[key] = loc
        return False

    def warning(self, loc: Loc | None, message: str, path: str | None = None) -> None:
        self.add(loc, message, "warning", path)

    def extend(self, diags) -> None:
        for d in diags:
            self.add(Loc(d.file, d.line, d.column, d.address or ""), d.message, d.severity)

    @property
    def items(self) -> list[Diagnostic]:
        return sorted(self._items, key=Diagnostic.sort_key)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self._items)

