"""What the integration tests of kplan's pull request flow on the real forge (the `forge` fixture, Gitea) share: a
repository of one-file stacks on the forge and on the cluster, the commands its CI jobs run as those jobs run them
(the job's environment and event), and examples/gitea's workflows run by the real runner, act."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
import yaml
from kplan_helpers import forget_stack, kplan, wait_for

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
USER_PASSWORD = "kplan-dev-user-password"  # of the users the tests make (new_user)
DROP = ("GITHUB_", "GITEA_", "FORGEJO_", "GITLAB_", "CI_", "GH_", "KPLAN_GITLAB", "HTTP_PROXY", "HTTPS_PROXY")


# -- the repository: one-file stacks, each with an environment `prod` ------------------------------------------------


def stack_file(prefix: str, which: str, topics: list[str], bootstrap: str) -> str:
    doc = {"stack": f"{prefix}-{which}", "cluster": {"bootstrap_servers": bootstrap, "timeout": "20s"},
           "environments": {"prod": {}},
           "topics": [{"name": f"{prefix}.{which}.{t}", "partitions": 1, "replication_factor": 1} for t in topics]}
    return yaml.safe_dump(doc, sort_keys=False)


def job_env(forge, repository: str, token: str, event: dict, scratch: Path) -> dict:
    """What a Gitea Actions job's kplan sees: GitHub's variables, GITEA_ACTIONS, the event file (written in
    `scratch`), the token."""
    path = scratch / f"event-{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps(event))
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(DROP)}
    return {**env, "GITHUB_ACTIONS": "true", "GITEA_ACTIONS": "true", "GITHUB_SERVER_URL": forge.url,
            "GITHUB_API_URL": forge.api_url, "GITHUB_REPOSITORY": repository, "GITHUB_EVENT_PATH": str(path),
            "GITEA_TOKEN": token, "NO_COLOR": "1"}


class Repo:
    """A repository of the forge whose main branch has one-file stacks `stacks/<name>.yaml` (each with its topic
    `one`, applied to the cluster by `applied()`), and the helpers a test needs around it."""

    def __init__(self, forge, stack, admin, prefix: str, tmp: Path, stacks: tuple[str, ...]):
        self.forge, self.admin, self.prefix, self.tmp, self.stacks = forge, admin, prefix, tmp, stacks
        self.bootstrap = stack.bootstrap_servers
        self.repo = forge.create_repo(files={f"stacks/{s}.yaml": self.stack(s, ["one"]) for s in stacks})
        self.token = forge.tokens[forge.admin]  # the job's token: it posts the comments
        self.examples = "gitea"  # whose workflows `act` runs: examples/gitea, or examples/github (see act)

    def applied(self) -> "Repo":
        """main's stacks applied to the cluster (by kplan, as a merge before this one would have)."""
        work = self.checkout("main")
        for s in self.stacks:
            done = kplan("apply", f"stacks/{s}.yaml", "-e", "prod", "--auto-approve", cwd=work)
            assert done.code == 0, done.text
        return self

    def stack(self, which: str, topics: list[str]) -> str:
        return stack_file(self.prefix, which, topics, self.bootstrap)

    def topics(self) -> set[str]:
        """The stacks' topics on the cluster, as Kafka's admin client lists them."""
        return {t for t in self.admin.list_topics(timeout=10).topics if t.startswith(self.prefix + ".")}

    def locks(self) -> set[str]:
        """The stacks held by a pull request: their lock topics, as Kafka lists them."""
        mark = "__kplan_pr." + self.prefix + "-"
        return {t[len(mark):] for t in self.admin.list_topics(timeout=10).topics if t.startswith(mark)}

    def released(self) -> bool:
        """Until no lock is listed: a release deletes the lock topics and does not wait for the brokers' metadata
        to drop them (kplan.state.lock), so a read at once may still list one for a moment."""
        return wait_for(lambda: self.locks() == set(), 30, "the pull request's locks released")

    def push(self, branch: str, changes: dict[str, list[str]], base: str = "main") -> str:
        return self.forge.push(self.repo, branch, {f"stacks/{s}.yaml": self.stack(s, t) for s, t in changes.items()},
                               f"{branch}: {sorted(changes)}", base=base)

    def open_pr(self, branch: str) -> int:
        return self.forge.open_pr(self.repo, branch)["number"]

    def comments(self, number: int) -> list[dict]:
        return self.forge.comments(self.repo, number)

    def plan_comments(self, number: int) -> dict[str, dict]:
        """kplan's plan comments on the pull request, by stack (the marker's `stack=`)."""
        out = {}
        for c in self.comments(number):
            first = c["body"].lstrip().split("\n", 1)[0]
            if first.startswith("<!-- kplan-plan stack="):
                out[first.split("stack=")[1].split()[0].removeprefix(self.prefix + "-")] = c
        return out

    # -- the jobs' commands, as the workflows run them ------------------------------------------------------------

    def checkout(self, sha: str) -> Path:
        """A fresh clone at `sha`, with the base branch as origin/main (the checkout's fetch-depth: 0)."""
        work = self.tmp / f"checkout-{uuid.uuid4().hex[:6]}"
        url = f"{self.forge.url}/{self.repo.full_name}.git"
        header = f"http.extraHeader=Authorization: token {self.token}"
        for args in (["clone", "-q", url, str(work)], ["-C", str(work), "checkout", "-q", "--detach", sha]):
            done = subprocess.run(["git", "-c", header, *args], capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
        return work

    def job_env(self, event: dict) -> dict:
        return job_env(self.forge, self.repo.full_name, self.token, event, self.tmp)

    def plan(self, number: int) -> None:
        """kplan-pr-plan.yml's steps at the pull request's head: changed files, plan with --out-dir, comments."""
        event = self.forge.event(self.repo, number, "synchronized")
        work = self.checkout(event["pull_request"]["head"]["sha"])
        changed = subprocess.run(["git", "diff", "--name-only", "origin/main...HEAD"], cwd=work, capture_output=True,
                                 text=True, timeout=60, check=True).stdout
        (work / "changed.txt").write_text(changed)
        planned = kplan("plan", "--tree", "stacks", "--changed-files", "changed.txt", "-e", "prod", "--format",
                        "markdown", "--detailed-exitcode", "--out-dir", "plans", cwd=work)
        assert planned.code in (0, 2), planned.text
        (work / "plans.md").write_text(planned.out)
        posted = kplan("ci", "comment", "--mark-untouched", "-e", "prod", "--plans", "plans", "plans.md",
                       env=self.job_env(event), cwd=work)
        assert posted.code == 0, posted.text

    def planned(self, changes: dict[str, list[str]], *, approved: bool = True, branch: str = "grow-a") -> int:
        """A pull request of `changes` on `branch`, planned by the plan job (and approved by the reviewer), once
        Gitea has checked that it can be merged."""
        self.push(branch, changes)
        number = self.open_pr(branch)
        self.plan(number)
        if approved:
            self.forge.approve(self.repo, number)
        self.checked(number)
        return number

    def checked(self, number: int, mergeable: bool = True) -> None:
        """Wait until Gitea says whether the pull request can be merged, as expected. `mergeable` reads false while
        Gitea checks; after a push it is its answer for the old commits until Gitea starts checking again. So this
        waits for a pull request just opened (its first check), or once the forge shows a pushed head
        (`Forge.push` waits for it: Gitea marks the pull request as checking right after it moves the head); a
        push to the base proves nothing, and the gate does not ask the forge then (a plan older than the base)."""
        wait_for(lambda: self.forge.pull(self.repo, number)["mergeable"] is mergeable, timeout=60,
                 what=f"Gitea to find the pull request {'mergeable' if mergeable else 'in conflict'}")

    def ask(self, number: int, body: str = "kplan apply", user: str | None = None, options: tuple[str, ...] = (),
            apply_env: dict | None = None) -> tuple[int, dict]:
        """A comment on the pull request, then kplan-pr-apply.yml's two jobs as they run it: the check, and (when it
        passes) the apply in a checkout of the head it names, both with `options` (`--code-owners`), the apply with
        `apply_env` too. (the last exit status, the comment)."""
        user = user or self.forge.reviewer
        comment = self.forge.comment(self.repo, number, body, user)
        env = self.job_env(self.comment_event(number, comment, user))
        output = self.tmp / f"output-{uuid.uuid4().hex[:6]}"
        output.write_text("")
        check = kplan("ci", "apply", "--check", "-e", "prod", *options, env={**env, "GITHUB_OUTPUT": str(output)},
                      cwd=self.tmp)
        if check.code != 0:
            return check.code, comment
        head = dict(line.split("=", 1) for line in output.read_text().splitlines())["head"]
        done = kplan("ci", "apply", "-e", "prod", *options, env={**env, **(apply_env or {})}, cwd=self.checkout(head))
        return done.code, comment

    def comment_event(self, number: int, comment: dict, user: str) -> dict:
        """Gitea's issue_comment event of a comment on a pull request: the repository as the commenter sees it (its
        `permissions` are the commenter's, as Gitea computes them for the event)."""
        api = self.forge.api
        return {"action": "created", "issue": api("GET", f"/repos/{self.repo.full_name}/issues/{number}").json(),
                "comment": comment, "is_pull": True,
                "repository": api("GET", f"/repos/{self.repo.full_name}", user).json(),
                "sender": api("GET", f"/users/{user}").json()}

    def close(self) -> None:
        for t in self.admin.list_topics(timeout=10).topics:
            if t.startswith((self.prefix + ".", f"__kplan_pr.{self.prefix}-")):
                try:
                    self.admin.delete_topics([t])[t].result(30)
                except Exception:  # noqa: BLE001 - already gone
                    pass
        for s in self.stacks:
            forget_stack(self.admin, self.bootstrap, f"{self.prefix}-{s}")

    def act(self, workflow: str, event_name: str, event: dict, wheel: Path, ref: str, sha: str, *, code: int = 0):
        """examples/<gitea or github>/<workflow> run by the real runner, act, for `event`: as Gitea Actions would run
        it (GITEA_ACTIONS, the job's token as secrets.GITEA_TOKEN), or GitHub Actions (the token as
        secrets.GITHUB_TOKEN: kplan then speaks GitHub's API, which Gitea answers for what kplan asks); kplan installed
        from its wheel; act's exit status must be `code` (0: every job passed)."""
        from localstack import runners

        gitea = self.examples == "gitea"
        work = self.tmp / f"act-{uuid.uuid4().hex[:6]}"
        run = runners.act(EXAMPLES / self.examples / workflow, event_name, event, work, server_url=self.forge.url,
                          repository=self.repo.full_name, token=self.token, ref=ref, sha=sha,
                          env={**pip_env(wheel), **({"GITEA_ACTIONS": "true"} if gitea else {})},
                          secrets={"GITEA_TOKEN": self.token} if gitea else {},
                          variables={"KPLAN_PACKAGE": str(wheel)})
        shutil.rmtree(work, ignore_errors=True)
        assert run.returncode == code, (run.stdout + run.stderr)[-6000:]
        return run

    def act_pr(self, workflow: str, number: int, action: str, wheel: Path):
        """The workflow run for the pull request's `pull_request` event (`action`), at its head."""
        event = self.forge.event(self.repo, number, action)
        return self.act(workflow, "pull_request", event, wheel, f"refs/pull/{number}/head",
                        event["pull_request"]["head"]["sha"])

    def main_head(self) -> str:
        return self.forge.api("GET", f"/repos/{self.repo.full_name}/branches/main").json()["commit"]["id"]


def new_user(forge, role: str, scopes: tuple[str, ...] = ("all",)) -> str:
    """Another user of the forge, with a token of `scopes` (in forge.tokens), made with the user's password as
    Gitea's `POST /users/{name}/tokens` wants."""
    name = f"kplan-{role}-{uuid.uuid4().hex[:6]}"
    forge.api("POST", "/admin/users", json={"username": name, "email": f"{name}@kplan.invalid",
                                            "password": USER_PASSWORD, "must_change_password": False})
    forge.tokens[name] = token(forge, name, scopes)
    return name


def token(forge, user: str, scopes: tuple[str, ...]) -> str:
    """A new token of `user`'s (made by new_user) with exactly `scopes`."""
    made = requests.post(f"{forge.api_url}/users/{user}/tokens", json={"name": uuid.uuid4().hex[:8],
                         "scopes": list(scopes)}, auth=(user, USER_PASSWORD), timeout=30)
    assert made.status_code == 201, made.text
    return made.json()["sha1"]


def repo_fixture(name: str, stacks: tuple[str, ...]):
    """A test module's `repo` fixture: a Repo of these stacks (named `<unique name>-<stack>`), applied, cleaned up."""

    @pytest.fixture
    def repo(forge, stack, admin, unique, tmp_path):
        r = Repo(forge, stack, admin, unique(name), tmp_path, stacks)
        try:
            yield r.applied()
        finally:
            r.close()

    return repo


def wheel_fixture():
    """A test module's `wheel` fixture: kplan's wheel built from this checkout, once a test run (the xdist workers
    share it): the workflows' KPLAN_PACKAGE (docs/ci.md, Installing kplan in CI). Beside it in its directory, its
    dependencies as the package index serves them to the Pythons the jobs run (`pip download` of the wheel: exactly
    what its metadata requires), which a job's `pip install` takes from there (`pip_env`), as from a CI's package
    cache: resolving against the index took ~6 CPU-s of every job's install."""

    @pytest.fixture(scope="module")
    def wheel(tmp_path_factory, worker_id) -> Path:
        root = tmp_path_factory.getbasetemp()
        root = root if worker_id == "master" else root.parent  # the test run's, shared by its workers
        with open(root / "kplan-wheel.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            out = root / "kplan-wheel"
            if not (out / "done").exists():
                _wheelhouse(out)
                (out / "done").touch()
        [found] = out.glob("kplan-*.whl")
        return found

    return wheel


def _wheelhouse(out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--wheel-dir", str(out),
                            str(ROOT)], capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stderr[-3000:]
    [found] = out.glob("kplan-*.whl")
    jobs: set[str] = set()
    for workflow in EXAMPLES.glob("*/*.yml"):
        jobs.update(re.findall(r'python-version: "([0-9.]+)"', workflow.read_text()))
    # and a shell runner's own Python (the GitLab template's)
    for version in sorted(jobs | {"%d.%d" % sys.version_info[:2]}):
        got = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
                              "--only-binary=:all:", "--python-version", version, "-d", str(out), str(found)],
                             capture_output=True, text=True, timeout=900)
        assert got.returncode == 0, got.stderr[-3000:]
    for version in sorted(jobs):
        _site_seed(out, found, version)


