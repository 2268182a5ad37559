"""The conformance kit's figures as docs/fault-sweep.md shows them (tests/integration/conformance_sweep.py writes them
between its markers): one table row per kind, in the kinds' order, and a total row summing the rows shown.

A run of every kind replaces the whole table. A run of some kinds (`--kinds`) replaces only their rows: the other
kinds keep theirs, and a line under the table says which kinds were swept again, where and when (a later run of one
of them takes it off that line). Pure: text in, text out."""

from __future__ import annotations

import re
from collections.abc import Sequence

BEGIN, END = "<!-- conformance-sweep figures: begin -->", "<!-- conformance-sweep figures: end -->"
COLUMNS = ("| kind | steps (v1, v2) | trials | exactly before | before except irreversible, named | exactly after | "
           "neither | failed a check | trial (min / median / max) |\n|---|---|---|---|---|---|---|---|---|")
COUNTED = slice(2, 8)  # the cells of a row that are counts: trials to failed a check
AGAIN = re.compile(r"^Swept again at (\S+) \((.+?) UTC\) in (\d+)s: (.+)\.$")


def row(f: dict) -> str:
    """One kind's figures (conformance_sweep.sweep_kind's dict) as a table row."""
    steps = ", ".join(str(n) for n in f["steps"].values())
    kept = "; ".join(f"{v} step {', '.join(map(str, n))}" for v, n in f.get("irreversible_steps", {}).items())
    steps += f" (irreversible: {kept})" if kept else ""
    return (f"| {f['kind']} | {steps} | {f['trials']} | {f['BEFORE']} | {f['BEFORE_EXCEPT_IRREVERSIBLE']} | "
            f"{f['AFTER']} | {f['NEITHER']} | {f['failed']} | "
            f"{f['min_trial_s']} / {f['median_trial_s']} / {f['max_trial_s']} s |")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def total(rows: Sequence[str]) -> str:
    """The total row of these kind rows: trials, each verdict and the failed checks summed."""
    sums = [sum(int(_cells(r)[i]) for r in rows) for i in range(COUNTED.start, COUNTED.stop)]
    trials, before, named, after, neither, failed = sums
    return f"| **total** | | **{trials}** | {before} | {named} | {after} | **{neither}** | {failed} | |"


def table(figures: Sequence[dict], commit: str, date: str, seconds: float, every: bool) -> str:
    """A run's figures as the block's text; `every`: the run swept every kind."""
    total_trials = sum(f["trials"] for f in figures)
    what = "Every kind's kills" if every else "The kills of " + ", ".join(f["kind"] for f in figures)
    rows = [row(f) for f in figures]
    return (f"### {what} (conformance kit) at {commit} ({date} UTC): {total_trials} trials in {seconds:.0f}s\n\n"
            f"{COLUMNS}\n" + "\n".join(rows) + f"\n{total(rows)}\n")


def _kind_rows(lines: Sequence[str]) -> dict[str, str]:
    """The kind rows of a table's lines, by kind (not its header, nor its total)."""
    cells = {line: _cells(line) for line in lines if line.startswith("| ")}
    return {c[0]: line for line, c in cells.items() if len(c) == 9 and c[0] not in ("kind", "**total**")}


def _again(commit: str, date: str, seconds: str | float, kinds: Sequence[str]) -> str:
    return f"Swept again at {commit} ({date} UTC) in {float(seconds):.0f}s: {', '.join(kinds)}."


def merged(block: str, figures: Sequence[dict], commit: str, date: str, seconds: float,
           order: Sequence[str]) -> str:
    """The block's new text after a run of `figures`' kinds: a run of every kind of `order` (the kinds' order) is
    the whole table; another replaces its kinds' rows of the table `block` holds and says so under it."""
    swept = [f["kind"] for f in figures]
    lines = block.strip("\n").splitlines()
    kept = _kind_rows(lines)
    if set(order) <= set(swept) or not kept:
        return table(figures, commit, date, seconds, every=set(order) <= set(swept))
    rows = {**kept, **{f["kind"]: row(f) for f in figures}}
    ranked = [rows[k] for k in order if k in rows] + [r for k, r in rows.items() if k not in order]
    heading = next(line for line in lines if line.startswith("### "))
    notes = []
    for m in filter(None, map(AGAIN.match, lines)):
        if left := [k for k in m.group(4).split(", ") if k not in swept]:
            notes.append(_again(m.group(1), m.group(2), m.group(3), left))
    notes.append(_again(commit, date, seconds, swept))
    return f"{heading}\n\n{COLUMNS}\n" + "\n".join(ranked) + f"\n{total(ranked)}\n\n" + "\n".join(notes) + "\n"


def write_into(text: str, figures: Sequence[dict], commit: str, date: str, seconds: float,
               order: Sequence[str]) -> str:
    """`text` (the page) with the figures between the kit's markers merged as `merged` says."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + merged(text[start:end], figures, commit, date, seconds, order) + text[end:]
