"""Each kind registers once (`UNIT` in its unit.py), its stack section included; a section module registers nothing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kplan.kinds import ORDER, UNITS, claimable_sections, stack_sections, unit_module

KINDS_DIR = Path(__file__).resolve().parents[3] / "kplan" / "kinds"


@pytest.mark.parametrize("unit", UNITS, ids=ORDER)
def test_a_units_section_is_its_kinds(unit):
    if unit.section is not None:
        assert unit.section.key == unit.kind.section
        if unit.section.build_ref is not None:
            assert callable(unit.section.build) and callable(unit.section.entry_word)
        for ref in (unit.section.check_members_ref, unit.section.digest_inputs_ref):
            assert ref is None or callable(getattr(unit.section, ref.rpartition(":")[2]))


@pytest.mark.parametrize("name", ORDER)
def test_a_unit_module_imports_only_the_registration(name):
    """Loading a stack imports the units: a unit.py that imported its kind would load the planning code."""
    tree = ast.parse(KINDS_DIR.joinpath(*unit_module(name).split(".")).with_suffix(".py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"kplan.kinds.unit", "__future__"}, imported


def test_no_section_module_registers_by_convention():
    for path in KINDS_DIR.glob("*/section.py"):
        names = {t.id for n in ast.parse(path.read_text()).body if isinstance(n, ast.Assign)
                 for t in n.targets if isinstance(t, ast.Name)}
        assert not names & {"SECTION", "NOUN", "CLAIMABLE", "BORROWS", "build_section"}, (path, names)


def test_the_registered_sections_in_the_kinds_order():
    assert list(stack_sections()) == ["consumer_groups", "share_groups", "acls", "streams_apps", "users", "quotas",
                                      "broker_configs", "group_configs", "subjects"]
    assert claimable_sections() == ("topics", "connectors", "acls", "subjects")


@pytest.mark.parametrize("unit", UNITS, ids=ORDER)
def test_a_status_read_comes_with_what_puts_it_on_the_report(unit):
    """`kplan status` makes a kind's own status read (`io.status_read_ref`) only to put what it read on the report
    (`status_with_ref`): both or neither, each resolving to a function."""
    assert (unit.io.status_read_ref is None) == (unit.status_with_ref is None), unit.kind_ref
    if unit.status_read is not None:
        assert callable(unit.status_read) and callable(unit.status_with)


@pytest.mark.parametrize("unit", UNITS, ids=ORDER)
def test_a_units_status_tally_policy_and_topic_keepers_resolve_to_their_types(unit):
    """`status_tally_ref` counts the kind's own resources, `policy_ref` checks a kind with a section, and
    `keeps_topics_ref` answers the topic kind's questions."""
    from kplan.kinds.policy import PolicyPart
    from kplan.model.status import StateTally

    if unit.status_tally is not None:
        assert isinstance(unit.status_tally, StateTally) and unit.status_tally.type == unit.kind.type
    if unit.policy is not None:
        assert isinstance(unit.policy, PolicyPart) and unit.section is not None
    if unit.keeps_topics is not None:
        assert all(callable(getattr(unit.keeps_topics, m))
                   for m in ("address", "history_owner", "live_history_owner", "table_keeper"))


def test_one_kind_rebalances_and_guards_consumers():
    """kplan.kinds.rebalancing and consumer_guard find the one kind registering each (the topic kind): a second
    registration would be an error, so there is none; each answers its Protocol's methods."""
    rebalancing = [u for u in UNITS if u.rebalance is not None]
    guards = [u for u in UNITS if u.consumer_guard is not None]
    assert [u.kind.type.value for u in rebalancing] == [u.kind.type.value for u in guards] == ["topic"]
    assert all(callable(getattr(rebalancing[0].rebalance, m)) for m in ("planned", "of_plan", "of_journal"))
    assert all(callable(getattr(guards[0].consumer_guard, m)) for m in ("disrupted", "attach"))
