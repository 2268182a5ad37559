"""Choosing replica lists for a replication-factor change (kplan.rules.placement): pure and deterministic."""

from __future__ import annotations

import itertools

import pytest

from kplan.rules.placement import choose_replicas, format_assignment

RACKS = {1: "a", 2: "b", 3: "c", 4: "a", 5: "b", 6: "c"}


def test_growing_keeps_every_replica_and_fills_the_racks_a_partition_lacks():
    out = choose_replicas(((1,), (2,), (3,), (4,)), RACKS, 3)
    for before, after in zip(((1,), (2,), (3,), (4,)), out):
        assert after[: len(before)] == before  # existing replicas kept, the leader first
        assert len({RACKS[b] for b in after}) == 3  # one per rack


def test_growing_balances_the_new_replicas_across_brokers():
    out = choose_replicas(tuple((b,) for b in (1, 2, 3, 4, 5, 6)), RACKS, 2)
    counts = [sum(b in rs for rs in out) for b in RACKS]
    assert max(counts) - min(counts) <= 1, out


def test_shrinking_keeps_the_leader_and_drops_doubled_racks_first():
    assert choose_replicas(((1, 4, 2),), RACKS, 2) == ((1, 2),)  # 4 shares rack a with the leader
    assert choose_replicas(((2, 3, 1),), RACKS, 2) == ((2, 3),)  # all distinct: the last goes
    assert choose_replicas(((2, 3, 1),), RACKS, 1) == ((2,),)


def test_without_racks_it_still_balances_and_is_deterministic():
    plain = {1: None, 2: None, 3: None}
    out = choose_replicas(((1,), (1,), (1,)), plain, 2)
    assert out == choose_replicas(((1,), (1,), (1,)), plain, 2)
    assert all(rs[0] == 1 and len(set(rs)) == 2 for rs in out)
    assert {rs[1] for rs in out} == {2, 3}


def test_more_replicas_than_brokers_is_refused():
    with pytest.raises(ValueError, match="needs at least 4 brokers"):
        choose_replicas(((1,),), {1: "a", 2: "b", 3: "c"}, 4)


@pytest.mark.parametrize("rf", [1, 2, 3, 4])
def test_every_choice_is_a_valid_assignment(rf):
    for current in itertools.product([(1, 2), (3,), (6, 5, 4)], repeat=2):
        out = choose_replicas(current, RACKS, rf)
        assert all(len(rs) == rf and len(set(rs)) == rf and set(rs) <= set(RACKS) for rs in out)


def test_the_plan_text_round_trips():
    a = ((1, 2, 3), (2, 3, 4))
    assert format_assignment(a) == "1,2,3 | 2,3,4"
