"""The `kplan-validate` pre-commit hook (.pre-commit-hooks.yaml), run by real pre-commit (from the test extra)
against a sample repository: pre-commit installs kplan from this checkout into its own virtualenv and runs the
hook on the files given, as it would on a commit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.tools  # pre-commit builds a virtualenv and pip-installs kplan

ROOT = Path(__file__).resolve().parents[2]
BROKEN = "stack: bad\ncluster: {bootstrap_servers: 127.0.0.1:9092}\ntopics:\n  - name: orders\n    partitions: many\n"


def _env(home: Path) -> dict:
    """pre-commit's environment: its own cache, and no PYTHONPATH entry that holds this checkout's `kplan` (the
    hook must run the kplan pre-commit installed, not the source tree)."""
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and not (Path(p) / "kplan").is_dir()]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "GIT_"))}
    env.update(PYTHONPATH=os.pathsep.join(paths), PRE_COMMIT_HOME=str(home), GIT_AUTHOR_NAME="t",
               GIT_AUTHOR_EMAIL="t@example.invalid", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid")
    return env


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        pytest.fail("pre-commit is not installed: pip install -e '.[test]'")
    repo = tmp_path_factory.mktemp("sample")
    (repo / "stacks").mkdir()
    (repo / "stacks" / "good.yaml").write_text((ROOT / "stacks" / "request-response.yaml").read_text())
    (repo / "stacks" / "bad.yaml").write_text(BROKEN)
    (repo / "README.md").write_text("not a stack\n")
    env = _env(tmp_path_factory.mktemp("pre-commit-home"))
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    return repo, env


def try_repo(sample, *files: str) -> subprocess.CompletedProcess:
    repo, env = sample
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "kplan-validate",
                           "--files", *files], cwd=repo, env=env, capture_output=True, text=True, timeout=600)


def test_the_manifest_is_valid(sample):
    _, env = sample
    manifest = str(ROOT / ".pre-commit-hooks.yaml")
    out = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest", manifest],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_valid_stack_passes(sample):
    out = try_repo(sample, "stacks/good.yaml", "README.md")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "kplan validate" in out.stdout and "Passed" in out.stdout


def test_a_broken_stack_fails_with_kplans_located_error(sample):
    out = try_repo(sample, "stacks/good.yaml", "stacks/bad.yaml")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Failed" in out.stdout
    assert 'stacks/bad.yaml:5:17: topics[0].partitions: must be an integer (got string "many")' in out.stdout
    assert "stacks/bad.yaml: invalid (1 error)" in out.stdout
    assert "stacks/good.yaml: valid (3 topics, 0 connectors)" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr
