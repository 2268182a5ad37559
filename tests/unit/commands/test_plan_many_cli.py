"""`kplan plan` over a repository of stacks (several PATHs, --tree, --changed-files), end to end over stack files and
a live-state file (no cluster): one section per stack, each the plan `kplan plan PATH` shows, a summary line, the
exit status over all of them; an invalid stack fails alone. The shared cluster read: tests/unit/cluster/
test_read_many.py and tests/integration/test_plan_many.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kplan.cli import main
from kplan.exiting import EXIT_USAGE

CLUSTER = "cluster: {bootstrap_servers: 'localhost:9092'}\n"
LIVE = {"cluster_id": "c1", "broker_count": 1,
        "topics": {"kept": {"partitions": 1, "replication_factor": 1}}, "owned_topics": ["kept"]}


def topics(*names: str) -> str:
    return "topics:\n" + "".join(f"  - {{name: {n}, partitions: 1, replication_factor: 1}}\n" for n in names)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    files = {
        "stacks/orders/stack.yaml": "stack: orders\n" + CLUSTER,
        "stacks/orders/topics.yaml": topics("kept", "orders.new"),  # one create: changes
        "stacks/same.yaml": "stack: same\n" + CLUSTER + topics("kept"),  # no changes
        "stacks/broken.yaml": "stack: broken\n" + CLUSTER + "topics:\n  - {name: x, partitions: 0}\n",
        "live.json": json.dumps(LIVE),
    }
    for name, text in files.items():
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_text(text)
    return tmp_path


def run(capsys, *args):
    with pytest.raises(SystemExit) as e:
        main(list(args))
    out, err = capsys.readouterr()
    return e.value.code, out, err


def sections(out: str) -> dict[str, str]:
    """The text output's sections by stack path (without the header and the summary line)."""
    found: dict[str, str] = {}
    body = out.rsplit("\n\nStacks: ", 1)[0]
    for chunk in body.split("── ")[1:]:
        head, _, text = chunk.partition("\n")
        found[head.split(" (stack")[0]] = text.rstrip("\n")
    return found


def test_every_stack_under_the_tree_is_planned_each_as_its_own_plan_shows_it(repo, capsys):
    code, out, _ = run(capsys, "plan", "--tree", "stacks", "--live-state", "live.json", "--detailed-exitcode")
    assert code == 1  # one stack failed: the run fails, the others are still planned
    assert out.rstrip().endswith("Stacks: 3 planned: 1 with changes, 1 without changes, 1 failed.")
    parts = sections(out)
    assert list(parts) == ["stacks/broken.yaml", "stacks/orders", "stacks/same.yaml"]
    for path in ("stacks/orders", "stacks/same.yaml"):
        _, alone, _ = run(capsys, "plan", path, "--live-state", "live.json")
        assert parts[path] == alone.rstrip("\n")
    assert "stacks/broken.yaml:4:" in parts["stacks/broken.yaml"] and "must be at least 1" in parts[
        "stacks/broken.yaml"]


def test_changes_without_failures_exit_2_with_detailed_exitcode(repo, capsys):
    code, out, _ = run(capsys, "plan", "stacks/orders", "stacks/same.yaml", "--live-state", "live.json",
                       "--detailed-exitcode")
    assert code == 2 and "1 with changes, 1 without changes, 0 failed" in out
    assert run(capsys, "plan", "stacks/orders", "stacks/same.yaml", "--live-state", "live.json")[0] == 0
    assert run(capsys, "plan", "stacks/same.yaml", "stacks/same.yaml", "--live-state", "live.json",
               "--detailed-exitcode")[0] == 0  # a stack named twice is planned once


def test_changed_files_select_only_the_stacks_they_touch(repo, capsys):
    Path("changed.txt").write_text("stacks/orders/topics.yaml\nREADME.md\n")
    code, out, err = run(capsys, "plan", "--changed-files", "changed.txt", "--live-state", "live.json")
    assert code == 0 and list(sections(out)) == ["stacks/orders"]
    assert "1 changed file(s) touch no stack under .: README.md" in err


def test_changed_files_from_standard_input_select_in_every_tree(repo, capsys, monkeypatch):
    import io

    Path("more/billing").mkdir(parents=True)
    Path("more/billing/stack.yaml").write_text("stack: billing\n" + CLUSTER + topics("kept"))
    monkeypatch.setattr("sys.stdin", io.StringIO("stacks/orders/topics.yaml\nmore/billing/stack.yaml\n"))
    code, out, _ = run(capsys, "plan", "--tree", "stacks", "--tree", "more", "--changed-files", "-",
                       "--live-state", "live.json")
    assert code == 0 and list(sections(out)) == ["stacks/orders", "more/billing/stack.yaml"]


def test_json_is_one_document_with_each_stacks_plan(repo, capsys):
    code, out, err = run(capsys, "plan", "--tree", "stacks", "--live-state", "live.json", "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["summary"] == {"stacks": 3, "changes": 1, "unchanged": 1, "failed": 1}
    by_path = {s["path"]: s for s in doc["stacks"]}
    assert by_path["stacks/orders"]["status"] == "changes" and by_path["stacks/orders"]["stack"] == "orders"
    assert by_path["stacks/orders"]["plan"]["summary"]["add"] == 1
    assert by_path["stacks/broken.yaml"]["plan"] is None and by_path["stacks/broken.yaml"]["errors"]
    assert "stacks/broken.yaml: Error: stacks/broken.yaml:4:" in err  # errors also on stderr, one line each


def test_markdown_has_a_section_per_stack(repo, capsys):
    _, out, _ = run(capsys, "plan", "stacks/orders", "stacks/broken.yaml", "--live-state", "live.json",
                    "--format", "markdown")
    assert "## `stacks/orders` (stack `orders`)" in out and "## `stacks/broken.yaml`" in out
    assert "- Error: stacks/broken.yaml:4:" in out


@pytest.mark.parametrize("extra", [["--out", "p.json"], ["--report", "p.html"], ["--format", "html"]])
def test_what_only_one_stack_can_have_is_refused(repo, capsys, extra):
    code, _, err = run(capsys, "plan", "--tree", "stacks", "--live-state", "live.json", *extra)
    assert code == EXIT_USAGE and "one stack at a time" in err


def test_without_any_stack_the_path_is_missing(repo, capsys):
    code, _, err = run(capsys, "plan")
    assert code == EXIT_USAGE and "Missing argument" in err
