"""The before/after distribution per broker of the topics a plan moves, in text, Markdown and HTML."""

from __future__ import annotations

from dataclasses import replace

from builders import live, ltopic, stack, topic

from kplan.kinds import rebalancing
from kplan.model.rebalance import RebalanceRequest
from kplan.plan.planner import make_plan
from kplan.render.distribution import distribution
from kplan.render.html import render_html
from kplan.render.markdown import render_markdown
from kplan.render.text import render_text


def plans():
    s = stack([topic("orders", 6, 2)])
    current = replace(live([replace(ltopic("orders", 6, 2), assignment=((1, 2), (2, 1)) * 3)]),
                      broker_racks={1: "a", 2: "b", 3: "c"})
    plan = make_plan(s, current)
    return plan, rebalancing().planned(plan, s, current, RebalanceRequest(rebalance=True, throttle=10 << 20), None)


def test_a_plan_that_moves_nothing_shows_no_distribution():
    plan, _ = plans()
    assert distribution(plan) is None
    assert "Replicas per broker" not in render_text(plan) + render_markdown(plan) + render_html(plan)


def test_text_markdown_and_html_show_replicas_and_preferred_leaders_per_broker_before_and_after():
    _, plan = plans()
    d = distribution(plan)
    assert d is not None and d.topics == 1 and d.throttle == 10 << 20
    assert [(r.broker, r.replicas_before, r.replicas_after, r.leaders_before, r.leaders_after) for r in d.rows] == [
        (1, 6, 4, 3, 2), (2, 6, 4, 3, 2), (3, 0, 4, 0, 2)]
    title = "Replicas per broker, before -> after (the 1 topic this plan moves; copied at most 10 MiB/s per broker)"
    text = render_text(plan)
    assert (f"{title}:\n  broker   replicas   preferred leaders\n  1        6 -> 4     3 -> 2\n"
            "  2        6 -> 4     3 -> 2\n  3        0 -> 4     0 -> 2\n") in text
    md = render_markdown(plan)
    assert f"### Distribution\n\n{title}:\n\n| Broker | Replicas | Preferred leaders |\n|--:|--:|--:|\n" \
           "| 1 | 6 -> 4 | 3 -> 2 |\n| 2 | 6 -> 4 | 3 -> 2 |\n| 3 | 0 -> 4 | 0 -> 2 |\n" in md
    page = render_html(plan)
    assert '<section id="distribution"><h2>Distribution</h2>' in page
    assert "<tr><td>3</td><td>0 -&gt; 4</td><td>0 -&gt; 2</td></tr>" in page
