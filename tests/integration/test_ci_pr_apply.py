"""Apply from the pull request (docs/ci.md) on a real forge, Gitea (the `forge` fixture), against the real local Kafka
stack.

The main flow runs examples/gitea's three workflows with the real runner, act (dev/localstack/runners.py), on the
pull request's real events (and examples/github's, kplan then speaking GitHub's API, which Gitea answers for what
kplan asks): a pull request touching two of three stacks gets one plan comment per touched stack (read
back from the forge's API), a second push edits those comments, a second user's approval and then a `kplan apply`
comment apply exactly the kept plans (the cluster read with Kafka's admin client, not kplan) and the outcome is
posted; merging releases the locks.

The other tests run the commands those workflows run, as their jobs run them: the plan job's (`kplan plan --out-dir`,
`kplan ci comment --plans`) in a clone of the pull request's head, the apply workflow's two jobs (`kplan ci apply
--check`, then `kplan ci apply` in a clone of the head the check names) with the event Gitea gives such a job (the
comment, the pull request as an issue, the repository as the commenter sees it, which carries the commenter's
permissions), and `kplan ci release`.

Applied: the kept plans of two stacks, exactly (the cluster read with Kafka's admin client, not kplan), the outcome
posted, and the locks released when the pull request is merged. Each refusal shows its comment, read back from the
forge's API, and a cluster left as it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gitea_flow import Repo, new_user, repo_fixture, wheel_fixture
from kplan_helpers import kplan, wait_for

STACKS = ("a", "b", "c")


repo = repo_fixture("pra", STACKS)
wheel = wheel_fixture()


def one(r: Repo, which: str, *topics: str) -> set[str]:
    return {f"{r.prefix}.{which}.{t}" for t in topics}


def base(r: Repo) -> set[str]:
    """The topics main's stacks made: each stack's `one`."""
    return {f"{r.prefix}.{s}.one" for s in STACKS}


# -- applied by the jobs' commands ----------------------------------------------------------------------------------


def test_approved_then_applied_exactly_as_planned_then_released(repo):
    """The jobs' own commands (no runner): the kept plans of two stacks applied, a second `kplan apply` does nothing
    again, and `kplan ci release` (the pull request merged) releases both locks."""
    r = repo
    number = r.planned({"a": ["one", "two"], "b": ["one", "two"]})
    assert r.locks() == {"a", "b"}
    code, _ = r.ask(number)
    assert code == 0
    assert r.topics() == base(r) | one(r, "a", "two") | one(r, "b", "two")
    assert r.comments(number)[-1]["body"].splitlines()[2:4] == [
        f"- stack `{r.prefix}-a`: applied: Apply complete! Resources: 1 added, 0 changed, 0 destroyed.",
        f"- stack `{r.prefix}-b`: applied: Apply complete! Resources: 1 added, 0 changed, 0 destroyed."]
    code, _ = r.ask(number, "kplan apply " + r.prefix + "-b")
    assert code == 0
    assert r.comments(number)[-1]["body"].splitlines()[2:] == [
        f"- stack `{r.prefix}-b`: applied: already applied (nothing done again)"]
    r.forge.merge(r.repo, number)
    event = r.forge.event(r.repo, number, "closed")
    released = kplan("ci", "release", env=r.job_env(event), cwd=r.checkout(event["pull_request"]["head"]["sha"]))
    assert released.code == 0, released.text
    assert released.out.splitlines() == [f"released stack {r.prefix}-a's pull request lock",
                                         f"released stack {r.prefix}-b's pull request lock"]
    assert r.released()
    assert {c["body"].splitlines()[2] for c in r.plan_comments(number).values()} == {
        "> **kplan: lock released: the pull request was merged**"}


# -- the refusals --------------------------------------------------------------------------------------------------


def refusal(r: Repo, number: int) -> list[str]:
    """The refusal comment's reasons (its list items), the last comment of the pull request."""
    body = r.comments(number)[-1]["body"]
    assert body.startswith("**kplan apply refused** (asked by @"), body
    return [line[2:] for line in body.splitlines() if line.startswith("- ")]


def test_not_approved_by_someone_other_than_the_author(repo):
    r = repo
    number = r.planned({"a": ["one", "two"]}, approved=False)
    code, _ = r.ask(number)
    assert code == 1
    head = r.forge.pull(r.repo, number)["head"]["sha"]
    assert refusal(r, number) == [
        f"the pull request needs 1 approval of its head `{head[:12]}` by someone other than its author "
        f"@{r.forge.admin}, and has 0: ask a reviewer to approve it, then comment `kplan apply` again."]
    assert r.topics() == base(r)


