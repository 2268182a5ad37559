"""The `users` section: SCRAM users, read by their shape (`kplan.kinds.user.model.SHAPE`). Pure. Beside what the shape
says (a password only as a secret reference), a user declared twice is refused."""

from __future__ import annotations

from typing import Any

from kplan.kinds.shape import named_section
from kplan.kinds.user.model import SHAPE, UserSpec
from kplan.model.diagnostics import Diagnostics, entry_words
from kplan.model.source import Loc, SourceMap


def build_users(entries: list[tuple[Any, Loc]], smap: SourceMap, diags: Diagnostics) -> tuple[UserSpec, ...]:
    return named_section(SHAPE, UserSpec, "user", entries, smap, diags)


entry_word = entry_words("name", "user")
