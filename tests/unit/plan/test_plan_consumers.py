"""The consumer context and guard (kplan.kinds.consumer_guard) and its follow-up read
(kplan.session.plan.with_consumers): which topics are looked up, lag and retention arithmetic, the guard's severities
and allowances, and that a plan disrupting no topic asks the reader nothing."""

from __future__ import annotations

from dataclasses import replace

from builders import live, ltopic, stack, topic

from kplan.kinds import consumer_guard
from kplan.model.consumers import (
    ACTIVE_CODE,
    ALLOWED_CODE,
    BEHIND_CODE,
    COMMITTED_CODE,
    ConsumerReads,
    LiveConsumers,
    LiveGroup,
    TopicPositions,
)
from kplan.model.desired import freeze
from kplan.model.desired import freeze as frozen
from kplan.model.diagnostics import Severity
from kplan.model.live import StaticReader
from kplan.model.policy import Level, Policy, Rule, RuleType
from kplan.plan.planner import make_plan
from kplan.session.plan import with_consumers
from kplan.session.systems import StackReader


def group(gid, state, members, topic_name, offsets):
    return LiveGroup(gid, state, members, freeze({topic_name: frozen(offsets)}))


def consumers(*groups, topics=None, read_at=0):
    return LiveConsumers(freeze({g.group_id: g for g in groups}), freeze(topics or {}), read_at)


class CountingReader(StaticReader):
    """A reader that can ask for consumer groups, counting each request and what it asked."""

    def __init__(self, state, answer=None):
        super().__init__(state)
        self.calls: list[tuple[dict, dict]] = []
        self.answer = answer or consumers()

    def read_consumers(self, topics, retention_cuts):
        self.calls.append((dict(topics), dict(retention_cuts)))
        return self.answer


def test_the_real_reader_asks_for_consumers_and_a_live_state_file_does_not():
    assert issubclass(StackReader, ConsumerReads)
    assert not isinstance(StaticReader(live()), ConsumerReads)
    assert isinstance(CountingReader(live()), ConsumerReads)


def test_a_plan_that_disrupts_no_topic_asks_for_no_consumer_group():
    s = stack([topic("orders", 3, 1, {"retention.ms": "3600000"}), topic("new", 1, 1)])
    lv = live([ltopic("orders", 3, 1, {"retention.ms": "3600000"})])
    plan = make_plan(s, lv)
    reader = CountingReader(lv)
    lv2, plan2 = with_consumers(reader, s, lv, plan, False)
    assert reader.calls == [] and plan2 is plan and lv2.consumers is None
    # the same stack deleting a topic asks once, for that topic alone
    lv = live([ltopic("orders", 3, 1, {"retention.ms": "3600000"}), ltopic("old", 2, 1)])
    plan = make_plan(s, lv)
    with_consumers(reader, s, lv, plan, False)
    assert reader.calls == [({"old": 2}, {})]


def test_which_topics_are_looked_up():
    s = stack([topic("longer", 1, 1, {"retention.ms": "172800000"}),
               topic("shorter", 1, 1, {"retention.ms": "3600000"}),
               topic("unlimited", 1, 1, {"retention.bytes": "1000"}), topic("grow", 4, 1),
               topic("compact", 1, 1, {"cleanup.policy": "compact"}), topic("same", 1, 1)])
    lv = live([ltopic("longer", 1, 1, {"retention.ms": "86400000"}),
               ltopic("shorter", 1, 1, {"retention.ms": "86400000"}),
               ltopic("unlimited", 1, 1, {"retention.bytes": "-1"}), ltopic("grow", 2, 1),
               ltopic("compact", 1, 1, effective={"cleanup.policy": "delete"}), ltopic("same", 1, 1),
               ltopic("gone", 1, 1)])
    found = consumer_guard().disrupted(make_plan(s, lv), lv)
    assert {n: d.because for n, d in found.items()} == {
        "shorter": ("retention.ms",), "unlimited": ("retention.bytes",), "grow": ("partitions",),
        "compact": ("cleanup.policy",), "gone": ("delete",)}
    assert found["shorter"].retention_ms == 3600000 and found["unlimited"].retention_ms is None


