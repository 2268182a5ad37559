"""`kplan ci comment` and `kplan ci drift-issue` run as a CI job would run them (the real command in a subprocess,
its context from the CI variables), against a local server that checks every request (ci_forge_server.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from ci_forge_server import GITHUB_REPO, GITLAB_PROJECT, ForgeServer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "render"))

pytestmark = pytest.mark.tools  # kplan in a subprocess against a local forge server, with real retry waits

TOKEN = "ghs_canaryTOKEN0123456789abcdef"
PLAN = "### kplan plan: stack `shop` (`prod`), cluster `c1`\n\n**Plan: 1 to add, 0 to change, 0 to destroy.**\n"
PLAN2 = "### kplan plan: stack `shop` (`prod`), cluster `c1`\n\n**Plan: 2 to add, 0 to change, 0 to destroy.**\n"
NO_CHANGES = "### kplan plan: stack `shop` (`prod`), cluster `c1`\n\n**No changes.**\n"


def _clean_env() -> dict:
    """The test's own environment without any real CI's variables (this suite may itself run in a CI job)."""
    drop = ("GITHUB_", "GITLAB_", "CI_", "GH_", "KPLAN_GITLAB", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
    return {k: v for k, v in os.environ.items() if not k.upper().startswith(drop) and k not in ("CI",)}


def run(args, env, stdin=None):
    return subprocess.run([sys.executable, "-m", "kplan", "ci", *args], input=stdin, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def github(tmp_path):
    with ForgeServer("github", TOKEN) as srv:
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "0123456789abcdef0123"}}}))
        env = {**_clean_env(), "GITHUB_ACTIONS": "true", "GITHUB_API_URL": srv.url, "GITHUB_REPOSITORY": GITHUB_REPO,
               "GITHUB_EVENT_PATH": str(event), "GITHUB_EVENT_NAME": "pull_request", "GITHUB_TOKEN": TOKEN,
               "GITHUB_SERVER_URL": "https://github.example", "GITHUB_RUN_ID": "99", "GITHUB_SHA": "merge"}
        yield srv, env
        assert srv.state.problems == []


@pytest.fixture
def gitea(tmp_path):
    """A Gitea Actions job: GitHub's variables and event file, GITEA_ACTIONS=true, the API under /api/v1."""
    with ForgeServer("gitea", TOKEN) as srv:
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "0123456789abcdef0123"},
                                                      "base": {"sha": "fedcba98765432100000"}}}))
        env = {**_clean_env(), "GITHUB_ACTIONS": "true", "GITEA_ACTIONS": "true", "GITHUB_API_URL": srv.url,
               "GITHUB_REPOSITORY": GITHUB_REPO, "GITHUB_EVENT_PATH": str(event), "GITHUB_EVENT_NAME": "pull_request",
               "GITEA_TOKEN": TOKEN, "GITHUB_SERVER_URL": "https://gitea.example", "GITHUB_RUN_ID": "99"}
        yield srv, env
        assert srv.state.problems == []


@pytest.fixture
def gitlab():
    with ForgeServer("gitlab", TOKEN) as srv:
        env = {**_clean_env(), "GITLAB_CI": "true", "CI_API_V4_URL": srv.url, "CI_PROJECT_ID": GITLAB_PROJECT,
               "CI_MERGE_REQUEST_IID": "3", "KPLAN_GITLAB_TOKEN": TOKEN, "CI_COMMIT_SHA": "fedcba9876543210"}
        yield srv, env
        assert srv.state.problems == []


def _writes(srv):
    return [(s.method, s.path) for s in srv.state.writes()]


