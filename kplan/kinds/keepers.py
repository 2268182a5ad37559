"""Topics another kind's resources keep beyond their declarations (a CDC source's connector: its schema-history topic,
and its table topics while it does not prune them). The kind whose resources keep them registers a `TopicKeepers`
(its Runtime's `keepers`, `kplan.kinds.unit.Runtime`); the topic kind asks it, naming no other kind, what a protected
topic exists for, which resource keeps an undeclared topic, and whose deletion takes a history with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Stack
    from kplan.model.live import LiveState
    from kplan.model.source import Origin


@dataclass(frozen=True)
class Keeper:
    """A declared resource keeping a topic its declaration no longer declares: its name and declaration."""

    name: str
    origin: "Origin | None"


class TopicKeepers(Protocol):
    def address(self, source: str) -> str:
        """The address of the resource a generated topic exists for, given the source `TopicSpec.protected_by`
        names: destroy deletes the topic only with it."""
        ...

    def history_owner(self, topic: str, stack: "Stack") -> str | None:
        """The declared resource that keeps its schema history in `topic`, if any."""
        ...

    def live_history_owner(self, topic: str, live: "LiveState") -> str | None:
        """The live resource that keeps its schema history in `topic`, if any."""
        ...

    def table_keeper(self, topic: str, stack: "Stack") -> Keeper | None:
        """The declared resource (a CDC source not pruning its tables) whose table topics `topic` is named like."""
        ...
