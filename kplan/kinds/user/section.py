"""The `users` section: SCRAM users, read by their shape (`kplan.kinds.user.model.SHAPE`). Pure. Beside what the shape
says (a password only as a secret reference), a user declared twice is refused."""

from __future__ import annotations

from typing import Any

from kplan.kinds.user.model import SHAPE, UserSpec
from kplan.model.diagnostics import Diagnostics, entry_words
from kplan.model.source import Loc, Origin, SourceMap


def build_users(entries: list[tuple[Any, Loc]], smap: SourceMap, diags: Diagnostics) -> tuple[UserSpec, ...]:
    out = []
    for item, loc, name in diags.named_entries(entries, "name", 'user "{}"', "declare each user once"):
        values = SHAPE.read(item, loc, smap, diags, f"user {name}: ")
        if values is not None:
            out.append(UserSpec(**{k: v for k, v in values.items() if v is not None},
                                origin=Origin(loc.file, loc.line, loc.column)))
    return tuple(sorted(out, key=lambda u: u.name))


rendered = SHAPE.rendered
entry_word = entry_words("name", "user")
