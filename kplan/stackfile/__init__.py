"""Stack files: loading, checking and expanding what users write (see docs/stack-format.md).

Public API:
    Diagnostic, StackError            - located problems (`file:line:column: path: message`)
    load_stack(path, environment=None, environ=None, template_dirs=()) -> Stack   (raises StackError)
    validate_stack(path, environment=None, environ=None, template_dirs=()) -> (Stack | None, [Diagnostic])

Importing this package is cheap: the loader (PyYAML, jsonschema, and jinja2 for CDC templates) is imported when
a stack is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

from kplan.errors import KplanError
from kplan.model.diagnostics import Diagnostic

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Stack

__all__ = ["Diagnostic", "StackError", "load_stack", "validate_stack"]


class StackError(KplanError):
    """A stack that cannot be loaded; `diagnostics` lists every problem found (errors and warnings)."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.located() for d in self.diagnostics) or "invalid stack")

    def lines(self) -> list[str]:
        """Every problem as a command prints it, one a line, each error marked `Error:`."""
        return [f"Error: {d.located()}" if d.is_error else d.located() for d in self.diagnostics] or [f"Error: {self}"]


def validate_stack(path, environment: str | None = None, environ: Mapping[str, str] | None = None,
                   template_dirs: Sequence = (), environments_out: list | None = None, on_cluster=None,
                   with_policy: bool = False) -> "tuple[Stack | None, list[Diagnostic]]":
    """Load and check a stack: kplan.stackfile.pipeline.validate_stack (its parameters are said there), imported
    only now, so that importing this package stays cheap."""
    from kplan.stackfile.pipeline import validate_stack as _validate

    return _validate(path, environment, environ, template_dirs, environments_out, on_cluster, with_policy)


def load_stack(path, environment: str | None = None, environ: Mapping[str, str] | None = None,
               template_dirs: Sequence = (), on_cluster=None) -> "Stack":
    """Load a stack for one environment. Raises StackError listing every problem; warnings are kept in
    `Stack.warnings`. `on_cluster`: see `validate_stack`."""
    stack, diagnostics = validate_stack(path, environment, environ, template_dirs, on_cluster=on_cluster)
    if stack is None:
        raise StackError(diagnostics)
    return stack
