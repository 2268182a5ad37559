"""Apply validates its topic creates ahead (kplan.session.early sends the validate-only create once it holds the lock
and has read the cluster; kplan.cluster.validator takes the answers): on the real broker, the plan's diagnostics are
exactly those of asking directly, the broker's refusal reaches the user as the same one line at the stack file's
line, and nothing is created."""

from __future__ import annotations

import contextlib
import os

import pytest
from kplan_helpers import ROOT, kplan, snapshot, stack_doc, write_stack

from kplan.cluster.reader import plan_validator
from kplan.plan.planner import make_plan
from kplan.session.early import EarlyLock
from kplan.session.plan import plan_stack
from kplan.stackfile import load_stack

pytestmark = pytest.mark.compat


def _doc(stack, prefix):
    return stack_doc(stack, prefix, [
        {"name": f"{prefix}.good", "partitions": 2, "replication_factor": 1, "config": {"retention.ms": "1d"}},
        # only the broker refuses this: tiered storage is disabled on it
        {"name": f"{prefix}.bad", "partitions": 1, "replication_factor": 1, "config": {"remote.storage.enable": True}},
    ])


def test_the_answers_validated_ahead_are_the_brokers_and_nothing_is_created(stack, admin, prefix, tmp_path):
    path = write_stack(tmp_path / "s.yaml", _doc(stack, prefix))
    with contextlib.chdir(ROOT):
        loaded = load_stack(str(path), environ=os.environ)
        early = EarlyLock(loaded, os.environ)
        try:
            cluster = early.opened()
        except BaseException:
            early.abandon()
            raise
        try:
            lock = early.locked()
            try:
                validator = cluster.session.validator.validation("topics")
                sent = validator._ahead  # type: ignore[attr-defined]
                assert sent is not None, "the lock thread sent no validate-only create"
                assert {key[0] for key in sent[0]} == {f"{prefix}.good", f"{prefix}.bad"}
                live, plan = plan_stack(cluster.session, holding_lock=True)
                assert validator._ahead is None  # type: ignore[attr-defined]  # taken by the plan's validation
                # the same creates, asked directly of the broker by a validator of its own
                direct_validator = plan_validator(cluster.session.reader, cluster.secrets)
                direct = direct_validator.validate(loaded, make_plan(loaded, live))
            finally:
                lock.release()
        finally:
            cluster.close()
    got = [(d.code, d.address, d.message) for d in plan.diagnostics if d.code == "broker-refused"]
    assert got == [(d.code, d.address, d.message) for d in direct if d.code == "broker-refused"]
    assert [address for _, address, _ in got] == [f"topic.{prefix}.bad"]
    assert snapshot(admin, stack.connect_url, prefix)["topics"] == {}


def test_apply_reports_the_refusal_at_its_line_and_creates_nothing(stack, admin, prefix, tmp_path):
    path = write_stack(tmp_path / "s.yaml", _doc(stack, prefix))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 1, r.text
    bad_line = next(i for i, line in enumerate(path.read_text().splitlines(), 1) if f"{prefix}.bad" in line)
    refusal = [line for line in r.text.splitlines() if f"broker would refuse to create topic '{prefix}.bad'" in line]
    # said once, at its line (the refusal to apply counts the plan's errors instead of repeating them)
    assert len(refusal) == 1 and f"s.yaml:{bad_line}:" in refusal[0], r.text
    assert r.err.splitlines()[-1] == "Error: the plan has 1 error, listed above; nothing was applied", r.text
    assert f"'{prefix}.good'" not in "".join(refusal)
    assert snapshot(admin, stack.connect_url, prefix)["topics"] == {}
    assert kplan("plan", str(path)).code == 1  # the lock was released: planning again is possible, same refusal
