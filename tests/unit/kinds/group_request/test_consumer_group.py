"""The consumer-group kind's pure parts: the `reset:` forms, planning a request against what the follow-up read
found, the planned payload's JSON, and the handlers against the fake writer (journal, refuse, undo)."""

from __future__ import annotations

import pytest
from fakes import FakeWriter, writers

from kplan.errors import KplanError
from kplan.kinds.codec import converter
from kplan.kinds.group_request.handlers import AlterGroupOffsetsHandler, DeleteConsumerGroupHandler
from kplan.kinds.group_request.kind import CONSUMER, GroupPlanned
from kplan.kinds.group_request.live import LiveGroup
from kplan.kinds.group_request.model import GroupReset, GroupSpec
from kplan.kinds.group_request.model import query as reset_query
from kplan.kinds.group_request.section import reset_of as parse_reset
from kplan.kinds.group_request.steps import AlterGroupOffsets, DeleteConsumerGroup
from kplan.kinds.handler import StepContext
from kplan.model.plan import Action, Reason, Severity
from kplan.rules.units import UnitError
from kplan.secrets import SecretValues


def reset_of(text):
    return parse_reset(text, CONSUMER.terms.forms)


def query(spec):
    return reset_query(spec.reset)


def plan_group(spec, current):
    return CONSUMER.plan(spec, current, None)


@pytest.mark.parametrize("text, to, ts, ago", [
    ("earliest", "earliest", None, None), ("LATEST", "latest", None, None), ("2h", "ago", None, 7_200_000),
    ("1h30m", "ago", None, 5_400_000), ("2026-11-23T08:00:00Z", "timestamp", 1795420800000, None),
    ("2026-11-23T10:00:00+02:00", "timestamp", 1795420800000, None)])
def test_the_reset_forms(text, to, ts, ago):
    r = reset_of(text)
    assert (r.to, r.timestamp_ms, r.ago_ms) == (to, ts, ago)


@pytest.mark.parametrize("text, words", [("yesterday", "is not one of"), ("2026-11-23T08:00:00", "no time zone"),
                                         ("0s", "ago is now"), ("", "must be one of")])
def test_a_reset_that_is_no_form_says_why(text, words):
    with pytest.raises(UnitError, match=words):
        reset_of(text)


def test_the_query_names_what_the_read_resolves():
    assert query(GroupSpec("g", "r", GroupReset("ago", "2h", ago_ms=7_200_000, topics=("t",)))) == {
        "topics": ["t"], "to": "ago", "ms": 7_200_000}
    assert query(GroupSpec("g", "r", GroupReset("offsets", "offsets", positions=(("t", 0, 1),)))) == {
        "topics": ["t"], "to": None, "ms": None}
    assert query(GroupSpec("g", "r", delete=True))["to"] is None


EARLIEST = GroupSpec("g", "r2", GroupReset("earliest", "earliest"))


def test_an_applied_request_is_no_change():
    change, diags = plan_group(EARLIEST, None)
    assert change.action == Action.NOOP and change.reason == Reason.GROUP_APPLIED and not diags


def test_a_reset_shows_each_partition_moved_and_carries_every_target():
    live = LiveGroup("g", "r1", "Empty", 0, (("t", 0, 9), ("t", 1, 4)), (("t", 0, 2), ("t", 1, 4)))
    change, diags = plan_group(EARLIEST, live)
    assert change.action == Action.UPDATE and change.unchanged_attributes == 1
    assert [(a.path, a.before, a.after) for a in change.attributes] == [
        (("request",), "r1", "r2"), (("offsets", "t/0"), 9, 2)]
    # t/1, at its target already, is carried too (setting it again changes nothing): a saved plan is applied as
    # reviewed, and the group may have moved since (kplan.plan.fingerprint.as_reviewed)
    assert change.planned == GroupPlanned("r2", False, (("t", 0, 2), ("t", 1, 4)), live.committed, "r1")
    assert converter().structure(converter().unstructure(change.planned), GroupPlanned) == change.planned
    assert [d.severity for d in diags] == [Severity.INFO]


