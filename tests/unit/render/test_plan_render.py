"""Renderers: text (symbols, values, colors), markdown (PR comment, bounded), json (schema-valid); no secrets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from builders import SECRET, connector, lconn, live, ltopic, stack, topic

from kplan.model.source import Origin
from kplan.plan.planner import make_plan
from kplan.render import render, render_json
from kplan.render.markdown import render_markdown
from kplan.render.text import render_text
from kplan.rules.display import readable
from kplan.stackfile.references import resolve_stack_secrets
from kplan.state.planfile import dumps_plan


def _plan_with_env(st, state, environ):
    return make_plan(st, state, secrets=resolve_stack_secrets(st, environ))


SCHEMA = json.loads((Path(__file__).resolve().parents[3] / "schemas" / "plan.schema.json").read_text())
ANSI = re.compile(r"\x1b\[")
STACK_PLAINTEXT = "stack-plaintext-pw"
LIVE_PLAINTEXT = "live-plaintext-pw"


def validate(doc):
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(doc)


@pytest.fixture
def busy_plan():
    """One of everything: create, update (irreversible, drift, inherited), replace, delete, refused, secrets."""
    cdc = Origin("stack.yaml", 30, 5, cdc_source="pg", table="public.customers")
    return _plan_with_env(
        stack(
            [topic("new", config={"retention.bytes": "1073741824"}, line=2),
             topic("orders", partitions=12, config={"retention.ms": "86400000"}, line=5),
             topic("swap", partitions=1, allow_replace=True, line=9),
             topic("stuck", rf=1, line=12),
             topic("pg.public.customers", line=30).__class__("pg.public.customers", 1, 1, origin=cdc)],
            [connector("pg-src", config={"database.password": "${secret:env:PG_PASSWORD}", "database.user": "u",
                                         "other.password": STACK_PLAINTEXT}),
             connector("sink", state="paused")],
        ),
        live([ltopic("orders", partitions=6, overrides={"segment.ms": "3600000"},
                     effective={"retention.ms": "604800000"}),
              ltopic("swap", partitions=3), ltopic("stuck", rf=3), ltopic("old")],
             [lconn("pg-src", config={"database.password": LIVE_PLAINTEXT, "database.user": "v",
                                      "other.password": "x"}),
              lconn("sink", state="RUNNING"), lconn("gone", config={"secret.token": LIVE_PLAINTEXT})],
             owned_connectors=["pg-src", "sink", "gone"]),
        {"PG_PASSWORD": SECRET},
    )


def test_no_secret_in_any_rendering(busy_plan):
    outputs = [render_text(busy_plan), render_text(busy_plan, color=True), render_markdown(busy_plan),
               render_json(busy_plan), dumps_plan(busy_plan), repr(busy_plan)]
    for out in outputs:
        for secret in (SECRET, STACK_PLAINTEXT, LIVE_PLAINTEXT):
            assert secret not in out
    assert "(sensitive)" in outputs[0]


def test_text_symbols_values_and_summary(busy_plan):
    out = render_text(busy_plan)
    assert not ANSI.search(out)
    assert '  + topic "new" {' in out
    assert '  ~ topic "orders" {' in out
    assert '-/+ topic "swap" {' in out
    assert '  - topic "old" {' in out
    assert re.search(r'~ partitions\s+= 6 -> 12', out)
    assert '+ config["retention.bytes"] = 1073741824 (1 GiB)' in out
    assert '= 86400000 (1d)  # overrides the inherited 604800000 (7d)' in out
    assert '# drift: config["segment.ms"] = 3600000 (1h)' in out
    assert '# refused: replication_factor = 3 -> 1' in out
    assert "declared at stack.yaml:30 (cdc source pg, table public.customers)" in out
    assert "        # (1 unchanged attribute hidden)" in out.splitlines()  # singular ...
    assert "        # (3 unchanged attributes hidden)" in out.splitlines()  # ... and plural
    assert "IRREVERSIBLE" in out and "DATA LOSS" in out
    assert out.rstrip().endswith("Plan failed: 1 error; nothing can be applied.")
    assert "Plan: 3 to add, 3 to change, 3 to destroy." in out
    assert "Error: stack.yaml:12:1: topic.stuck.replication_factor: cannot change" in out


def test_text_sensitive_change_is_marked(busy_plan):
    out = render_text(busy_plan)
    assert 'config["database.password"] = (sensitive) -> ${secret:env:PG_PASSWORD}' in out
    assert '      ~ config["other.password"]    = (sensitive value changed)' in out.splitlines()


def test_text_colors_only_when_asked(busy_plan):
    assert ANSI.search(render_text(busy_plan, color=True))
    assert not ANSI.search(render_text(busy_plan, color=False))


def test_text_no_changes():
    plan = make_plan(stack([topic()]), live([ltopic()]))
    out = render_text(plan)
    assert out.rstrip().endswith("No changes. The cluster matches the stack.")
    assert "will perform" not in out and 'topic "orders"' not in out


def test_text_no_changes_mentions_drift_and_shows_it():
    plan = make_plan(stack([topic()]), live([ltopic(overrides={"segment.ms": "1"})]))
    out = render_text(plan)
    assert "No changes. The cluster matches the stack (1 with drift left alone)." in out
    assert "# drift:" in out


def test_destroy_text():
    plan = make_plan(stack([topic()]), live([ltopic()]), destroy=True)
    out = render_text(plan)
    assert out.startswith("Destroy plan for stack shop") and "Plan: 0 to add, 0 to change, 1 to destroy." in out
    empty = make_plan(stack([topic()]), live(), destroy=True)
    assert "No changes. Nothing this stack owns exists on the cluster." in render_text(empty)


@pytest.mark.parametrize("key,value,expected", [
    ("retention.ms", "604800000", "7d"), ("retention.ms", "5400000", "1h30m"), ("retention.ms", "-1", "unlimited"),
    ("retention.ms", "500", None), ("segment.bytes", "1073741824", "1 GiB"), ("segment.bytes", "1572864", "1.5 MiB"),
    ("max.message.bytes", "1000000", "≈976.6 KiB"), ("retention.bytes", "-1", "unlimited"), ("tasks.max", "4", None),
    ("poll.interval.ms", "abc", None),
])
def test_readable_units(key, value, expected):
    assert readable(key, value) == expected


def test_markdown_structure(busy_plan):
    md = render_markdown(busy_plan)
    assert not ANSI.search(md)
    table, warnings, details = md.index("| | Resource |"), md.index("### Warnings"), md.index("### Details")
    errors = md.index("### Errors")
    assert errors < warnings < md.index("### Changes") < table < details  # errors and warnings first: a cut keeps them
    assert "**Plan: 3 to add, 3 to change, 3 to destroy.**" in md
    assert "**Error:**" in md and "**DATA LOSS:** `topic.swap`" in md and "**Destroys** `topic.old`" in md
    assert "**Irreversible:** `topic.orders`" in md
    assert md.count("<details>") == md.count("</details>") == len([c for c in busy_plan.changes if c.attributes
                                                                   or c.is_change or c.flags])
    assert "```diff\n" in md and "+ partitions = 12" in md and "- partitions = 6" in md


def test_markdown_is_stable(busy_plan):
    assert render_markdown(busy_plan) == render_markdown(busy_plan)


def test_markdown_is_truncated_with_a_note_below_the_limit():
    topics = [topic(f"t{i:04d}", config={f"k{j}.ms": "1000" for j in range(20)}) for i in range(600)]
    plan = make_plan(stack(topics), live())
    md = render_markdown(plan)
    assert len(md) <= 60_000
    assert "**Truncated:**" in md and "kplan show" in md
    assert md.count("<details>") == md.count("</details>")
    assert md.count("```") % 2 == 0
    small = render_markdown(plan, limit=5_000)
    assert len(small) <= 5_000 and "**Truncated:**" in small


def test_a_plan_cut_at_the_limit_still_shows_its_errors():
    """A plan too big for a comment loses its table's tail and its details, not its errors."""
    topics = [topic(f"t{i:04d}", rf=1, config={f"k{j}.ms": "1000" for j in range(20)}) for i in range(600)]
    plan = make_plan(stack(topics), live([ltopic("t0599", rf=3)]))  # the last topic's change cannot be planned
    assert plan.has_errors
    md = render_markdown(plan, limit=5_000)
    assert "**Truncated:**" in md and "### Changes" in md
    assert md.index("### Errors") < md.index("### Changes") and "t0599" in md[:md.index("### Changes")]


