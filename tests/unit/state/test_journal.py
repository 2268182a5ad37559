"""The journal's statuses are closed enums whose values are the words the journal JSON has always held."""

from __future__ import annotations

import json

import pytest

from kplan.state.journal import Journal, RunStatus, StepStatus


def test_statuses_keep_their_journal_words():
    assert [s.value for s in RunStatus] == ["running", "complete", "rolled-back", "rollback-incomplete",
                                            "rolling-back", "abandoned"]
    assert [s.value for s in StepStatus] == ["pending", "started", "done", "failed", "undone", "undo-failed",
                                                 "irreversible", "not-undone"]


def test_a_journal_round_trips_with_plain_words_in_its_json():
    j = Journal("s", None, "c", "d", status=RunStatus.ROLLING_BACK)
    j.steps = [{"index": 0, "kind": "create-topics", "args": {}, "before": {}, "irreversible": False,
                "status": StepStatus.UNDO_FAILED, "error": ""}]
    text = json.dumps(j.to_json(), sort_keys=True)
    assert '"status": "rolling-back"' in text and '"status": "undo-failed"' in text
    again = Journal.from_json(json.loads(text))
    assert again.status is RunStatus.ROLLING_BACK and again.steps[0]["status"] is StepStatus.UNDO_FAILED
    assert again.unfinished and again.to_json() == j.to_json()
    assert "status rolling-back" in again.describe() and "(undo-failed)" in again.describe()


def test_a_rollback_with_an_undo_to_retry_is_unfinished_and_one_whose_undos_recover_gave_up_is_over():
    j = Journal("s", None, "c", "d", status=RunStatus.ROLLBACK_INCOMPLETE)
    j.steps = [{"index": 0, "kind": "create-topics", "args": {}, "before": {}, "irreversible": False,
                "status": StepStatus.UNDO_FAILED, "error": "refused"}]
    assert j.unfinished and j.steps_in(StepStatus.UNDO_FAILED) == j.steps
    j.steps[0]["status"] = StepStatus.NOT_UNDONE
    assert not j.unfinished and j.steps_in(StepStatus.UNDO_FAILED) == []
    assert j.steps_in(StepStatus.NOT_UNDONE) == j.steps


def test_an_unknown_status_is_refused():
    doc = Journal("s", None, "c", "d").to_json()
    with pytest.raises(ValueError):
        Journal.from_json({**doc, "status": "half-done"})


@pytest.mark.parametrize("missing", ["stack", "environment", "cluster_id", "inputs_digest"])
def test_a_journal_without_a_required_field_is_malformed_like_any_other(missing):
    """A ValueError, which a store's read takes for a malformed local copy and skips (the converter's own word for a
    missing field is a KeyError, which ended the command as an internal error)."""
    doc = Journal("s", None, "c", "d").to_json()
    del doc[missing]
    with pytest.raises(ValueError, match=missing):
        Journal.from_json(doc)


def test_a_journal_step_without_a_status_is_malformed_like_any_other():
    doc = Journal("s", None, "c", "d").to_json()
    doc["steps"] = [{"kind": "create-topics"}]
    with pytest.raises(ValueError, match="status"):
        Journal.from_json(doc)