def test_lag_age_and_records_older_than_the_new_retention():
    s = stack([topic("events", 2, 1, {"retention.ms": "3600000"})])
    pos = TopicPositions(frozen({0: 40, 1: 20}), frozen({3600000: frozen({0: 30, 1: 20})}),
                         frozen({0: frozen({10: 900_000}), 1: frozen({15: 950_000})}))
    lv = replace(live([ltopic("events", 2, 1, effective={"retention.ms": "604800000"})]),
                 consumers=consumers(group("a", "Empty", 0, "events", {0: 10, 1: 15}),
                                     group("b", "Stable", 1, "events", {0: 40, 1: 20}),
                                     topics={"events": pos}, read_at=1_000_000))
    plan = make_plan(s, lv)
    ctx = plan.change("topic.events").consumers
    a, b = ctx.groups
    assert (a.group, a.lag, a.oldest_age_ms, a.beyond_retention) == ("a", 30 + 5, 100_000, 20 + 5)
    assert (b.group, b.lag, b.oldest_age_ms, b.beyond_retention) == ("b", 0, None, 0)
    [d] = [d for d in plan.diagnostics if d.code == BEHIND_CODE]
    assert d.severity == Severity.WARNING and "a has 35 unconsumed, 25 of them older than 1h" in d.message
    assert "b has" not in d.message


def test_an_age_is_omitted_when_a_lagging_partitions_timestamp_is_unknown():
    s = stack([])
    pos = TopicPositions(frozen({0: 10, 1: 10}), timestamps=frozen({0: frozen({5: 1})}))
    lv = replace(live([ltopic("t", 2, 1)]), consumers=consumers(group("g", "Empty", 0, "t", {0: 5, 1: 5}),
                                                                topics={"t": pos}, read_at=10))
    [g] = make_plan(s, lv).change("topic.t").consumers.groups
    assert g.lag == 10 and g.oldest_age_ms is None


ENDS = {"t": TopicPositions(frozen({0: 5}))}


def _deleting(state, members, **kw):
    lv = replace(live([ltopic("t", 1, 1)]),
                 consumers=consumers(group("g", state, members, "t", {0: 3}), topics=ENDS))
    return make_plan(stack([], **kw), lv)


def test_deleting_a_topic_live_members_read_is_an_error_naming_group_members_lag_and_the_flag():
    plan = _deleting("Stable", 2)
    [d] = plan.errors
    assert d.code == ACTIVE_CODE and d.address == "topic.t"
    assert "g (Stable, 2 members, lag 2)" in d.message and "--allow-active-consumers" in d.message
    assert "allow_consumer_disruption" not in d.message  # a removed topic has no declaration to set it on


def test_the_run_allowance_makes_it_a_warning():
    lv = replace(live([ltopic("t", 1, 1)]),
                 consumers=consumers(group("g", "PreparingRebalance", 1, "t", {0: 3}),
                                     topics={"t": TopicPositions(frozen({0: 5}))}))
    plan = make_plan(stack([]), lv, allow_active_consumers=True)
    assert not plan.has_errors
    assert [(d.code, d.severity) for d in plan.diagnostics] == [(ALLOWED_CODE, Severity.WARNING)]


def test_the_topic_setting_allows_a_destroy_and_names_itself():
    lv = replace(live([ltopic("t", 1, 1)]),
                 consumers=consumers(group("g", "Stable", 1, "t", {0: 3}), topics=ENDS))
    refused = make_plan(stack([topic("t", 1, 1)]), lv, destroy=True)
    assert [d.code for d in refused.errors] == [ACTIVE_CODE]
    assert "allow_consumer_disruption: true" in refused.errors[0].message
    allowed = make_plan(stack([topic("t", 1, 1, allow_consumer_disruption=True)]), lv, destroy=True)
    assert not allowed.has_errors
    assert "allowed by the topic's allow_consumer_disruption" in allowed.diagnostics[0].message


