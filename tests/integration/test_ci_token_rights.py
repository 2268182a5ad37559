"""The tokens' least rights (docs/ci.md) on a real forge, Gitea 1.26, against the real local Kafka stack: a bot user
who is not a collaborator of the (public) repository, with a token of two scopes, `read:repository` and
`write:issue`, does everything both modes ask of the forge (the plan comments, the apply check and the apply from
the pull request, the result, the release of the locks, a drift issue); a token without either scope is refused
with kplan's one line naming the token and what it needs, and the cluster is left as it was.

What a token of Gitea's scopes can call was read back from the forge: `read:repository` reads the pull request, its
reviews, branches and comparison; `write:issue` reads and writes a pull request's conversation (Gitea's pull
requests are issues) and the issues and labels of a drift report. The commenter's right to write comes from the
event, so the token needs no admin scope. (Gitea Actions' own job token is rights by `permissions:`, not scopes: a
runner of Gitea's own is not run here; examples/gitea's workflows run by act with a token made here.)
"""

from __future__ import annotations

import pytest
from gitea_flow import Repo, new_user, repo_fixture, token
from kplan_helpers import kplan

STACKS = ("a", "b")
LEAST = ("read:repository", "write:issue")

repo = repo_fixture("rights", STACKS)


@pytest.fixture
def bot(repo):
    """The job's user: not a collaborator, its token of the two scopes is the jobs' token from now on."""
    name = new_user(repo.forge, "bot", LEAST)
    repo.token = repo.forge.tokens[name]
    yield name
    repo.forge.tokens.pop(name, None)


def authors(r: Repo, number: int) -> set[str]:
    return {c["user"]["login"] for c in r.comments(number) if not c["body"].startswith("kplan apply")}


def test_two_scopes_plan_apply_release_and_report_drift(repo, bot):
    r = repo
    number = r.planned({"a": ["one", "two"]})
    assert sorted(r.plan_comments(number)) == ["a"] and r.locks() == {"a"}
    code, _ = r.ask(number)
    assert code == 0, r.comments(number)[-1]["body"]
    assert r.topics() == {f"{r.prefix}.a.one", f"{r.prefix}.a.two", f"{r.prefix}.b.one"}
    assert r.comments(number)[-1]["body"].splitlines()[2] == (
        f"- stack `{r.prefix}-a`: applied: Apply complete! Resources: 1 added, 0 changed, 0 destroyed.")
    assert authors(r, number) == {bot}  # every comment kplan wrote, written with the bot's token

    r.forge.merge(r.repo, number)
    event = r.forge.event(r.repo, number, "closed")
    released = kplan("ci", "release", env=r.job_env(event), cwd=r.checkout(event["pull_request"]["head"]["sha"]))
    assert released.code == 0, released.text
    assert r.released()

    plan = r.tmp / "drift.md"
    plan.write_text("### kplan plan: stack `a` (`prod`), cluster `c1`\n\n**Plan: 1 to add, 0 to change, 0 to "
                    "destroy.**\n")
    made = kplan("ci", "drift-issue", str(plan), env=r.job_env({}), cwd=r.tmp)
    assert made.code == 0, made.text
    [issue] = r.forge.api("GET", f"/repos/{r.repo.full_name}/issues", params={"state": "open", "type": "issues"}).json()
    assert issue["user"]["login"] == bot and issue["title"] == "kplan: drift in stack a (prod)"


def test_without_write_issue_the_plan_job_is_refused_in_one_line(repo, bot):
    r = repo
    r.token = token(r.forge, bot, ("read:repository",))
    r.push("grow-a", {"a": ["one", "two"]})
    number = r.open_pr("grow-a")
    with pytest.raises(AssertionError) as refused:
        r.plan(number)
    said, *_ = str(refused.value).splitlines()  # kplan's one line, then pytest's assert
    assert said == (f"Error: Gitea answered 403 to GET /repos/{r.repo.full_name}/issues/{number}/comments: "
                    "the token in GITEA_TOKEN may not do this; give the job `permissions: pull-requests: write` "
                    "(and `issues: write` for the drift issue), or a token of the scopes read:repository and "
                    "write:issue")
    assert r.comments(number) == [] and r.topics() == {f"{r.prefix}.a.one", f"{r.prefix}.b.one"}


def test_without_read_repository_the_apply_check_is_refused_in_one_line(repo, bot):
    r = repo
    number = r.planned({"a": ["one", "two"]})
    r.token = token(r.forge, bot, ("write:issue",))
    comment = r.forge.comment(r.repo, number, "kplan apply", r.forge.reviewer)
    check = kplan("ci", "apply", "--check", "-e", "prod",
                  env=r.job_env(r.comment_event(number, comment, r.forge.reviewer)), cwd=r.tmp)
    assert check.code == 1
    assert check.text.splitlines() == [
        f"Error: Gitea answered 403 to GET /repos/{r.repo.full_name}/pulls/{number}: the token in GITEA_TOKEN may "
        "not do this; give the job `permissions: pull-requests: write` (and `issues: write` for the drift issue), or "
        "a token of the scopes read:repository and write:issue"]
    assert r.comments(number)[-1]["id"] == comment["id"]  # no comment after the request
    assert r.topics() == {f"{r.prefix}.a.one", f"{r.prefix}.b.one"}
