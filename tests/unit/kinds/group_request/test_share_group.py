"""The share-group kind's pure parts: its stack section (the reset forms it shares with a consumer group's, and what
it refuses), planning a request against what the follow-up read found, the refusal on a cluster without share
groups, the step's exact undo (`undo_offsets`), and the handler against the fake writer (journal, refuse, undo)."""

from __future__ import annotations

import textwrap

import pytest
from fakes import FakeWriter, writers

from kplan.errors import KplanError
from kplan.kinds.codec import converter
from kplan.kinds.group_request.handlers import AlterShareGroupOffsetsHandler
from kplan.kinds.group_request.kind import SHARE as KIND
from kplan.kinds.group_request.kind import ShareGroupPlanned
from kplan.kinds.group_request.live import LiveGroup as LiveShareGroup
from kplan.kinds.group_request.model import GroupReset
from kplan.kinds.group_request.model import GroupSpec as ShareGroupSpec
from kplan.kinds.group_request.steps import AlterShareGroupOffsets, undo_offsets
from kplan.kinds.handler import StepContext
from kplan.model.live import Problem
from kplan.model.plan import Action, NoteKind, Reason, Severity
from kplan.secrets import SecretValues
from kplan.stackfile import StackError, load_stack

EARLIEST = ShareGroupSpec("g", "r2", GroupReset("earliest", "earliest"))
follow_up = KIND.follow_up


def plan_share_group(spec, current):
    return KIND.plan(spec, current, None)


def _load(tmp_path, entries: str):
    path = tmp_path / "stack.yaml"
    path.write_text("stack: s\ncluster: {bootstrap_servers: 'b:1'}\nshare_groups:\n" + textwrap.indent(
        textwrap.dedent(entries), "  "))
    return load_stack(path)


def test_the_section_takes_a_consumer_groups_reset_forms(tmp_path):
    stack = _load(tmp_path, """\
        - name: jobs
          offsets: {request: r1, reset: 2h, topics: [t]}
        - name: pinned
          offsets: {request: 7, reset: [{topic: t, partition: 1, offset: 4}, {topic: t, partition: 0, offset: 2}]}
        """)
    jobs, pinned = stack.of("share_groups")
    assert (jobs.name, jobs.request, jobs.reset.to, jobs.reset.ago_ms, jobs.reset.topics) == (
        "jobs", "r1", "ago", 7_200_000, ("t",))
    assert (pinned.request, pinned.reset.to, pinned.reset.positions) == ("7", "offsets", (("t", 0, 2), ("t", 1, 4)))


@pytest.mark.parametrize("entry, words", [
    ("- name: g\n  offsets: {request: r1, reset: {mirror: dr}}", "matches none of the forms allowed here"),
    ("- name: g\n  offsets: {request: r1, reset: yesterday}", "is not one of"),
    ("- name: g\n  offsets: {request: '', reset: earliest}", "offsets.request: must not be empty"),
    ("- name: g\n  offsets: {request: r1, reset: [{topic: t, partition: 0, offset: 1}], topics: [t]}",
     "explicit positions name their topics"),
    ("- name: g\n  offsets: {request: r1, reset: earliest}\n- name: g\n  offsets: {request: r2, reset: latest}",
     "declare each share group once"),
    ("- name: g\n  delete: {request: r1}", "delete"),
])
def test_the_section_refuses_with_a_located_line(tmp_path, entry, words):
    with pytest.raises(StackError) as e:
        _load(tmp_path, entry)
    assert words in str(e.value) and "stack.yaml:" in str(e.value), str(e.value)


def test_an_applied_request_is_no_change():
    change, diags = plan_share_group(EARLIEST, None)
    assert change.action == Action.NOOP and change.reason == Reason.SHARE_GROUP_APPLIED and not diags


