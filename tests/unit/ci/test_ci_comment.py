"""The pure parts of `kplan ci`: the marker, the body and its bound, create-or-update (post_plan on a fake forge),
and reading the CI variables (kplan/ci/comment.py, kplan/ci/post.py, kplan/ci/context.py)."""

from __future__ import annotations

import pytest

from kplan.ci import comment as c
from kplan.ci.context import ContextError, Overrides, detect
from kplan.ci.post import Outcome, Posted, post_plan

KEY = c.Key(c.Kind.PLAN, "shop", "prod")


def test_markers_name_the_kind_stack_and_environment():
    assert KEY.marker() == "<!-- kplan-plan stack=shop env=prod -->"
    assert c.Key(c.Kind.DRIFT, "shop").marker() == "<!-- kplan-drift stack=shop -->"


@pytest.mark.parametrize("title, stack, env", [
    ("### kplan plan: stack `shop`, cluster `c`", "shop", None),
    ("### kplan plan: stack `shop` (`prod`), cluster `c`", "shop", "prod"),
    ("### kplan destroy plan: stack `a.b-c` (`eu_1`), cluster `?`", "a.b-c", "eu_1"),
])
def test_the_key_comes_from_the_plan_title(title, stack, env):
    assert c.key_from_plan(c.Kind.PLAN, f"\n{title}\n\nbody") == c.Key(c.Kind.PLAN, stack, env)


def test_a_plan_without_a_kplan_title_has_no_key():
    assert c.key_from_plan(c.Kind.PLAN, "# my own plan") is None


@pytest.mark.parametrize("bad", ["two words", "x-->", "a\nb", ""])
def test_marker_parts_are_checked(bad):
    with pytest.raises(ValueError):
        c.check_key_part("stack", bad)


def test_find_takes_the_first_note_that_starts_with_the_marker():
    notes = [c.Note(1, "> " + KEY.marker()), c.Note(2, "<!-- kplan-plan stack=shop -->"),
             c.Note(3, "\n" + KEY.marker() + "\nold"), c.Note(4, KEY.marker() + "\nduplicate")]
    assert c.find(notes, KEY) == notes[2]
    assert c.find(notes[:2], KEY) is None


class _Comments:
    """A pull request's comments, recording what kplan asks of them."""

    limit = 1000  # the longest comment the forge takes

    def __init__(self, *notes: c.Note):
        self.notes, self.calls = list(notes), []

    def comments(self):
        return iter(self.notes)

    def create_comment(self, body):
        self.calls.append(("create", body))
        return {"id": 9}

    def update_comment(self, number, body):
        self.calls.append(("update", number, body))
        return {}


def test_post_plan_creates_updates_or_leaves_alone():
    body = c.build_body(KEY, "x", limit=1000, footer="")
    forge = _Comments()
    assert post_plan(forge, KEY, "x", footer="") == Outcome(Posted.CREATED, 9)
    assert forge.calls == [("create", body)]
    forge = _Comments(c.Note(5, body + "\n"))
    assert post_plan(forge, KEY, "x", footer="") == Outcome(Posted.UNCHANGED, 5)
    assert forge.calls == []
    forge = _Comments(c.Note(5, KEY.marker() + "\ny"))
    assert post_plan(forge, KEY, "x", footer="") == Outcome(Posted.UPDATED, 5)
    assert forge.calls == [("update", 5, body)]


def test_the_body_is_marker_plan_footer():
    body = c.build_body(KEY, "\n### plan\n\nrows\n", limit=1000, footer="Planned by x.")
    assert body == "<!-- kplan-plan stack=shop env=prod -->\n### plan\n\nrows\n\n---\nPlanned by x.\n"


@pytest.mark.parametrize("limit", [c.GITHUB_BODY_LIMIT, c.GITLAB_BODY_LIMIT, 500])
def test_the_body_is_cut_to_the_platform_limit(limit):
    body = c.build_body(KEY, "x" * (limit + 10), limit=limit, footer="Planned by x.")
    assert len(body) <= limit
    assert body.startswith(KEY.marker()) and body.endswith("Planned by x.\n")
    assert "The plan was cut here" in body


