"""Real workflow runners for the CI examples, on this host (no Docker): `act` runs GitHub workflow files
(examples/github), `gitlab-ci-local` runs a .gitlab-ci.yml (examples/gitlab) in shell mode. Each is installed once
per machine into the build cache (buildcache.py: ~/.m2/kplan/), at a pinned version: act with `go install` from its
Go module (~1 minute), gitlab-ci-local from npm with the Node.js it needs (from npm too).

act is pointed at the local forge (forge.py) as if it were GitHub: GITHUB_SERVER_URL, GITHUB_API_URL and
GITHUB_REPOSITORY name it, and the event payload is a real pull request's. The actions a workflow `uses:` from
github.com are replaced by the stand-ins under dev/actions/ (test scaffolding, see its README.md: a checkout from
the forge, a Python virtualenv, artifacts kept in a directory) with act's `--local-repository`; any other remote
action is fetched from the forge, where it is not, and the run fails saying so.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Sequence

from .buildcache import cached, check_tool, run_build
from .common import DEV, LocalStackError, stack_dir

ACT_MODULE = "github.com/nektos/act"
ACT_VERSION = "0.2.89"
GITLAB_CI_LOCAL_VERSION = "4.75.1"
NODE_VERSION = "22.23.3"  # gitlab-ci-local's runtime (see gitlab_ci_local)
STAND_INS = DEV / "actions"  # one directory per action of github.com/actions that a workflow may use
RUN_TIMEOUT_S = 900.0


def act_bin() -> Path:
    return cached(f"act-{ACT_VERSION}", "act", _build_act) / "act"


def _build_act(out: Path) -> None:
    go = check_tool("go", "act is built from its Go module", "install Go 1.26 or newer (https://go.dev/dl/)")
    run_build(f"act {ACT_VERSION}", [go, "install", "-ldflags", f"-s -w -X main.version={ACT_VERSION}",
                                     f"{ACT_MODULE}@v{ACT_VERSION}"],
              stack_dir() / "logs" / "runners-build.log", env={"GOBIN": str(out)})


def gitlab_ci_local() -> list[str]:
    """The command that runs gitlab-ci-local: its script on its own Node.js (it needs Node.js 22: on 20, the
    machines' own, it dies at start on `Set.prototype.union`), both from npm, kept in one directory of the cache."""
    done = cached(f"gitlab-ci-local-{GITLAB_CI_LOCAL_VERSION}-node-{NODE_VERSION}",
                  "node_modules/gitlab-ci-local/dist/index.js", _install_gitlab_ci_local)
    return [str(done / "node_modules" / ".bin" / "node"), str(done / "node_modules/gitlab-ci-local/dist/index.js")]


def _install_gitlab_ci_local(out: Path) -> None:
    npm = check_tool("npm", "gitlab-ci-local is installed from npm", "install Node.js and npm (apt-get install npm)")
    # the `node` package's install script fetches the Node.js binary of this machine's kind from npm too
    run_build(f"gitlab-ci-local {GITLAB_CI_LOCAL_VERSION} and Node.js {NODE_VERSION}",
              [npm, "install", "--prefix", str(out), "--no-audit", "--no-fund", "--no-update-notifier",
               f"gitlab-ci-local@{GITLAB_CI_LOCAL_VERSION}", f"node@{NODE_VERSION}"],
              stack_dir() / "logs" / "runners-build.log")
    node = subprocess.run([str(out / "node_modules" / ".bin" / "node"), "--version"], capture_output=True, text=True)
    if node.stdout.strip() != f"v{NODE_VERSION}":
        raise LocalStackError(f"npm's node@{NODE_VERSION} did not install its Node.js binary (did npm skip the "
                              f"package's install script?): {(node.stdout + node.stderr).strip()[:300]}")


def stand_ins(workflow: Path) -> dict[str, Path]:
    """`owner/repo@ref` -> stand-in directory, for each action of github.com/actions the workflow uses that has a
    stand-in (whatever ref it names: a stand-in does the job of every version)."""
    uses = re.findall(r"^\s*(?:-\s+)?uses:\s*actions/([\w.-]+)@([\w.-]+)", workflow.read_text(), re.M)
    return {f"actions/{name}@{ref}": STAND_INS / name for name, ref in uses if (STAND_INS / name).is_dir()}


def act(workflow: Path, event_name: str, event: dict, workdir: Path, *, server_url: str, repository: str,
        token: str, ref: str, sha: str, env: dict[str, str] | None = None, secrets: dict[str, str] | None = None,
        variables: dict[str, str] | None = None, artifacts: Path | None = None,
        timeout_s: float = RUN_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """Run `workflow` for one event with act, its jobs on this host, in `workdir` (the job's workspace: the
    checkout stand-in clones the repository there), as GitHub would on `repository` at `server_url`: the event's
    payload `event`, GITHUB_REF `ref` and GITHUB_SHA `sha` (a pull request's head: Gitea has no merge ref), the
    token as the job's GITHUB_TOKEN. `env` reaches every step; `secrets` are the workflow's `secrets.*` (masked in
    the output), `variables` its `vars.*`. Artifacts go to `artifacts` (default: `workdir/../artifacts`). Returns
    the finished run."""
    workdir.mkdir(parents=True, exist_ok=True)
    scratch = workdir.parent / f".{workdir.name}.act"
    (scratch / "config").mkdir(parents=True, exist_ok=True)  # act reads its own defaults from XDG_CONFIG_HOME
    payload = scratch / "event.json"
    payload.write_text(json.dumps(event))
    secret_file = scratch / "secrets"  # a file, not act's environment, which every step inherits on the host
    secret_file.touch(mode=0o600)
    every = {"GITHUB_TOKEN": token, **(secrets or {})}
    secret_file.write_text("".join(f"{k}={json.dumps(v)}\n" for k, v in every.items()))
    run_env = {"GITHUB_SERVER_URL": server_url, "GITHUB_API_URL": f"{server_url.rstrip('/')}/api/v1",
               "GITHUB_REPOSITORY": repository, "GITHUB_REPOSITORY_OWNER": repository.split("/")[0],
               "GITHUB_REF": ref, "SHA_REF": sha, "KPLAN_ACT_ARTIFACTS": str(artifacts or workdir.parent / "artifacts"),
               **(env or {})}
    cmd = [str(act_bin()), event_name, "-W", str(workflow), "-e", str(payload), "-P", "ubuntu-latest=-self-hosted",
           "--no-skip-checkout", "--no-cache-server", "--action-cache-path", str(scratch / "actions"),
           "--actor", str(event.get("sender", {}).get("login", "kplan")), "--defaultbranch", "main"]
    for action, directory in stand_ins(workflow).items():
        cmd += ["--local-repository", f"{action}={directory}"]
    for k, v in run_env.items():
        cmd += ["--env", f"{k}={v}"]
    for k, v in (variables or {}).items():
        cmd += ["--var", f"{k}={v}"]
    cmd += ["--secret-file", str(secret_file), "--var-file", os.devnull, "--env-file", os.devnull]
    return subprocess.run(cmd, cwd=workdir, env=_runner_env(scratch), capture_output=True, text=True,
                          timeout=timeout_s, stdin=subprocess.DEVNULL)


def _runner_env(scratch: Path) -> dict[str, str]:
    """What a runner's steps start from: act hands its own environment to every step on the host, so it gets the
    basics alone, not the test's (no KPLAN_* endpoint, no virtualenv on PATH: a job installs what it uses)."""
    path = [d for d in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)
            if d and not (Path(d).parent / "pyvenv.cfg").exists()]
    env = {k: v for k, v in os.environ.items() if k in ("HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "PYENV_ROOT")}
    return {**env, "PATH": os.pathsep.join(path), "XDG_CONFIG_HOME": str(scratch / "config")}


def run_gitlab_ci_local(project: Path, job: str, variables: dict[str, str] | None = None, *,
                        options: Sequence[str] = (), env: dict[str, str] | None = None,
                        timeout_s: float = RUN_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """Run one job of `project`'s .gitlab-ci.yml (a git checkout) with gitlab-ci-local, in shell mode on this host
    (a job's `image:` is ignored), `variables` as its CI/CD variables, `options` gitlab-ci-local's (`--needs`: the
    jobs it needs first, their artifacts handed on), `env` the environment its jobs' shells start from (default:
    this process's). Returns the finished run."""
    cmd = [*gitlab_ci_local(), "--force-shell-executor", "--no-color",
           "--mount-cache", "false", *options, job]
    for k, v in (variables or {}).items():
        cmd += ["--variable", f"{k}={v}"]
    return subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=timeout_s,
                          stdin=subprocess.DEVNULL, env=env)
