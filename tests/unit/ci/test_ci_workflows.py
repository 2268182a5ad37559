"""The workflow templates in examples/ are checked by real linters: check-jsonschema (from the test extra) with
its vendored SchemaStore schemas for GitHub Actions and GitLab CI, and actionlint for GitHub Actions, built from
its Go module once into .ci-tools/ (gitignored). A linter that cannot be had fails the test: it never skips.
Each linter is also shown a broken copy, so a lint test that passes means something."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.tools  # check-jsonschema and actionlint (built with Go once)

ROOT = Path(__file__).resolve().parents[3]
GITHUB = sorted((ROOT / "examples" / "github").glob("*.yml"))
GITEA = sorted((ROOT / "examples" / "gitea").glob("*.yml"))  # GitHub's workflow syntax, run by Gitea Actions
GITLAB = [ROOT / "examples" / "gitlab" / ".gitlab-ci.yml"]
ACTIONLINT_VERSION = "v1.7.7"
TOOLS = ROOT / ".ci-tools" / "bin"


def check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess:
    try:
        import check_jsonschema  # noqa: F401
    except ImportError:
        pytest.fail("check-jsonschema is not installed: pip install -e '.[test]'")
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="session")
def actionlint() -> Path:
    """actionlint, built once from the Go module proxy (`go install`), kept in .ci-tools/bin."""
    binary = TOOLS / f"actionlint-{ACTIONLINT_VERSION}"
    if binary.exists():
        return binary
    go = shutil.which("go")
    if go is None:
        pytest.fail("actionlint is needed and Go is not installed to build it (apt-get install golang-go)")
    TOOLS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=TOOLS) as gobin:
        built = subprocess.run([go, "install", f"github.com/rhysd/actionlint/cmd/actionlint@{ACTIONLINT_VERSION}"],
                               env={**os.environ, "GOBIN": gobin},
                               capture_output=True, text=True, timeout=600)
        if built.returncode != 0:
            pytest.fail(f"could not build actionlint {ACTIONLINT_VERSION}: {built.stderr.strip()[-2000:]}")
        os.replace(Path(gobin) / "actionlint", binary)
    return binary


def test_the_examples_are_there():
    names = ["kplan-apply.yml", "kplan-drift.yml", "kplan-plan.yml", "kplan-pr-apply.yml", "kplan-pr-closed.yml",
             "kplan-pr-plan.yml"]
    assert [p.name for p in GITHUB] == names and [p.name for p in GITEA] == names
    assert GITLAB[0].is_file()


def test_github_workflows_match_the_schema():
    out = check_jsonschema("vendor.github-workflows", *GITHUB, *GITEA)
    assert out.returncode == 0, out.stdout + out.stderr


def test_gitlab_ci_matches_the_schema():
    out = check_jsonschema("vendor.gitlab-ci", *GITLAB)
    assert out.returncode == 0, out.stdout + out.stderr


def test_github_workflows_pass_actionlint(actionlint):
    out = subprocess.run([str(actionlint), "-no-color", *map(str, GITHUB + GITEA)], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def _broken(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text()
    assert old in text
    path = tmp_path / source.name
    path.write_text(text.replace(old, new, 1))
    return path


def test_a_broken_github_workflow_fails_the_schema(tmp_path):
    bad = _broken(tmp_path, ROOT / "examples/github/kplan-plan.yml", "pull_request:", "pull_requests:")
    out = check_jsonschema("vendor.github-workflows", bad)
    assert out.returncode == 1 and "$.on" in out.stdout


def test_a_broken_gitlab_ci_fails_the_schema(tmp_path):
    bad = _broken(tmp_path, GITLAB[0], "when: manual", "when: sometimes")
    out = check_jsonschema("vendor.gitlab-ci", bad)
    assert out.returncode == 1 and "kplan-apply" in out.stdout


@pytest.mark.parametrize("old, new, words", [
    ("pull_request:", "pull_requests:", 'unknown Webhook event "pull_requests"'),
    # valid for the schema, caught by actionlint alone: a step that does not exist
    ("${{ steps.plan.outputs.code }}", "${{ steps.plans.outputs.code }}", 'property "plans" is not defined'),
])
def test_a_broken_github_workflow_fails_actionlint(actionlint, tmp_path, old, new, words):
    bad = _broken(tmp_path, ROOT / "examples/github/kplan-plan.yml", old, new)
    out = subprocess.run([str(actionlint), "-no-color", str(bad)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and words in out.stdout, out.stdout + out.stderr
