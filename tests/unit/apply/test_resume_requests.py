"""What `recover --resume` plans one-time requests against (kplan.apply.resume): a request whose step the journal
does not show done goes back to the token recorded before the run; a done one keeps the new token (issue 41,
defect 8)."""

from __future__ import annotations

from kplan.apply.resume import applied_for_good, unapplied_requests, with_tokens_before
from kplan.kinds.group_request.steps import AlterGroupOffsets, DeleteConsumerGroup
from kplan.kinds.offsets.steps import AlterOffsets
from kplan.model.desired import ConnectorState
from kplan.model.live import LiveState
from kplan.model.plan import ResourceType

GROUP, OFFSETS = ResourceType.CONSUMER_GROUP, ResourceType.OFFSETS


def entry(step, status: str) -> dict:
    return {**step.to_json(), "status": status}


def test_requests_whose_steps_are_not_done_go_back_to_the_token_before_the_run():
    steps = [
        entry(AlterGroupOffsets("g-new", "r1", (("t", 0, 0),), None), "started"),  # no token before
        entry(AlterGroupOffsets("g-old", "r2", (("t", 0, 0),), "r1"), "pending"),
        entry(DeleteConsumerGroup("g-done", "d1", None), "done"),
        entry(AlterOffsets("sink", "o1", True, (), ConnectorState.RUNNING, None), "started"),
        {"kind": "record-ownership", "args": {}, "before": {}, "irreversible": False, "status": "pending"},
    ]
    assert unapplied_requests(steps) == {GROUP: {"g-new": None, "g-old": "r1"}, OFFSETS: {"sink": None}}


def test_a_request_done_by_a_later_recovery_is_applied():
    step = AlterGroupOffsets("g", "r1", (("t", 0, 0),), None)
    assert unapplied_requests([entry(step, "started"), entry(step, "done")]) == {}


def test_the_live_records_get_the_tokens_before():
    live = LiveState("c", 1).with_kind(GROUP, records={"g-new": "r1", "g-old": "r2", "g-other": "x"})
    out = with_tokens_before(live, {GROUP: {"g-new": None, "g-old": "r1"}})
    assert dict(out.of(GROUP).records) == {"g-old": "r1", "g-other": "x"}


def test_a_request_a_rollback_left_irreversible_is_applied():
    """A group deleted (irreversible) by a run rolled back keeps its new token; undone or refused requests do not."""
    steps = [
        entry(AlterGroupOffsets("g-moved", "r1", (("t", 0, 0),), None), "undone"),
        entry(DeleteConsumerGroup("g-gone", "d2", "d1"), "irreversible"),
        entry(DeleteConsumerGroup("g-kept", "d1", None), "undone"),
    ]
    assert applied_for_good(steps) == {GROUP: {"g-gone": "d2"}}


def test_the_record_after_a_rollback_carries_the_token_of_a_deleted_group():
    from kplan.model.ownership import Ownership
    from kplan.session.run import rolled_back_record
    from kplan.state.journal import Journal

    journal = Journal("s", None, "c", "d", ownership_before=Ownership(
        names={"topics": frozenset({"t"})}, kinds={"consumer_groups": {"g-gone": "d1", "g-other": "x"}},
        run={"run_id": "r"}))
    journal.steps = [entry(DeleteConsumerGroup("g-gone", "d2", "d1"), "irreversible")]
    record = rolled_back_record(journal)
    assert record.run is None and record.owned("topics") == {"t"}
    assert record.of("consumer_groups") == {"g-gone": "d2", "g-other": "x"}
    journal.steps = [entry(DeleteConsumerGroup("g-gone", "d2", "d1"), "undone")]
    assert rolled_back_record(journal).of("consumer_groups") == {"g-gone": "d1", "g-other": "x"}
