"""What a test does on the local forge (forge.py), as its users: create a repository, push a branch (git over HTTP,
the token in a header), open a pull request, approve it as the reviewer, comment, merge; and the GitHub-shaped
event payload of a pull request, for the runners (runners.py). The pytest plugin's `forge` fixture is a Forge.

Where Gitea's API is not GitHub's, this speaks Gitea's (../shared notes: forge-and-kubernetes-facts.md): an
approval is the review event `APPROVED` (`APPROVE` leaves a pending review), a merge is `POST .../merge` with
`{"Do": "merge"}` (answered 405 "try again later" while Gitea still computes mergeability, so it is tried again
until a deadline), and a pull request's comments come in one answer (Gitea ignores `page`/`per_page`). Gitea takes
a push in from a queue, so `push` returns once the branch and the open pull requests from it show the new head.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import requests

from . import forge, runners
from .common import LocalStackError

SETTLE_S = 60.0  # how long the forge may take to show a push, or to know whether a pull request can be merged


@dataclass(frozen=True)
class Repo:
    owner: str
    name: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class Forge:
    url: str
    api_url: str
    admin: str  # a site administrator; owns the repositories made here and opens their pull requests
    reviewer: str  # another user, a collaborator with write access on them: approvals, comments
    tokens: dict[str, str]  # user -> token of every scope (also in forge.token_file(user))
    scratch: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="kplan-forge-")))

    @classmethod
    def running(cls) -> Forge:
        """The stack directory's forge, which must run (`forge.up()`)."""
        return cls(forge.FORGE_URL, forge.API_URL, forge.ADMIN, forge.REVIEWER,
                   {u: forge.token(u) for u in forge.USERS})

    def api(self, method: str, path: str, user: str | None = None, **kw: Any) -> requests.Response:
        """One call of /api/v1 as `user` (the admin by default); an answer other than 2xx is raised."""
        r = self.raw(method, path, user, **kw)
        if not r.ok:
            raise LocalStackError(f"forge: {method} {path} as {user or self.admin}: {r.status_code} {r.text[:500]}")
        return r

    def raw(self, method: str, path: str, user: str | None = None, **kw: Any) -> requests.Response:
        """The same call, its answer whatever its status (a test of a refusal reads it)."""
        headers = {"Authorization": f"token {self.tokens[user or self.admin]}"}
        return requests.request(method, f"{self.api_url}{path}", headers=headers, timeout=30, **kw)

    def create_repo(self, name: str | None = None, files: dict[str, str] | None = None) -> Repo:
        """A new repository of the admin's (named uniquely unless `name`), with the reviewer as a collaborator
        with write access; `files` are its first commit on `main`."""
        name = name or f"kplantest-{uuid.uuid4().hex[:10]}"
        self.api("POST", "/user/repos", json={"name": name, "default_branch": "main", "auto_init": False})
        repo = Repo(self.admin, name)
        self.api("PUT", f"/repos/{repo.full_name}/collaborators/{self.reviewer}", json={"permission": "write"})
        if files:
            self.push(repo, "main", files, "initial commit")
        return repo

    def push(self, repo: Repo, branch: str, files: dict[str, str | None], message: str = "change",
             base: str = "main") -> str:
        """Commit `files` (path -> text; None deletes) on `branch` (made from `base` when it does not exist yet)
        and push it as the admin; the new head's sha."""
        work = self.scratch / repo.full_name
        if not (work / ".git").exists():
            work.mkdir(parents=True, exist_ok=True)
            self._git(work, "init", "-q", "-b", base)
            self._git(work, "remote", "add", "origin", f"{self.url}/{repo.full_name}.git")
        self._git(work, "fetch", "-q", "origin")
        remote = set(self._git(work, "branch", "-r", "--format=%(refname:short)").split())
        start = next((f"origin/{b}" for b in (branch, base) if f"origin/{b}" in remote), None)
        if start is None:  # a first branch: no history to start from
            self._git(work, "symbolic-ref", "HEAD", f"refs/heads/{branch}")
        else:
            self._git(work, "checkout", "-q", "-B", branch, start)
        for path, text in files.items():
            target = work / path
            if text is None:
                self._git(work, "rm", "-q", "--", path)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            self._git(work, "add", "--", path)
        self._git(work, "commit", "-q", "-m", message)
        self._git(work, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
        sha = self._git(work, "rev-parse", "HEAD").strip()
        # Gitea takes a push in from a queue: the branch, then the open pull requests from it, show the new head a
        # moment after git's push returned
        base_path = f"/repos/{repo.full_name}"
        _until(f"{branch} at {sha[:10]}", lambda: self._branch_head(base_path, branch) == sha)
        _until(f"the pull requests from {branch} at {sha[:10]}",
               lambda: all(p["head"]["sha"] == sha for p in self.api("GET", f"{base_path}/pulls?state=open").json()
                           if p["head"]["ref"] == branch))
        return sha

    def _branch_head(self, base_path: str, branch: str) -> str | None:
        r = self.raw("GET", f"{base_path}/branches/{branch}")  # 404 until the forge has taken the push in
        return r.json()["commit"]["id"] if r.ok else None

    def _git(self, work: Path, *args: str) -> str:
        cmd = ["git", "-c", f"http.extraHeader=Authorization: token {self.tokens[self.admin]}", "-c",
               f"user.name={self.admin}", "-c", f"user.email={self.admin}@kplan.invalid", *args]
        proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              env={"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
                                   "GIT_TERMINAL_PROMPT": "0", "PATH": "/usr/bin:/bin:/usr/local/bin"})
        if proc.returncode != 0:
            raise LocalStackError(f"forge: git {args[0]} failed: {proc.stderr.strip()[-800:]}")
        return proc.stdout

    def open_pr(self, repo: Repo, head: str, base: str = "main", title: str = "a change") -> dict[str, Any]:
        return self.api("POST", f"/repos/{repo.full_name}/pulls",
                        json={"head": head, "base": base, "title": title}).json()

    def pull(self, repo: Repo, number: int) -> dict[str, Any]:
        return self.api("GET", f"/repos/{repo.full_name}/pulls/{number}").json()

    def approve(self, repo: Repo, number: int, user: str | None = None, body: str = "") -> dict[str, Any]:
        """An approving review (the reviewer's by default; Gitea refuses an author's own)."""
        return self.api("POST", f"/repos/{repo.full_name}/pulls/{number}/reviews", user or self.reviewer,
                        json={"event": "APPROVED", "body": body}).json()

    def reviews(self, repo: Repo, number: int) -> list[dict[str, Any]]:
        return self.api("GET", f"/repos/{repo.full_name}/pulls/{number}/reviews").json()

    def comment(self, repo: Repo, number: int, body: str, user: str | None = None) -> dict[str, Any]:
        """A comment on the pull request's conversation (the reviewer's by default)."""
        return self.api("POST", f"/repos/{repo.full_name}/issues/{number}/comments", user or self.reviewer,
                        json={"body": body}).json()

    def comments(self, repo: Repo, number: int) -> list[dict[str, Any]]:
        """Every comment of the pull request's conversation, oldest first (one answer: Gitea does not page it)."""
        return self.api("GET", f"/repos/{repo.full_name}/issues/{number}/comments").json()

    def merge(self, repo: Repo, number: int, user: str | None = None) -> None:
        """Merge the pull request (a merge commit), trying again while Gitea is still computing whether it can."""
        def attempt() -> bool:
            r = self.raw("POST", f"/repos/{repo.full_name}/pulls/{number}/merge", user, json={"Do": "merge"})
            if r.ok:
                return True
            if r.status_code == 405 and "try again later" in r.text.lower():
                return False
            raise LocalStackError(f"forge: merging {repo.full_name}#{number}: {r.status_code} {r.text[:500]}")

        _until(f"merged {repo.full_name}#{number}", attempt)

    def event(self, repo: Repo, number: int, action: str = "opened", sender: str | None = None) -> dict[str, Any]:
        """The pull request's `pull_request` event as GitHub would send it, from what the forge says of it now."""
        pr = self.pull(repo, number)
        user = self.api("GET", f"/users/{sender or self.admin}").json()
        return {"action": action, "number": number, "pull_request": pr,
                "repository": self.api("GET", f"/repos/{repo.full_name}").json(), "sender": user}

    def act(self, workflow: Path, repo: Repo, number: int, workdir: Path, action: str = "opened",
            **kw: Any) -> subprocess.CompletedProcess[str]:
        """Run `workflow` with act for the pull request's `pull_request` event, against this forge
        (runners.act: its checkout stand-in fetches the pull request's head from here; the admin's token is the
        job's GITHUB_TOKEN)."""
        event = self.event(repo, number, action)
        return runners.act(workflow, "pull_request", event, workdir, server_url=self.url,
                           repository=repo.full_name, token=self.tokens[self.admin],
                           ref=f"refs/pull/{number}/head", sha=event["pull_request"]["head"]["sha"], **kw)


def _until(what: str, done: Callable[[], bool], timeout_s: float = SETTLE_S) -> None:
    """Poll `done` until it holds; a LocalStackError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise LocalStackError(f"forge: still not {what} after {timeout_s:.0f} s")
        time.sleep(0.2)
