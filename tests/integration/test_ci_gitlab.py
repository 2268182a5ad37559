"""examples/gitlab/.gitlab-ci.yml run by a real runner, gitlab-ci-local in shell mode (dev/localstack/runners.py),
against the real local Kafka stack: a merge request's plan job (`kplan-plan-mr`), then, after the merge, the default
branch's plan job and the apply job (`kplan-plan-main`, `kplan-apply`, its saved plans handed on as the job's
`needs:` artifacts). No GitLab server runs here: the notes go to the stand-in of GitLab's API
(tests/unit/ci/ci_forge_server.py), read back from it. kplan is installed as the template installs it, `pip install
"$KPLAN_PACKAGE"` (its wheel; its dependencies as the package index serves them, from beside it: gitea_flow's
`wheel_fixture`), into a virtualenv first on the runner's
PATH (a shell runner's own Python). The cluster is read with Kafka's admin client, not kplan."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gitea_flow import pip_env, stack_file, wheel_fixture
from kplan_helpers import forget_stack, kplan

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "ci"))  # the forge stand-in's module
from ci_forge_server import GITLAB_PROJECT, ForgeServer  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "glpat-canaryTOKENgitlab0123456789"
STACKS = ("shop", "other")  # the template's drift job names stacks/shop.yaml
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@kplan.invalid", "-c", "init.defaultBranch=main"]

wheel = wheel_fixture()


def git(work: Path, *args: str) -> str:
    done = subprocess.run([*GIT, *args], cwd=work, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


@pytest.fixture
def project(tmp_path, stack, admin, unique):
    """A checkout of a project whose `main` (pushed to `origin`, a bare repository beside it) holds the template as
    its .gitlab-ci.yml and two one-file stacks, applied; yields (checkout, prefix, bootstrap servers)."""
    prefix = unique("glci")
    subprocess.run([*GIT, "init", "-q", "--bare", str(tmp_path / "p.git")], check=True, timeout=60)
    work = tmp_path / "p"
    (work / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "gitlab" / ".gitlab-ci.yml", work / ".gitlab-ci.yml")
    (work / ".gitignore").write_text(".gitlab-ci-local/\n")
    for s in STACKS:
        (work / "stacks" / f"{s}.yaml").write_text(stack_file(prefix, s, ["one"], stack.bootstrap_servers))
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "two stacks"], ["remote", "add", "origin",
                 "../p.git"], ["push", "-q", "origin", "main"], ["fetch", "-q", "origin"],
                 ["remote", "set-head", "origin", "main"]):
        git(work, *args)
    try:
        for s in STACKS:
            done = kplan("apply", f"stacks/{s}.yaml", "-e", "prod", "--auto-approve", cwd=work)
            assert done.code == 0, done.text
        yield work, prefix, stack.bootstrap_servers
    finally:
        for t in [t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix + ".")]:
            admin.delete_topics([t])[t].result(30)
        for s in STACKS:
            forget_stack(admin, stack.bootstrap_servers, f"{prefix}-{s}")


@pytest.fixture(scope="module")
def runner_path(tmp_path_factory) -> str:
    """The shell runner's PATH: a virtualenv of this host's Python first (where the jobs' `pip install` goes), then
    the system's directories, none of this test's virtualenv."""
    venv = tmp_path_factory.mktemp("runner") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    system = [d for d in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)
              if d and not (Path(d).parent / "pyvenv.cfg").exists()]
    return os.pathsep.join([str(venv / "bin"), *system])


def topics(admin, prefix: str) -> set[str]:
    return {t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix + ".")}


def test_the_gitlab_template_plans_a_merge_request_then_applies_after_the_merge(project, admin, wheel, runner_path,
                                                                                gitlab_ci_local):
    work, prefix, bootstrap = project
    base = git(work, "rev-parse", "HEAD")
    git(work, "checkout", "-q", "-b", "grow-shop")
    (work / "stacks" / "shop.yaml").write_text(stack_file(prefix, "shop", ["one", "two"], bootstrap))
    git(work, "commit", "-q", "-am", "shop: one more topic")
    before = {f"{prefix}.{s}.one" for s in STACKS}
    env = {"PATH": runner_path, "HOME": os.environ.get("HOME", "/root"), **pip_env(wheel)}
    common = {"KPLAN_PACKAGE": str(wheel), "GITLAB_CI": "true"}

    with ForgeServer("gitlab", TOKEN) as srv:
        mr = gitlab_ci_local(work, "kplan-plan-mr", {
            **common, "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "3",
            "CI_MERGE_REQUEST_DIFF_BASE_SHA": base, "CI_API_V4_URL": srv.url, "CI_PROJECT_ID": GITLAB_PROJECT,
            "KPLAN_GITLAB_TOKEN": TOKEN}, env=env)
        assert mr.returncode == 0, (mr.stdout + mr.stderr)[-6000:]
        [note] = srv.state.comments[3]  # one note: the stack the merge request touches
        assert note["body"].startswith(f"<!-- kplan-plan stack={prefix}-shop env=prod -->\n### kplan plan"), note
        assert f"{prefix}.shop.two" in note["body"] and f"{prefix}.other" not in note["body"]
        assert srv.state.problems == []
    assert TOKEN not in mr.stdout + mr.stderr
    assert topics(admin, prefix) == before  # planned, not applied

    git(work, "checkout", "-q", "main")
    git(work, "merge", "-q", "--ff-only", "grow-shop")
    pushed = {**common, "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BEFORE_SHA": base}
    run = gitlab_ci_local(work, "kplan-apply", pushed, options=["--needs"], env=env)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:]
    applied = "Apply complete! Resources: 1 added, 0 changed, 0 destroyed."
    assert "kplan-plan-main" in out and applied in out, out[-4000:]
    assert topics(admin, prefix) == before | {f"{prefix}.shop.two"}  # exactly the merged change

