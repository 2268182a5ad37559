"""The local forge (Gitea, dev/localstack/forge.py) that `kplan ci` is tested against: started by the launcher with
its two users and their tokens, it takes a repository, a branch pushed over HTTP, a pull request, the second user's
approval, a comment and the merge, each read back from its API (dev/localstack/forge_api.py speaks Gitea's where it
differs from GitHub's).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import requests

from localstack import forge as gitea

DEV_STACK = Path(__file__).resolve().parents[2] / "dev" / "stack"


def test_a_pull_request_is_pushed_reviewed_commented_and_merged(forge):
    repo = forge.create_repo(files={"README.md": "stacks\n"})
    head = forge.push(repo, "add-orders", {"stacks/orders.yaml": "stack: orders\n"}, "add the orders stack")
    pr = forge.open_pr(repo, "add-orders", title="orders")
    assert (pr["head"]["sha"], pr["base"]["ref"], pr["user"]["login"]) == (head, "main", forge.admin)

    # the author may not approve their own pull request: that is what the second user is for
    own = forge.raw("POST", f"/repos/{repo.full_name}/pulls/{pr['number']}/reviews", forge.admin,
                    json={"event": "APPROVED", "body": ""})
    assert own.status_code == 422, own.text
    forge.approve(repo, pr["number"], body="ship it")
    assert [(r["user"]["login"], r["state"]) for r in forge.reviews(repo, pr["number"])] == \
        [(forge.reviewer, "APPROVED")]

    forge.comment(repo, pr["number"], "first")
    forge.comment(repo, pr["number"], "second", user=forge.admin)
    assert [(c["user"]["login"], c["body"]) for c in forge.comments(repo, pr["number"])] == \
        [(forge.reviewer, "first"), (forge.admin, "second")]

    forge.merge(repo, pr["number"])
    merged = forge.pull(repo, pr["number"])
    assert merged["merged"] and merged["state"] == "closed"
    assert forge.api("GET", f"/repos/{repo.full_name}/raw/stacks/orders.yaml?ref=main").text == "stack: orders\n"


def test_a_second_push_moves_the_pull_requests_head(forge):
    repo = forge.create_repo(files={"README.md": "stacks\n"})
    forge.push(repo, "change", {"a.yaml": "a: 1\n"})
    number = forge.open_pr(repo, "change")["number"]
    second = forge.push(repo, "change", {"a.yaml": "a: 2\n", "README.md": None})
    assert forge.pull(repo, number)["head"]["sha"] == second
    event = forge.event(repo, number, "synchronize")
    assert (event["action"], event["number"], event["pull_request"]["head"]["sha"], event["repository"]["full_name"],
            event["sender"]["login"]) == ("synchronize", number, second, repo.full_name, forge.admin)


def test_the_launcher_reports_the_forge(forge):
    env = subprocess.run([str(DEV_STACK), "env"], capture_output=True, text=True, check=True).stdout
    assert f"export KPLAN_FORGE_URL={forge.url}\n" in env
    assert f"export KPLAN_FORGE_REVIEWER_TOKEN_FILE={gitea.token_file(forge.reviewer)}\n" in env
    for user in (forge.admin, forge.reviewer):  # each token file holds that user's token
        token = gitea.token_file(user).read_text().strip()
        me = requests.get(f"{forge.api_url}/user", headers={"Authorization": f"token {token}"}, timeout=30)
        assert (me.status_code, me.json()["login"], me.json()["is_admin"]) == (200, user, user == forge.admin)
    status = subprocess.run([str(DEV_STACK), "status"], capture_output=True, text=True).stdout
    line = next(li for li in status.splitlines() if li.startswith("forge "))
    assert line.split(None, 1)[1].startswith("running (pid ") and line.endswith("), healthy"), line
