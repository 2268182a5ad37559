"""The CI templates in examples/ run as written (issue 46.4: they use the repository mode): their own shell steps,
taken from the YAML, run in a git repository of two stacks against the real local stack and a local stand-in for
GitHub's, Gitea's or GitLab's API (tests/unit/ci/ci_forge_server.py). A pull request that touches one stack gets one
plan comment, for that stack only; after the merge the apply jobs apply exactly that stack. Steps that are actions
(`uses:`: checkout, setup-python, artifacts) and the `pip install` of kplan are the runner's: the working
directory stands for the checkout and its artifacts, and `kplan` on PATH for the install.

The runner below is deliberately small: it knows the expressions the templates use and fails on any other, so a
template that starts using one it does not know fails here instead of being run half-understood."""

from __future__ import annotations

import copy
import glob
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kplan.exiting import EXIT_USAGE

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "ci"))  # the forge stand-in's module
from ci_forge_server import GITHUB_REPO, GITLAB_PROJECT, ForgeServer  # noqa: E402
from kplan_helpers import base_stack, cleanup, forget_stack, wait_for, write_stack  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
STACK: list = []  # the local stack, for write()
TOKEN = "ghs_canaryTOKENtemplates0123456789"
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"git {' '.join(args)}: {out.stderr}"
    return out.stdout.strip()