def test_github_creates_then_updates_the_same_comment(github, tmp_path):
    srv, env = github
    plan = tmp_path / "plan.md"
    plan.write_text(PLAN)
    first = run(["comment", str(plan)], env)
    assert first.returncode == 0, first.stderr
    thread = srv.state.comments[7]
    assert len(thread) == 1
    cid = thread[0]["id"]
    assert thread[0]["body"].startswith("<!-- kplan-plan stack=shop env=prod -->\n### kplan plan")
    assert "`0123456789ab`" in thread[0]["body"]  # the PR head, not GITHUB_SHA's merge commit
    assert "https://github.example/acme/kafka-stacks/actions/runs/99" in thread[0]["body"]
    assert first.stdout.strip() == f"created comment {cid} on pull request #7: https://gh.example/7#c"
    assert _writes(srv) == [("POST", f"/repos/{GITHUB_REPO}/issues/7/comments")]

    srv.state.seen.clear()
    second = run(["comment", "-"], env, stdin=PLAN2)  # a new push, the plan from stdin
    assert second.returncode == 0, second.stderr
    assert [c["id"] for c in srv.state.comments[7]] == [cid]  # no second comment
    assert "2 to add" in srv.state.comments[7][0]["body"]
    assert _writes(srv) == [("PATCH", f"/repos/{GITHUB_REPO}/issues/comments/{cid}")]
    assert second.stdout.startswith(f"updated comment {cid} on pull request #7")

    srv.state.seen.clear()
    third = run(["comment", "-"], env, stdin=PLAN2)  # the same plan again: nothing written
    assert third.returncode == 0 and _writes(srv) == []
    assert third.stdout.strip() == f"comment {cid} on pull request #7 already shows this plan"
    for out in (first, second, third):
        assert TOKEN not in out.stdout + out.stderr


def test_github_finds_its_comment_on_a_later_page_and_leaves_others_alone(github):
    srv, env = github
    other = "<!-- kplan-plan stack=billing env=prod -->\nbilling's plan"
    base = "<!-- kplan-plan stack=shop -->\nthe base stack's plan"  # same stack, no environment: another key
    quoted = "> <!-- kplan-plan stack=shop env=prod -->\n> quoted by a reviewer"
    srv.state.comments[7] = [{"id": i, "body": b} for i, b in enumerate(
        ["lgtm", other, base, quoted, "another", "<!-- kplan-plan stack=shop env=prod -->\nold plan", "later"], 1)]
    out = run(["comment"], env, stdin=PLAN)
    assert out.returncode == 0, out.stderr
    gets = [s for s in srv.state.seen if s.method == "GET"]
    # page size 2: the marker is on page 3, reached by following the Link header; page 4 is not asked for
    assert [g.query.get("page") for g in gets] == [None, "2", "3"]
    assert _writes(srv) == [("PATCH", f"/repos/{GITHUB_REPO}/issues/comments/6")]
    bodies = {c["id"]: c["body"] for c in srv.state.comments[7]}
    assert bodies[2] == other and bodies[3] == base and bodies[4] == quoted
    assert "1 to add" in bodies[6] and len(bodies) == 7


def test_two_stacks_get_two_comments(github):
    srv, env = github
    assert run(["comment"], env, stdin=PLAN).returncode == 0
    other = PLAN.replace("`shop` (`prod`)", "`billing`")
    assert run(["comment"], env, stdin=other).returncode == 0
    assert run(["comment", "--stack", "audit"], env, stdin="a plan without a kplan title").returncode == 0
    markers = [c["body"].splitlines()[0] for c in srv.state.comments[7]]
    assert markers == ["<!-- kplan-plan stack=shop env=prod -->", "<!-- kplan-plan stack=billing -->",
                       "<!-- kplan-plan stack=audit -->"]


def test_explicit_options_override_the_ci_variables(github):
    srv, env = github
    env = {**env, "GITHUB_EVENT_PATH": "/nonexistent", "MY_TOKEN": TOKEN, "GITHUB_TOKEN": "wrong-token"}
    out = run(["comment", "--number", "12", "--token-env", "MY_TOKEN", "--repo", GITHUB_REPO,
               "--api-url", srv.url, "--stack", "shop", "-e", "dev", "--commit", "abcdef1234567"], env, stdin=PLAN)
    assert out.returncode == 0, out.stderr
    body = srv.state.comments[12][0]["body"]
    assert body.startswith("<!-- kplan-plan stack=shop env=dev -->") and "`abcdef123456`" in body


