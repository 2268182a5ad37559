"""A repository's plans on a pull request (kplan.ci.repository, `kplan ci comment` over `kplan plan --tree DIR
--format markdown`): split again into one plan per stack, each posted as that stack's own comment, or summed up in
one comment linking each stack's page."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ci_forge_server import GITHUB_REPO, ForgeServer

from kplan.ci.comment import Kind, key_from_plan
from kplan.ci.repository import page_name, plan_line, split, summary_body
from kplan.cli import main
from kplan.exiting import EXIT_USAGE

TOKEN = "ghs_canaryTOKEN0123456789abcdef"
CLUSTER = "cluster: {bootstrap_servers: 'localhost:9092'}\n"
LIVE = {"cluster_id": "c1", "broker_count": 1, "topics": {"kept": {"partitions": 1, "replication_factor": 1}},
        "owned_topics": ["kept"]}


def topics(*names: str) -> str:
    return "topics:\n" + "".join(f"  - {{name: {n}, partitions: 1, replication_factor: 1}}\n" for n in names)


@pytest.fixture
def repository_markdown(tmp_path, monkeypatch, capsys) -> str:
    """`kplan plan --tree stacks --format markdown` over three stacks: one with changes, one without, one invalid."""
    monkeypatch.chdir(tmp_path)
    for name, text in {"stacks/orders.yaml": "stack: orders\n" + CLUSTER + topics("kept", "orders.new"),
                       "stacks/same.yaml": "stack: same\n" + CLUSTER + topics("kept"),
                       "stacks/broken.yaml": "stack: broken\n" + CLUSTER + "topics:\n  - {name: x, partitions: 0}\n",
                       "live.json": json.dumps(LIVE)}.items():
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_text(text)
    with pytest.raises(SystemExit):
        main(["plan", "--tree", "stacks", "--live-state", "live.json", "--format", "markdown"])
    return capsys.readouterr().out


def test_the_markdown_splits_into_each_stacks_own_plan(repository_markdown, capsys):
    sections, summary = split(repository_markdown)
    assert [(s.path, s.stack) for s in sections] == [("stacks/broken.yaml", "broken"), ("stacks/orders.yaml", "orders"),
                                                     ("stacks/same.yaml", "same")]
    assert summary == "Stacks: 3 planned: 1 with changes, 1 without changes, 1 failed."
    with pytest.raises(SystemExit):
        main(["plan", "stacks/orders.yaml", "--live-state", "live.json", "--format", "markdown"])
    assert sections[1].markdown == capsys.readouterr().out  # exactly the plan `kplan plan PATH` gives
    assert key_from_plan(Kind.PLAN, sections[0].markdown).stack == "broken"  # a failed stack keeps its key
    assert "must be at least 1" in sections[0].markdown
    assert plan_line(sections[1]).startswith("Plan: 1 to add") and "must be at least 1" in plan_line(sections[0])


def test_a_single_plan_is_not_a_repository():
    assert split("### kplan plan: stack `shop`, cluster `c1`\n\n**No changes.**\n") is None


def test_the_summary_has_a_row_per_stack_linking_its_page(repository_markdown):
    sections, summary = split(repository_markdown)
    body = summary_body(sections, summary, report_url="https://ci.example/run/7/")
    assert body.startswith("### kplan plan: 3 stacks\n\n**Stacks: 3 planned")
    assert "| `orders` | `stacks/orders.yaml` | Plan: 1 to add" in body
    assert "([plan](https://ci.example/run/7/orders.html))" in body
    assert page_name("teams/a b/stack.yaml") == "teams_a_b_stack.yaml.html"


def test_report_dir_writes_each_stacks_page_under_the_name_the_summary_links(repository_markdown, capsys):
    with pytest.raises(SystemExit):
        main(["plan", "--tree", "stacks", "--live-state", "live.json", "--report-dir", "pages"])
    assert sorted(os.listdir("pages")) == ["orders.html", "same.html"]  # the invalid stack has no plan page
    assert "<html" in Path("pages/orders.html").read_text().lower()


def test_out_dir_saves_each_stacks_plan_as_its_section_shows_it(repository_markdown, capsys):
    """`--out-dir`: each stack's plan without errors saved under the name `kplan ci comment --plans` looks for; it is
    the plan of the stack's section (shown again by `kplan show`), recording the stack's path as `-out` does."""
    from kplan.state.planfile import load_plan, stack_path_of

    with pytest.raises(SystemExit) as done:
        main(["plan", "--tree", "stacks", "--live-state", "live.json", "--format", "markdown", "--out-dir", "plans"])
    assert done.value.code == 1  # the invalid stack fails, as without --out-dir
    assert capsys.readouterr().out == repository_markdown
    assert sorted(os.listdir("plans")) == ["orders.plan", "same.plan"]  # no plan for the invalid stack
    assert (load_plan("plans/orders.plan").stack, stack_path_of("plans/orders.plan")) == ("orders",
                                                                                          "stacks/orders.yaml")
    sections, _ = split(repository_markdown)
    with pytest.raises(SystemExit):
        main(["show", "plans/orders.plan", "--format", "markdown"])
    assert capsys.readouterr().out == sections[1].markdown
    with pytest.raises(SystemExit) as one:
        main(["plan", "stacks/orders.yaml", "--live-state", "live.json", "--out-dir", "plans"])
    assert one.value.code == EXIT_USAGE and "--out-dir: for several stacks" in capsys.readouterr().err


# -- posted, as a CI job posts them (the real command against a local forge server) ----------------------------


@pytest.fixture
def github(tmp_path):
    with ForgeServer("github", TOKEN) as srv:
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "0123456789abcdef0123"}}}))
        drop = ("GITHUB_", "GITLAB_", "CI_", "GH_", "KPLAN_GITLAB", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
        env = {**{k: v for k, v in os.environ.items() if not k.upper().startswith(drop) and k != "CI"},
               "GITHUB_ACTIONS": "true", "GITHUB_API_URL": srv.url, "GITHUB_REPOSITORY": GITHUB_REPO,
               "GITHUB_EVENT_PATH": str(event), "GITHUB_EVENT_NAME": "pull_request", "GITHUB_TOKEN": TOKEN}
        yield srv, env
        assert srv.state.problems == []


def comment(env, stdin: str, *args: str):
    return subprocess.run([sys.executable, "-m", "kplan", "ci", "comment", *args], input=stdin, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.tools
def test_one_comment_per_stack_each_updated_in_place(github, repository_markdown):
    srv, env = github
    first = comment(env, repository_markdown)
    assert first.returncode == 0, first.stderr
    markers = [c["body"].splitlines()[0] for c in srv.state.comments[7]]
    assert markers == ["<!-- kplan-plan stack=broken -->", "<!-- kplan-plan stack=orders -->",
                       "<!-- kplan-plan stack=same -->"]
    assert len(first.stdout.strip().splitlines()) == 3 and "for stack orders" in first.stdout
    again = comment(env, repository_markdown)
    assert again.returncode == 0 and len(srv.state.comments[7]) == 3  # found again by their markers
    assert again.stdout.count("already shows") == 3


@pytest.mark.tools
def test_one_summary_comment_for_all_of_them(github, repository_markdown):
    srv, env = github
    out = comment(env, repository_markdown, "--summary", "--report-url", "https://ci.example/pages")
    assert out.returncode == 0, out.stderr
    [posted] = srv.state.comments[7]
    assert posted["body"].startswith("<!-- kplan-repository stack=repository -->\n### kplan plan: 3 stacks")
    assert "https://ci.example/pages/orders.html" in posted["body"]
    assert TOKEN not in out.stdout + out.stderr


def test_a_run_that_touches_no_stack_is_a_repository_with_nothing_to_post(repository_markdown, capsys):
    Path("changed.txt").write_text("README.md\n")
    with pytest.raises(SystemExit) as done:
        main(["plan", "--tree", "stacks", "--changed-files", "changed.txt", "--live-state", "live.json",
              "--format", "markdown"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and split(out) == ([], "No stacks to plan.")


@pytest.mark.tools
def test_nothing_touched_posts_nothing(github, tmp_path):
    srv, env = github
    out = comment(env, "No stacks to plan.\n")
    assert out.returncode == 0, out.stderr
    assert "nothing posted on pull request #7" in out.stdout and srv.state.comments.get(7, []) == []


def _only_orders(capsys) -> str:
    Path("changed.txt").write_text("stacks/orders.yaml\n")
    with pytest.raises(SystemExit):
        main(["plan", "--tree", "stacks", "--changed-files", "changed.txt", "--live-state", "live.json",
              "--format", "markdown"])
    return capsys.readouterr().out


@pytest.mark.tools
def test_mark_untouched_says_which_stacks_are_not_planned_any_more(github, repository_markdown, capsys):
    srv, env = github
    assert comment(env, repository_markdown).returncode == 0  # a first push: three stacks, three comments
    srv.state.comments[7].append({"id": 1, "body": "<!-- kplan-plan stack=same env=prod -->\nanother environment's"})
    srv.state.comments[7].append({"id": 2, "body": "LGTM, but <!-- kplan-plan stack=same --> is quoted here"})
    later = _only_orders(capsys)  # a later push: the pull request's changes touch orders only
    out = comment(env, later, "--mark-untouched")
    assert out.returncode == 0, out.stderr
    bodies = {c["body"].splitlines()[0]: c["body"] for c in srv.state.comments[7]}
    assert "Plan: 1 to add" in bodies["<!-- kplan-plan stack=orders -->"]
    for stack in ("broken", "same"):
        body = bodies[f"<!-- kplan-plan stack={stack} -->"]
        assert body.splitlines()[1] == f"### kplan plan: stack `{stack}`: not planned any more", body
        assert "Plan:" not in body and "must be at least 1" not in body
    assert bodies["<!-- kplan-plan stack=same env=prod -->"].endswith("another environment's")  # not this run's env
    assert bodies["LGTM, but <!-- kplan-plan stack=same --> is quoted here"]  # not kplan's
    assert "updated comment" in out.stdout and out.stdout.count("is not planned any more") == 2
    again = comment(env, later, "--mark-untouched")
    assert again.returncode == 0 and again.stdout.count("already says") == 2
    assert len(srv.state.comments[7]) == 5
    # the stack touched again: its plan is back in the same comment
    back = comment(env, repository_markdown, "--mark-untouched")
    assert back.returncode == 0 and len(srv.state.comments[7]) == 5
    assert "must be at least 1" in next(c["body"] for c in srv.state.comments[7]
                                        if c["body"].startswith("<!-- kplan-plan stack=broken -->"))


def test_mark_untouched_is_for_a_repositorys_plans(github):
    _, env = github
    out = comment(env, "### kplan plan: stack `shop`, cluster `c1`\n\n**No changes.**\n", "--mark-untouched")
    assert out.returncode == EXIT_USAGE and "--mark-untouched: for a repository's plans" in out.stderr