def test_a_plan_cut_at_the_limit_shows_every_error_and_warning_and_cuts_its_table_at_a_row():
    """Issue 41 (11): the cut came inside the table, before the errors and warnings a comment summary lists."""
    topics = [topic(f"t{i:04d}", rf=1, config={f"k{j}.ms": "1000" for j in range(20)}) for i in range(300)]
    lives = [ltopic("t0299", rf=3)] + [ltopic(f"old{i:03d}", rf=1) for i in range(20)]
    plan = make_plan(stack(topics), live(lives))  # 20 deletions: 20 warnings; t0299's change cannot be planned
    assert plan.has_errors and len(plan.changes) == 320
    md = render_markdown(plan, limit=12_000)
    assert len(md) <= 12_000
    lines = md.splitlines()
    cut = next(i for i, line in enumerate(lines) if line.startswith("> **Truncated:**"))
    before = "\n".join(lines[:cut])
    assert "### Errors" in before and "t0299" in before[before.index("### Errors"):before.index("### Warnings")]
    assert all(f"**Destroys** `topic.old{i:03d}`" in before for i in range(20))
    assert before.index("### Warnings") < before.index("### Changes")
    rows = [line for line in lines if line.startswith("| `")]
    assert 0 < len(rows) < 320 and all(line.endswith("|") and line.count(" | ") == 4 for line in rows)
    assert lines[cut - 2:cut] == [rows[-1], ""]  # the cut is right after a whole row
    assert lines[cut].startswith(f"> **Truncated:** {320 - len(rows)} of 320 changes are not shown in the table")
    assert "### Details" not in md and "<details>" not in md
    assert [line for line in lines[cut:] if line and not line.startswith("> **Truncated:**")] == []


