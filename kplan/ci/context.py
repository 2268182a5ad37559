"""Where to post: the platform, API, repository or project, pull/merge request and token, from the standard CI
variables, each overridable by an option. Pure: the caller passes the environment and the event file's JSON.

Gitea Actions (and Forgejo's, which is Gitea's) sets GitHub's variables too (GITHUB_ACTIONS, GITHUB_REPOSITORY,
GITHUB_API_URL, GITHUB_EVENT_PATH) and GITEA_ACTIONS=true (Forgejo: FORGEJO_ACTIONS=true), so Gitea is looked for
first: its API is GitHub's shape with differences a GitHub client trips on (kplan.ci.forge).

The token is named by the variable that holds it (never given on the command line, where `ps` would show it) and
is kept out of `repr`, so no error or log line built from a context can show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

GITHUB = "github"
GITEA = "gitea"
GITLAB = "gitlab"
GITHUB_TOKEN_VARS = ("GITHUB_TOKEN", "GH_TOKEN")
GITEA_TOKEN_VARS = ("GITEA_TOKEN", "GITHUB_TOKEN")
GITLAB_TOKEN_VARS = ("KPLAN_GITLAB_TOKEN", "GITLAB_TOKEN")


class ContextError(ValueError):
    """Something the CI variables and options do not say; the message names the option or variable to set."""


@dataclass(frozen=True)
class Context:
    platform: str
    api_url: str
    project: str  # GitHub, Gitea: OWNER/NAME; GitLab: the numeric project id or its full path
    token: str = field(repr=False)
    token_var: str  # the variable the token came from, for error messages
    number: int | None = None  # the pull request number or merge request iid (None: not needed, e.g. drift)
    commit: str | None = None  # the pull request's head (not a merge commit), else the job's commit
    run_url: str | None = None
    base: str | None = None  # the base branch's commit the pull request was compared with, when the event says


@dataclass(frozen=True)
class Overrides:
    platform: str | None = None
    api_url: str | None = None
    project: str | None = None
    number: int | None = None
    token_var: str | None = None
    commit: str | None = None


def detect(environ: Mapping[str, str], overrides: Overrides, *, need_number: bool,
           read_event: Callable[[str], Any]) -> Context:
    """The context of this CI job. `read_event(path)` returns the parsed GitHub (or Gitea) event file (only read
    for the pull request when no `--number` was given)."""
    platform = overrides.platform or _platform(environ)
    if platform in (GITHUB, GITEA):
        return _github(platform, environ, overrides, need_number, read_event)
    if platform == GITLAB:
        return _gitlab(environ, overrides, need_number)
    raise ContextError(f"unknown platform {platform!r}: use --platform github, gitea or gitlab")


def _platform(environ: Mapping[str, str]) -> str:
    if environ.get("GITEA_ACTIONS") == "true" or environ.get("FORGEJO_ACTIONS") == "true":
        return GITEA
    if environ.get("GITHUB_ACTIONS") == "true" or environ.get("GITHUB_REPOSITORY"):
        return GITHUB
    if environ.get("GITLAB_CI") == "true" or environ.get("CI_PROJECT_ID"):
        return GITLAB
    raise ContextError("not in GitHub Actions, Gitea Actions or GitLab CI (none of GITHUB_ACTIONS, GITEA_ACTIONS, "
                       "GITLAB_CI is set): give --platform github|gitea|gitlab with --repo and --number")


def _token(environ: Mapping[str, str], overrides: Overrides, defaults: tuple[str, ...], hint: str) -> tuple[str, str]:
    names = (overrides.token_var,) if overrides.token_var else defaults
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return value, name
    raise ContextError(f"no API token: set {' or '.join(names)} ({hint})")


def _github(platform: str, environ, overrides: Overrides, need_number: bool, read_event) -> Context:
    """GitHub Actions, or Gitea Actions: the same variables and event file; Gitea's API has no default address
    (GITHUB_API_URL, which Gitea sets to its own /api/v1, or GITHUB_SERVER_URL's /api/v1)."""
    server = environ.get("GITHUB_SERVER_URL", "").rstrip("/")
    default_api = "https://api.github.com" if platform == GITHUB else (f"{server}/api/v1" if server else "")
    api = (overrides.api_url or environ.get("GITHUB_API_URL") or default_api).rstrip("/")
    if not api:
        raise ContextError("no Gitea API URL: set GITHUB_API_URL or give --api-url https://HOST/api/v1")
    repo = overrides.project or environ.get("GITHUB_REPOSITORY", "")
    if not repo or repo.count("/") != 1:
        raise ContextError("no repository: set GITHUB_REPOSITORY or give --repo OWNER/NAME")
    number, commit, base = overrides.number, overrides.commit, None
    if number is None and need_number:
        number, head, base = _github_pr(environ, read_event)
        commit = commit or head
    token, var = (_token(environ, overrides, GITHUB_TOKEN_VARS,
                         "in a workflow: env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}") if platform == GITHUB else
                  _token(environ, overrides, GITEA_TOKEN_VARS,
                         "in a workflow: env: GITEA_TOKEN: ${{ secrets.GITEA_TOKEN }}"))
    run_id = environ.get("GITHUB_RUN_ID")
    run_url = f"{server}/{repo}/actions/runs/{run_id}" if server and run_id else None
    return Context(platform, api, repo, token, var, number, commit or environ.get("GITHUB_SHA") or None, run_url, base)


def _github_pr(environ, read_event) -> tuple[int, str | None, str | None]:
    """(number, head commit, base commit) of the event's pull request: a pull_request event, or a comment on a
    pull request (issue_comment: the issue is the pull request; its commits are not in the event)."""
    path = environ.get("GITHUB_EVENT_PATH", "")
    if not path:
        raise ContextError("no pull request number: GITHUB_EVENT_PATH is not set; give --number N")
    event = read_event(path)
    pr = event.get("pull_request") if isinstance(event, dict) else None
    issue = event.get("issue") if isinstance(event, dict) else None
    if not isinstance(pr, dict) and isinstance(issue, dict) and issue.get("pull_request"):
        pr = {"number": issue.get("number")}
    if not isinstance(pr, dict) or not isinstance(pr.get("number"), int):
        name = environ.get("GITHUB_EVENT_NAME", "this event")
        raise ContextError(f"no pull request number: {name} is not a pull_request event; "
                           "run on pull_request or give --number N")
    return pr["number"], _sha(pr.get("head")), _sha(pr.get("base"))


def _sha(ref) -> str | None:
    sha = ref.get("sha") if isinstance(ref, dict) else None
    return sha if isinstance(sha, str) and sha else None


def _gitlab(environ, overrides: Overrides, need_number: bool) -> Context:
    api = (overrides.api_url or environ.get("CI_API_V4_URL") or "").rstrip("/")
    if not api:
        raise ContextError("no GitLab API URL: set CI_API_V4_URL or give --api-url https://HOST/api/v4")
    project = overrides.project or environ.get("CI_PROJECT_ID", "")
    if not project:
        raise ContextError("no project: set CI_PROJECT_ID or give --repo PROJECT_ID_OR_PATH")
    number = overrides.number
    if number is None and need_number:
        iid = environ.get("CI_MERGE_REQUEST_IID", "")
        if not iid.isdigit():
            raise ContextError("no merge request: CI_MERGE_REQUEST_IID is not set (run the job in a merge request "
                               "pipeline: rules: - if: $CI_PIPELINE_SOURCE == \"merge_request_event\") "
                               "or give --number N")
        number = int(iid)
    token, var = _token(environ, overrides, GITLAB_TOKEN_VARS,
                        "a project access token with the api scope, stored as a masked CI/CD variable")
    commit = overrides.commit or environ.get("CI_COMMIT_SHA") or None
    base = environ.get("CI_MERGE_REQUEST_TARGET_BRANCH_SHA") or environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA") or None
    return Context(GITLAB, api, project, token, var, number, commit, environ.get("CI_JOB_URL") or None, base)
