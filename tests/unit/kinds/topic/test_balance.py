"""The rebalance's assignment (kplan.kinds.topic.balance): even replicas and preferred leaders per broker, rack-aware,
few moves, deterministic."""

from __future__ import annotations

import itertools
import random

import pytest

from kplan.kinds.topic.balance import balanced, moved_partitions
from kplan.render.distribution import per_broker

RACKS3 = {1: "rack-a", 2: "rack-b", 3: "rack-c"}


def spread(counts, brokers) -> int:
    return max(counts[b] for b in brokers) - min(counts[b] for b in brokers)


def test_a_topic_on_two_of_three_brokers_spreads_over_all_three_with_the_fewest_copies():
    before = ((1, 2), (2, 1), (1, 2), (2, 1), (1, 2), (2, 1))
    after = balanced(before, RACKS3)
    replicas, leaders = per_broker([after])
    assert dict(replicas) == {1: 4, 2: 4, 3: 4} and dict(leaders) == {1: 2, 2: 2, 3: 2}
    # brokers 1 and 2 each give up two replicas: four partitions copy one replica each, none more
    assert moved_partitions(before, after) == 4
    assert sum(len(set(a) - set(b)) for a, b in zip(after, before)) == 4
    assert all(len(set(r)) == 2 for r in after)


def test_a_balanced_topic_is_left_as_it_is_and_the_answer_is_stable():
    even = ((1, 2), (2, 3), (3, 1))
    assert balanced(even, RACKS3) == even
    before = ((1, 2), (1, 2), (1, 2), (1, 2))
    once = balanced(before, RACKS3)
    assert balanced(once, RACKS3) == once  # idempotent
    assert balanced(before, dict(reversed(list(RACKS3.items())))) == once  # the racks' order does not matter


def test_replicas_sharing_a_rack_move_to_a_rack_the_partition_lacks_keeping_the_leader():
    racks = {1: "a", 2: "a", 3: "b", 4: "b"}
    after = balanced(((1, 2), (3, 4)), racks)
    assert all(len({racks[b] for b in r}) == 2 for r in after), after
    assert after[0][0] == 1 and after[1][0] == 3  # the later replica moved: the preferred leader stays


def test_a_replica_on_a_broker_the_cluster_no_longer_has_moves():
    after = balanced(((5, 1), (1, 2), (2, 3)), RACKS3)
    assert all(b in RACKS3 for r in after for b in r) and after[1:] == ((1, 2), (2, 3))


def test_no_move_makes_a_partition_use_fewer_racks():
    racks = {1: "a", 2: "a", 3: "b"}
    after = balanced(((1, 3), (1, 3), (2, 3), (2, 3), (1, 3), (2, 3)), racks)
    assert all({racks[b] for b in r} == {"a", "b"} for r in after), after


def test_leaders_even_out_by_reordering_alone():
    before = ((1, 2, 3),) * 6
    after = balanced(before, RACKS3)
    assert [set(r) for r in after] == [{1, 2, 3}] * 6  # nothing copied
    assert moved_partitions(before, after) == 0
    assert dict(per_broker([after])[1]) == {1: 2, 2: 2, 3: 2}


def test_more_replicas_than_brokers_and_no_brokers_are_left_alone():
    assert balanced(((1, 2, 3, 4),), {1: None, 2: None}) == ((1, 2, 3, 4),)
    assert balanced(((1, 2),), {}) == ((1, 2),)


@pytest.mark.parametrize("seed", range(40))
def test_any_assignment_ends_even_rack_aware_and_with_its_replication_factor(seed):
    rnd = random.Random(seed)
    n = rnd.randint(2, 6)
    racks = {b: (None if rnd.random() < 0.2 else f"r{rnd.randint(1, 3)}") for b in range(1, n + 1)}
    rf = rnd.randint(1, n)
    parts = tuple(tuple(rnd.sample(sorted(racks), rf)) for _ in range(rnd.randint(1, 12)))
    after = balanced(parts, racks)
    assert balanced(parts, racks) == after  # deterministic
    assert [len(r) for r in after] == [rf] * len(parts) and all(len(set(r)) == rf for r in after)
    replicas, leaders = per_broker([after])
    for b in racks:
        replicas.setdefault(b, 0)
        leaders.setdefault(b, 0)

    def rack(b):
        return racks[b] if racks[b] is not None else ("own", b)

    distinct = sum(len({rack(b) for b in r}) for r in after)
    assert distinct >= sum(len({rack(b) for b in r}) for r in parts)  # never fewer racks in use
    # even replicas unless the racks forbid it: no single move between the most and least loaded broker is left
    most = max(racks, key=lambda b: (replicas[b], -b))
    least = min(racks, key=lambda b: (replicas[b], b))
    if replicas[most] - replicas[least] >= 2:
        for r in after:
            if most in r and least not in r:
                swapped = [least if b == most else b for b in r]
                assert len({rack(b) for b in swapped}) < len({rack(b) for b in r}), (parts, after)


def test_per_broker_counts_replicas_and_preferred_leaders():
    replicas, leaders = per_broker([((1, 2), (2, 3)), ((3,),)])
    assert dict(replicas) == {1: 1, 2: 2, 3: 2} and dict(leaders) == {1: 1, 2: 1, 3: 1}
    assert list(itertools.islice(sorted(replicas), 3)) == [1, 2, 3]
