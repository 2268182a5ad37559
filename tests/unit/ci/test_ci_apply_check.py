"""`kplan ci apply --check` (what the forge alone can tell, in the job without the cluster's secrets) run as a CI job
runs it, against the local stand-in for GitHub's and Gitea's APIs (ci_forge_server.py): a `kplan apply` comment on an
approved, mergeable, up-to-date pull request may go ahead (the head and the stacks written to GITHUB_OUTPUT for the
applying job); otherwise one comment answers it with every reason and what to do, and plans a moved head made stale
say so. The apply itself, with the cluster, is tested against the real forge and Kafka (tests/integration)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from ci_forge_server import GITHUB_REPO, ForgeServer

from kplan.ci.state import PlanState, pull_request_id

pytestmark = pytest.mark.tools  # kplan in a subprocess against a local forge server

TOKEN = "ghs_canaryTOKENcheck0123456789"
HEAD, BASE = "a" * 40, "b" * 40


def plan_comment(stack: str, state: PlanState | None) -> str:
    line = f"{state.line()}\n" if state else ""
    return f"<!-- kplan-plan stack={stack} env=prod -->\n{line}### kplan plan: stack `{stack}` (`prod`)\n\nplan\n"


def state(**kw) -> PlanState:
    return PlanState(**{"head": HEAD, "base": BASE, "plan": "sha256:" + "1" * 64, "cluster": "sha256:" + "2" * 64,
                        "path": "stacks/a.yaml", "changes": "yes", **kw})


@pytest.fixture(params=["github", "gitea"])
def server(request, tmp_path):
    """The stand-in for GitHub or Gitea with a pull request #7 (named so: `forge` is the real forge's fixture)."""
    platform = request.param
    with ForgeServer(platform, TOKEN) as srv:
        st = srv.state
        st.pulls[7] = {"number": 7, "state": "open", "merged": False, "mergeable": True, "user": {"login": "alice"},
                       "head": {"sha": HEAD, "ref": "grow", "repo": {"full_name": GITHUB_REPO}},
                       "base": {"sha": BASE, "ref": "main", "repo": {"full_name": GITHUB_REPO}}}
        st.branches["main"] = BASE
        st.reviews[7] = [{"user": {"login": "bob"}, "state": "APPROVED", "commit_id": HEAD}]
        st.permissions.update(bob="write", eve="read")
        st.comments[7] = [{"id": 1, "body": "lgtm"}, {"id": 2, "body": plan_comment("a", state())},
                          {"id": 3, "body": plan_comment("b", state(path="stacks/b.yaml", changes=""))}]
        output = tmp_path / "output"
        output.write_text("")
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("GITHUB_", "GITEA_", "CI_", "GH_"))}
        env.update(GITHUB_ACTIONS="true", GITHUB_API_URL=srv.url, GITHUB_REPOSITORY=GITHUB_REPO,
                   GITHUB_EVENT_NAME="issue_comment", GITHUB_TOKEN=TOKEN, GITHUB_OUTPUT=str(output))
        if platform == "gitea":
            env["GITEA_ACTIONS"] = "true"
        yield srv, env, tmp_path
        assert st.problems == []


def comment_event(tmp_path, body: str, user: str = "bob", can_push: bool = True) -> str:
    event = {"action": "created", "issue": {"number": 7, "pull_request": {"url": "x"}},
             "comment": {"id": 99, "body": body, "user": {"login": user}, "html_url": "https://forge.example/c/99"},
             # Gitea computes these for the commenter; GitHub's event has no such field
             "repository": {"full_name": GITHUB_REPO, "permissions": {"admin": False, "push": can_push, "pull": True}}}
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    return str(path)


def check(env, event: str):
    return subprocess.run([sys.executable, "-m", "kplan", "ci", "apply", "--check", "-e", "prod"],
                          env={**env, "GITHUB_EVENT_PATH": event}, capture_output=True, text=True, timeout=60)


def writes(srv):
    return [(s.method, s.path.rsplit("/repos/", 1)[1]) for s in srv.state.writes()]