def test_a_reset_shows_each_start_offset_moved_or_set_again_and_carries_them_all():
    """Issue 56, item 3: a start offset at its target already is set again (it drops what was acknowledged after it,
    which Kafka's start offset may not show), not left as it is."""
    live = LiveShareGroup("g", "r1", "Empty", 0, (("t", 0, 9), ("t", 1, 4)), (("t", 0, 2), ("t", 1, 4)))
    change, diags = plan_share_group(EARLIEST, live)
    assert change.action == Action.UPDATE and change.unchanged_attributes == 0
    assert [(a.path, a.before, a.after, a.note) for a in change.attributes] == [
        (("request",), "r1", "r2", NoteKind.SHARE_GROUP_REQUEST),
        (("offsets", "t/0"), 9, 2, NoteKind.GROUP_OFFSET_MOVED),
        (("offsets", "t/1"), 4, 4, NoteKind.SHARE_GROUP_OFFSET_AGAIN)]
    assert change.planned == ShareGroupPlanned("r2", offsets=(("t", 0, 2), ("t", 1, 4)), seen=live.committed,
                                                previous_request="r1")
    assert converter().structure(converter().unstructure(change.planned), ShareGroupPlanned) == change.planned
    [info] = diags
    assert info.severity == Severity.INFO and "a rollback removes" not in info.message


def test_a_group_with_members_is_warned_and_missing_topics_or_offsets_are_errors():
    live = LiveShareGroup("g", None, "Stable", 2, (("t", 0, 0),), (("t", 0, 0),))
    change, diags = plan_share_group(EARLIEST, live)  # at its target: a change all the same
    assert change.action == Action.UPDATE and change.planned.offsets == (("t", 0, 0),)
    assert [d.code for d in diags] == ["share-group-has-members", "share-group-offsets-change"]
    _, diags = plan_share_group(EARLIEST, LiveShareGroup("g", None, "Dead"))
    assert [d.code for d in diags] == ["share-group-no-offsets"]
    spec = ShareGroupSpec("g", "r", GroupReset("offsets", "offsets", positions=(("t", 3, 1), ("u", 0, 1))))
    _, diags = plan_share_group(spec, LiveShareGroup("g", None, "Dead", missing_topics=("u",), partitions=(("t", 2),)))
    assert [d.code for d in diags if d.is_error] == ["share-group-unknown-topic", "share-group-unknown-partition"]


def test_a_new_topic_says_the_rollback_clears_it():
    spec = ShareGroupSpec("g", "r", GroupReset("latest", "latest", topics=("u",)))
    live = LiveShareGroup("g", None, "Empty", 0, (("t", 0, 3),), (("u", 0, 8),))
    change, diags = plan_share_group(spec, live)
    assert change.action == Action.UPDATE
    assert "it had no start offsets on u: a rollback removes those it set there" in diags[-1].message


class _Reader:
    def __init__(self, answer):
        self.answer, self.asked = answer, None

    def share_groups(self, queries, declared=None):
        self.asked = queries
        return self.answer

    def consumer_groups(self, queries):  # the family's read: not asked for share groups
        raise AssertionError(queries)


def test_the_follow_up_reads_only_pending_requests_and_keeps_the_clusters_refusal(tmp_path):
    from builders import live_state

    from kplan.model.desired import ClusterSpec, Stack
    from kplan.model.plan import ResourceType

    stack = Stack("s", None, ClusterSpec("b:1"), kinds={"share_groups": (
        EARLIEST, ShareGroupSpec("done", "r1", GroupReset("latest", "latest", topics=("t",))))})
    live = live_state("c", 1, {}, {}).with_kind(ResourceType.SHARE_GROUP, records={"done": "r1"})
    reader = _Reader(({"g": {"state": "Empty", "members": 0, "committed": [["t", 0, 5]]}}, None))
    after = follow_up(stack, live, reader, False)
    assert list(reader.asked) == ["g"] and reader.asked["g"] == {"topics": None, "to": "earliest", "ms": None}
    assert after.of(ResourceType.SHARE_GROUP).resources["g"].committed == (("t", 0, 5),)
    refused = follow_up(stack, live, _Reader(({}, "the cluster has no share groups")), False)
    state = refused.of(ResourceType.SHARE_GROUP)
    assert state.problem == Problem.UNSUPPORTED and state.problem_detail == "the cluster has no share groups"
    assert follow_up(stack, live, reader, True) is live  # destroy applies no request


