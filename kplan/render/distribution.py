"""The before/after distribution per broker of the topics a plan moves (a rebalance, a replication-factor change):
how many replicas and preferred leaderships each broker holds of them now and after apply, for the text, Markdown
and HTML renderers. Pure: read from the changes' planned replica lists (`replicas`, `replicas_before`: the topic
kind's payload, kplan.kinds.rebalancing), whatever kind carries them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from html import escape
from typing import Any, Iterable, Sequence

from kplan.model.plan import Plan
from kplan.rules.display import readable


@dataclass(frozen=True)
class BrokerRow:
    broker: int
    replicas_before: int
    replicas_after: int
    leaders_before: int
    leaders_after: int


@dataclass(frozen=True)
class Distribution:
    topics: int  # the topics the plan moves
    throttle: int | None  # bytes/s per broker, when the moves are throttled
    rows: tuple[BrokerRow, ...]

    @property
    def title(self) -> str:
        rate = self.throttle
        limit = f"; copied at most {readable('throttle_byte_rate', rate) or f'{rate} B/s'} per broker" if rate else ""
        return (f"Replicas per broker, before -> after (the {self.topics} topic{'s' if self.topics != 1 else ''} "
                f"this plan moves{limit})")


def distribution(plan: Plan) -> Distribution | None:
    """The distribution over the topics whose replica lists the plan changes; None when it moves none."""
    moves: list[Any] = [c.planned for c in plan.changes if getattr(c.planned, "replicas", None)]
    if not moves:
        return None
    replicas_before, leaders_before = per_broker(p.replicas_before for p in moves)
    replicas_after, leaders_after = per_broker(p.replicas for p in moves)
    brokers = sorted(set(replicas_before) | set(replicas_after))
    rows = tuple(BrokerRow(b, replicas_before[b], replicas_after[b], leaders_before[b], leaders_after[b])
                 for b in brokers)
    throttle = next((p.throttle for p in moves if getattr(p, "throttle", None)), None)
    return Distribution(len(moves), throttle, rows)


def per_broker(assignments: Iterable[Sequence[Sequence[int]]]) -> tuple[Counter[int], Counter[int]]:
    """(replicas, preferred leaderships) per broker over several topics' replica lists."""
    replicas: Counter[int] = Counter()
    leaders: Counter[int] = Counter()
    for assignment in assignments:
        for r in assignment:
            replicas.update(r)
            if r:
                leaders[r[0]] += 1
    return replicas, leaders


def _arrow(before: int, after: int) -> str:
    return f"{before} -> {after}" if before != after else str(before)


def text_lines(d: Distribution) -> list[str]:
    """A small table: broker, replicas, preferred leaders."""
    head = ("broker", "replicas", "preferred leaders")
    rows = [(str(r.broker), _arrow(r.replicas_before, r.replicas_after), _arrow(r.leaders_before, r.leaders_after))
            for r in d.rows]
    widths = [max(len(x[i]) for x in (head, *rows)) for i in range(3)]
    fmt = lambda cells: "  " + "   ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return [d.title + ":", fmt(head), *(fmt(r) for r in rows)]


def markdown(d: Distribution, level: str = "###") -> str:
    rows = "".join(f"| {r.broker} | {_arrow(r.replicas_before, r.replicas_after)} | "
                   f"{_arrow(r.leaders_before, r.leaders_after)} |\n" for r in d.rows)
    return (f"\n{level} Distribution\n\n{d.title}:\n\n| Broker | Replicas | Preferred leaders |\n|--:|--:|--:|\n"
            f"{rows}")


def html_section(d: Distribution | None) -> str:
    if d is None:
        return ""
    rows = "".join(f"<tr><td>{r.broker}</td><td>{escape(_arrow(r.replicas_before, r.replicas_after))}</td>"
                   f"<td>{escape(_arrow(r.leaders_before, r.leaders_after))}</td></tr>" for r in d.rows)
    return (f'<section id="distribution"><h2>Distribution</h2><p>{escape(d.title)}</p>'
            f'<table class="counts"><tr><th>broker</th><th>replicas</th><th>preferred leaders</th></tr>{rows}'
            "</table></section>\n")