def test_not_approved_by_a_code_owner(repo, owner):
    """--code-owners (KPLAN_CODE_OWNERS): a changed file of a stack to apply has a code owner in the base branch's
    CODEOWNERS (Gitea's: regular expressions), and the reviewer is not one; once the owner approves, it applies."""
    r = repo
    r.forge.push(r.repo, "main", {"CODEOWNERS": f"stacks/a\\.yaml @{owner}\n"}, "code owners")
    number = r.planned({"a": ["one", "two"]})  # approved by the reviewer
    code, _ = r.ask(number, options=("--code-owners",))
    assert code == 1
    assert refusal(r, number) == [f"stack `{r.prefix}-a` needs a code owner's approval of the head for "
                                  f"`stacks/a.yaml` (@{owner}): ask one of its code owners to approve it."]
    assert r.topics() == base(r)
    r.forge.approve(r.repo, number, owner)
    code, _ = r.ask(number, options=("--code-owners",))
    assert code == 0, r.comments(number)[-1]["body"]
    assert r.topics() == base(r) | one(r, "a", "two")


def test_the_commenter_may_not_write_to_the_repository(repo, reader):
    r = repo
    number = r.planned({"a": ["one", "two"]})
    code, _ = r.ask(number, user=reader)
    assert code == 1
    assert refusal(r, number) == [f"@{reader} may not write to the repository: ask someone who may write to it to "
                                  "comment `kplan apply`."]
    assert r.topics() == base(r)


def test_not_up_to_date_with_its_base(repo):
    r = repo
    number = r.planned({"a": ["one", "two"]})
    moved = r.forge.push(r.repo, "main", {"README.md": "another change\n"}, "docs")  # main moves on, no conflict
    # kplan-pr-plan.yml's `stale` job, on that push: the plan comment made on main's old commit says it is stale
    push = {"ref": "refs/heads/main", "after": moved,
            "repository": r.forge.api("GET", f"/repos/{r.repo.full_name}").json()}
    stale = kplan("ci", "stale", env={**r.job_env(push), "GITHUB_REF": "refs/heads/main"}, cwd=r.tmp)
    assert stale.code == 0, stale.text
    assert stale.out.splitlines() == [f"pull request #{number}: the plan of stack {r.prefix}-a is stale (main moved)"]
    assert r.plan_comments(number)["a"]["body"].splitlines()[2] == (
        f"> **kplan: stale: main moved to `{moved[:12]}` since `{r.prefix}-a` was planned. The next plan replaces "
        "this comment.**")
    # no wait on the forge's `mergeable` (read now it may still be the answer from before the push, or false while
    # Gitea checks again): with the base moved since the plan it is not a reason, the moved base is
    code, _ = r.ask(number)
    assert code == 1
    reasons = refusal(r, number)
    assert reasons[0] == ("the pull request is 1 commit behind main: update the branch with main (merge or rebase): "
                          "the new head gets a new plan to review.")
    assert reasons[1:] == [f"main moved to `{moved[:12]}` since `{r.prefix}-a` was planned: update the branch with "
                           "main, or run the plan again, then comment `kplan apply` again."]
    assert "> **kplan: stale: main moved to `" in r.plan_comments(number)["a"]["body"]
    assert r.topics() == base(r)


def test_not_mergeable(repo):
    """In conflict with the base it was planned on (a base that moved after the plan is that reason instead)."""
    r = repo
    r.push("grow-a", {"a": ["one", "two"]})
    r.push("main", {"a": ["one", "three"]})  # the same lines changed on main: a conflict
    number = r.open_pr("grow-a")
    r.plan(number)
    r.forge.approve(r.repo, number)
    r.checked(number, mergeable=False)  # checking, then in conflict: false both times, and the same refusal
    code, _ = r.ask(number)
    assert code == 1
    assert refusal(r, number) == [
        "the forge says the pull request cannot be merged into main as it is (a conflict, a draft, or the forge "
        "is still checking it): resolve what keeps it from merging (a new head gets a new plan), or comment "
        "`kplan apply` again in a minute.",
        "the pull request is 1 commit behind main: update the branch with main (merge or rebase): the new head gets "
        "a new plan to review."]
    assert r.topics() == base(r)


def test_its_head_moved_since_the_plan(repo):
    r = repo
    number = r.planned({"a": ["one", "two"]}, approved=False)
    head = r.push("grow-a", {"a": ["one", "two", "three"]})  # a push whose plan has not run yet
    r.forge.approve(r.repo, number)  # (the forge's `mergeable` is no reason with the plan older than the head)
    code, _ = r.ask(number)
    assert code == 1
    assert refusal(r, number) == [f"the head moved to `{head[:12]}` since `{r.prefix}-a` was planned: wait for the "
                                  "plan of the new head, review it, then comment `kplan apply` again."]
    body = r.plan_comments(number)["a"]["body"]
    assert body.splitlines()[2] == (f"> **kplan: stale: the head moved to `{head[:12]}` since `{r.prefix}-a` was "
                                    "planned. The next plan replaces this comment.**")
    assert r.topics() == base(r)
    r.plan(number)  # the next plan replaces the comment, banner and all
    assert "kplan: stale" not in r.plan_comments(number)["a"]["body"]


