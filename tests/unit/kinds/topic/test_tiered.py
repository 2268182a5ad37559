"""Tiered storage on an existing topic (KIP-405, KIP-950): turning it on or off is one-way, and the plan says so in
the change's own words; off deletes the remote segments (refused on a protected topic); stopping the copy is an
ordinary, reversible change."""

from __future__ import annotations

from builders import live, ltopic, stack, topic

from kplan.kinds.topic import tiered
from kplan.model.plan import Action, Flag, NoteKind, Severity
from kplan.plan.planner import make_plan
from kplan.render.common import flag_note
from kplan.render.markdown import render_markdown

ON = {"remote.storage.enable": "true"}


def plan_one(spec, current):
    plan = make_plan(stack([spec]), live([current]))
    return plan, plan.change(f"topic.{spec.name}")


def note_of(change, key):
    return next(a.note for a in change.attributes if a.path == ("config", key))


def test_transition_reads_the_effective_value_before_and_the_override_after():
    assert tiered.transition({"remote.storage.enable": "false"}, ON) is tiered.Transition.ENABLE
    assert tiered.transition({}, ON) is tiered.Transition.ENABLE
    assert tiered.transition(ON, {"remote.storage.enable": "false"}) is tiered.Transition.DISABLE
    assert tiered.transition(ON, {}) is tiered.Transition.DISABLE  # the override unset: the default is off
    assert tiered.transition(ON, ON) is None
    assert tiered.transition({}, {"retention.ms": "1"}) is None


def test_turning_it_on_is_irreversible_said_in_its_own_words_and_not_a_partition_increase():
    plan, ch = plan_one(topic(config=ON), ltopic(effective={"remote.storage.enable": "false"}))
    assert ch.action == Action.UPDATE and Flag.IRREVERSIBLE in ch.flags and Flag.DATA_LOSS not in ch.flags
    assert note_of(ch, "remote.storage.enable") == NoteKind.TIERED_ON
    [d] = plan.diagnostics
    assert (d.code, d.severity) == ("tiered-storage-one-way", Severity.WARNING)
    assert "a rollback leaves it on" in d.message
    note = flag_note(ch, Flag.IRREVERSIBLE)
    assert note.startswith("IRREVERSIBLE: tiered storage turned on") and "partition" not in note
    md = render_markdown(plan)
    assert "**Irreversible:** `topic.orders`: tiered storage turned on" in md
    assert "once its segments are copied" not in md  # the flag's line says it; the warning it covers is not repeated


def test_turning_it_off_deletes_the_remote_segments():
    spec = topic(config={"remote.storage.enable": "false", "remote.log.delete.on.disable": "true"})
    plan, ch = plan_one(spec, ltopic(overrides=ON))
    assert {Flag.IRREVERSIBLE, Flag.DATA_LOSS} <= ch.flags and not plan.has_errors
    assert note_of(ch, "remote.storage.enable") == NoteKind.TIERED_OFF
    assert [d.message.startswith("DATA LOSS: turning tiered storage off") for d in plan.diagnostics] == [True]
    assert "remote segments" in flag_note(ch, Flag.DATA_LOSS)


def test_a_protected_topic_is_never_turned_off():
    spec = topic(config={"remote.storage.enable": "false", "remote.log.delete.on.disable": "true"}, protect=True)
    plan, ch = plan_one(spec, ltopic(overrides=ON))
    [d] = plan.errors
    assert d.code == "tiered-storage-off-protected" and "protect" in d.message and d.origin.line == 1
    assert Flag.PROTECTED in ch.flags


def test_stopping_the_copy_and_both_partitions_and_tiering_in_one_change():
    _, ch = plan_one(topic(config={**ON, "remote.log.copy.disable": "true"}), ltopic(overrides=ON))
    assert ch.action == Action.UPDATE and Flag.IRREVERSIBLE not in ch.flags  # reversible: set back to false

    plan, ch = plan_one(topic(partitions=6, config=ON), ltopic(partitions=3))
    note = flag_note(ch, Flag.IRREVERSIBLE)
    assert "partition increase" in note and "tiered storage turned on" in note
    assert sorted(d.code for d in plan.diagnostics) == ["partition-increase", "tiered-storage-one-way"]


def test_the_one_way_part_is_its_own_irreversible_step_after_every_reversible_one():
    from kplan.apply.steps import build
    from kplan.kinds.topic.steps import AlterTopicConfigs, ChangeTieredStorage

    spec = topic(config={**ON, "retention.ms": "86400000"})
    current = ltopic(overrides={"retention.ms": "3600000"}, effective={"remote.storage.enable": "false"})
    plan = make_plan(stack([spec]), live([current]))
    steps = list(build(plan, stack([spec]), live([current])).steps)
    alter = next(s for s in steps if isinstance(s, AlterTopicConfigs))
    one_way = next(s for s in steps if isinstance(s, ChangeTieredStorage))
    assert dict(alter.topics["orders"].sets) == {"retention.ms": "86400000"}
    assert dict(one_way.topics["orders"].sets) == ON and one_way.irreversible
    assert dict(one_way.overrides_before["orders"]) == {"remote.storage.enable": None}
    assert steps.index(one_way) > steps.index(alter)
    assert all(not s.irreversible for s in steps[:steps.index(one_way)])
    assert ChangeTieredStorage.from_json(one_way.to_json()) == one_way
