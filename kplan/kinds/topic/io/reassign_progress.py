"""Progress lines while a reassignment copies data (`kplan apply` of a rebalance or a replication-factor change):
`reassignment: 3/12 partitions moved, 9 copying` on stderr, the first after a few seconds, then
every few seconds while it lasts, so that a long copy is seen to advance. The step's own line (`[2/5] reassign
... done`) stays on stdout."""

from __future__ import annotations

import sys
import time
from typing import Callable, Iterable, Mapping, Sequence, TextIO

FIRST_AFTER_S = 1.0
EVERY_S = 5.0


def progress_line(total: int, moving: int) -> str:
    """One progress line: how many of the `total` partitions have moved, how many are still copying (what
    ListPartitionReassignments tells)."""
    return f"reassignment: {total - moving}/{total} partitions moved, {moving} still copying"


class MoveProgress:
    """Prints `progress_line` at most every EVERY_S seconds once the wait has lasted FIRST_AFTER_S."""

    def __init__(self, targets: Mapping[str, Sequence[Sequence[int]]], stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.targets = targets
        self.total = sum(len(a) for a in targets.values())
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.next_at = clock() + FIRST_AFTER_S

    def tick(self, moving: Iterable[tuple[str, int]]) -> None:
        now = self.clock()
        if now < self.next_at:
            return
        self.next_at = now + EVERY_S
        mine = [(t, p) for t, p in moving if t in self.targets and 0 <= p < len(self.targets[t])]
        self.stream.write(progress_line(self.total, len(mine)) + "\n")
        self.stream.flush()
