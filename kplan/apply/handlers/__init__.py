"""The run/undo handlers, one per step type, registered by importing their modules (one per resource kind)."""

from __future__ import annotations

from kplan.apply.handlers import (  # noqa: F401 - registers handlers
    acl,
    cdc_cleanup,
    connector,
    offsets,
    ownership,
    quota,
    restart,
    subject,
    topic,
    user,
)
from kplan.kinds.handler import StepContext, StepHandler, UndoImpossible, handled_types, handler_for, handles

__all__ = ["StepContext", "StepHandler", "UndoImpossible", "handled_types", "handler_for", "handles"]
