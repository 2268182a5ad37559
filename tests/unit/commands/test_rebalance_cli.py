"""`kplan plan --rebalance / --elect-leaders / --topic / --throttle` on the command line, over a live-state file."""

from __future__ import annotations

import json

import pytest

from kplan.cli import main
from kplan.exiting import EXIT_USAGE

STACK = """\
stack: shop
cluster:
  bootstrap_servers: localhost:9092
topics:
  - name: orders
    partitions: 4
    replication_factor: 2
"""
LIVE = {"cluster_id": "c1", "broker_count": 3, "broker_racks": {"1": "a", "2": "b", "3": "c"},
        "topics": {"orders": {"partitions": 4, "replication_factor": 2,
                              "assignment": [[1, 2], [2, 1], [1, 2], [2, 1]]}},
        "connectors": {}, "owned_topics": ["orders"]}


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stack.yaml").write_text(STACK)
    (tmp_path / "live.json").write_text(json.dumps(LIVE))
    return tmp_path


def run(capsys, *args):
    with pytest.raises(SystemExit) as e:
        main(["plan", "stack.yaml", "--live-state", "live.json", *args])
    out, err = capsys.readouterr()
    return e.value.code, out + err


def test_a_rebalance_plan_is_saved_with_its_lists_and_throttle(files, capsys):
    code, text = run(capsys, "--rebalance", "--throttle", "5MiB/s", "--topic", "ord*", "-out", "p.json")
    assert code == 0, text
    assert "~ replicas = 1,2 | 2,1 | 1,2 | 2,1 -> " in text and "copied at most 5 MiB/s per broker" in text
    (change,) = json.loads((files / "p.json").read_text())["resource_changes"]
    assert change["reason"] == "rebalance requested (kplan plan --rebalance)"
    assert change["planned"]["throttle"] == 5 << 20 and change["planned"]["replicas_before"] == LIVE["topics"][
        "orders"]["assignment"]


@pytest.mark.parametrize("args, message", [
    (("--throttle", "1MiB/s"), "--topic and --throttle go with --rebalance or --elect-leaders"),
    (("--elect-leaders", "--throttle", "1MiB/s"), "--throttle goes with --rebalance"),
    (("--rebalance", "--throttle", "fast"), "--throttle fast:"),
    (("--rebalance", "--destroy"), "not with --destroy"),
])
def test_misused_options_are_usage_errors(files, capsys, args, message):
    code, text = run(capsys, *args)
    assert code == EXIT_USAGE and message in text, text


def test_an_election_against_a_live_state_file_says_it_needs_the_cluster(files, capsys):
    code, text = run(capsys, "--elect-leaders")
    assert code == 1 and "--elect-leaders needs the partitions' leaders" in text, text