def test_a_group_at_the_positions_already_is_no_change_and_members_are_a_warning():
    live = LiveGroup("g", None, "Stable", 3, (("t", 0, 2),), (("t", 0, 2),))
    change, diags = plan_group(EARLIEST, live)
    assert change.action == Action.NOOP and change.reason == Reason.GROUP_AT_TARGET
    [d] = diags
    assert d.severity == Severity.WARNING and "has 3 live members (state Stable)" in d.message


def test_a_reset_without_topics_of_a_group_without_offsets_and_an_unknown_topic_are_errors():
    _, diags = plan_group(EARLIEST, LiveGroup("g", None, "Dead"))
    assert [d.code for d in diags if d.is_error] == ["group-no-offsets"]
    spec = GroupSpec("g", "r", GroupReset("earliest", "earliest", topics=("nope",)))
    _, diags = plan_group(spec, LiveGroup("g", None, "Dead", missing_topics=("nope",)))
    assert [d.code for d in diags if d.is_error] == ["group-unknown-topic"]


def test_explicit_positions_on_a_missing_topic_or_partition_are_errors():
    spec = GroupSpec("g", "r", GroupReset("offsets", "offsets", positions=(("t", 0, 1), ("t", 3, 1), ("u", 0, 1))))
    _, diags = plan_group(spec, LiveGroup("g", None, "Dead", missing_topics=("u",), partitions=(("t", 2),)))
    assert [(d.code, d.message.split(": ", 1)[1]) for d in diags if d.is_error] == [
        ("group-unknown-topic", "offsets.reset names u, which the cluster does not have; create the topic first or "
                                "remove it from offsets.reset"),
        ("group-unknown-partition", "offsets.reset names partition(s) t/3, which the topic does not have")]


def test_a_delete_request_of_a_group_that_is_gone_is_no_change():
    spec = GroupSpec("g", "d1", delete=True)
    change, _ = plan_group(spec, LiveGroup("g", None, "Dead"))
    assert change.action == Action.NOOP and change.reason == Reason.GROUP_ABSENT
    change, _ = plan_group(spec, LiveGroup("g", None, "Empty", 0, (("t", 0, 5),)))
    assert change.action == Action.DELETE and change.planned.delete


def _ctx(fake, outcomes=None):
    return StepContext(0, writers(fake), SecretValues(), lambda o: None, None, None,
                       {} if outcomes is None else outcomes, lambda: None)


def test_the_offsets_step_journals_what_it_found_and_its_undo_puts_exactly_that_back():
    fake = FakeWriter()
    fake.group_offsets_["g"] = {("t", 0): 9, ("t", 1): 4}
    step = AlterGroupOffsets("g", "r2", (("t", 0, 2), ("t", 1, 0)))
    outcomes: dict = {}
    AlterGroupOffsetsHandler().run(step, _ctx(fake, outcomes))
    assert outcomes[0] == {"offsets": [{"topic": "t", "partition": 0, "offset": 9},
                                       {"topic": "t", "partition": 1, "offset": 4}]}
    assert fake.group_offsets_["g"] == {("t", 0): 2, ("t", 1): 0}
    AlterGroupOffsetsHandler().undo(step, _ctx(fake, outcomes))
    assert fake.group_offsets_["g"] == {("t", 0): 9, ("t", 1): 4}


def test_a_group_with_members_is_refused_before_anything_is_written():
    fake = FakeWriter()
    fake.group_offsets_["g"] = {("t", 0): 9}
    fake.group_members_["g"] = 2
    for handler, step in ((AlterGroupOffsetsHandler(), AlterGroupOffsets("g", "r", (("t", 0, 0),))),
                          (DeleteConsumerGroupHandler(), DeleteConsumerGroup("g", "d"))):
        with pytest.raises(KplanError, match="consumer group g has 2 live members .*stop its consumers"):
            handler.preflight(step, _ctx(fake))
        with pytest.raises(KplanError, match="live members"):
            handler.run(step, _ctx(fake))
    assert fake.group_offsets_["g"] == {("t", 0): 9} and "alter_group_offsets" not in fake.calls
