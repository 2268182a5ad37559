"""Where a topic's replicas go when its replication factor changes: a pure, deterministic choice.

Kafka moves replicas by partition reassignment; kplan chooses the new replica list of each partition:
- keep what exists (moving the least data): growing adds brokers to each partition's list, shrinking removes
  from its end (the preferred leader, first, stays);
- rack-aware: a partition's replicas go to distinct racks while there are racks it does not use yet (shrinking
  drops a replica whose rack is doubled first);
- balanced: among equal candidates, the broker holding the fewest replicas of the topic so far, then the lowest id.
"""

from __future__ import annotations

from collections import Counter
from typing import Mapping, Sequence


def choose_replicas(current: Sequence[Sequence[int]], racks: Mapping[int, str | None],
                    rf: int) -> tuple[tuple[int, ...], ...]:
    """The new replica list of every partition for replication factor `rf` on brokers `racks` (id -> rack).
    ValueError when there are fewer brokers than `rf`."""
    if rf < 1 or rf > len(racks):
        raise ValueError(f"replication factor {rf} needs at least {rf} brokers (the cluster has {len(racks)})")
    load = Counter(b for replicas in current for b in replicas)
    out: list[tuple[int, ...]] = []
    for replicas in current:
        kept = [b for b in replicas if b in racks]
        if len(kept) > rf:
            kept = _shrink(kept, racks, rf)
        while len(kept) < rf:
            used = Counter(racks[b] for b in kept)
            candidates = [b for b in racks if b not in kept]
            best = min(candidates, key=lambda b: (used[racks[b]] if racks[b] is not None else 0, load[b], b))
            kept.append(best)
            load[best] += 1
        for b in set(replicas) - set(kept):
            load[b] -= 1
        out.append(tuple(kept))
    return tuple(out)


def _shrink(replicas: list[int], racks: Mapping[int, str | None], rf: int) -> list[int]:
    kept = list(replicas)
    while len(kept) > rf:
        used = Counter(racks[b] for b in kept)
        # the last replica whose rack another replica shares; else the last one (never the first, the leader)
        doubled = [b for b in kept[1:] if racks[b] is not None and used[racks[b]] > 1]
        kept.remove(doubled[-1] if doubled else kept[-1])
    return kept


def format_assignment(assignment: Sequence[Sequence[int]]) -> str:
    """Replica lists as the plan shows them, partition by partition: `1,2 | 2,3 | 3,1`."""
    return " | ".join(",".join(str(b) for b in replicas) for replicas in assignment)

