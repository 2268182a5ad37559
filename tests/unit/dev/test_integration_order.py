"""The parallel stage's order (tests/conftest.py): work units longest first by tests/integration/durations.json, a
test of a SPLIT file by its own seconds where the record names it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SPLIT_FILE = "tests/integration/test_ci_pr_apply.py"


def _conftest():
    spec = importlib.util.spec_from_file_location("kplan_tests_conftest", Path(__file__).parents[2] / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Item:
    def __init__(self, nodeid: str) -> None:
        self.nodeid = nodeid

    def get_closest_marker(self, name: str):
        return object() if name == "integration" else None


def test_a_split_files_test_named_in_the_record_weighs_its_own_seconds(tmp_path, monkeypatch):
    conftest = _conftest()
    assert SPLIT_FILE in conftest.SPLIT
    record = tmp_path / "durations.json"
    record.write_text(json.dumps({"tests/integration/test_a.py": 100.0, SPLIT_FILE: 50.0,
                                  f"{SPLIT_FILE}::test_long": 40.0}))
    monkeypatch.setattr(conftest, "DURATIONS", record)
    items = [Item(f"{SPLIT_FILE}::test_short_1"), Item(f"{SPLIT_FILE}::test_short_2"), Item(f"{SPLIT_FILE}::test_long"),
             Item("tests/integration/test_b.py::test_unknown"), Item("tests/integration/test_a.py::test_one")]
    conftest.pytest_collection_modifyitems(None, items)
    # test_a 100; test_b unknown: the record's median, 50; test_long its own 40; the two others share the 10 left
    assert [i.nodeid.split("::")[1] for i in items] == ["test_one", "test_unknown", "test_long", "test_short_1",
                                                        "test_short_2"]


@pytest.mark.parametrize("nodeid, key", [(f"{SPLIT_FILE}::test_x[a]", f"{SPLIT_FILE}::test_x[a]"),
                                         ("tests/integration/test_a.py::test_x", "tests/integration/test_a.py")])
def test_make_durations_records_a_split_files_tests_one_by_one(nodeid, key):
    assert _conftest()._recorded(nodeid) == key
