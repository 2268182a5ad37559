"""Finding a repository's stacks (kplan.stackfile.roots): which files and directories are stacks, and which stacks
a list of changed files touches."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kplan.stackfile.roots import find_stacks, read_part, touched

CLUSTER = "cluster: {bootstrap_servers: 'localhost:9092'}\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = {
        "docker-compose.yml": "services:\n  kafka: {image: x}\n",  # not a stack part: other top-level keys
        "teams/orders/stack.yaml": "stack: orders\n" + CLUSTER,  # a directory stack: two parts, one name
        "teams/orders/topics.yaml": "topics:\n  - name: orders.v1\n",
        "teams/orders/schemas/order.avsc": "{}",
        "teams/orders/nested/stack.yaml": "stack: nested\n" + CLUSTER,  # a stack below a directory stack
        "teams/solo/only.yml": "# a comment\nstack: 'solo'  # one file: that file\n" + CLUSTER,
        "teams/solo/README.md": "hello",
        "flat/a.yaml": "stack: a\n" + CLUSTER,  # a directory of one-file stacks
        "flat/b.yaml": "stack: b\n" + CLUSTER,
        "flat/schemas/x.avsc": "{}",
        "mixed/p.yaml": "stack: p\n" + CLUSTER,  # several names and a part naming none: reported
        "mixed/q.yaml": "stack: q\n" + CLUSTER,
        "mixed/topics.yaml": "topics: []\n",
        "policies/platform.yaml": "rules: []\n",  # not a stack
        ".hidden/stack.yaml": "stack: hidden\n" + CLUSTER,
    }
    for name, text in files.items():
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_text(text)
    return tmp_path


def test_every_stack_root_under_the_tree_is_found(repo):
    tree = find_stacks(".")
    assert [os.path.normpath(r) for r in tree.roots] == [
        "flat/a.yaml", "flat/b.yaml", "teams/orders", "teams/orders/nested/stack.yaml", "teams/solo/only.yml"]
    assert {os.path.normpath(d): names for d, names in tree.mixed.items()} == {"mixed": ["p", "q"]}


def test_a_stack_part_is_known_by_its_top_level_keys_alone(repo):
    assert read_part("teams/solo/only.yml").stack == "solo"
    assert read_part("teams/orders/topics.yaml").stack is None
    assert read_part("docker-compose.yml") is None and read_part("policies/platform.yaml") is None


@pytest.mark.parametrize("changed, expected, untouched", [
    (["teams/orders/topics.yaml"], ["teams/orders"], []),
    (["teams/orders/schemas/order.avsc"], ["teams/orders"], []),  # a file under a directory stack
    (["teams/orders/nested/stack.yaml"], ["teams/orders/nested/stack.yaml"], []),
    (["flat/b.yaml"], ["flat/b.yaml"], []),
    (["flat/schemas/x.avsc"], ["flat/a.yaml", "flat/b.yaml"], []),  # beside several one-file stacks: all of them
    (["teams/solo/README.md", "docker-compose.yml", "teams/gone.yaml"], ["teams/solo/only.yml"],
     ["docker-compose.yml", "teams/gone.yaml"]),
])
def test_a_changed_file_touches_the_stack_nearest_above_it(repo, changed, expected, untouched):
    roots, left = touched(find_stacks("."), changed)
    assert [os.path.normpath(r) for r in roots] == expected and left == untouched


def test_changed_paths_may_be_absolute(repo):
    roots, _ = touched(find_stacks("."), [str(repo / "flat" / "a.yaml")])
    assert [os.path.normpath(r) for r in roots] == ["flat/a.yaml"]
