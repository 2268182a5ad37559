"""The run/undo handlers, one per step type, registered by importing the modules each kind's `UNIT` names (and
the ownership record's, which is no kind's)."""

from __future__ import annotations

from importlib import import_module

from kplan.apply.handlers import ownership  # noqa: F401 - registers its handler
from kplan.kinds import UNITS
from kplan.kinds.handler import StepContext, StepHandler, UndoImpossible, handled_types, handler_for, handles

for _unit in UNITS:
    for _module in _unit.handlers:
        import_module(_module)

__all__ = ["StepContext", "StepHandler", "UndoImpossible", "handled_types", "handler_for", "handles"]