def test_an_empty_group_is_a_warning_and_a_policy_rule_makes_it_an_error():
    plan = _deleting("Empty", 0)
    assert not plan.has_errors and [d.code for d in plan.diagnostics] == [COMMITTED_CODE]
    rule = Rule(RuleType.TOPIC_CONSUMED_DELETION, "policy.yaml:3", Level.ERROR, message="delete the group first")
    plan = _deleting("Empty", 0, policy=Policy((rule,)))
    [d] = plan.errors
    assert d.code == "policy:topic-consumed-deletion" and "delete the group first" in d.message
    excluded = replace(rule, exclude="t")
    assert not _deleting("Empty", 0, policy=Policy((excluded,))).has_errors
    warn = replace(rule, level=Level.WARNING)
    assert [d.severity for d in _deleting("Empty", 0, policy=Policy((warn,))).diagnostics] == [Severity.WARNING]


def test_a_failed_read_is_a_warning_that_says_the_guard_did_not_run():
    from kplan.errors import KplanError

    class Failing(CountingReader):
        def read_consumers(self, topics, retention_cuts):
            raise KplanError("the consumer groups could not be read: GROUP_AUTHORIZATION_FAILED")

    lv = live([ltopic("t", 1, 1)])
    plan = make_plan(stack([]), lv)
    _, plan2 = with_consumers(Failing(lv), stack([]), lv, plan, False)
    [d] = [d for d in plan2.diagnostics if d.code == "consumers-unread"]
    assert "GROUP_AUTHORIZATION_FAILED" in d.message and "consumer guard did not run" in d.message


def test_the_context_survives_the_plan_json():
    from kplan.plan.serialize import plan_from_dict, plan_to_dict

    plan = _deleting("Stable", 2)
    again = plan_from_dict(plan_to_dict(plan))
    assert again.change("topic.t").consumers == plan.change("topic.t").consumers


def _assigned(gid, state, members, partitions, protocol="classic"):
    """A group whose members are assigned `t`'s `partitions` and that has no committed offset."""
    return LiveGroup(gid, state, members, freeze({}), freeze({"t": tuple(partitions)}), protocol)


def test_a_live_group_without_committed_offsets_is_seen_by_its_assignment():
    lv = replace(live([ltopic("t", 2, 1)]), consumers=consumers(_assigned("etl", "Stable", 1, [0, 1]), topics=ENDS))
    plan = make_plan(stack([]), lv)
    [d] = plan.errors
    assert "etl (Stable, 1 member, assigned 2 partitions, no committed offsets)" in d.message
    [g] = plan.change("topic.t").consumers.groups
    assert (g.lag, g.assigned, g.protocol, g.oldest_age_ms) == (None, (0, 1), "classic", None)


def test_a_consumer_protocol_group_with_members_in_a_state_librdkafka_does_not_name_is_live():
    """librdkafka reports KIP-848's Assigning and Reconciling as Unknown: with members, that is live."""
    for state in ("Unknown", "Assigning", "Reconciling", "Stable"):
        lv = replace(live([ltopic("t", 1, 1)]),
                     consumers=consumers(_assigned("g", state, 1, [0], "consumer"), topics=ENDS))
        assert [d.code for d in make_plan(stack([]), lv).errors] == [ACTIVE_CODE], state
    for state in ("Empty", "Dead"):
        lv = replace(live([ltopic("t", 1, 1)]), consumers=consumers(group("g", state, 0, "t", {0: 3}), topics=ENDS))
        assert not make_plan(stack([]), lv).has_errors, state


SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"


def _sink_plan(stack_connectors, group_id, config=None, allow=False):
    from builders import lconn

    lv = replace(live([ltopic("t", 1, 1)], [lconn("sink", {"connector.class": SINK, "topics": "t", **(config or {})})]),
                 consumers=consumers(group(group_id, "Stable", 1, "t", {0: 5}), topics=ENDS))
    return make_plan(stack([], stack_connectors), lv, allow_active_consumers=allow)


