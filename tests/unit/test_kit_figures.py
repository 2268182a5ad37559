"""The conformance kit's figures in docs/fault-sweep.md (tests/integration/kit_figures.py, written by
conformance_sweep.py --docs): a run of some kinds replaces their rows and keeps every other kind's (it used to replace
the whole table with its own few rows, issue 67), a run of every kind the whole table."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from kit_figures import BEGIN, COLUMNS, END, merged, write_into  # noqa: E402

ORDER = ("topic", "quota", "broker_config", "subject")
BLOCK = f"""
### Every kind's kills (conformance kit) at b2fd352 (2026-11-26 UTC): 72 trials in 599s

{COLUMNS}
| topic | 2, 3 | 20 | 10 | 0 | 10 | 0 | 0 | 1.7 / 2.3 / 4.0 s |
| quota | 2, 2 | 16 | 8 | 0 | 8 | 0 | 0 | 2.1 / 3.0 / 3.8 s |
| broker_config | 2, 2 | 16 | 8 | 0 | 8 | 0 | 0 | 5.1 / 8.6 / 11.6 s |
| subject | 2, 3 | 20 | 10 | 0 | 10 | 0 | 0 | 1.5 / 2.2 / 4.5 s |
| **total** | | **72** | 36 | 0 | 36 | **0** | 0 | |
"""


def figures(kind: str, failed: int = 0, neither: int = 0) -> dict:
    return {"kind": kind, "steps": {"v1": 2, "v2": 2}, "trials": 16, "BEFORE": 8 - neither,
            "BEFORE_EXCEPT_IRREVERSIBLE": 0, "AFTER": 8, "NEITHER": neither, "failed": failed, "min_trial_s": 1.0,
            "median_trial_s": 2.0, "max_trial_s": 3.5}


def kinds_shown(block: str) -> list[str]:
    return [line.split("|")[1].strip() for line in block.splitlines()
            if line.startswith("| ") and not line.startswith(("| kind ", "| **total**"))]


def test_a_run_of_some_kinds_keeps_the_other_kinds_rows():
    out = merged(BLOCK, [figures("quota"), figures("broker_config", failed=1, neither=1)], "d10a594", "2026-11-27",
                 412.4, ORDER)
    assert out == BLOCK.lstrip("\n").replace(
        "| quota | 2, 2 | 16 | 8 | 0 | 8 | 0 | 0 | 2.1 / 3.0 / 3.8 s |",
        "| quota | 2, 2 | 16 | 8 | 0 | 8 | 0 | 0 | 1.0 / 2.0 / 3.5 s |").replace(
        "| broker_config | 2, 2 | 16 | 8 | 0 | 8 | 0 | 0 | 5.1 / 8.6 / 11.6 s |",
        "| broker_config | 2, 2 | 16 | 7 | 0 | 8 | 1 | 1 | 1.0 / 2.0 / 3.5 s |").replace(
        "| **total** | | **72** | 36 | 0 | 36 | **0** | 0 | |",
        "| **total** | | **72** | 35 | 0 | 36 | **1** | 1 | |") + (
        "\nSwept again at d10a594 (2026-11-27 UTC) in 412s: quota, broker_config.\n")


def test_a_later_run_takes_its_kinds_off_the_earlier_line():
    once = merged(BLOCK, [figures("quota"), figures("broker_config")], "aaaaaaa", "2026-11-27", 400, ORDER)
    twice = merged(once, [figures("broker_config")], "bbbbbbb", "2026-11-28", 200, ORDER)
    assert kinds_shown(twice) == list(ORDER)
    assert twice.endswith("\nSwept again at aaaaaaa (2026-11-27 UTC) in 400s: quota.\n"
                          "Swept again at bbbbbbb (2026-11-28 UTC) in 200s: broker_config.\n")
    thrice = merged(twice, [figures("quota")], "ccccccc", "2026-11-29", 100, ORDER)
    assert "aaaaaaa" not in thrice  # its line listed no kind any more


def test_a_run_of_every_kind_is_the_whole_table():
    once = merged(BLOCK, [figures("quota")], "aaaaaaa", "2026-11-27", 400, ORDER)
    out = merged(once, [figures(k) for k in ORDER], "ccccccc", "2026-11-29", 700, ORDER)
    assert out.startswith("### Every kind's kills (conformance kit) at ccccccc (2026-11-29 UTC): 64 trials in 700s\n")
    assert kinds_shown(out) == list(ORDER) and "Swept again" not in out
    assert out.rstrip().endswith("| **total** | | **64** | 32 | 0 | 32 | **0** | 0 | |")


def test_the_page_keeps_every_kind_when_one_is_swept_again():
    from kplan.kinds import ORDER as KINDS

    page = (ROOT / "docs" / "fault-sweep.md").read_text()
    out = write_into(page, [figures("group_config")], "d10a594", "2026-11-27", 90, KINDS)
    block = out[out.index(BEGIN):out.index(END)]
    assert kinds_shown(block) == list(KINDS)
    assert out[:out.index(BEGIN)] == page[:page.index(BEGIN)] and out[out.index(END):] == page[page.index(END):]
