"""Diagnostics: one problem in a stack, located at a file, line, column and YAML path.

Every check reports into a `Diagnostics` collector instead of raising, so that `kplan validate` can show every
problem at once. `StackError` carries them all when a caller needs a loaded stack and there were errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from kplan.errors import KplanError


@dataclass(frozen=True)
class Diagnostic:
    file: str
    line: int  # 1-based; 0 when the problem concerns the whole file or directory
    column: int  # 1-based; 0 with line 0
    path: str  # YAML path like "topics[2].partitions" ("" if none)
    message: str
    severity: str = "error"  # "error" | "warning"

    def format(self) -> str:
        """`file:line:column: path: message` (warnings: `file:line:column: warning: path: message`).

        Without a position (line 0) the location is just `file`; without a path, `path: ` is left out."""
        where = f"{self.file}:{self.line}:{self.column}" if self.line > 0 else self.file
        parts = [where]
        if self.severity == "warning":
            parts.append("warning")
        if self.path:
            parts.append(self.path)
        parts.append(self.message)
        return ": ".join(parts)

    def sort_key(self):
        return (self.file, self.line, self.column, self.path, self.message)


class StackError(KplanError):
    """A stack that cannot be loaded; `diagnostics` lists every problem found (errors and warnings)."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics) or "invalid stack")

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
    """Collects diagnostics. Exact duplicates are dropped, and so is an error on a node that already has an
    error from the other phase (schema vs. loading/semantic checks): both would describe the same mistake."""

    def __init__(self):
        self._items: list[Diagnostic] = []
        self._seen: set[tuple] = set()
        self._schema_flagged: set[tuple] = set()
        self._other_flagged: set[tuple] = set()

    def add(self, loc: Loc | None, message: str, severity: str = "error", path: str | None = None,
            from_schema: bool = False) -> None:
        file, line, col, p = (loc.file, loc.line, loc.column, loc.path) if loc else ("<stack>", 0, 0, "")
        if path is not None:
            p = path
        d = Diagnostic(file, line, col, p, message, severity)
        key = (d.file, d.line, d.column, d.path, d.message, d.severity)
        if key in self._seen:
            return
        where = (d.file, d.line, d.column)
        if severity == "error":
            # One error per node: a semantic error on a node the schema flagged, or a schema error on a node
            # already flagged earlier (e.g. an undefined variable), would describe the same mistake again.
            if where in (self._other_flagged if from_schema else self._schema_flagged):
                return
            (self._schema_flagged if from_schema else self._other_flagged).add(where)
        self._seen.add(key)
        self._items.append(d)

    def error(self, loc: Loc | None, message: str, path: str | None = None) -> None:
        self.add(loc, message, "error", path)

    def warning(self, loc: Loc | None, message: str, path: str | None = None) -> None:
        self.add(loc, message, "warning", path)

    def extend(self, diags) -> None:
        for d in diags:
            self.add(Loc(d.file, d.line, d.column, d.path), d.message, d.severity)

    @property
    def items(self) -> list[Diagnostic]:
        return sorted(self._items, key=Diagnostic.sort_key)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self._items)

    def has_error_at(self, loc: Loc | None) -> bool:
        return loc is not None and any(
            d.severity == "error" and (d.file, d.line, d.column) == (loc.file, loc.line, loc.column) for d in self._items
        )
