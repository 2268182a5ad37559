"""The `features` section: finalized feature versions, read by their shape (`kplan.kinds.feature.model.SHAPE`). Pure.
A feature declared twice is refused."""

from __future__ import annotations

from typing import Any

from kplan.kinds.feature.model import SHAPE, FeatureSpec
from kplan.kinds.shape import named_section
from kplan.model.diagnostics import Diagnostics, entry_words
from kplan.model.source import Loc, SourceMap


def build_features(entries: list[tuple[Any, Loc]], smap: SourceMap, diags: Diagnostics) -> tuple[FeatureSpec, ...]:
    return named_section(SHAPE, FeatureSpec, "feature", entries, smap, diags)


rendered = SHAPE.rendered
entry_word = entry_words("name", "feature")