@pytest.fixture
def repository(tmp_path, stack, unique, admin):
    """A clone (with `origin`) of a repository whose main branch has two one-file stacks, `<P>-a` and `<P>-b`, each
    with an environment `prod`; kplan on PATH. Yields (work tree, prefix, environment for the steps)."""
    prefix = unique("tmpl")
    STACK[:] = [stack]
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True, timeout=60)
    subprocess.run(["git", "clone", "-q", str(origin), str(work)], check=True, timeout=60, capture_output=True)
    git(work, "config", "user.email", "ci@example.com")
    git(work, "config", "user.name", "ci")
    (work / "stacks").mkdir()
    for s in ("a", "b"):
        write(work, s, prefix, ["one"])
    git(work, "add", "stacks")
    git(work, "commit", "-qm", "two stacks")
    git(work, "push", "-q", "origin", "main")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kplan").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m kplan "$@"\n')
    (bin_dir / "kplan").chmod(0o755)
    drop = ("GITHUB_", "GITLAB_", "CI_", "GH_", "KPLAN_GITLAB", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
    env = {**{k: v for k, v in os.environ.items() if not k.upper().startswith(drop) and k != "CI"},
           "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}
    try:
        yield work, prefix, env
    finally:
        cleanup(admin, stack.connect_url, prefix)
        for s in ("a", "b"):
            forget_stack(admin, stack.bootstrap_servers, f"{prefix}-{s}")


def write(work: Path, which: str, prefix: str, topics: list[str], partitions: int = 1) -> None:
    doc = base_stack(f"{prefix}-{which}", STACK[0])
    doc["environments"] = {"prod": {"defaults": {"topic": {"config": {"retention.ms": "1d"}}}}}
    doc["topics"] = [{"name": f"{prefix}.{which}.{t}", "partitions": partitions, "replication_factor": 1}
                     for t in topics]
    write_stack(work / "stacks" / f"{which}.yaml", doc)


def fresh(work: Path) -> None:
    """A new job's checkout: nothing an earlier job left (an artifact is handed on by not calling this)."""
    git(work, "clean", "-fdxq")


def topics_of(admin, prefix: str) -> set[str]:
    return {t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix + ".")}


# -- GitHub Actions ------------------------------------------------------------------------------------------------


class GitHubJob:
    """One job of a workflow, its `run:` steps run in order with bash -e (GitHub's default shell), each with the
    workflow's, the job's and its own `env:` and `GITHUB_OUTPUT`/`GITHUB_STEP_SUMMARY` files."""

    def __init__(self, workflow: dict, name: str, work: Path, env: dict, values: dict):
        self.workflow, self.job, self.work, self.env, self.values = workflow, workflow["jobs"][name], work, env, values
        self.outputs: dict[str, dict[str, str]] = {}
        self.summary = work / f".summary-{name}.md"
        self.summary.write_text("")
        self.ran: list[str] = []

    def expr(self, text: str) -> str:
        def one(m: re.Match) -> str:
            e = m.group(1)
            if e in self.values:
                return self.values[e]
            if m2 := re.fullmatch(r"steps\.(\w+)\.outputs\.([\w-]+)", e):
                return self.outputs.get(m2.group(1), {}).get(m2.group(2), "")
            if m2 := re.fullmatch(r"secrets\.(\w+)", e):
                return TOKEN if m2.group(1) in ("GITHUB_TOKEN", "GITEA_TOKEN") else ""
            pytest.fail(f"the template uses an expression this runner does not know: {e}")
        return EXPR.sub(one, text)

    def condition(self, cond: str) -> bool:
        cond = EXPR.sub(lambda m: m.group(1), cond).strip()
        if m := re.fullmatch(r"hashFiles\('([^']+)'\) != ''", cond):
            return bool(glob.glob(str(self.work / m.group(1))))
        if m := re.fullmatch(r"steps\.(\w+)\.outputs\.([\w-]+) == '(\w+)'", cond):
            return self.outputs.get(m.group(1), {}).get(m.group(2)) == m.group(3)
        if m := re.fullmatch(r"needs\.(\w+)\.outputs\.([\w-]+) == '(\w+)'", cond):
            return self.values.get(f"needs.{m.group(1)}.outputs.{m.group(2)}") == m.group(3)
        if (m := re.fullmatch(r"([\w.]+) == ([\w.]+)", cond)) and {m.group(1), m.group(2)} <= self.values.keys():
            return self.values[m.group(1)] == self.values[m.group(2)]
        pytest.fail(f"the template uses a condition this runner does not know: {cond}")

    def run(self) -> int:
        """Runs the job's steps; the exit status of the first failing step (0 when all pass)."""
        if "if" in self.job and not self.condition(self.job["if"]):
            return 0
        for i, step in enumerate(self.job["steps"]):
            if "uses" in step or ("run" in step and "pip install" in step["run"]):
                continue
            if "if" in step and not self.condition(step["if"]):
                continue
            env = {**self.env, **{k: self.expr(str(v)) for scope in (self.workflow, self.job, step)
                                  for k, v in (scope.get("env") or {}).items()}}
            output = self.work / f".output-{i}"
            output.write_text("")
            env.update(GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(self.summary))
            script = self.work / f".step-{i}.sh"
            script.write_text(self.expr(step["run"]))
            done = subprocess.run(["bash", "-e", str(script)], cwd=self.work, env=env, capture_output=True,
                                  text=True, timeout=300, stdin=subprocess.DEVNULL)
            self.ran.append(f"{step.get('name')}: exit {done.returncode}\n{done.stdout}{done.stderr}")
            if "id" in step:
                self.outputs[step["id"]] = dict(line.split("=", 1) for line in output.read_text().splitlines()
                                                if "=" in line)
            if done.returncode != 0:
                return done.returncode
        return 0

    def job_outputs(self) -> dict[str, str]:
        return {k: self.expr(str(v)) for k, v in (self.job.get("outputs") or {}).items()}


def github_env(env: dict, srv: ForgeServer, work: Path, number: int) -> dict:
    event = work / ".event.json"
    event.write_text(json.dumps({"pull_request": {"number": number, "head": {"sha": git(work, "rev-parse", "HEAD")}}}))
    return {**env, "GITHUB_ACTIONS": "true", "GITHUB_API_URL": srv.url, "GITHUB_REPOSITORY": GITHUB_REPO,
            "GITHUB_EVENT_PATH": str(event), "GITHUB_EVENT_NAME": "pull_request", "GITHUB_SHA": git(work, "rev-parse",
                                                                                                   "HEAD")}


def load(name: str, typo: bool = False) -> dict:
    """A template; with `typo`, its `kplan plan` commands mistyped as in issue 67.1 (`--detailed-exitcod`)."""
    text = (ROOT / "examples" / name).read_text()
    if typo:
        assert "--detailed-exitcode" in text
        text = text.replace("--detailed-exitcode", "--detailed-exitcod")
    return yaml.safe_load(text)


SAME_REPO = {"github.base_ref": "main", "vars.KPLAN_PACKAGE": "kplan", "github.repository": GITHUB_REPO,
             "github.event.pull_request.head.repo.full_name": GITHUB_REPO}  # not a fork's pull request


def test_the_github_workflows_plan_comment_and_apply_only_the_stacks_a_change_touches(repository, admin):
    work, prefix, env = repository
    with ForgeServer("github", TOKEN) as srv:
        # a pull request that adds a topic to stack a and leaves b alone
        git(work, "checkout", "-q", "-b", "grow-a")
        write(work, "a", prefix, ["one", "two"])
        git(work, "commit", "-qam", "a: one more topic")
        git(work, "push", "-q", "origin", "grow-a")
        fresh(work)
        job = GitHubJob(load("github/kplan-plan.yml"), "plan", work, github_env(env, srv, work, 7),
                        SAME_REPO)
        assert job.run() == 0, "\n".join(job.ran)
        assert (work / "changed.txt").read_text().split() == ["stacks/a.yaml"]
        [comment] = srv.state.comments[7]  # one comment: the touched stack's
        assert comment["body"].startswith(f"<!-- kplan-plan stack={prefix}-a env=prod -->"), comment["body"][:200]
        assert f"{prefix}.a.two" in comment["body"] and f"{prefix}.b." not in comment["body"]
        assert "retention.ms" in comment["body"]  # planned with the template's environment overlay
        assert [p.name for p in (work / "pages").iterdir()] == [f"{prefix}-a.html"]
        assert f"{prefix}.a.two" in job.summary.read_text()

        # a second push touches b too (two comments), a third takes that back: b's comment says so
        for change, comments in ((["one", "two"], 2), (["one"], 2)):
            write(work, "b", prefix, change)
            git(work, "commit", "-qam", f"b: {change}")
            fresh(work)
            again = GitHubJob(load("github/kplan-plan.yml"), "plan", work, github_env(env, srv, work, 7),
                              SAME_REPO)
            assert again.run() == 0, "\n".join(again.ran)
            assert len(srv.state.comments[7]) == comments
        b_comment = next(c["body"] for c in srv.state.comments[7] if f"stack={prefix}-b " in c["body"].split("\n")[0])
        assert "not planned any more" in b_comment.split("\n")[1] and f"{prefix}.b.two" not in b_comment
        assert f"{prefix}.a.two" in srv.state.comments[7][0]["body"]  # a's plan, updated in place

        # a second pull request breaks stack b: its comment says why, and the job fails
        git(work, "checkout", "-q", "main")
        git(work, "checkout", "-q", "-b", "break-b")
        write(work, "b", prefix, ["one"], partitions=0)
        git(work, "commit", "-qam", "b: zero partitions")
        fresh(work)
        broken = GitHubJob(load("github/kplan-plan.yml"), "plan", work, github_env(env, srv, work, 8),
                           SAME_REPO)
        assert broken.run() == 1, "\n".join(broken.ran)
        [failed] = srv.state.comments[8]
        assert failed["body"].startswith(f"<!-- kplan-plan stack={prefix}-b env=prod -->")
        assert "b.yaml" in failed["body"] and "partitions" in failed["body"]
        # the same pull request from a fork: no job runs, so none gets the cluster's secrets
        fork = GitHubJob(load("github/kplan-plan.yml"), "plan", work, github_env(env, srv, work, 9),
                         {**SAME_REPO, "github.event.pull_request.head.repo.full_name": "someone/kafka-stacks"})
        assert fork.run() == 0 and fork.ran == [] and 9 not in srv.state.comments
        assert srv.state.problems == []

    # grow-a merged: the apply workflow applies stack a alone, from its saved plan
    git(work, "checkout", "-q", "main")
    before = git(work, "rev-parse", "HEAD")
    git(work, "merge", "-q", "--ff-only", "grow-a")
    values = {"github.event.before": before, "vars.KPLAN_PACKAGE": "kplan"}
    fresh(work)
    plan = GitHubJob(load("github/kplan-apply.yml"), "plan", work, env, values)
    assert plan.run() == 0, "\n".join(plan.ran)
    assert [p.name for p in (work / "plans").glob("*.plan")] == ["stacks_a.yaml.plan"]
    assert f"{prefix}.a.two" in plan.summary.read_text()
    apply = GitHubJob(load("github/kplan-apply.yml"), "apply", work, env,
                      {**values, **{f"needs.plan.outputs.{k}": v for k, v in plan.job_outputs().items()}})
    assert apply.run() == 0, "\n".join(apply.ran)
    wait_for(lambda: topics_of(admin, prefix) == {f"{prefix}.a.one", f"{prefix}.a.two"}, timeout=30,
             what="stack a's two topics, and none of stack b's")

    # a push that changes no stack's resources: nothing planned to apply, the apply job does not run
    before = git(work, "rev-parse", "HEAD")
    (work / "README.md").write_text("docs\n")
    git(work, "add", "README.md")
    git(work, "commit", "-qm", "docs")
    fresh(work)
    again = GitHubJob(load("github/kplan-apply.yml"), "plan", work, env,
                      {"github.event.before": before, "vars.KPLAN_PACKAGE": "kplan"})
    assert again.run() == 0, "\n".join(again.ran)
    assert again.job_outputs() == {"changes": "false"}


# -- GitLab CI -----------------------------------------------------------------------------------------------------


def gitlab_job(pipeline: dict, name: str, work: Path, env: dict,
               scheduled: dict | None = None) -> subprocess.CompletedProcess:
    """A job's `script:` in one bash session with errexit and pipefail, as GitLab's shell runner runs it, with the
    pipeline's `variables:`, the predefined ones in `env`, and a pipeline schedule's variables (`scheduled`), which
    take precedence over the pipeline's."""
    job = pipeline[name]
    script = "set -eo pipefail\n" + "\n".join(job["script"]) + "\n"
    path = work / f".{name}.sh"
    path.write_text(script)
    variables = {k: str(v) for k, v in (pipeline.get("variables") or {}).items()}
    return subprocess.run(["bash", str(path)], cwd=work, env={**env, **variables, **(scheduled or {})},
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


def test_the_gitlab_pipeline_plans_notes_and_applies_only_the_stacks_a_change_touches(repository, admin):
    work, prefix, env = repository
    pipeline = yaml.safe_load((ROOT / "examples" / "gitlab" / ".gitlab-ci.yml").read_text())
    base = git(work, "rev-parse", "HEAD")
    git(work, "checkout", "-q", "-b", "grow-b")
    write(work, "b", prefix, ["one", "two"])
    git(work, "commit", "-qam", "b: one more topic")
    fresh(work)
    with ForgeServer("gitlab", TOKEN) as srv:
        gl = {**env, "GITLAB_CI": "true", "CI_API_V4_URL": srv.url, "CI_PROJECT_ID": GITLAB_PROJECT,
              "CI_MERGE_REQUEST_IID": "3", "KPLAN_GITLAB_TOKEN": TOKEN, "CI_COMMIT_SHA": git(work, "rev-parse", "HEAD"),
              "CI_MERGE_REQUEST_DIFF_BASE_SHA": base, "CI_JOB_URL": "https://gl.example/acme/stacks/-/jobs/11"}
        mr = gitlab_job(pipeline, "kplan-plan-mr", work, gl)
        assert mr.returncode == 0, mr.stdout + mr.stderr
        [note] = srv.state.comments[3]
        assert note["body"].startswith(f"<!-- kplan-plan stack={prefix}-b env=prod -->")
        assert f"{prefix}.b.two" in note["body"] and f"{prefix}.a." not in note["body"]
        assert [p.name for p in (work / "pages").iterdir()] == [f"{prefix}-b.html"]
        assert srv.state.problems == []

    git(work, "checkout", "-q", "main")
    git(work, "merge", "-q", "--ff-only", "grow-b")
    pushed = {**env, "CI_COMMIT_BEFORE_SHA": base}
    fresh(work)
    planned = gitlab_job(pipeline, "kplan-plan-main", work, pushed)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert sorted(p.name for p in (work / "plans").iterdir()) == ["stacks_b.yaml.html", "stacks_b.yaml.md",
                                                                 "stacks_b.yaml.plan"]
    applied = gitlab_job(pipeline, "kplan-apply", work, pushed)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    wait_for(lambda: topics_of(admin, prefix) == {f"{prefix}.b.one", f"{prefix}.b.two"}, timeout=30,
             what="stack b's two topics, and none of stack a's")


# -- A mistyped kplan command (issue 67.1) -------------------------------------------------------------------------


def template_jobs(platform: str, work: Path, env: dict, srv: ForgeServer, number: int):
    """The platform's review job (pull / merge request `number`) and drift job (of stacks/a.yaml, environment prod),
    each a function (typo) -> (exit status, output) running the template as written or mistyped."""
    sha = git(work, "rev-parse", "HEAD")
    if platform in ("github", "gitea"):  # Gitea Actions runs GitHub's syntax, with GITEA_ACTIONS=true
        def run(name: str, job: str, typo: bool, job_env: dict, values: dict) -> tuple[int, str]:
            done = GitHubJob(load(f"{platform}/{name}", typo), job, work, job_env,
                             {"vars.KPLAN_PACKAGE": "kplan", "github.repository": GITHUB_REPO, **values})
            return done.run(), "\n".join(done.ran)

        runner = {"GITEA_ACTIONS": "true"} if platform == "gitea" else {}
        scheduled = {**env, **runner, "GITHUB_ACTIONS": "true", "GITHUB_API_URL": srv.url,
                     "GITHUB_REPOSITORY": GITHUB_REPO, "GITHUB_EVENT_NAME": "schedule", "GITHUB_SHA": sha}
        return (lambda typo: run("kplan-plan.yml", "plan", typo, {**github_env(env, srv, work, number), **runner},
                                 {"github.base_ref": "main",
                                  "github.event.pull_request.head.repo.full_name": GITHUB_REPO}),
                lambda typo: run("kplan-drift.yml", "drift", typo, scheduled,
                                 {"matrix.stack": "stacks/a.yaml", "matrix.environment": "prod"}))

    gl = {**env, "GITLAB_CI": "true", "CI_API_V4_URL": srv.url, "CI_PROJECT_ID": GITLAB_PROJECT,
          "KPLAN_GITLAB_TOKEN": TOKEN, "CI_COMMIT_SHA": sha}
    base = git(work, "merge-base", "main", "HEAD")
    merge_request = {**gl, "CI_MERGE_REQUEST_IID": str(number), "CI_MERGE_REQUEST_DIFF_BASE_SHA": base,
                     "CI_JOB_URL": "https://gl.example/acme/stacks/-/jobs/12"}

    def run_gitlab(job: str, typo: bool, job_env: dict, scheduled: dict | None = None) -> tuple[int, str]:
        done = gitlab_job(load("gitlab/.gitlab-ci.yml", typo), job, work, job_env, scheduled)
        return done.returncode, done.stdout + done.stderr

    return (lambda typo: run_gitlab("kplan-plan-mr", typo, merge_request),
            lambda typo: run_gitlab("kplan-drift", typo, gl, {"STACK": "stacks/a.yaml"}))


@pytest.mark.parametrize("platform", ["github", "gitea", "gitlab"])
def test_a_mistyped_kplan_command_fails_the_job_with_the_usage_code_never_taken_for_changes_or_drift(
        repository, platform):
    """`--detailed-exitcode` mistyped in the templates' `kplan plan`: the review job fails (it passed as a plan with
    changes while usage errors exited 2) and posts nothing; the drift job fails with kplan's code and leaves the
    drift issue alone (it went into its drift branch and failed there, on an empty plan). The same templates as
    written: stack a, never applied, is drift (an issue, exit 2), applied it is not (the issue closed)."""
    work, prefix, env = repository
    git(work, "checkout", "-q", "-b", "grow-a")  # a change to stack a: its plan has changes
    write(work, "a", prefix, ["one", "two"])
    git(work, "commit", "-qam", "a: one more topic")
    fresh(work)
    with ForgeServer(platform, TOKEN) as srv:
        review, _ = template_jobs(platform, work, env, srv, 9)
        code, out = review(True)
        assert code == EXIT_USAGE and "No such option '--detailed-exitcod'" in out, out
        assert srv.state.comments == {} and srv.state.issues == []

        git(work, "checkout", "-q", "main")  # the schedule runs on main, whose stack a was never applied
        fresh(work)
        _, drift = template_jobs(platform, work, env, srv, 9)
        code, out = drift(True)
        assert code == EXIT_USAGE and "No such option '--detailed-exitcod'" in out, out
        assert "the plan is empty" not in out and srv.state.issues == [], out  # kplan ci drift-issue never ran
        code, out = drift(False)
        assert code == 2 and f"{prefix}.a.one" in out, out
        [issue] = srv.state.issues
        assert issue["title"] == f"kplan: drift in stack {prefix}-a (prod)", issue
        assert issue["state"] in ("open", "opened"), issue  # GitHub's word, GitLab's
        seen = copy.deepcopy(srv.state.issues)
        code, out = drift(True)
        assert code == EXIT_USAGE and srv.state.issues == seen, out  # the open issue neither updated nor closed

        applied = subprocess.run(["kplan", "apply", "stacks/a.yaml", "-e", "prod", "--auto-approve"], cwd=work,
                                 env=env, capture_output=True, text=True, timeout=300)
        assert applied.returncode == 0, applied.stdout + applied.stderr
        code, out = drift(False)
        assert code == 0 and srv.state.issues[0]["state"] == "closed", out
        assert srv.state.problems == []
