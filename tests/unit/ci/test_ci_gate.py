"""Apply from the pull request, its pure parts: the comment command, the plan comment's state line and banners
(kplan/ci/state.py), the reviews read as approvals (kplan/ci/pull.py `decisions`), and the judgement of whether the
plans may be applied now, with every reason why not (kplan/ci/gate.py)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from kplan.ci.gate import Command, Policy, PullFacts, judge, parse_command, refusal_text
from kplan.ci.owners import owners_of, parse
from kplan.ci.pull import decisions
from kplan.ci.state import (
    PlanState,
    apply_lines,
    cluster_state,
    pull_request_id,
    read_state,
    who,
    with_banner,
)


def banner_of(body: str) -> str | None:
    """The banner a comment shows (without its markup), None when it has none."""
    for line in body.lstrip().splitlines()[1:3]:
        if line.startswith("> **kplan:"):
            return line[len("> **kplan:"):].strip().removesuffix("**").strip()
    return None

HEAD, BASE = "a" * 40, "b" * 40
STATE = PlanState(head=HEAD, base=BASE, plan="sha256:" + "1" * 64, cluster="sha256:" + "2" * 64,
                  path="stacks/a b.yaml", changes="yes")
FACTS = PullFacts(repository="acme/stacks", number=7, author="alice", open=True, head=HEAD, base_ref="main",
                  base_head=BASE, behind=0, mergeable=True, fork=False, approvers=("bob",), changes_requested=(),
                  commenter="bob", commenter_can_write=True)


@pytest.mark.parametrize("body, stacks", [
    ("kplan apply", ()),
    ("  kplan apply shop billing shop \n\nplease", ("shop", "billing")),
    ("\nkplan   apply\tshop", ("shop",)),
])
def test_the_command_is_the_first_line(body, stacks):
    assert parse_command(body) == Command(stacks)


@pytest.mark.parametrize("body", ["lgtm", "please kplan apply", "kplan applyall", "> kplan apply", "kplan plan", ""])
def test_other_comments_are_not_commands(body):
    assert parse_command(body) is None


def test_the_state_line_reads_back_and_sits_under_the_marker():
    body = f"<!-- kplan-plan stack=a env=prod -->\n{STATE.line()}\n### kplan plan: stack `a`\n"
    assert read_state(body) == STATE
    assert "stacks/a%20b.yaml" in STATE.line() and "-->" not in STATE.line()[:-3]
    held = replace(STATE, holder=pull_request_id("acme/stacks", 12), changes="")
    assert read_state(f"<!-- kplan-plan stack=a -->\n{held.line()}\n") == held
    assert read_state("<!-- kplan-plan stack=a -->\n### kplan plan: stack `a`\n") is None  # not kept
    assert read_state(f"<!-- kplan-plan stack=a -->\n\n{STATE.line()}\n") is None  # only the second line counts


def test_the_cluster_state_is_the_ids_and_fingerprints_the_saved_plan_records():
    plan = {"format_version": "1", "cluster_id": "c1", "fingerprints": {"topic.a": "absent"}, "stack": "a",
            "resource_changes": []}
    same = cluster_state(json.dumps({**plan, "stack": "other", "resource_changes": [{"x": 1}]}))
    assert cluster_state(json.dumps(plan)) == same
    assert cluster_state(json.dumps({**plan, "fingerprints": {"topic.a": "sha256:9"}})) != same
    assert cluster_state(json.dumps({**plan, "cluster_id": "c2"})) != same


def test_what_the_reviewer_reads_under_the_plan():
    mine = apply_lines("a", STATE, repository="acme/stacks")
    assert mine.startswith(f"Planned at head `{HEAD[:12]}` on base `{BASE[:12]}`, from the cluster as it was "
                           "(state `sha256:222222222222`); saved plan `sha256:111111111111`.")
    assert "comment `kplan apply` (every stack planned here) or `kplan apply a`" in mine
    theirs = apply_lines("a", replace(STATE, holder=pull_request_id("acme/stacks", 12)), repository="acme/stacks")
    assert "**Locked:** stack `a` is held by pull request #12 until it is merged or closed" in theirs
    assert "kplan apply" not in theirs
    assert apply_lines("a", replace(STATE, changes=""), repository="acme/stacks").endswith("Nothing to apply.")
    assert who(pull_request_id("other/repo", 3), "acme/stacks") == "other/repo#3"


def test_a_banner_replaces_the_one_before_and_keeps_the_rest():
    body = f"<!-- kplan-plan stack=a -->\n{STATE.line()}\n### kplan plan: stack `a`\n\nthe plan\n"
    stale = with_banner(body, "stale: main moved")
    assert stale.splitlines()[:4] == ["<!-- kplan-plan stack=a -->", STATE.line(), "> **kplan: stale: main moved**",
                                      ""]
    applied = with_banner(stale, "applied at head `aaaa`")
    assert banner_of(applied) == "applied at head `aaaa`" and applied.count("> **kplan:") == 1
    assert applied.endswith("### kplan plan: stack `a`\n\nthe plan\n") and read_state(applied) == STATE
    assert banner_of(body) is None


def review(user, state, commit=HEAD, **kw):
    return {"user": {"login": user}, "state": state, "commit_id": commit, **kw}


def test_approvals_count_each_reviewers_latest_decision_at_the_head():
    reviews = [review("bob", "APPROVED"), review("carol", "APPROVED", commit="old"),
               review("alice", "APPROVED"),  # the author's own: never counts
               review("dan", "CHANGES_REQUESTED"), review("dan", "COMMENTED"),  # a comment keeps the request
               review("erin", "REQUEST_CHANGES"), review("erin", "APPROVED"),  # Gitea's word; then approved
               review("frank", "APPROVED", dismissed=True),  # Gitea's dismissal
               review("gus", "APPROVED"), review("gus", "DISMISSED")]  # GitHub's
    assert decisions(reviews, "alice", HEAD) == (("bob", "erin"), ("dan",))


def test_a_pull_request_that_may_be_applied():
    verdict = judge(FACTS, Policy(), parse_command("kplan apply"), {"a": STATE, "b": replace(STATE, changes="")})
    assert verdict.ok and verdict.stacks == ("a",)


def _whys(facts=FACTS, policy=Policy(), command="kplan apply", plans=None):
    verdict = judge(facts, policy, parse_command(command), plans if plans is not None else {"a": STATE})
    return [(r.why, r.stale) for r in verdict.refusals], verdict


@pytest.mark.parametrize("change, why", [
    ({"open": False}, "the pull request is closed"),
    ({"fork": True}, "the pull request comes from a fork: its jobs never get the cluster's secrets"),
    ({"commenter": "eve", "commenter_can_write": False}, "@eve may not write to the repository"),
    ({"approvers": ()}, f"the pull request needs 1 approval of its head `{HEAD[:12]}` by someone other than its "
                        "author @alice, and has 0"),
    ({"changes_requested": ("dan",)}, "@dan asked for changes"),
    ({"mergeable": False}, "the forge says the pull request cannot be merged into main as it is (a conflict, a "
                           "draft, or the forge is still checking it)"),
    ({"mergeable": None}, "the forge has not yet worked out whether the pull request can be merged"),
    ({"behind": 2}, "the pull request is 2 commits behind main"),
])
def test_each_reason_of_the_pull_request_is_told(change, why):
    whys, _ = _whys(replace(FACTS, **change))
    assert whys == [(why, False)]


def test_two_approvals_when_the_policy_says_so():
    whys, _ = _whys(policy=Policy(approvals=2))
    assert whys == [(f"the pull request needs 2 approvals of its head `{HEAD[:12]}` by someone other than its "
                     "author @alice, and has 1 (approved by @bob)", False)]


def test_a_moved_head_or_base_makes_the_plan_stale():
    moved = replace(FACTS, head="c" * 40, approvers=("bob",))
    assert _whys(moved)[0] == [(f"the head moved to `{'c' * 12}` since `a` was planned", True)]
    for checking in (False, None):  # just after the push the forge is still checking the new head: not the reason
        assert _whys(replace(moved, mergeable=checking)) == _whys(moved)
    based = replace(FACTS, base_head="d" * 40)
    assert _whys(based)[0] == [(f"main moved to `{'d' * 12}` since `a` was planned", True)]
    for checking in (False, None):  # just after a push to the base the forge is checking again: not the reason
        assert _whys(replace(based, mergeable=checking)) == _whys(based)


def test_another_pull_requests_lock_and_missing_plans():
    held = replace(STATE, holder=pull_request_id("acme/stacks", 12))
    whys, verdict = _whys(command="kplan apply a b c", plans={"a": held, "b": None, "c": replace(STATE, changes="")})
    assert [w for w, _ in whys] == [
        "no saved plan of `b` (its plan failed, or it was planned without `--plans`)",
        "nothing to apply in `c`: its plan has no changes",
        "pull request #12 holds stack `a`'s lock"]
    assert verdict.stacks == ("a", "b", "c")
    whys, _ = _whys(command="kplan apply x", plans={"a": STATE})
    assert whys == [("no plan of stack `x` in this pull request", False)]
    whys, _ = _whys(plans={"a": replace(STATE, changes="")})
    assert whys == [("nothing to apply: no stack planned here has changes", False)]


def test_every_reason_is_told_with_what_to_do():
    _, verdict = _whys(replace(FACTS, approvers=(), behind=1, commenter="eve", commenter_can_write=False))
    text = refusal_text(verdict, "eve")
    assert text.splitlines() == [
        "**kplan apply refused** (asked by @eve): nothing was applied.", "",
        "- @eve may not write to the repository: ask someone who may write to it to comment `kplan apply`.",
        f"- the pull request needs 1 approval of its head `{HEAD[:12]}` by someone other than its author @alice, and "
        "has 0: ask a reviewer to approve it, then comment `kplan apply` again.",
        "- the pull request is 1 commit behind main: update the branch with main (merge or rebase): the new head gets "
        "a new plan to review."]


GITHUB_OWNERS = """\
# the whole repository, then narrower owners: the last match wins
*       @platform
*.md    @docs-team
/stacks/   @kafka @acme/kafka-admins
stacks/shop/*  @shop
**/payments   @pay
/stacks/free.yaml
"""


@pytest.mark.parametrize("path, owners", [
    ("README.md", ("docs-team",)),
    ("Makefile", ("platform",)),
    ("stacks/a.yaml", ("kafka", "acme/kafka-admins")),
    ("stacks/shop/orders.yaml", ("shop",)),
    ("stacks/shop/deep/orders.yaml", ("kafka", "acme/kafka-admins")),  # `docs/*`: not further down
    ("stacks/payments/x.yaml", ("pay",)),
    ("other/stacks/a.yaml", ("platform",)),  # `/stacks/` is anchored at the root
    ("stacks/free.yaml", ()),  # a line without owners: unowned
])
def test_github_code_owners_are_the_last_matching_line(path, owners):
    rules, problems = parse(GITHUB_OWNERS, gitea=False)
    assert problems == [] and owners_of(path, rules, gitea=False) == owners


def test_gitea_code_owners_are_every_matching_line():
    text = ("stacks/.*\\.yaml @kafka\n/stacks/shop/.* @shop @acme/shop\n!stacks/.* @outsiders\n"
            "docs/( @nobody\nlonely.txt\n")
    rules, problems = parse(text, gitea=True)
    assert problems == ["CODEOWNERS line 4: 'docs/(' is not a regular expression (missing ), unterminated subpattern): "
                        "skipped", "CODEOWNERS line 5: no @owner: skipped"]
    assert owners_of("stacks/shop/a.yaml", rules, gitea=True) == ("kafka", "shop", "acme/shop")
    assert owners_of("stacks/a.yml", rules, gitea=True) == ()
    assert owners_of("README.md", rules, gitea=True) == ("outsiders",)  # `!`: the files it does not match


def test_code_owners_approve_the_files_of_each_stack_they_own():
    facts = replace(FACTS, approvers=("bob", "carol"),
                    owners={"stacks/a b.yaml": ("kafka", "acme/kafka"), "stacks/other.yaml": ("zed",),
                            "README.md": ("docs",)},
                    members={"acme/kafka": ("carol",)})
    policy = Policy(code_owners=True)
    assert _whys(facts, policy)[0] == []  # carol approved, a member of the owning team
    alone = replace(facts, approvers=("bob",))
    assert _whys(alone, policy)[0] == [("stack `a` needs a code owner's approval of the head for `stacks/a b.yaml` "
                                        "(@kafka, @acme/kafka)", False)]
    assert _whys(alone)[0] == []  # not asked for
    unread = replace(facts, members={"acme/kafka": None}, approvers=("bob",))
    assert [w for w, _ in _whys(unread, policy)[0]] == [
        "the members of the code owner team @acme/kafka cannot be read with the job's token",
        "stack `a` needs a code owner's approval of the head for `stacks/a b.yaml` (@kafka, @acme/kafka)"]