@pytest.mark.parametrize("moved, had, cleared, back", [
    ((("t", 0, 2),), (("t", 0, 9), ("t", 1, 4)), (), (("t", 0, 9),)),  # a partition it had: put back
    ((("u", 0, 8),), (("t", 0, 9),), ("u",), ()),  # a topic it had none on: cleared
    # a partition without one on a topic with others: the topic cleared, then the others it had put back
    ((("t", 1, 0),), (("t", 0, 9),), ("t",), (("t", 0, 9),)),
])
def test_the_undo_puts_the_group_back_exactly(moved, had, cleared, back):
    assert undo_offsets(moved, had, True) == (cleared, back)


def _ctx(fake, outcomes=None):
    return StepContext(0, writers(fake), SecretValues(), lambda o: None, None, None,
                       {} if outcomes is None else outcomes, lambda: None)


def test_the_step_journals_what_it_found_and_its_undo_puts_exactly_that_back():
    fake = FakeWriter()
    fake.share_offsets_["g"] = {("t", 0): 9, ("t", 1): 4}
    step = AlterShareGroupOffsets("g", "r2", (("t", 0, 2), ("u", 0, 0)))
    outcomes: dict = {}
    AlterShareGroupOffsetsHandler().run(step, _ctx(fake, outcomes))
    assert outcomes[0] == {"offsets": [{"topic": "t", "partition": 0, "offset": 9},
                                       {"topic": "t", "partition": 1, "offset": 4}]}
    assert fake.share_offsets_["g"] == {("t", 0): 2, ("t", 1): 4, ("u", 0): 0}
    AlterShareGroupOffsetsHandler().undo(step, _ctx(fake, outcomes))
    assert fake.share_offsets_["g"] == {("t", 0): 9, ("t", 1): 4}  # u cleared again
    assert fake.calls[-2:] == ["delete_share_group_offsets", "alter_share_group_offsets"]


def test_a_group_with_members_is_refused_before_anything_is_written():
    fake = FakeWriter()
    fake.share_offsets_["g"] = {("t", 0): 9}
    fake.share_members_["g"] = 2
    step = AlterShareGroupOffsets("g", "r", (("t", 0, 0),))
    with pytest.raises(KplanError, match="share group g has 2 live members .*stop its consumers"):
        AlterShareGroupOffsetsHandler().preflight(step, _ctx(fake))
    with pytest.raises(KplanError, match="live members"):
        AlterShareGroupOffsetsHandler().run(step, _ctx(fake))
    assert fake.share_offsets_["g"] == {("t", 0): 9} and "alter_share_group_offsets" not in fake.calls


def test_an_undo_of_a_step_that_never_read_writes_nothing():
    fake = FakeWriter()
    AlterShareGroupOffsetsHandler().undo(AlterShareGroupOffsets("g", "r", (("t", 0, 0),)), _ctx(fake, {}))
    assert fake.calls == []


def test_a_cluster_without_share_groups_is_one_error_at_the_first_entry_in_the_readers_words():
    from builders import live_state

    from kplan.model.plan import ResourceType

    declared = {"g": EARLIEST, "a": ShareGroupSpec("a", "r", GroupReset("latest", "latest", topics=("t",)))}
    live = live_state("c", 1, {}, {}).with_kind(
        ResourceType.SHARE_GROUP, problem=Problem.UNSUPPORTED,
        problem_detail="share groups are not enabled on the cluster (feature share.version is 0)")
    kept, [error] = KIND.readable(declared, live)
    assert kept == {} and error.address == "share_group.a" and error.is_error
    assert error.message == ("the stack declares share group requests, but share groups are not enabled on the "
                             "cluster (feature share.version is 0); remove share_groups, or make the cluster take them")
    assert KIND.readable(declared, live_state("c", 1, {}, {})) == (declared, [])
