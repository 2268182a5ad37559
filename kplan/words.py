"""Wording helpers every layer may use (no kplan imports): counts with their noun, and the "did you mean" hint
for a misspelt name. One place, so a count or a hint reads the same in `validate`, the loader and the plan."""

from __future__ import annotations

import difflib
from typing import Iterable


def plural(n: int, word: str) -> str:
    """`1 task`, `2 tasks` (regular plurals only)."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def closest(word: str, candidates: Iterable[object], cutoff: float = 0.6) -> str | None:
    """The candidate nearest to `word` by difflib's ratio (at least `cutoff`), or None; non-strings are skipped."""
    m = difflib.get_close_matches(word, [c for c in candidates if isinstance(c, str)], n=1, cutoff=cutoff)
    return m[0] if m else None


def meant(suggestion: str | None) -> str:
    """` (did you mean "partitions"?)` to append to an error, or "" without a suggestion."""
    return f' (did you mean "{suggestion}"?)' if suggestion else ""


def did_you_mean(word: str, candidates: Iterable[object]) -> str:
    """The hint for a misspelt `word`: a candidate that differs only in case first (`LZ4` -> `lz4`), else the
    closest one (`parttions` -> `partitions`); "" when none is near."""
    cands = [c for c in candidates if isinstance(c, str)]
    same_but_case = {c.lower(): c for c in cands}.get(word.lower())
    if same_but_case is not None and same_but_case != word:
        return meant(same_but_case)
    return meant(closest(word, cands))