@pytest.mark.parametrize("status, words", [
    (401, "the token in GITHUB_TOKEN is missing, expired or wrong"),
    (403, "permissions: pull-requests: write"),
    (404, "check the repository acme/kafka-stacks and pull request 7"),
])
def test_github_refusals_are_one_line_without_the_token(github, status, words):
    srv, env = github
    srv.state.fail_with = status
    out = run(["comment"], env, stdin=PLAN)
    assert out.returncode == 1 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith(f"Error: GitHub answered {status} to GET /repos/{GITHUB_REPO}/issues/7/comments")
    assert words in lines[0]
    assert TOKEN not in out.stderr


def test_a_5xx_answer_is_retried(github):
    srv, env = github
    srv.state.fail_with, srv.state.fail_times = 502, 2
    out = run(["comment"], env, stdin=PLAN)
    assert out.returncode == 0, out.stderr
    assert [s.method for s in srv.state.seen] == ["GET", "GET", "GET", "POST"] and len(srv.state.comments[7]) == 1


def test_a_5xx_answer_that_persists_is_one_line(github):
    srv, env = github
    srv.state.fail_with = 503
    out = run(["comment"], env, stdin=PLAN)
    assert out.returncode == 1 and len(srv.state.seen) == 3
    assert out.stderr.strip() == (f"Error: GitHub answered 503 to GET /repos/{GITHUB_REPO}/issues/7/comments: "
                                  "Unavailable")


def test_unreachable_api_is_one_line(github):
    _, env = github
    env = {**env, "GITHUB_API_URL": "http://127.0.0.1:9"}  # the discard port: nothing listens
    out = run(["comment"], env, stdin=PLAN)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        "Error: cannot reach the GitHub API at http://127.0.0.1:9 (ConnectionError): check --api-url / "
        "GITHUB_API_URL and the network"]


@pytest.mark.parametrize("drop, words", [
    ("GITHUB_TOKEN", "no API token: set GITHUB_TOKEN or GH_TOKEN"),
    ("GITHUB_EVENT_PATH", "no pull request number: GITHUB_EVENT_PATH is not set; give --number N"),
])
def test_missing_context_is_one_line(github, drop, words):
    _, env = github
    env = {k: v for k, v in env.items() if k != drop}
    out = run(["comment"], env, stdin=PLAN)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 1 and len(lines) == 1 and lines[0].startswith(f"Error: {words}")


def test_a_push_event_is_not_a_pull_request(github, tmp_path):
    _, env = github
    event = tmp_path / "push.json"
    event.write_text(json.dumps({"ref": "refs/heads/main"}))
    out = run(["comment"], {**env, "GITHUB_EVENT_PATH": str(event), "GITHUB_EVENT_NAME": "push"}, stdin=PLAN)
    assert out.returncode == 1
    assert out.stderr.strip() == ("Error: no pull request number: push is not a pull_request event; "
                                  "run on pull_request or give --number N")


def test_an_empty_plan_is_refused_before_any_request(github):
    srv, env = github
    out = run(["comment"], env, stdin="\n")
    assert out.returncode == 1 and "the plan is empty" in out.stderr and srv.state.seen == []


def test_gitlab_creates_then_updates_the_same_note(gitlab):
    srv, env = gitlab
    srv.state.comments[3] = [{"id": 1, "body": "added 2 commits", "system": True},
                             {"id": 2, "body": "please check", "system": False},
                             {"id": 3, "body": "<!-- kplan-plan stack=billing -->\nx", "system": False}]
    first = run(["comment"], env, stdin=PLAN)
    assert first.returncode == 0, first.stderr
    note = srv.state.comments[3][-1]
    assert first.stdout.strip() == f"created note {note['id']} on merge request !3"
    assert note["body"].startswith("<!-- kplan-plan stack=shop env=prod -->") and "`fedcba987654`" in note["body"]
    assert _writes(srv) == [("POST", f"/api/v4/projects/{GITLAB_PROJECT}/merge_requests/3/notes")]
    gets = [s for s in srv.state.seen if s.method == "GET"]
    assert [g.query.get("page") for g in gets] == [None, "2"]  # X-Next-Page followed

    srv.state.seen.clear()
    second = run(["comment"], env, stdin=PLAN2)
    assert second.returncode == 0, second.stderr
    assert len(srv.state.comments[3]) == 4 and "2 to add" in srv.state.comments[3][-1]["body"]
    assert _writes(srv) == [("PUT", f"/api/v4/projects/{GITLAB_PROJECT}/merge_requests/3/notes/{note['id']}")]
    assert srv.state.comments[3][2]["body"] == "<!-- kplan-plan stack=billing -->\nx"


