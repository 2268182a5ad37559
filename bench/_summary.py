"""Pure summaries of interleaved benchmark runs: min/median/max per tool and operation, and ratios to the floor and
to kplan. No I/O, so the arithmetic is unit-tested (tests/unit/dev/test_bench_summary.py)."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

# runs[tool][operation] = one entry per round: seconds, or None when that round's run failed or did not happen
Runs = Mapping[str, Mapping[str, Sequence[float | None]]]


def spread(values: Sequence[float]) -> dict:
    """min/median/max of some seconds (or ratios), rounded for reading."""
    return {"min": round(min(values), 3), "median": round(statistics.median(values), 3),
            "max": round(max(values), 3)}


def per_operation(runs: Sequence[float | None]) -> dict:
    """One tool's figures for one operation: the spread of its successful runs and every run in round order."""
    done = [r for r in runs if r is not None]
    figures: dict = {"runs_s": [None if r is None else round(r, 3) for r in runs]}
    if done:
        s = spread(done)
        figures |= {"min_s": s["min"], "median_s": s["median"], "max_s": s["max"]}
    return figures


def ratios(runs: Runs, operations: Sequence[str], base_tools: Sequence[str] = ("floor", "kplan")) -> dict:
    """ratios[operation][tool] = {"vs_floor": ..., "vs_kplan": ...}.

    `vs_X` is the tool's median over X's median; `vs_X_per_round` is the spread of the ratios of runs made in the
    same round (interleaved, so both met the same machine load), which shows how much noise the median hides."""
    out: dict = {}
    for op in operations:
        row: dict = {}
        for tool, by_op in runs.items():
            if tool == "floor":
                continue
            mine = by_op.get(op, [])
            entry: dict = {}
            for base in base_tools:
                if base == tool or base not in runs:
                    continue
                theirs = runs[base].get(op, [])
                a = [x for x in mine if x is not None]
                b = [x for x in theirs if x is not None]
                if not a or not b:
                    continue
                entry[f"vs_{base}"] = round(statistics.median(a) / statistics.median(b), 2)
                paired = [x / y for x, y in zip(mine, theirs, strict=False) if x is not None and y]
                if paired:
                    entry[f"vs_{base}_per_round"] = {k: round(v, 2) for k, v in spread(paired).items()}
            if entry:
                row[tool] = entry
        out[op] = row
    return out


def rotated(tools: Sequence[str], round_index: int) -> list[str]:
    """The order of the tools in one round: each round starts one tool later, so no tool always runs first (on a
    broker that has just finished deleting the previous tool's topics) or always last."""
    k = round_index % len(tools) if tools else 0
    return list(tools[k:]) + list(tools[:k])
