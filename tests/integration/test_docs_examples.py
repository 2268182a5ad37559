"""Every runnable example in the docs runs (issue 60): each page's marked blocks (`<!-- file: PATH -->`, `<!-- run -->`,
`<!-- output -->`: tests/unit/doc_examples.py) are carried out in order in a fresh directory against the local stack,
with the real `kplan`, and each shown output must be what kplan prints (durations, times and cluster ids masked). The
pages show the local stack's default addresses; the examples' stacks read them from ${KPLAN_BOOTSTRAP:-...} and
${KPLAN_CONNECT_URL:-...}, which are set here to the stack the tests run against, and its addresses in what kplan
prints are shown as the defaults. A page's resources are named after it (`tutorial.`: no test uses those); whatever a
failed run left is destroyed afterwards. After an intended change, `UPDATE_DOCS=1` writes what kplan printed into the
pages' output blocks instead: review the diff."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from doc_examples import blocks, run_page
from kplan_helpers import ROOT, cleanup

import localstack

# The pages with runnable blocks, and the prefix of everything they create.
PAGES = {"docs/tutorial.md": "tutorial.", "README.md": "readme."}
UPDATE = os.environ.get("UPDATE_DOCS", "") not in ("", "0")
DEFAULTS = {"KPLAN_BOOTSTRAP": "127.0.0.1:19092", "KPLAN_CONNECT_URL": "http://127.0.0.1:18083"}


def test_every_page_with_markers_is_run_here():
    """A page of docs/ (or the README) that marks a block runnable is one of PAGES."""
    marked = {str(p.relative_to(ROOT)) for p in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
              if blocks(p)}
    assert marked == set(PAGES)


def page_env(tmp_path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The environment the page's commands run in (`kplan` on PATH: this checkout's, in this Python), and what to
    show the stack's actual addresses as."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kplan").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m kplan "$@"\n')
    (bin_dir / "kplan").chmod(0o755)
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    stack_env = localstack.stack_env()
    env = {**os.environ, **stack_env, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": pythonpath,
           "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", "KPLAN_STATE_DIR": str(tmp_path / "state")}
    replace = {stack_env[k]: v for k, v in DEFAULTS.items()}
    replace[stack_env["KPLAN_CONNECT_URL"].removeprefix("http://")] = DEFAULTS["KPLAN_CONNECT_URL"].removeprefix("http://")
    return env, replace


@pytest.mark.parametrize("page", sorted(PAGES))
def test_the_page_runs_as_shown(stack, admin, page, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    env, replace = page_env(tmp_path)
    try:
        assert run_page(ROOT / page, work, env, replace, label=page, update=UPDATE) > 0
    finally:
        # what a failed run left: each stack file it wrote, destroyed; then anything else under the page's prefix
        for path in sorted(work.rglob("*.y*ml")):
            doc = yaml.safe_load(path.read_text())
            if isinstance(doc, dict) and "stack" in doc:
                subprocess.run(["kplan", "destroy", str(path.relative_to(work)), "--auto-approve"], cwd=work, env=env,
                               capture_output=True, stdin=subprocess.DEVNULL, timeout=300)
        cleanup(admin, stack.connect_url, PAGES[page])
