"""bench/compare_peers.py's arithmetic: spreads that ignore failed runs, ratios from medians and from the runs of
the same round, the rotated order, and its small option parsers."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

from _summary import per_operation, ratios, rotated  # noqa: E402


def test_a_failed_run_stays_in_the_list_but_not_in_the_spread():
    assert per_operation([2.0, None, 4.0, 3.0]) == {
        "runs_s": [2.0, None, 4.0, 3.0], "min_s": 2.0, "median_s": 3.0, "max_s": 4.0}
    assert per_operation([None, None]) == {"runs_s": [None, None]}


def test_ratios_are_medians_over_medians_and_per_round_pairs():
    runs = {
        "kplan": {"create": [2.0, 4.0, 3.0]},
        "floor": {"create": [1.0, 1.0, 2.0]},
        "topicctl": {"create": [60.0, None, 90.0]},
    }
    out = ratios(runs, ["create"])["create"]
    assert "floor" not in out  # the floor is the base, not a contender
    assert out["kplan"]["vs_floor"] == 3.0  # median 3 / median 1
    assert out["kplan"]["vs_floor_per_round"] == {"min": 1.5, "median": 2.0, "max": 4.0}
    assert out["topicctl"]["vs_kplan"] == 25.0  # median 75 / median 3
    # the round topicctl failed is left out of the pairs, not counted as zero
    assert out["topicctl"]["vs_kplan_per_round"] == {"min": 30.0, "median": 30.0, "max": 30.0}


def test_a_tool_without_a_successful_run_gets_no_ratio():
    runs = {"kplan": {"plan": [None]}, "floor": {"plan": [1.0]}}
    assert ratios(runs, ["plan"]) == {"plan": {}}


def test_each_round_starts_one_tool_later():
    tools = ["kplan", "floor", "topicctl", "terraform"]
    assert [rotated(tools, r)[0] for r in range(5)] == ["kplan", "floor", "topicctl", "terraform", "kplan"]
    assert sorted(rotated(tools, 2)) == sorted(tools)


@pytest.fixture
def compare():
    import compare_peers

    return compare_peers


def test_topicctl_sleeps_a_fifth_of_its_loop_duration(compare):
    assert compare.sleep_loop("5ms") == "25ms"
    assert compare.sleep_loop("2s") == "10s"


def test_peer_limits_apply_to_one_peer_or_to_all(compare):
    assert compare.peer_limits(["terraform=2000"], ["topicctl", "terraform"]) == {"terraform": 2000}
    assert compare.peer_limits(["500"], ["topicctl", "terraform"]) == {"topicctl": 500, "terraform": 500}


def test_a_bad_sleep_is_refused_before_anything_runs(compare):
    import argparse

    with pytest.raises(argparse.ArgumentTypeError, match="not a duration"):
        compare.sleep_arg("5 minutes")