def test_the_cluster_changed_since_the_plan(repo):
    r = repo
    number = r.planned({"a": ["one", "two"]})
    from confluent_kafka.admin import NewTopic

    r.admin.create_topics([NewTopic(f"{r.prefix}.a.two", 3, 1)])[f"{r.prefix}.a.two"].result(30)  # by hand
    wait_for(lambda: f"{r.prefix}.a.two" in r.topics(), timeout=30, what="the topic made by hand")
    code, _ = r.ask(number)
    assert code == 1
    said = r.comments(number)[-1]["body"].splitlines()[2]
    # kplan apply's own refusal of a stale saved plan, naming what changed
    assert said.startswith(f"- stack `{r.prefix}-a`: not applied, nothing was changed: the saved plan is stale"), said
    assert f"topic.{r.prefix}.a.two" in said
    banner = r.plan_comments(number)["a"]["body"].splitlines()[2]
    assert banner.startswith("> **kplan: not applied: the saved plan is stale"), banner
    md = r.admin.list_topics(f"{r.prefix}.a.two", timeout=10).topics[f"{r.prefix}.a.two"]
    assert len(md.partitions) == 3  # the topic made by hand, as it was: apply did not touch it
    assert r.topics() == base(r) | one(r, "a", "two")


FAIL_FIRST_STEP = """\
import sys
sys.path.insert(0, {here!r})
from faulty_kplan import InjectedFaults
from kplan.state import faults
faults.install(InjectedFaults(1, None, 0.0))  # step 1 fails right after its writes (faulty_kplan --fail-at step:1)
"""


def test_a_failed_apply_is_rolled_back_by_the_journal_and_posted(repo, tmp_path):
    """The kept plan's `kplan apply` fails after its first step wrote to the cluster (the failure injected into that
    process as faulty_kplan.py does, by a sitecustomize on its PYTHONPATH): kplan's journal rolls the step back, the
    result comment says so with kplan apply's output, the lock stays with the pull request, and a second `kplan
    apply` (nothing injected) applies the same plan."""
    r = repo
    number = r.planned({"a": ["one", "two"]})
    faulty = tmp_path / "faulty"
    faulty.mkdir()
    (faulty / "sitecustomize.py").write_text(FAIL_FIRST_STEP.format(here=str(Path(__file__).parent)))
    code, _ = r.ask(number, apply_env={"PYTHONPATH": str(faulty)})
    assert code == 1
    body = r.comments(number)[-1]["body"]
    assert body.splitlines()[2] == (f"- stack `{r.prefix}-a`: not applied: a step failed and kplan rolled back what "
                                    "the run had done (its output says how far)"), body
    assert "injected failure after step 1" in body and "The cluster is as it was before this apply." in body, body
    assert r.plan_comments(number)["a"]["body"].splitlines()[2].startswith("> **kplan: not applied: a step failed")
    assert r.topics() == base(r) and r.locks() == {"a"}  # the topic it made was deleted again
    code, _ = r.ask(number)
    assert code == 0, r.comments(number)[-1]["body"]
    assert r.topics() == base(r) | one(r, "a", "two")


def test_another_pull_request_holds_the_stack(repo):
    r = repo
    first = r.planned({"a": ["one", "two"]}, approved=False)
    second = r.planned({"a": ["one", "three"]}, branch="more-a")
    said = r.plan_comments(second)["a"]["body"]
    assert f"**Locked:** stack `{r.prefix}-a` is held by pull request #{first} until it is merged or closed" in said
    code, _ = r.ask(second)
    assert code == 1
    assert refusal(r, second) == [f"pull request #{first} holds stack `{r.prefix}-a`'s lock: wait until it is "
                                  "merged or closed; then push, or run the plan again, and apply."]
    assert r.topics() == base(r) and r.locks() == {"a"}