def test_footer_names_the_commit_and_job():
    assert c.footer("GitHub", "0123456789abcdef", "https://h/run/1") == (
        "Planned by `kplan ci comment` at commit `0123456789ab` ([GitHub job](https://h/run/1)).")
    assert c.footer("GitLab", None, None) == "Planned by `kplan ci comment`."


def _no_event(path):
    raise AssertionError("the event file must not be read")


def test_github_context_from_the_variables():
    env = {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_PATH": "/e", "GITHUB_TOKEN": "t0k",
           "GITHUB_SHA": "merge"}
    ctx = detect(env, Overrides(), need_number=True,
                 read_event=lambda p: {"pull_request": {"number": 4, "head": {"sha": "head"}}})
    assert (ctx.platform, ctx.api_url, ctx.project, ctx.number, ctx.commit, ctx.token_var) == (
        "github", "https://api.github.com", "o/r", 4, "head", "GITHUB_TOKEN")
    assert "t0k" not in repr(ctx)


@pytest.mark.parametrize("flag", ["GITEA_ACTIONS", "FORGEJO_ACTIONS"])
def test_gitea_and_forgejo_actions_are_gitea_though_they_set_github_variables(flag):
    env = {"GITHUB_ACTIONS": "true", flag: "true", "GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_PATH": "/e",
           "GITHUB_SERVER_URL": "https://git.example/", "GITHUB_TOKEN": "t0k", "GITHUB_SHA": "sha"}
    ctx = detect(env, Overrides(), need_number=True,
                 read_event=lambda p: {"pull_request": {"number": 4, "head": {"sha": "head"}, "base": {"sha": "b"}}})
    assert (ctx.platform, ctx.api_url, ctx.project, ctx.number, ctx.commit, ctx.base, ctx.token_var) == (
        "gitea", "https://git.example/api/v1", "o/r", 4, "head", "b", "GITHUB_TOKEN")
    assert detect({**env, "GITEA_TOKEN": "t1k"}, Overrides(), need_number=False, read_event=_no_event).token == "t1k"


def test_a_comment_on_a_pull_request_names_it():
    """issue_comment: the issue is the pull request (its commits are not in the event: the API says them)."""
    env = {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_PATH": "/e", "GITHUB_TOKEN": "t"}
    event = {"issue": {"number": 9, "pull_request": {"url": "x"}}, "comment": {"body": "kplan apply"}}
    ctx = detect(env, Overrides(), need_number=True, read_event=lambda p: event)
    assert (ctx.number, ctx.base) == (9, None)
    with pytest.raises(ContextError, match="not a pull_request event"):  # a comment on an issue
        detect(env, Overrides(), need_number=True, read_event=lambda p: {"issue": {"number": 9}})


def test_gitlab_context_and_overrides():
    env = {"GITLAB_CI": "true", "CI_API_V4_URL": "https://gl/api/v4/", "CI_PROJECT_ID": "9",
           "CI_MERGE_REQUEST_IID": "2", "GITLAB_TOKEN": "t0k", "OTHER": "t1k"}
    ctx = detect(env, Overrides(project="g/p", number=5, token_var="OTHER"), need_number=True, read_event=_no_event)
    assert (ctx.platform, ctx.api_url, ctx.project, ctx.number, ctx.token, ctx.token_var) == (
        "gitlab", "https://gl/api/v4", "g/p", 5, "t1k", "OTHER")


@pytest.mark.parametrize("env, words", [
    ({}, "not in GitHub Actions, Gitea Actions or GitLab CI"),
    ({"GITEA_ACTIONS": "true", "GITHUB_REPOSITORY": "o/r", "GITHUB_TOKEN": "t"}, "no Gitea API URL"),
    ({"GITHUB_ACTIONS": "true", "GITHUB_TOKEN": "t"}, "no repository"),
    ({"GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_PATH": "/e"}, "no API token: set GITHUB_TOKEN or GH_TOKEN"),
    ({"GITLAB_CI": "true", "CI_PROJECT_ID": "1", "GITLAB_TOKEN": "t"}, "no GitLab API URL"),
])
def test_what_is_missing_is_named(env, words):
    with pytest.raises(ContextError, match=words):
        detect(env, Overrides(), need_number=False, read_event=_no_event)
