"""Where a topic's replicas should be for an even spread: a pure, deterministic choice (`kplan plan --rebalance`,
docs/rebalance.md).

Each topic is balanced on its own (a stack's topics each even are even together), in three passes, each moving
as little as it can:
1. placement: a replica on a broker the cluster no longer has, or sharing a rack with another replica of its
   partition while a rack the partition does not use has a broker, moves to the least loaded broker of an unused
   rack;
2. replicas: while one broker holds two or more replicas of the topic more than another, one replica moves from
   the most to the least loaded broker — in a partition the target is not in yet, never making the partition use
   fewer racks, preferring a partition the source does not lead (leadership then stays where it is);
3. preferred leaders: while one broker is the preferred leader (first replica) of two or more partitions more than
   another, a partition it leads puts a less-leading replica first — a reorder, which copies no data.
Ties go to the lowest broker id and the lowest partition, so the same input always gives the same answer.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Mapping, Sequence

Assignment = tuple[tuple[int, ...], ...]
Racks = Mapping[int, str | None]


def balanced(current: Sequence[Sequence[int]], racks: Racks) -> Assignment:
    """`current` (a replica list per partition) spread evenly over the brokers of `racks` (id -> rack, None when
    unset). The replication factor stays; a partition with more replicas than there are brokers is left as is."""
    parts = [list(r) for r in current]
    brokers = sorted(racks)
    if brokers:
        _place(parts, brokers, racks)
        _spread_replicas(parts, brokers, racks)
        _spread_leaders(parts, brokers)
    return tuple(tuple(r) for r in parts)


def _rack(racks: Racks, b: int) -> object:
    """A broker's rack; a broker without one is its own rack."""
    r = racks.get(b)
    return r if r is not None else ("broker", b)


def _distinct_racks(replicas: Iterable[int], racks: Racks) -> int:
    return len({_rack(racks, b) for b in replicas})


def _load(parts: Sequence[Sequence[int]], brokers: Sequence[int]) -> Counter[int]:
    load = Counter({b: 0 for b in brokers})
    load.update(b for r in parts for b in r if b in load)
    return load


def _place(parts: list[list[int]], brokers: Sequence[int], racks: Racks) -> None:
    load = _load(parts, brokers)
    for replicas in parts:
        if len(replicas) > len(brokers):
            continue
        for i in reversed(range(len(replicas))):  # a later replica moves first: the preferred leader stays
            b = replicas[i]
            others = replicas[:i] + replicas[i + 1:]
            used = {_rack(racks, o) for o in others}
            gone = b not in racks
            if not gone and _rack(racks, b) not in used:  # neither gone nor sharing a rack
                continue
            free = [c for c in brokers if c not in replicas and _rack(racks, c) not in used]
            if not free and gone:
                free = [c for c in brokers if c not in replicas]
            if not free:
                continue
            best = min(free, key=lambda c: (load[c], c))
            replicas[i] = best
            load[best] += 1
            if not gone:
                load[b] -= 1


def _spread_replicas(parts: list[list[int]], brokers: Sequence[int], racks: Racks) -> None:
    load = _load(parts, brokers)
    while (move := _one_move(parts, brokers, racks, load)) is not None:
        p, i, dst = move
        load[parts[p][i]] -= 1
        load[dst] += 1
        parts[p][i] = dst


def _one_move(parts: list[list[int]], brokers: Sequence[int], racks: Racks, load: Counter[int]
              ) -> tuple[int, int, int] | None:
    """The next replica move (partition, position, new broker) that narrows the spread, or None."""
    by_most = sorted(brokers, key=lambda b: (-load[b], b))
    by_least = sorted(brokers, key=lambda b: (load[b], b))
    for src in by_most:
        for dst in by_least:
            if load[src] - load[dst] < 2:
                break
            candidates = []
            for p, replicas in enumerate(parts):
                if src not in replicas or dst in replicas:
                    continue
                i = replicas.index(src)
                after = replicas[:i] + [dst] + replicas[i + 1:]
                if _distinct_racks(after, racks) < _distinct_racks(replicas, racks):
                    continue
                candidates.append((i == 0, p, i))
            if candidates:
                _, p, i = min(candidates)
                return p, i, dst
    return None


def _spread_leaders(parts: list[list[int]], brokers: Sequence[int]) -> None:
    while True:
        leads = Counter({b: 0 for b in brokers})
        leads.update(r[0] for r in parts if r)
        # a partition of the most leading broker with a replica leading at least two fewer: the least leading first
        swap = next(((p, min(better, key=lambda b: (leads[b], b)))
                     for src in sorted(brokers, key=lambda b: (-leads[b], b))
                     for p, replicas in enumerate(parts) if replicas and replicas[0] == src
                     if (better := [b for b in replicas[1:] if b in leads and leads[src] - leads[b] >= 2])), None)
        if swap is None:
            return
        p, b = swap
        parts[p].remove(b)
        parts[p].insert(0, b)


def moved_partitions(before: Sequence[Sequence[int]], after: Sequence[Sequence[int]]) -> int:
    """How many partitions get a replica on a broker they had none on (data copied; a reorder copies nothing)."""
    return sum(1 for b, a in zip(before, after) if set(a) - set(b))
