"""`SourceMap.item_locs(items)` is `value_loc(items, i)` of every index, whichever path located the list: the line
path's raw positions (packed or as tuples), the events path's, the node path's `Loc`s, a list built in code."""

from __future__ import annotations

import pytest

from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap
from kplan.stackfile import yaml_fast, yaml_lines
from kplan.stackfile.yaml_nodes import parse_nodes

TEXT = """stack: s
topics:
- name: a
  partitions: 1
-   name: b
- c
nested:
  lists:
  - x
  - name: y
    tags:
    - 1
    - 2
"""


def _lists(root: dict) -> list[list]:
    return [root["topics"], root["nested"]["lists"], root["nested"]["lists"][1]["tags"]]


def _parsed(how: str, smap: SourceMap) -> dict:
    if how == "lines":
        docs = yaml_lines.line_documents("f.yaml", TEXT, smap)
    elif how == "events":
        docs = yaml_fast.fast_documents("f.yaml", TEXT, smap)
    else:
        docs = parse_nodes("f.yaml", TEXT, smap, Diagnostics())
    assert docs is not None
    return docs[0].root


@pytest.mark.parametrize("how", ["lines", "events", "nodes"])
def test_the_locations_of_every_item_as_value_loc_gives_them(how):
    smap = SourceMap()
    for items in _lists(_parsed(how, smap)):
        assert smap.item_locs(items) == [smap.value_loc(items, i) for i in range(len(items))]
    assert smap.item_locs(_parsed(how, smap)["topics"])[1] == Loc("f.yaml", 5, 5, "topics[1]")


def test_unpacked_positions_and_unknown_lists(monkeypatch):
    monkeypatch.setattr(yaml_lines, "PACK_LIMIT", 0)  # entries kept as tuples, as for a text too long to pack
    smap = SourceMap()
    for items in _lists(_parsed("lines", smap)):
        assert smap.item_locs(items) == [smap.value_loc(items, i) for i in range(len(items))]
    built = smap.register([1, 2], Loc("g.yaml", 3, 1, "x"), values={0: Loc("g.yaml", 4, 3, "x[0]")})
    assert smap.item_locs(built) == [Loc("g.yaml", 4, 3, "x[0]"), Loc("g.yaml", 3, 1, "x")]
    assert smap.item_locs([1, 2]) == [None, None]
