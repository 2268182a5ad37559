"""The real runners the CI examples are run by (dev/localstack/runners.py): act runs a pull_request workflow on this
host with a real pull request's event from the local forge, its `actions/*` replaced by the stand-ins of
dev/actions/ (the checkout fetches the pull request's head from the forge; the job's token posts a comment there);
gitlab-ci-local runs a merge request job of a .gitlab-ci.yml in shell mode, its exit status the job's.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from localstack import runners

ROOT = Path(__file__).resolve().parents[2]

WORKFLOW = """\
name: smoke
on:
  pull_request:
jobs:
  look:
    runs-on: ubuntu-latest
    env:
      PASSWORD: ${{ secrets.SMOKE_PASSWORD }}
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        id: py
        with:
          python-version: "3.12"
      - name: what the job sees
        env:
          BASE_REF: ${{ github.base_ref }}
          NUMBER: ${{ github.event.pull_request.number }}
          HEAD_SHA: ${{ github.event.pull_request.head.sha }}
          TOKEN: ${{ secrets.GITHUB_TOKEN }}
          PY: ${{ steps.py.outputs.python-path }}
        run: |
          set -eu
          test "$(git rev-parse HEAD)" = "$HEAD_SHA"
          test "$(command -v python)" = "$PY"
          echo "password: $PASSWORD"
          changed="$(git diff --name-only "origin/$BASE_REF...HEAD" | tr '\\n' ' ')"
          body="$(python -c 'import json, sys; print(json.dumps({"body": sys.argv[1]}))' \\
            "pr $NUMBER of $GITHUB_REPOSITORY from $GITHUB_SERVER_URL changes: $changed")"
          curl -sf -X POST -H "Authorization: token $TOKEN" -H 'Content-Type: application/json' \\
            -d "$body" "$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/issues/$NUMBER/comments" > /dev/null
      - uses: actions/upload-artifact@v4
        with:
          name: seen
          path: stacks/
"""


def test_act_runs_a_pull_request_workflow_against_the_forge(forge, tmp_path):
    repo = forge.create_repo(files={"stacks/a.yaml": "a: 1\n", "stacks/b.yaml": "b: 1\n"})
    forge.push(repo, "change-b", {"stacks/b.yaml": "b: 2\n"})
    number = forge.open_pr(repo, "change-b")["number"]
    workflow = tmp_path / "smoke.yml"
    workflow.write_text(WORKFLOW)
    secret = "kplan-smoke-not-to-be-seen"

    run = forge.act(workflow, repo, number, tmp_path / "work", secrets={"SMOKE_PASSWORD": secret})

    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert [c["body"] for c in forge.comments(repo, number)] == \
        [f"pr {number} of {repo.full_name} from {forge.url} changes: stacks/b.yaml "]
    assert secret not in out and "password: ***" in out
    assert (tmp_path / "artifacts" / "seen" / "b.yaml").read_text() == "b: 2\n"


def test_act_fails_a_job_whose_step_fails(forge, tmp_path):
    repo = forge.create_repo(files={"a.txt": "a\n"})
    forge.push(repo, "change", {"a.txt": "b\n"})
    number = forge.open_pr(repo, "change")["number"]
    workflow = tmp_path / "fail.yml"
    workflow.write_text("on: pull_request\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
                        "      - run: exit 3\n")
    run = forge.act(workflow, repo, number, tmp_path / "work")
    assert run.returncode == 1, run.stdout[-2000:]
    assert "Failure - Main exit 3" in run.stdout and "Job 'j' failed" in run.stderr, run.stdout[-2000:]


def _project(path: Path, ci: str, change: dict[str, str] | None = None) -> Path:
    """A checkout of a project whose `main` (at origin, a bare repository beside it) holds `ci` as its
    .gitlab-ci.yml; with `change`, on a branch `mr`: those files changed (what `rules: changes:` is judged on)."""
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@kplan.invalid", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q", "--bare", str(path.with_suffix(".git"))], check=True)
    path.mkdir()
    (path / ".gitlab-ci.yml").write_text(ci)
    steps = [["init", "-q"], ["add", "."], ["commit", "-q", "-m", "ci"], ["remote", "add", "origin", "../p.git"],
             ["push", "-q", "origin", "main"], ["fetch", "-q", "origin"], ["remote", "set-head", "origin", "main"]]
    for args in steps:
        subprocess.run([*git, *args], cwd=path, check=True)
    if change:
        for name, text in change.items():
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            (path / name).write_text(text)
        for args in (["checkout", "-q", "-b", "mr"], ["add", "."], ["commit", "-q", "-m", "change"]):
            subprocess.run([*git, *args], cwd=path, check=True)
    return path


def test_gitlab_ci_local_runs_a_merge_request_job_in_shell_mode(gitlab_ci_local, tmp_path):
    ci = """\
default:
  image: python:3.12-slim
job:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  script:
    - echo "source=$CI_PIPELINE_SOURCE iid=$CI_MERGE_REQUEST_IID" > seen.txt
    - test "$WANTED" = yes
"""
    project = _project(tmp_path / "p", ci)
    ok = gitlab_ci_local(project, "job", {"CI_PIPELINE_SOURCE": "merge_request_event",
                                          "CI_MERGE_REQUEST_IID": "7", "WANTED": "yes"})
    assert ok.returncode == 0, ok.stdout[-3000:] + ok.stderr[-2000:]
    assert (project / "seen.txt").read_text() == "source=merge_request_event iid=7\n"
    failed = gitlab_ci_local(project, "job", {"CI_PIPELINE_SOURCE": "merge_request_event", "WANTED": "no"})
    assert failed.returncode != 0, failed.stdout[-3000:]


def test_gitlab_ci_local_reads_the_gitlab_template(gitlab_ci_local, tmp_path):
    """examples/gitlab's template as gitlab-ci-local sees it in a merge request pipeline that changes a stack: its
    merge request job alone (the others' rules want a push to the default branch or a schedule)."""
    project = _project(tmp_path / "p", (ROOT / "examples" / "gitlab" / ".gitlab-ci.yml").read_text(),
                       {"stacks/shop.yaml": "stack: shop\n"})
    listed = subprocess.run([*runners.gitlab_ci_local(), "--list", "--no-color", "--variable",
                             "CI_PIPELINE_SOURCE=merge_request_event"], cwd=project, capture_output=True, text=True,
                            timeout=120)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    table = listed.stdout.split("\nname ", 1)[1].splitlines()[1:]
    assert [line.split()[:3] for line in table if line.strip()] == [["kplan-plan-mr", "plan", "on_success"]], \
        listed.stdout
