"""The docs' runnable-example runner (tests/unit/doc_examples.py) against a fake `kplan`: a page whose shown output is
what the command prints passes (times, durations and cluster ids masked); a changed output, exit code or marker fails
with one message naming the page and the line. The real pages run in tests/integration/test_docs_examples.py."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from doc_examples import ExampleError, blocks, mask, run_page

FAKE = """#!/bin/bash
# a fake kplan: prints a plan of the stack file it is given, with a cluster id and a duration that change each run
id=$(tr -dc A-Za-z0-9_- </dev/urandom | head -c 20)
echo "Plan for stack $(sed -n 's/^stack: //p' "$2") on cluster ${id}Qx"
echo "[1/1] create 1 topic(s): $(sed -n 's/.*- name: //p' "$2") ... done ($RANDOM.1s)"
echo "Saved at $(date -u +%Y-%m-%dT%H:%M:%SZ)" >&2
exit ${FAKE_EXIT:-0}
"""

PAGE = """# A page

<!-- file: stacks/shop.yaml -->
```yaml
stack: shop
topics:
  - name: {topic}
```

Text between the blocks.

<!-- run -->
```sh
kplan plan stacks/shop.yaml
```

<!-- output -->
```
Plan for stack shop on cluster ws6DOUKUR5q_SpcYByiplQ
[1/1] create 1 topic(s): {shown} ... done (0.4s)
Saved at 2026-11-27T09:24:00Z
```
"""


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "kplan"
    fake.write_text(FAKE)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def page(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "page.md"
    path.write_text(text)
    (tmp_path / "work").mkdir()
    return path


def test_a_page_whose_output_matches_passes(tmp_path, env):
    path = page(tmp_path, PAGE.format(topic="shop.orders", shown="shop.orders"))
    assert run_page(path, tmp_path / "work", env, label="docs/page.md") == 3
    assert (tmp_path / "work" / "stacks" / "shop.yaml").read_text() == "stack: shop\ntopics:\n  - name: shop.orders\n"


def test_a_changed_output_fails_with_a_diff_naming_the_page_and_line(tmp_path, env):
    path = page(tmp_path, PAGE.format(topic="shop.payments", shown="shop.orders"))
    with pytest.raises(ExampleError) as e:
        run_page(path, tmp_path / "work", env, label="docs/page.md")
    message = str(e.value)
    assert message.startswith("docs/page.md:18: the output shown differs from what the command printed (masked):\n")
    assert "-[1/1] create 1 topic(s): shop.orders ... done (<duration>)\n" in message
    assert "+[1/1] create 1 topic(s): shop.payments ... done (<duration>)" in message


def test_an_unexpected_exit_code_fails(tmp_path, env):
    path = page(tmp_path, PAGE.format(topic="shop.orders", shown="shop.orders"))
    with pytest.raises(ExampleError, match=r"^docs/page.md:13: the block exited 3, the page expects 0; it printed:\n"):
        run_page(path, tmp_path / "work", {**env, "FAKE_EXIT": "3"}, label="docs/page.md")
    expected = tmp_path / "expected"
    expected.mkdir()
    text = PAGE.format(topic="shop.orders", shown="shop.orders").replace("<!-- run -->", "<!-- run exit=3 -->")
    assert run_page(page(expected, text), expected / "work", {**env, "FAKE_EXIT": "3"}) == 3


def test_an_ellipsis_line_stands_for_any_lines(tmp_path, env):
    text = PAGE.format(topic="shop.orders", shown="shop.orders").replace(
        "[1/1] create 1 topic(s): shop.orders ... done (0.4s)\n", "...\n")
    assert run_page(page(tmp_path, text), tmp_path / "work", env) == 3


def test_markers_without_a_block_or_in_the_wrong_place_are_errors(tmp_path):
    no_block = r"^p.md:3: the marker <!-- run --> must be followed by a fenced code block$"
    with pytest.raises(ExampleError, match=no_block):
        blocks(page(tmp_path, "# x\n\n<!-- run -->\nkplan plan\n"), "p.md")
    lone = tmp_path / "lone"
    lone.mkdir()
    with pytest.raises(ExampleError, match=r"^p.md:2: an output block must follow a run block$"):
        run_page(page(lone, "<!-- output -->\n```\nx\n```\n"), lone / "work", {}, label="p.md")
    outside = tmp_path / "outside"
    outside.mkdir()
    with pytest.raises(ExampleError, match=r"a file block needs a path inside the page's directory"):
        run_page(page(outside, "<!-- file: ../x.yaml -->\n```\nx\n```\n"), outside / "work", {}, label="p.md")


def test_mask_keeps_what_is_not_a_time_an_id_or_a_duration():
    assert mask("cluster ws6DOUKUR5q_SpcYByiplQ, stack tutorial-shop-payments, 3 partitions, retention 7d  \n\n") == (
        "cluster <cluster-id>, stack tutorial-shop-payments, 3 partitions, retention 7d")
    assert mask("worker 127.0.0.1:28083 done (12.5s)", {"127.0.0.1:28083": "127.0.0.1:18083"}) == (
        "worker 127.0.0.1:18083 done (<duration>)")


def test_update_writes_what_was_printed_into_the_output_block(tmp_path, env):
    path = page(tmp_path, PAGE.format(topic="shop.payments", shown="shop.orders"))
    run_page(path, tmp_path / "work", env, update=True)
    text = path.read_text()
    assert "[1/1] create 1 topic(s): shop.payments ... done (" in text
    assert "shop.orders ... done" not in text
    assert text.endswith("```\n") and text.count("```") == 6
    fresh = tmp_path / "again"
    fresh.mkdir()
    assert run_page(path, fresh, env) == 3  # the page passes as updated
