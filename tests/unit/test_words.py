"""kplan.words: the count and "did you mean" wording shared by validate, the loader, the rules and the kinds."""

from __future__ import annotations

import ast
from pathlib import Path

import kplan.words
from kplan.words import closest, did_you_mean, meant, plural


def test_words_is_the_bottom_layer():
    """Any room may use it, so it imports nothing of kplan's."""
    tree = ast.parse(Path(kplan.words.__file__).read_text())
    modules = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    modules += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in modules if m == "kplan" or m.startswith("kplan.")], modules


def test_plural_counts_with_the_noun():
    assert plural(0, "topic") == "0 topics"
    assert plural(1, "topic") == "1 topic"
    assert plural(2, "warning") == "2 warnings"


def test_closest_is_the_nearest_candidate_above_the_cutoff():
    assert closest("parttions", ["partitions", "config", "name"]) == "partitions"
    assert closest("zzz", ["partitions", "config"]) is None
    assert closest("retention.msec", ["retention.ms", "retention.bytes"], cutoff=0.75) == "retention.ms"
    assert closest("segment.msx", ["retention.ms"]) == "retention.ms"  # ratio 0.61
    assert closest("segment.msx", ["retention.ms"], cutoff=0.75) is None
    assert closest("retention.ms", ["retention.ms"]) == "retention.ms"
    assert closest("one", [1, None, "one"]) == "one"  # only strings are candidates (YAML keys may be numbers)


def test_meant_is_the_appended_hint_or_nothing():
    assert meant("partitions") == ' (did you mean "partitions"?)'
    assert meant(None) == "" and meant("") == ""


def test_did_you_mean_prefers_a_candidate_that_differs_only_in_case():
    assert did_you_mean("parttions", ["partitions", "config"]) == ' (did you mean "partitions"?)'
    assert did_you_mean("LZ4", ["lz4", "zstd", "gzip"]) == ' (did you mean "lz4"?)'
    assert closest("COMPACT", ["compact"]) is None  # difflib compares case-sensitively
    assert did_you_mean("COMPACT", ["compact", "compact,delete"]) == ' (did you mean "compact"?)'
    assert did_you_mean("compact", ["compact", "delete"]) == ' (did you mean "compact"?)'  # as the callers had it
    assert did_you_mean("nothing-like-it", ["partitions"]) == ""
    assert did_you_mean("x", [1, 2]) == ""
