"""The HTML renderer, a sibling of the text, Markdown and JSON ones: one self-contained page for a plan too big for a
pull-request comment (`kplan show FILE --format html`, docs/html-report.md): summary, errors and warnings first,
the data flows the plan touches (inline SVG), then the changes grouped by kind and action with filter, search and
collapsible diffs. Pure: Plan in, str out. The page loads nothing: its Content-Security-Policy allows no network
source at all, and only its own inline style and script (by their SHA-256 hashes)."""

from __future__ import annotations

import base64
import hashlib
import json
from html import escape

from kplan.model.plan import Action, Plan
from kplan.render.common import adoption_note, summary_line
from kplan.render.distribution import distribution, html_section
from kplan.render.html.assets import CSS, JS
from kplan.render.html.data import ACTION_ORDER, page_data, problems
from kplan.render.html.flows import flows_svg

MAX_PROBLEMS = 500  # listed in full up to this many each; the rest are counted (the change list has them all)


def render_html(plan: Plan) -> str:
    data = page_data(plan)
    errors, warnings = problems(plan)
    svg, drawn, left = flows_svg(plan)
    csp = (f"default-src 'none'; script-src '{_hash(JS)}'; style-src '{_hash(CSS)}'; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    env = f" ({plan.environment})" if plan.environment else ""
    where = f"{len(plan.groups)} clusters" if plan.groups else f"cluster {plan.cluster_id or '?'}"
    title = f"kplan {'destroy plan' if plan.destroy else 'plan'}: stack {plan.stack}{env}, {where}"
    kinds = sorted({g["k"] for g in data["groups"]})  # the groups' kinds and actions (in review order)
    acts = [a.value for a in ACTION_ORDER if any(g["x"] == a.value for g in data["groups"])]
    return "".join([
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n',
        f'<meta http-equiv="Content-Security-Policy" content="{escape(csp, quote=False)}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        '<meta name="referrer" content="no-referrer">\n',
        f"<title>{escape(title)}</title>\n<style>{CSS}</style></head>\n<body>\n",
        f"<header><h1>{escape(title)}</h1>\n",
        f'<p class="summary" id="summary">{escape(summary_line(plan))}</p>\n',
        f"<p>{escape(adoption_note(plan))}</p>\n" if adoption_note(plan) else "",
        (f'<p class="failed">Plan failed: {plan.summary.errors} error(s); nothing can be applied.</p>\n'
         if plan.has_errors else ""),
        _counts(data, kinds, acts), "</header>\n",
        _problems("Errors", "errors", errors), _problems("Warnings", "warnings", warnings),
        _flows(svg, drawn, left),
        html_section(distribution(plan)),
        _changes(data, kinds, acts),
        '<script type="application/json" id="kplan-data">', _json(data), "</script>\n",
        f"<script>{JS}</script>\n</body></html>\n",
    ])


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _json(data: dict) -> str:
    """JSON that cannot end its <script> element early nor open a comment: `<`, `>` and `&` as \\u escapes."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _counts(data: dict, kinds: list[str], acts: list[str]) -> str:
    """A kind x action table of the changes shown."""
    if not data["groups"]:
        return ""
    n = {(g["k"], g["x"]): len(g["i"]) for g in data["groups"]}
    head = "".join(f"<th>{escape(a)}</th>" for a in acts)
    rows = "".join(f"<tr><td>{escape(k)}</td>" + "".join(f"<td>{n.get((k, a), '')}</td>" for a in acts) + "</tr>"
                   for k in kinds)
    return f'<table class="counts" id="counts"><tr><th>kind</th>{head}</tr>{rows}</table>\n'


def _problems(title: str, cls: str, items: list[str]) -> str:
    if not items:
        return ""
    shown = "".join(f"<li>{escape(t)}</li>" for t in items[:MAX_PROBLEMS])
    more = (f"<p>… and {len(items) - MAX_PROBLEMS} more (each is in the changes below).</p>"
            if len(items) > MAX_PROBLEMS else "")
    return f'<section id="{cls}"><h2>{title} ({len(items)})</h2><ul class="{cls}">{shown}</ul>{more}</section>\n'


def _flows(svg: str, drawn: int, left: int) -> str:
    if not svg:
        return ('<section id="flows"><h2>Data flows</h2><p>The plan touches no data flow (no changed topic, '
                "connector or consumer group with a known writer or reader).</p></section>\n")
    legend = "".join(f'<span class="a-{a.value}"><b>■</b> {a.value}</span>' for a in
                     (Action.CREATE, Action.UPDATE, Action.DELETE, Action.REPLACE, Action.RESTART))
    more = f"<p>{left} more flow(s) not drawn (the changes below list them).</p>" if left else ""
    return (f'<section id="flows"><h2>Data flows ({drawn})</h2><p class="legend">Outlined parts change: '
            f"{legend}</p>{svg}{more}</section>\n")


def _changes(data: dict, kinds: list[str], acts: list[str]) -> str:
    box = lambda name, v: (f'<label><input type="checkbox" name="{name}" value="{escape(v)}" checked> '  # noqa: E731
                           f"{escape(v)}</label>")
    return ('<section id="changes"><h2>Changes (' + str(len(data["changes"])) + ")</h2>\n"
            '<div class="controls"><input id="search" type="search" placeholder="Search by name or address" '
            'aria-label="search by name">'
            f'<fieldset><legend>kind</legend>{"".join(box("kind", k) for k in kinds)}</fieldset>'
            f'<fieldset><legend>action</legend>{"".join(box("action", a) for a in acts)}</fieldset>'
            '<button type="button" id="open-all">Open all groups</button> '
            '<button type="button" id="close-all">Close all</button> <span id="shown"></span></div>\n'
            "<noscript><p>The change list needs JavaScript (inline, no network); the summary, problems and flows "
            "above do not.</p></noscript>\n"
            '<div id="groups"></div></section>\n')
