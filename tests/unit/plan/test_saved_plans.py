"""Plan files saved by an earlier kplan still load. saved_v1/ holds plans saved (`kplan plan -out`) by kplan at
a74a18d, the last with the hand-written plan codec, from golden cases of the same names: together they hold every
kind's `planned` payload, a consumer context, owners and labels, several clusters and an unread system. Each loads,
and is written back byte for byte as it was (but its kplan_version): nothing is lost or changed on the way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kplan import __version__
from kplan.model.plan import ResourceType
from kplan.state.planfile import dumps_plan, load_plan

SAVED = sorted((Path(__file__).parent / "saved_v1").glob("*.json"))


@pytest.mark.parametrize("path", SAVED, ids=lambda p: p.stem)
def test_a_saved_plan_loads_and_is_written_back_as_it_was(path):
    text = path.read_text()
    plan = load_plan(str(path))
    for c in plan.changes:  # every change apply acts on carries its kind's payload; a no-op none
        assert (c.planned is not None) == c.is_change, c.address
    written = json.loads(text)["kplan_version"]
    assert dumps_plan(plan, "stack.yaml") == text.replace(f'"kplan_version": "{written}"',
                                                          f'"kplan_version": "{__version__}"', 1)


def test_the_saved_plans_hold_every_part_of_the_format():
    plans = [load_plan(str(p)) for p in SAVED]
    changes = [c for p in plans for c in p.changes]
    missing = set(ResourceType) - {c.type for c in changes if c.planned is not None}
    assert not missing, f"no saved plan has a payload of {sorted(t.value for t in missing)}: add one saved by kplan"
    assert any(c.consumers and c.consumers.groups for c in changes)
    assert any(c.meta.owner and c.meta.labels for c in changes)
    assert any(p.groups for p in plans) and any(p.not_read for p in plans)
    assert any(d.origin and d.path for p in plans for d in p.diagnostics)