def _site_seed(out: Path, wheel: Path, version: str) -> None:
    """`out/site/<version>`: the site-packages of a virtualenv of this host's python<version> with the wheel's
    dependencies installed from the wheelhouse (and compiled), which the setup-python stand-in copies into each act
    job's virtualenv (KPLAN_SETUP_PYTHON_SITE, `pip_env`): the job's `pip install` of the wheel then finds them
    installed and installs kplan alone. What a job proves is unchanged (the workflow's own `pip install` of the
    wheel, then its commands); that the wheel's dependencies install into a clean virtualenv is
    test_packaging.py's. Each job's install took ~10 CPU-s with the dependencies (13 jobs a CI run)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [shutil.which(f"python{version}"), *sorted(pyenv.glob(f"versions/{version}*/bin/python{version}"))]
    python = next((c for c in candidates if c and subprocess.run([c, "-V"], capture_output=True).returncode == 0), None)
    if python is None:
        return  # the stand-in uses another Python (and says so): its jobs install everything
    venv = out / f"site-venv-{version}"
    made = subprocess.run([str(python), "-m", "venv", "--without-pip", str(venv)], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr[-3000:]
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "-q", "--disable-pip-version-check"]
    for args in (["install", "--no-index", "--find-links", str(out), str(wheel)], ["uninstall", "-y", "kplan"]):
        done = subprocess.run([*pip, *args], capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]
    [site] = venv.glob("lib/python*/site-packages")
    (out / "site").mkdir(exist_ok=True)
    (out / "site" / version).symlink_to(site)


def pip_env(wheel: Path) -> dict[str, str]:
    """A job's environment for its `pip install` of `wheel`: the dependencies from the wheel's directory (the `wheel`
    fixture's), not the package index, and for an act job already in its virtualenv (`_site_seed`)."""
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheel.parent),
            "KPLAN_SETUP_PYTHON_SITE": str(wheel.parent / "site")}