def test_gitlab_401_names_the_token_variable(gitlab):
    srv, env = gitlab
    srv.state.fail_with = 401
    out = run(["comment"], env, stdin=PLAN)
    assert out.returncode == 1 and TOKEN not in out.stderr
    assert out.stderr.strip() == (f"Error: GitLab answered 401 to GET /projects/{GITLAB_PROJECT}/merge_requests"
                                  "/3/notes: the token in KPLAN_GITLAB_TOKEN is missing, expired or wrong")


def test_gitlab_needs_a_merge_request_pipeline(gitlab):
    _, env = gitlab
    env = {k: v for k, v in env.items() if k != "CI_MERGE_REQUEST_IID"}
    out = run(["comment"], env, stdin=PLAN)
    assert out.returncode == 1 and "CI_MERGE_REQUEST_IID is not set" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("platform", ["github", "gitea", "gitlab"])
def test_drift_issue_open_update_close(platform, request):
    srv, env = request.getfixturevalue(platform)
    hub = platform != "gitlab"
    body_key = "body" if hub else "description"
    open_state = "open" if hub else "opened"
    srv.state.issues = [
        {"number": 1, "iid": 1, "title": "unrelated", body_key: "hello", "state": open_state},
        {"number": 2, "iid": 2, "title": "kplan: drift in stack billing", body_key:
         "<!-- kplan-drift stack=billing -->\nx", "state": open_state},
    ]
    if hub:  # GitHub lists pull requests among issues (Gitea too, unless asked type=issues)
        srv.state.issues.append({"number": 3, "title": "a PR", "body": "<!-- kplan-drift stack=shop env=prod -->",
                                 "state": "open", "pull_request": {"merged": False}})
    first = run(["drift-issue"], env, stdin=PLAN)
    assert first.returncode == 0, first.stderr
    made = srv.state.issues[-1]
    number = made.get("number", made.get("iid"))
    assert made["title"] == "kplan: drift in stack shop (prod)"
    assert made[body_key].startswith("<!-- kplan-drift stack=shop env=prod -->\n### kplan plan")
    assert first.stdout.startswith(f"created drift issue {number}")

    second = run(["drift-issue"], env, stdin=PLAN2)
    assert second.returncode == 0, second.stderr
    assert srv.state.issues[-1] is made and "2 to add" in made[body_key]
    assert second.stdout.startswith(f"updated drift issue {number}")

    srv.state.seen.clear()
    closed = run(["drift-issue", "--resolved", "--stack", "shop", "-e", "prod"], env)
    assert closed.returncode == 0, closed.stderr
    assert closed.stdout.strip() == f"closed drift issue {number}: no drift"
    assert made["state"] == "closed"
    assert srv.state.issues[1]["state"] == open_state  # billing's issue stays open
    kinds = [m for m, _ in _writes(srv)]
    assert kinds == (["POST", "PATCH"] if hub else ["POST", "PUT"])  # a comment, then close
    closing = [s.body for s in srv.state.writes()]
    assert "no drift" in closing[0]["body"]

    again = run(["drift-issue", "--resolved"], env, stdin=NO_CHANGES)  # the stack named by the plan's title
    assert again.returncode == 0 and again.stdout.strip() == "no drift, and no open drift issue for stack shop"
    for out in (first, second, closed, again):
        assert TOKEN not in out.stdout + out.stderr


@pytest.mark.parametrize("platform", ["github", "gitea"])
def test_drift_issue_with_a_label(platform, request):
    srv, env = request.getfixturevalue(platform)
    out = run(["drift-issue", "--label", "kplan-drift"], env, stdin=NO_CHANGES.replace("No changes", "drift"))
    assert out.returncode == 0, out.stderr
    assert srv.state.issues[0]["labels"] == ["kplan-drift"]  # on Gitea, sent as the label's id (the server checks)
    gets = [s for s in srv.state.seen if s.method == "GET"]
    assert gets[0].query["labels"] == "kplan-drift"


