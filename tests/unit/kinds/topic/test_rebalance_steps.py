"""The steps a rebalance runs: a throttled reassignment on the brokers it involves (its undo cancels a move still
under way before asking for the lists before), a preferred leader election (nothing to undo), and the progress
lines while replicas copy."""

from __future__ import annotations

import io
import json

from fakes import FakeWriter, writers

from kplan.apply.executor import StepContext, handler_for
from kplan.apply.steps import Step
from kplan.kinds.topic.io.reassignments import MoveProgress
from kplan.kinds.topic.steps import ElectLeaders, ReassignReplicas
from kplan.secrets import SecretValues

STEP = ReassignReplicas({"orders": ((3, 1), (2, 3))}, {"orders": ((1, 2), (2, 1))}, 1024)


class Recording(FakeWriter):
    def replication_throttle(self, topics, rate, brokers):
        self.calls.append(("throttle", tuple(topics), rate, tuple(brokers or ())) if rate is not None
                          else ("clear", tuple(topics), tuple(brokers or ())))

    def reassign_replicas(self, targets, results=None):
        self.calls.append(("reassign", json.dumps(targets)))

    def cancel_reassignments(self, topics):
        self.calls.append(("cancel", tuple(topics)))

    def elect_preferred_leaders(self, partitions):
        self.calls.append(("elect", json.dumps(partitions)))


def ctx(fake) -> StepContext:
    return StepContext(0, writers(fake), SecretValues(), lambda o: None, None, None, {}, lambda: None)


def test_a_throttled_move_limits_only_the_brokers_it_involves_and_clears_the_limit_after():
    fake = Recording()
    handler_for(STEP).run(STEP, ctx(fake))
    assert fake.calls == [("throttle", ("orders",), 1024, (1, 2, 3)), ("reassign", '{"orders": [[3, 1], [2, 3]]}'),
                          ("clear", ("orders",), (1, 2, 3))]


def test_its_undo_cancels_a_move_still_under_way_then_asks_for_the_lists_before_throttled():
    fake = Recording()
    handler_for(STEP).undo(STEP, ctx(fake))
    assert fake.calls == [("cancel", ("orders",)), ("throttle", ("orders",), 1024, (1, 2, 3)),
                          ("reassign", '{"orders": [[1, 2], [2, 1]]}'), ("clear", ("orders",), (1, 2, 3))]


def test_an_election_runs_once_and_has_nothing_to_undo_and_both_steps_round_trip_through_the_journal():
    step = ElectLeaders({"orders": (0, 2)})
    assert step.describe() == "elect the preferred leaders of 2 partition(s) of orders"
    fake = Recording()
    handler_for(step).run(step, ctx(fake))
    handler_for(step).undo(step, ctx(fake))
    assert fake.calls == [("elect", '{"orders": [0, 2]}')]
    for s in (step, STEP):
        doc = json.loads(json.dumps(s.to_json()))
        assert Step.from_json(doc) == s


def test_progress_lines_come_after_a_moment_then_every_few_seconds():
    now = [0.0]
    out = io.StringIO()
    progress = MoveProgress({"orders": ((3, 1), (2, 3), (1, 2))}, out, clock=lambda: now[0])
    progress.tick({("orders", 0), ("orders", 1)})
    assert out.getvalue() == ""  # a quick move says nothing
    now[0] = 1.5
    progress.tick({("orders", 0), ("orders", 1), ("other", 0)})
    now[0] = 3.0
    progress.tick({("orders", 1)})
    now[0] = 6.6
    progress.tick({("orders", 1)})
    assert out.getvalue().splitlines() == ["reassignment: 1/3 partitions moved, 2 still copying",
                                           "reassignment: 2/3 partitions moved, 1 still copying"]
    done, times = io.StringIO(), iter([0.0, 1.0])
    MoveProgress({"t": ((1,),) * 12}, done, clock=lambda: next(times)).tick(set())
    assert done.getvalue() == "reassignment: 12/12 partitions moved, 0 still copying\n"