def test_an_approved_up_to_date_pull_request_may_be_applied(server):
    srv, env, tmp = server
    out = check(env, comment_event(tmp, "kplan apply"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"kplan apply may go ahead: a at head {HEAD[:12]}."
    assert (tmp / "output").read_text() == f"head={HEAD}\nstacks=a\n"
    assert writes(srv) == []  # nothing posted: the applying job answers
    asked = [s.path for s in srv.state.seen]
    permission = [p for p in asked if "/collaborators/" in p]
    # Gitea: the commenter's permission is the event's (only a repository admin may ask the API)
    gitea = srv.state.platform == "gitea"
    assert permission == ([] if gitea else [f"/repos/{GITHUB_REPO}/collaborators/bob/permission"])
    assert TOKEN not in out.stdout + out.stderr


def test_every_reason_is_one_comment_and_a_moved_head_marks_the_plan_stale(server):
    srv, env, tmp = server
    st = srv.state
    new = "c" * 40
    st.pulls[7]["head"]["sha"] = new
    st.reviews[7].append({"user": {"login": "dan"}, "state": "REQUEST_CHANGES" if st.platform == "gitea" else
                          "CHANGES_REQUESTED", "commit_id": new})
    st.branches["main"] = "d" * 40
    st.behind[(new, "d" * 40)] = 3
    out = check(env, comment_event(tmp, "kplan apply a"))
    assert out.returncode == 1
    assert writes(srv) == [("PATCH", f"{GITHUB_REPO}/issues/comments/2"), ("POST", f"{GITHUB_REPO}/issues/7/comments")]
    answer = st.comments[7][-1]["body"]
    assert answer.splitlines() == [
        "**kplan apply refused** (asked by @bob): nothing was applied.", "",
        f"- the pull request needs 1 approval of its head `{new[:12]}` by someone other than its author @alice, and "
        "has 0: ask a reviewer to approve it, then comment `kplan apply` again.",
        "- @dan asked for changes: address them and have the review approve the head.",
        "- the pull request is 3 commits behind main: update the branch with main (merge or rebase): the new head "
        "gets a new plan to review.",
        f"- the head moved to `{new[:12]}` since `a` was planned: wait for the plan of the new head, review it, then "
        "comment `kplan apply` again."]
    stale = st.comments[7][1]["body"].splitlines()
    assert stale[2] == f"> **kplan: stale: the head moved to `{new[:12]}` since `a` was planned. The next plan " \
                       "replaces this comment.**"
    assert st.comments[7][2]["body"] == plan_comment("b", state(path="stacks/b.yaml", changes=""))  # untouched
    assert (tmp / "output").read_text() == ""


def test_a_commenter_who_may_not_write_is_refused(server):
    srv, env, tmp = server
    out = check(env, comment_event(tmp, "kplan apply", user="eve", can_push=False))
    assert out.returncode == 1
    assert srv.state.comments[7][-1]["body"].splitlines()[2] == (
        "- @eve may not write to the repository: ask someone who may write to it to comment `kplan apply`.")


def test_a_stack_another_pull_request_holds_is_refused(server):
    srv, env, tmp = server
    srv.state.comments[7][1]["body"] = plan_comment("a", state(holder=pull_request_id(GITHUB_REPO, 12)))
    out = check(env, comment_event(tmp, "kplan apply"))
    assert out.returncode == 1
    assert srv.state.comments[7][-1]["body"].splitlines()[2] == (
        "- pull request #12 holds stack `a`'s lock: wait until it is merged or closed; then push, or run the plan "
        "again, and apply.")


def test_a_comment_that_is_not_a_command_does_nothing(server):
    srv, env, tmp = server
    out = check(env, comment_event(tmp, "looks good, kplan apply later"))
    assert out.returncode == 0 and out.stdout.strip() == "The comment is not a `kplan apply` command: nothing to do."
    assert srv.state.seen == []


def test_code_owners_of_the_base_branch_must_approve_their_files(server):
    """--code-owners: the base branch's CODEOWNERS, in the forge's own syntax and place (GitHub: gitignore-like,
    .github/CODEOWNERS; Gitea: regular expressions, CODEOWNERS), names the owners of the files the pull request
    changes; an owning team's members count (GitHub by its slug, Gitea by searching its id)."""
    srv, env, tmp = server
    st = srv.state
    gitea = st.platform == "gitea"
    st.contents[("main", "CODEOWNERS" if gitea else ".github/CODEOWNERS")] = (
        "stacks/.* @carol @acme/kafka\n" if gitea else "/stacks/ @carol @acme/kafka\n")
    st.contents[("grow", "CODEOWNERS" if gitea else ".github/CODEOWNERS")] = "stacks/.* @alice\n"  # never read
    st.files[7] = ["stacks/a.yaml", "README.md"]
    st.teams["acme/kafka"] = ["dan"]
    refused = subprocess.run([sys.executable, "-m", "kplan", "ci", "apply", "--check", "-e", "prod", "--code-owners"],
                             env={**env, "GITHUB_EVENT_PATH": comment_event(tmp, "kplan apply")},
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1, refused.stderr
    assert st.comments[7][-1]["body"].splitlines()[2:] == [
        "- stack `a` needs a code owner's approval of the head for `stacks/a.yaml` (@carol, @acme/kafka): ask one of "
        "its code owners to approve it."]
    st.reviews[7].append({"user": {"login": "dan"}, "state": "APPROVED", "commit_id": HEAD})  # a member of the team
    ok = subprocess.run([sys.executable, "-m", "kplan", "ci", "apply", "--check", "-e", "prod"],
                        env={**env, "GITHUB_EVENT_PATH": comment_event(tmp, "kplan apply"), "KPLAN_CODE_OWNERS": "1"},
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr


def test_a_push_to_the_base_marks_the_plans_made_on_its_old_commit_stale(server):
    """`kplan ci stale` (kplan-pr-plan.yml on a push to main): each open pull request into main whose plan comment
    names another commit of main gets the stale banner; one made on main's new commit, and other comments, do not."""
    srv, env, tmp = server
    st = srv.state
    new = "d" * 40
    st.branches["main"] = new
    st.pulls[8] = {**st.pulls[7], "number": 8}
    st.comments[8] = [{"id": 10, "body": plan_comment("c", state(base=new, path="stacks/c.yaml"))}]
    st.pulls[9] = {**st.pulls[7], "number": 9, "state": "closed"}
    out = subprocess.run([sys.executable, "-m", "kplan", "ci", "stale"], env={**env, "GITHUB_REF": "refs/heads/main"},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["pull request #7: the plan of stack a is stale (main moved)",
                                       "pull request #7: the plan of stack b is stale (main moved)"]
    assert [s.path.rsplit("/repos/", 1)[1] for s in st.writes()] == [f"{GITHUB_REPO}/issues/comments/2",
                                                                     f"{GITHUB_REPO}/issues/comments/3"]
    assert st.comments[7][1]["body"].splitlines()[2] == (
        f"> **kplan: stale: main moved to `{new[:12]}` since `a` was planned. The next plan replaces this comment.**")
    again = subprocess.run([sys.executable, "-m", "kplan", "ci", "stale", "--base", "main"], env=env,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and len(st.writes()) == 2  # already saying so: not written again
    assert again.stdout.strip() == "No plan comment of an open pull request into main is stale."