def test_a_gitea_label_that_does_not_exist_is_one_line(gitea):
    srv, env = gitea
    out = run(["drift-issue", "--label", "nope"], env, stdin=PLAN)
    assert out.returncode == 1 and srv.state.issues == []
    assert out.stderr.strip() == (f"Error: Gitea: the repository {GITHUB_REPO} has no label 'nope': create it "
                                  "(Issues → Labels) or drop --label")


def test_gitea_is_found_before_github_and_lists_comments_once(gitea):
    """GITEA_ACTIONS beside GitHub's variables: Gitea's token header and API; its comment list has no pages (seven
    comments in one answer, one GET), the comment is found and edited in place as on GitHub."""
    srv, env = gitea
    srv.state.comments[7] = [{"id": i, "body": b} for i, b in enumerate(
        ["lgtm", "a", "b", "c", "d", "<!-- kplan-plan stack=shop env=prod -->\nold plan", "later"], 1)]
    out = run(["comment"], env, stdin=PLAN)
    assert out.returncode == 0, out.stderr
    assert [(s.method, s.path) for s in srv.state.seen] == [
        ("GET", f"/api/v1/repos/{GITHUB_REPO}/issues/7/comments"),
        ("PATCH", f"/api/v1/repos/{GITHUB_REPO}/issues/comments/6")]
    assert out.stdout.startswith("updated comment 6 on pull request #7")
    body = srv.state.comments[7][5]["body"]
    assert "1 to add" in body and "`0123456789ab`" in body and "([Gitea job](https://gitea.example/" in body
    assert TOKEN not in out.stdout + out.stderr


def test_gitea_without_an_api_url_is_one_line(gitea):
    _, env = gitea
    env = {k: v for k, v in env.items() if k not in ("GITHUB_API_URL", "GITHUB_SERVER_URL")}
    out = run(["comment"], env, stdin=PLAN)
    assert out.returncode == 1 and out.stderr.strip() == (
        "Error: no Gitea API URL: set GITHUB_API_URL or give --api-url https://HOST/api/v1")


def test_a_plan_too_long_for_a_comment_is_a_summary_linking_to_the_page(github, tmp_path):
    """A 5,000-change plan, cut by the Markdown renderer: with KPLAN_REPORT_URL the comment is its summary and the
    link to the whole plan (the server refuses a body over GitHub's 65,536 characters)."""
    from html_plans import big_plan

    from kplan.render import render

    plan = tmp_path / "plan.md"
    plan.write_text(render(big_plan(5000), "markdown"))
    srv, env = github
    url = "https://github.example/acme/kafka-stacks/actions/runs/99/artifacts/4242"
    out = run(["comment", str(plan)], {**env, "KPLAN_REPORT_URL": url})
    assert out.returncode == 0, out.stderr
    body = srv.state.comments[7][0]["body"]
    assert len(body) <= 65_536
    assert f"[Open the whole plan]({url})" in body and "**Plan: 2501 to add, 1251 to change, 1248 to destroy.**" in body
    bad = run(["comment", str(plan), "--report-url", "javascript:alert(1)"], env)
    assert bad.returncode == 1 and bad.stderr.strip().startswith("Error: --report-url / KPLAN_REPORT_URL"), bad.stderr


def test_apply_from_the_merge_request_is_not_offered_on_gitlab(gitlab, tmp_path):
    srv, env = gitlab
    plans = tmp_path / "plans.md"
    plans.write_text("<!-- kplan-stack -->\n## `stacks/a.yaml` (stack `a`)\n\n" + PLAN.replace("`shop`", "`a`"))
    out = run(["comment", "--plans", str(tmp_path), str(plans)], env)
    assert out.returncode == 1 and srv.state.seen == []
    assert out.stderr.strip() == ("Error: --plans: apply from the pull request is for GitHub and Gitea; a GitLab merge "
                                  "request is applied after the merge (docs/ci.md)")