def test_a_list_of_warnings_too_long_for_the_limit_is_cut_at_an_item_saying_how_many_more():
    lives = [ltopic(f"old{i:04d}", rf=1) for i in range(400)]
    md = render_markdown(make_plan(stack(), live(lives)), limit=8_000)
    lines = md.splitlines()
    shown = [line for line in lines if line.startswith("- **Destroys**")]
    assert len(md) <= 8_000 and 0 < len(shown) < 400
    note = next(line for line in lines if line.startswith("> **Truncated:**"))
    assert note.startswith(f"> **Truncated:** {400 - len(shown)} more warning(s) are not shown")
    assert lines.index(note) == lines.index(shown[-1]) + 2
    assert "> **Truncated:** 400 of 400 changes are not shown in the table" in md


def test_markdown_escapes_names():
    plan = make_plan(stack([], [connector("a|b<c>`d")]), live())
    md = render_markdown(plan)
    assert "<summary><code>+ connector.a|b&lt;c&gt;`d will be created</code></summary>" in md  # HTML escaped
    assert "| ``connector.a\\|b<c>`d`` |" in md  # table cell: code span (literal), pipe escaped


def test_json_validates_against_the_schema(busy_plan):
    SCHEMA_VALIDATOR = jsonschema.Draft202012Validator
    SCHEMA_VALIDATOR.check_schema(SCHEMA)
    doc = json.loads(render_json(busy_plan))
    validate(doc)
    assert doc["format_version"] == "1"
    ch = next(c for c in doc["resource_changes"] if c["address"] == "connector.pg-src")
    assert ["config", "database.password"] in ch["sensitive_paths"]
    assert ch["before"]["config"]["database.password"] == "(sensitive)"
    pw = next(a for a in ch["attributes"] if a["path"] == ["config", "other.password"])
    assert pw["sensitive"] and pw["changed"] and pw["before"] == pw["after"] == "(sensitive)"


def test_json_of_destroy_and_empty_plans_validate():
    for plan in (make_plan(stack([topic()]), live([ltopic()]), destroy=True),
                 make_plan(stack(), live())):
        validate(json.loads(render_json(plan)))


def test_schema_rejects_a_wrong_format_version(busy_plan):
    doc = json.loads(render_json(busy_plan))
    doc["format_version"] = "2"
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_render_dispatch(busy_plan):
    assert render(busy_plan, "json") == render_json(busy_plan)
    with pytest.raises(ValueError):
        render(busy_plan, "yaml")
