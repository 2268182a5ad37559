"""A plan too long for a comment is posted as a summary that fits, linking to the whole plan as one page
(kplan/ci/summary.py, `kplan ci comment --report-url`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kplan.ci import comment as c
from kplan.ci.summary import summary, too_long
from kplan.render import render

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "render"))
from html_plans import big_plan  # noqa: E402

KEY = c.Key(c.Kind.PLAN, "shop", "prod")
URL = "https://github.example/acme/kafka-stacks/actions/runs/99/artifacts/123"


@pytest.fixture(scope="module")
def markdown_5000() -> str:
    return render(big_plan(5000), "markdown")


def test_a_5000_change_plan_is_a_summary_that_fits_and_links_to_the_page(markdown_5000):
    assert "> **Truncated:**" in markdown_5000  # the renderer had to cut it
    body = c.build_body(KEY, markdown_5000, limit=c.GITHUB_BODY_LIMIT, footer="Planned by x.", report_url=URL)
    assert len(body) <= c.GITHUB_BODY_LIMIT
    lines = body.splitlines()
    assert lines[:4] == [KEY.marker(), "### kplan plan: stack `shop` (`prod`), cluster `cluster-1`", "",
                         "**Plan: 2501 to add, 1251 to change, 1248 to destroy.**"]
    assert f"[Open the whole plan]({URL})" in body
    # the renderer keeps the warnings (one per topic destroyed) before its cut, as many as fit, and says how many
    # more there are: the summary counts them all
    assert "### Warnings" in markdown_5000 and "more warning(s) are not shown" in markdown_5000
    assert "#### Warnings (1248)" in body and "- **Destroys** `topic.shop.old-00000`" in body
    assert "| Resource |" not in body and "`topic.shop.new-00000`" not in body
    assert body.endswith("\n---\nPlanned by x.\n")


def test_without_a_link_the_plan_is_cut_as_before(markdown_5000):
    body = c.build_body(KEY, markdown_5000, limit=c.GITHUB_BODY_LIMIT, footer="Planned by x.")
    assert len(body) <= c.GITHUB_BODY_LIMIT and "> **Truncated:**" in body and "Open the whole plan" not in body
    assert "- **Destroys** `topic.shop.old-00000`" in body and "5000 of 5000 changes are not shown" in body


def test_a_plan_that_fits_is_posted_whole_even_with_a_link():
    md = render(big_plan(20), "markdown")
    body = c.build_body(KEY, md, limit=c.GITHUB_BODY_LIMIT, footer="", report_url=URL)
    assert body == KEY.marker() + "\n" + md.strip("\n") + "\n"


def test_errors_and_warnings_the_markdown_has_are_kept_as_many_as_fit():
    md = ("### kplan plan: stack `shop`, cluster `c1`\n\n**Plan: 1 to add, 0 to change, 900 to destroy.**\n\n"
          "**Plan failed: 1 error(s); nothing can be applied.**\n\n| | Resource |\n|---|---|\n"
          + "".join(f"| - | `topic.t{i}` |\n" for i in range(900))
          + "\n### Errors\n\n- **Error:** topic.gone: read by billing\n\n### Warnings\n\n"
          + "".join(f"- **Destroys** `topic.t{i}`\n" for i in range(900)))
    assert too_long(md, 5000)
    out = summary(md, "https://x.example/a (b).html", 3000)
    assert len(out) <= 3000
    assert "**Plan failed: 1 error(s); nothing can be applied.**" in out
    assert out.index("#### Errors (1)") < out.index("#### Warnings (900)")
    assert "(https://x.example/a%20%28b%29.html)" in out
    assert "| - |" not in out
    assert "- **Destroys** `topic.t0`" in out.splitlines()
    assert [ln for ln in out.splitlines() if ln.startswith("- … and ")] == [out.splitlines()[-1]]
