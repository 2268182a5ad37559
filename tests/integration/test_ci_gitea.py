"""kplan's first mode on a real forge, Gitea (the `forge` fixture), against the real local Kafka stack: apply after
the merge. examples/gitea's kplan-plan.yml, kplan-apply.yml and kplan-drift.yml run by the real runner, act, on the
real events (the pull request's, the merge's push, a dispatch of the drift check): the pull request's comment for the
one stack it touches, read back from Gitea's API; that stack applied after the merge (the cluster read with Kafka's
admin client); drift reported as an issue. And `kplan ci drift-issue` with a label, where Gitea differs from GitHub
(labels by id, pull requests among the issues unless asked not), opening, updating and closing the issue."""

from __future__ import annotations

from gitea_flow import Repo, job_env, repo_fixture, wheel_fixture
from kplan_helpers import kplan

STACKS = ("shop", "other")  # kplan-drift.yml checks stacks/shop.yaml


repo = repo_fixture("gitea", STACKS)
wheel = wheel_fixture()


def issues(r: Repo, state: str) -> list[dict]:
    return r.forge.api("GET", f"/repos/{r.repo.full_name}/issues", params={"state": state, "type": "issues"}).json()


def test_planned_in_the_pull_request_applied_after_the_merge_drift_reported(repo, wheel):
    r = repo
    r.push("grow", {"shop": ["one", "two"]})
    number = r.open_pr("grow")
    r.act_pr("kplan-plan.yml", number, "opened", wheel)
    [comment] = r.plan_comments(number).values()  # one comment: the stack the pull request touches
    assert comment["body"].startswith(f"<!-- kplan-plan stack={r.prefix}-shop env=prod -->\n### kplan plan")
    assert f"{r.prefix}.shop.two" in comment["body"] and f"{r.prefix}.other" not in comment["body"]

    before = r.main_head()
    r.forge.merge(r.repo, number)
    after = r.main_head()
    push = {"ref": "refs/heads/main", "before": before, "after": after,
            "repository": r.forge.api("GET", f"/repos/{r.repo.full_name}").json()}
    r.act("kplan-apply.yml", "push", push, wheel, "refs/heads/main", after)
    mine = {f"{r.prefix}.{s}.one" for s in STACKS} | {f"{r.prefix}.shop.two"}
    assert r.topics() == mine  # exactly the merged change

    gone = f"{r.prefix}.shop.two"
    r.admin.delete_topics([gone])[gone].result(30)  # drift: a topic of the stack deleted by hand
    dispatch = {"inputs": {}, "ref": "refs/heads/main", "repository": push["repository"]}
    r.act("kplan-drift.yml", "workflow_dispatch", dispatch, wheel, "refs/heads/main", after, code=1)
    [issue] = issues(r, "open")
    assert issue["title"] == f"kplan: drift in stack {r.prefix}-shop (prod)"
    assert issue["body"].startswith(f"<!-- kplan-drift stack={r.prefix}-shop env=prod -->") and gone in issue["body"]

    # (closing it once the drift is gone: test_a_drift_issue_with_a_label, by the command the job runs)


PLAN = "### kplan plan: stack `shop` (`prod`), cluster `c1`\n\n**Plan: 1 to add, 0 to change, 0 to destroy.**\n"


def test_a_drift_issue_with_a_label(forge, tmp_path, unique):
    """--label on Gitea: the new issue gets the repository's label by its id, the issues are looked for among those
    with it; a pull request whose text starts with the same marker is not taken for the issue (Gitea lists pull
    requests among issues unless asked `type=issues`)."""
    repo = forge.create_repo(files={"README.md": "hello\n"})
    forge.api("POST", f"/repos/{repo.full_name}/labels", json={"name": "kplan-drift", "color": "#d93f0b"})
    forge.push(repo, "change", {"README.md": "changed\n"})
    forge.api("POST", f"/repos/{repo.full_name}/pulls", json={
        "head": "change", "base": "main", "title": "a pull request", "labels": [],
        "body": "<!-- kplan-drift stack=shop env=prod -->\nnot an issue"})
    env = job_env(forge, repo.full_name, forge.tokens[forge.admin], {}, tmp_path)
    plan = tmp_path / "plan.md"
    for text in (PLAN, PLAN.replace("1 to add", "2 to add")):
        plan.write_text(text)
        made = kplan("ci", "drift-issue", "--label", "kplan-drift", str(plan), env=env, cwd=tmp_path)
        assert made.code == 0, made.text
    listed = forge.api("GET", f"/repos/{repo.full_name}/issues", params={"state": "open", "type": "issues"}).json()
    [issue] = listed  # created once, then edited in place
    assert [x["name"] for x in issue["labels"]] == ["kplan-drift"] and "2 to add" in issue["body"]
    assert made.out.strip() == f"updated drift issue {issue['number']}: {issue['html_url']}"
    resolved = kplan("ci", "drift-issue", "--label", "kplan-drift", "--resolved", "--stack", "shop", "-e", "prod",
                     env=env, cwd=tmp_path)
    assert resolved.code == 0 and resolved.out.strip() == f"closed drift issue {issue['number']}: no drift"
    assert forge.api("GET", f"/repos/{repo.full_name}/issues/{issue['number']}").json()["state"] == "closed"
    pulls = forge.api("GET", f"/repos/{repo.full_name}/pulls", params={"state": "open"}).json()
    assert [p["body"] for p in pulls] == ["<!-- kplan-drift stack=shop env=prod -->\nnot an issue"]  # untouched