def test_a_pull_request_from_a_fork_never_reaches_the_cluster(repo, wheel):
    """A fork's pull request: the plan workflow does not plan it (its job would run with the cluster's secrets, which
    a runner like act, or a self-hosted one, gives a fork's job too), and `kplan ci apply --check`, in the job without
    them, refuses it."""
    from localstack.forge_api import Repo as ForgeRepo

    r = repo
    fork = r.forge.api("POST", f"/repos/{r.repo.full_name}/forks", r.forge.reviewer, json={}).json()
    r.forge.push(ForgeRepo(r.forge.reviewer, fork["name"]), "grow-a", {"stacks/a.yaml": r.stack("a", ["one", "two"])})
    number = r.forge.api("POST", f"/repos/{r.repo.full_name}/pulls", r.forge.reviewer, json={
        "head": f"{r.forge.reviewer}:grow-a", "base": "main", "title": "from a fork"}).json()["number"]
    run = r.act_pr("kplan-pr-plan.yml", number, "opened", wheel)
    assert "Install kplan" not in run.stdout + run.stderr  # no job ran: none got the secrets
    assert r.comments(number) == [] and r.locks() == set()
    r.forge.approve(r.repo, number, r.forge.admin)  # by someone other than its author, the reviewer
    r.checked(number)
    code, _ = r.ask(number, user=r.forge.admin)
    assert code == 1
    assert ("the pull request comes from a fork: its jobs never get the cluster's secrets: push the branch to this "
            "repository and open the pull request from there, or apply after the merge.") in refusal(r, number)
    assert r.topics() == base(r)


@pytest.fixture
def reader(forge):
    """A third user of the forge, who may read the repositories but not write to them."""
    name = new_user(forge, "reader")
    yield name
    forge.tokens.pop(name, None)


@pytest.fixture
def owner(forge, repo):
    """A third user of the forge, who may write to the repository: the code owner of its stack `a`."""
    name = new_user(forge, "owner")
    forge.api("PUT", f"/repos/{repo.repo.full_name}/collaborators/{name}", json={"permission": "write"})
    yield name
    forge.tokens.pop(name, None)
# -- the main flow, by examples/gitea's workflows run by act -------------------------------------------------------


@pytest.mark.parametrize("examples", ["gitea", "github"])
def test_a_pull_request_is_planned_approved_applied_and_merged_by_the_workflows(repo, wheel, examples):
    r = repo
    r.examples = examples
    r.push("grow", {"a": ["one", "two"], "b": ["one", "two"]})  # two of the three stacks
    number = r.open_pr("grow")

    r.act_pr("kplan-pr-plan.yml", number, "opened", wheel)
    first = r.plan_comments(number)
    assert sorted(first) == ["a", "b"]  # one comment per touched stack, none for c
    head = r.forge.pull(r.repo, number)["head"]["sha"]
    for which, c in first.items():
        assert c["body"].splitlines()[1].startswith(f"<!-- kplan-state head={head} "), c["body"][:400]
        assert f"{r.prefix}.{which}.two" in c["body"] and f"Planned at head `{head[:12]}`" in c["body"]
        assert f"comment `kplan apply` (every stack planned here) or `kplan apply {r.prefix}-{which}`" in c["body"]
    assert r.locks() == {"a", "b"} and r.topics() == base(r)  # planned, held, nothing applied

    head = r.push("grow", {"a": ["one", "two", "three"]})  # a second push
    r.act_pr("kplan-pr-plan.yml", number, "synchronized", wheel)
    second = r.plan_comments(number)
    assert {w: c["id"] for w, c in second.items()} == {w: c["id"] for w, c in first.items()}  # edited in place
    assert f"{r.prefix}.a.three" in second["a"]["body"] and f"head={head}" in second["a"]["body"]
    assert f"head={head}" in second["b"]["body"]

    r.forge.approve(r.repo, number)  # the second user's approval of the head
    r.checked(number)
    comment = r.forge.comment(r.repo, number, "kplan apply")
    r.act("kplan-pr-apply.yml", "issue_comment", r.comment_event(number, comment, r.forge.reviewer), wheel,
          "refs/heads/main", r.main_head())
    # exactly the kept plans: a's two and three, b's two; c untouched (read with Kafka's admin client)
    assert r.topics() == base(r) | one(r, "a", "two", "three") | one(r, "b", "two")
    result = r.comments(number)[-1]["body"].splitlines()
    assert result[0] == f"**kplan apply** (asked by @{r.forge.reviewer}) at head `{head[:12]}`:"
    assert result[2:4] == [
        f"- stack `{r.prefix}-a`: applied: Apply complete! Resources: 2 added, 0 changed, 0 destroyed.",
        f"- stack `{r.prefix}-b`: applied: Apply complete! Resources: 1 added, 0 changed, 0 destroyed."]
    for c in r.plan_comments(number).values():
        assert c["body"].splitlines()[2] == (f"> **kplan: applied at head `{head[:12]}`, asked by "
                                             f"@{r.forge.reviewer}**")

    r.forge.merge(r.repo, number)
    r.act_pr("kplan-pr-closed.yml", number, "closed", wheel)
    assert r.released()
    for c in r.plan_comments(number).values():
        assert c["body"].splitlines()[2] == "> **kplan: lock released: the pull request was merged**"