def test_the_group_of_a_sink_the_plan_deletes_first_is_shown_and_not_counted():
    plan = _sink_plan([], "connect-sink")
    assert not plan.has_errors, plan.errors
    assert not [d for d in plan.diagnostics if d.code.startswith("consumers-")]
    [g] = plan.change("topic.t").consumers.groups
    assert (g.group, g.leaves) == ("connect-sink", "this stack's connector sink, deleted first")
    from kplan.render.markdown import render_markdown
    from kplan.render.text import render_text

    assert ("  #     connect-sink: Stable, 1 member, lag 0 messages — this stack's connector sink, deleted first"
            in render_text(plan, color=False).splitlines())
    assert ("| `t` | delete | `connect-sink` (this stack's connector sink, deleted first) | Stable | 1 | 0 |  |  |"
            in render_markdown(plan).splitlines())
    # consumer.override.group.id names the group Connect uses instead
    plan = _sink_plan([], "billing-sink", {"consumer.override.group.id": "billing-sink"})
    assert not plan.has_errors and plan.change("topic.t").consumers.groups[0].leaves is not None
    # ... and then connect-<name> is somebody else's group: it blocks
    plan = _sink_plan([], "connect-sink", {"consumer.override.group.id": "billing-sink"})
    assert [d.code for d in plan.errors] == [ACTIVE_CODE]


def test_the_group_of_a_sink_the_plan_keeps_or_only_pauses_still_blocks():
    from builders import connector

    kept = connector("sink", {"connector.class": SINK, "topics": "t"})
    assert [d.code for d in _sink_plan([kept], "connect-sink").errors] == [ACTIVE_CODE]
    paused = connector("sink", {"connector.class": SINK, "topics": "t"}, state="paused")
    assert [d.code for d in _sink_plan([paused], "connect-sink").errors] == [ACTIVE_CODE]
    stopped = connector("sink", {"connector.class": SINK, "topics": "t"}, state="stopped")
    plan = _sink_plan([stopped], "connect-sink")
    assert not plan.has_errors, plan.errors
    assert plan.change("topic.t").consumers.groups[0].leaves == "this stack's connector sink, stopped first"


def test_the_group_of_a_streams_application_the_plan_removes_is_shown_and_not_counted():
    from kplan.kinds.streams_app.kind import StreamsAppPlanned
    from kplan.model.bindings import AclBinding
    from kplan.model.plan import Action, ResourceChange, ResourceType
    from kplan.plan.planner import leaving

    def app(name, *bindings):
        held = tuple(("User:x", b) for b in bindings)
        return ResourceChange(f"streams_app.{name}", ResourceType.STREAMS_APP, name, Action.UPDATE,
                              planned=StreamsAppPlanned(delete=held))

    lv = live([ltopic("t", 1, 1)])
    plan = make_plan(stack([]), lv)
    removed = app("enricher", AclBinding("group", "literal", "enricher", "READ"),
                  AclBinding("topic", "literal", "t", "READ"))  # an update: its internal topics stay
    narrowed = app("kept", AclBinding("topic", "literal", "t", "READ"))  # an input dropped: it keeps its group
    other = app("third", AclBinding("group", "literal", "someone-else", "READ"))
    assert leaving(replace(plan, changes=plan.changes + (removed, narrowed, other)), lv) == {
        "enricher": "this stack's Kafka Streams application enricher, removed first (its ACLs deleted)"}


def test_an_old_librdkafka_is_refused_for_describing_groups():
    import pytest

    from kplan.errors import KplanError
    from kplan.transport.groups import check_client

    with pytest.raises(KplanError, match=r"librdkafka 2\.6\.1 describes consumer groups only the classic way.*"
                                         r"install confluent-kafka>=2\.10\.0"):
        check_client(("2.6.1", 0x020601FF))
    check_client(("2.10.0", 0x020A00FF))
    check_client(("2.16.0", 0x021000FF))
