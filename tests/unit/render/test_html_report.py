"""The HTML plan page (kplan.render.html): self-contained, secrets masked by the plan model, the flows drawn from
the plan, `kplan show/plan --format html` and `kplan plan --report`. The browser tests are in
test_html_browser.py."""

from __future__ import annotations

import json
import re
import time

from builders import SINK, live_doc
from click.testing import CliRunner
from html_plans import big_plan

from kplan.cli import cli
from kplan.model.plan import Plan
from kplan.render import render
from kplan.render.html import _json
from kplan.render.html.flows import flow_graph, touched_flows

ENV_CANARY, LIVE_CANARY = "Canary-Html-Env-4d2f1", "Canary-Html-Live-8a7c3"

STACK = f"""\
stack: shop
cluster:
  bootstrap_servers: localhost:9092
  connect_url: http://localhost:8083
topics:
  - name: orders
    partitions: 3
    replication_factor: 1
connectors:
  - name: sink
    class: {SINK}
    tasks_max: 1
    config:
      topics: orders
      file: /tmp/out.txt
      connection.password: ${{secret:env:SINK_PASSWORD}}
      my.app.token: ${{secret:env:SINK_PASSWORD}}
"""


def _embedded(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="kplan-data">(.*?)</script>', page, re.S)
    assert m, "the page embeds its data"
    return json.loads(m.group(1))


def _case(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SINK_PASSWORD", ENV_CANARY)
    doc = live_doc(password=LIVE_CANARY)
    # the declared secret copied out of band into a key whose name says nothing
    doc["connectors"]["sink"]["config"]["some.custom.extra"] = f"copy:{ENV_CANARY}"
    (tmp_path / "stack.yaml").write_text(STACK)
    (tmp_path / "live.json").write_text(json.dumps(doc))


def test_no_secret_canary_in_the_page_of_plan_show_or_report(tmp_path, monkeypatch):
    _case(tmp_path, monkeypatch)
    runner = CliRunner()
    planned = runner.invoke(cli, ["plan", "stack.yaml", "--live-state", "live.json", "--format", "html",
                                  "--report", "report.html", "-out", "p.plan"])
    assert planned.exit_code == 0, planned.output
    shown = runner.invoke(cli, ["show", "p.plan", "--format", "html"])
    assert shown.exit_code == 0, shown.output
    report = (tmp_path / "report.html").read_text()
    for page in (planned.stdout, shown.stdout, report):
        assert page.startswith("<!DOCTYPE html>")
        assert 'connection.password' in page and "some.custom.extra" in page  # the changes are there...
        assert ENV_CANARY not in page and LIVE_CANARY not in page  # ...their secrets are not
    assert "Wrote the HTML report to report.html" in planned.stderr
    rows = {r["a"]: r for r in _embedded(report)["changes"]}
    sink = "\n".join(text for _, text in rows["connector.sink"]["d"])
    assert 'config["connection.password"] = (sensitive)' in sink, sink


def test_the_page_loads_nothing(tmp_path, monkeypatch):
    """No URL to fetch anything from, and a CSP that allows no source but the page's own inline style and script
    (by hash: an injected script would not run)."""
    page = render(big_plan(200), "html")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert csp.startswith("default-src 'none'; script-src 'sha256-") and "'unsafe-inline'" not in csp
    assert re.findall(r"<script(?: [^>]*)?>", page) == ['<script type="application/json" id="kplan-data">',
                                                         "<script>"]
    assert re.findall(r"(?:src|href)\s*=", page) == []
    assert re.findall(r"https?://", page) == []
    assert "@import" not in page and "url(" not in page


def test_embedded_json_cannot_end_its_script_element():
    plan = big_plan(8)
    evil = plan.changes[0].__class__(**{**plan.changes[0].__dict__, "name": "x</script><script>alert(1)</script>",
                                        "address": "topic.x</script><!--"})
    page = render(Plan(**{**plan.__dict__, "changes": (evil,) + plan.changes[1:]}), "html")
    assert page.count("</script>") == 2
    assert "alert(1)" in page and "<script>alert" not in page
    assert _embedded(page)["changes"][0]["a"] == "topic.x</script><!--"
    assert json.loads(_json({"s": "</script>\u2028&"})) == {"s": "</script>\u2028&"}


def test_groups_by_kind_and_action_in_review_order():
    data = _embedded(render(big_plan(1000), "html"))
    assert [(g["k"], g["x"], len(g["i"])) for g in data["groups"]] == [
        ("connector", "update", 1), ("connector", "create", 1),
        ("topic", "delete", 248), ("topic", "update", 250), ("topic", "create", 500)]
    assert sum(len(g["i"]) for g in data["groups"]) == len(data["changes"]) == 1000


def test_flows_from_cdc_source_through_topics_to_readers():
    g = flow_graph(big_plan(100))
    assert {("source:pg", "connector:pg-src"), ("connector:pg-src", "topic:pg.public.t0"),
            ("topic:shop.upd-00000", "connector:orders-sink")} <= g.edges
    flows = touched_flows(g)
    assert [sorted(n.id for n in f) for f in flows] == [
        ["connector:pg-src", "source:pg", "topic:pg.public.t0", "topic:pg.public.t1", "topic:pg.public.t2"],
        ["connector:orders-sink", "topic:shop.upd-00000"]]
    assert g.nodes["topic:pg.public.t0"].action == "create" and g.nodes["connector:orders-sink"].changed
    page = render(big_plan(100), "html")
    assert '<g class="n n-source" data-node="source:pg">' in page
    assert '<g class="n n-topic a-create" data-node="topic:pg.public.t0">' in page


def test_a_referenced_topic_in_a_flow_is_marked_owned_by_another_stack_and_one_in_none_is_not_drawn():
    """The stack's sink reads `payments`, which it references (another stack owns it); it also references
    `refunds`, which nothing of the stack reads or writes."""
    from builders import lconn, live, ltopic, stack

    from kplan.kinds.connector.model import ConnectorSpec
    from kplan.model.desired import ConnectorState, Reference, freeze
    from kplan.model.source import Origin
    from kplan.plan.planner import make_plan

    sink = ConnectorSpec("pay-sink", freeze({"tasks.max": "1", "connector.class": SINK, "topics": "payments",
                                             "file": "/tmp/x"}), ConnectorState.RUNNING)
    others = live([ltopic("payments"), ltopic("refunds")], [lconn("other", {"connector.class": SINK})],
                  owned_topics=[], owned_connectors=[])
    refs = tuple(Reference(a, freeze({}), Origin("stack.yaml", 3)) for a in ("topic.payments", "topic.refunds"))
    plan = make_plan(stack(connectors=[sink], references=refs), others)
    assert not plan.has_errors, plan.diagnostics
    g = flow_graph(plan)
    assert g.nodes["topic:payments"].referenced and not g.nodes["connector:pay-sink"].referenced
    assert "topic:refunds" not in g.nodes
    page = render(plan, "html")
    assert ('<g class="n n-topic ref" data-node="topic:payments"><title>topic payments (referenced: owned by '
            "another stack)</title>") in page
    assert '<g class="n n-connector a-create" data-node="connector:pay-sink">' in page
    assert re.findall(r'<g class="n [^"]* ref" data-node="([^"]+)"', page) == ["topic:payments"]
    assert "refunds" not in page.split('id="changes"')[0]
    assert '<g class="key ref">' in page and "dashed: referenced (references:), owned by another stack" in page
    # without the reference the same topic is drawn like any other, and the picture has no key
    plain = render(make_plan(stack(connectors=[sink]), others), "html")
    assert '<g class="n n-topic" data-node="topic:payments">' in plain and "key ref" not in plain


def test_flows_show_the_consumer_groups_of_a_disrupted_topic(tmp_path, monkeypatch):
    """The golden `consumers` case: its live state lists groups on the topics the plan disrupts."""
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).resolve().parents[2] / "golden" / "plan" / "consumers")
    out = CliRunner().invoke(cli, ["plan", "stack.yaml", "--live-state", "live.json", "--format", "html"])
    assert '<g class="n n-group" data-node="group:billing">' in out.stdout, out.stdout[-2000:]
    assert re.search(r'<section id="errors"><h2>Errors \(1\)</h2><ul class="errors"><li>[^<]*topic\.gone: deleting',
                     out.stdout)
    assert out.stdout.index('id="errors"') < out.stdout.index('id="warnings"') < out.stdout.index('id="changes"')


def test_ten_thousand_changes_render_fast_and_small():
    plan = big_plan(10_000)
    times = []
    for _ in range(3):
        t = time.perf_counter()
        page = render(plan, "html")
        times.append(time.perf_counter() - t)
    assert len(_embedded(page)["changes"]) == 10_000
    assert min(times) < 5.0, times  # measured ~0.5 s here
    assert len(page.encode()) < 6_000_000  # measured ~2.6 MB
