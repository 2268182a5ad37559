"""The pytest plugin's summary line ("integration tests against the real stack ...: N passed") counts only the
tests that used the `stack` fixture: not tests that merely live in a folder named integration, and none at all in a
run without such tests. Each case is a pytest run, in a subprocess, over a tiny test tree whose `stack` fixture is
a stand-in (so no real stack is started)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import localstack

DEV = Path(localstack.__file__).resolve().parent.parent
LINE = "integration tests against the real stack"

STACK_LESS = "def test_needs_no_stack():\n    assert True\n"
FAKE_STACK = (
    "import pytest\n\n"
    "@pytest.fixture(scope='session')\n"
    "def stack():\n"
    "    return 'a stand-in'\n"
)
USES_STACK = "def test_uses_the_stack(stack):\n    assert stack == 'a stand-in'\n"


def _pytest(tree: Path, *args: str) -> str:
    (tree / "pytest.ini").write_text("[pytest]\n")  # this tree is the rootdir: the project's settings stay out
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(DEV), os.environ.get("PYTHONPATH")) if p)}
    env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "localstack.pytest_plugin", "-p", "no:cacheprovider",
                           str(tree), *args], capture_output=True, text=True, cwd=tree, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_no_line_when_no_test_used_the_stack(tmp_path):
    (tmp_path / "integration").mkdir()
    (tmp_path / "integration" / "test_offline.py").write_text(STACK_LESS)
    out = _pytest(tmp_path)
    assert "1 passed" in out
    assert LINE not in out


def test_the_line_counts_only_tests_that_used_the_stack(tmp_path):
    (tmp_path / "integration").mkdir()
    (tmp_path / "integration" / "conftest.py").write_text(FAKE_STACK)
    (tmp_path / "integration" / "test_offline.py").write_text(STACK_LESS)
    (tmp_path / "integration" / "test_online.py").write_text(USES_STACK)
    out = _pytest(tmp_path)
    assert "2 passed" in out
    assert [line.split("): ")[-1] for line in out.splitlines() if LINE in line] == ["1 passed"]


def test_not_integration_deselects_the_stack_users_and_prints_no_line(tmp_path):
    (tmp_path / "integration").mkdir()
    (tmp_path / "integration" / "conftest.py").write_text(FAKE_STACK)
    (tmp_path / "integration" / "test_offline.py").write_text(STACK_LESS)
    (tmp_path / "integration" / "test_online.py").write_text(USES_STACK)
    out = _pytest(tmp_path, "-m", "not integration")
    assert "1 passed, 1 deselected" in out
    assert LINE not in out


def test_under_xdist_the_line_adds_up_every_workers_tests(tmp_path):
    """Each worker counts its own tests and hands the tally to the controller, which prints the one line."""
    (tmp_path / "integration").mkdir()
    (tmp_path / "integration" / "conftest.py").write_text(FAKE_STACK)
    (tmp_path / "integration" / "test_offline.py").write_text(STACK_LESS)
    for i in range(3):
        (tmp_path / "integration" / f"test_online_{i}.py").write_text(USES_STACK)
    out = _pytest(tmp_path, "-n", "2", "--dist", "loadfile")
    assert "4 passed" in out
    assert [line.split("): ")[-1] for line in out.splitlines() if LINE in line] == ["3 passed"]


def test_a_parameter_named_like_the_fixture_is_not_the_stack(tmp_path):
    """`parametrize("stack", ...)` gives a value, not the local stack: such a test is not an integration test (three
    pure tests of `kplan ci` ran in the integration stage and never in the unit stage so), while an indirect
    parametrization still goes through the fixture."""
    (tmp_path / "integration").mkdir()
    (tmp_path / "integration" / "conftest.py").write_text(FAKE_STACK)
    (tmp_path / "integration" / "test_named.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.parametrize('stack, env', [('shop', None), ('shop', 'prod')])\n"
        "def test_a_stack_name(stack, env):\n    assert stack == 'shop'\n\n"
        "@pytest.mark.parametrize('stack', ['x'], indirect=True)\n"
        "def test_through_the_fixture(stack):\n    assert stack == 'a stand-in'\n")
    out = _pytest(tmp_path, "-m", "not integration")
    assert "2 passed, 1 deselected" in out
    out = _pytest(tmp_path)
    assert [line.split("): ")[-1] for line in out.splitlines() if LINE in line] == ["1 passed"]
