"""The one mechanism for resources an entry gives another section (kplan.stackfile.derived)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kplan.model.metadata import Meta
from kplan.stackfile import derived
from kplan.stackfile.member import Built


def test_a_section_given_entries_without_a_merge_is_a_bug_not_silence():
    with pytest.raises(ValueError, match="no merge"):
        derived.merged(None, {}, {}, {}, {"quotas": ("x",)})  # type: ignore[arg-type]


def test_a_section_without_a_merge_keeps_its_specs_and_metadata():
    class Spec:
        name = "a"

    out = derived.merged(None, {}, {"quotas": (Spec,)}, {"quotas": {"a": Meta(owner="team")}}, {})  # type: ignore[arg-type]
    assert out["quotas"].specs == (Spec,) and out["quotas"].meta == {("quotas", "a"): Meta(owner="team")}


def test_built_names_no_kind_and_the_pipeline_merges_through_the_registry():
    assert set(Built.__dataclass_fields__) == {"specs", "given", "meta"}
    pipeline = (Path(derived.__file__).parent / "pipeline.py").read_text()
    member = pipeline[pipeline.index("def _member("):pipeline.index("def _stack(")]
    assert not re.search(r"\"(topics|connectors|acls)\"", member), member
