"""The graph of the data flows a plan touches, which `kplan.render.html.flows` draws: nodes in four columns (who
writes, what is written, who reads) and the edges between them. Each kind whose resources take part adds its changes
(`FlowPart`, named by its UNIT's `flows_ref`), in two passes over the plan: first the writers (a CDC source's
connectors, which the topics it generated are drawn from), then the rest. The composer names no kind. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from kplan.model.plan import Action, Plan, ResourceChange

# Columns, left to right: who writes, what is written, who reads.
SOURCE, WRITER, TOPIC, READER = 0, 1, 2, 3


@dataclass
class Node:
    id: str
    kind: str  # the node's word: source, connector, mirror, topic, group
    name: str
    column: int
    action: str | None = None  # the plan's action on it (None: not in the plan, e.g. a group reading a topic)
    referenced: bool = False  # the stack references it (`references:`): another stack owns it

    @property
    def changed(self) -> bool:
        return self.action not in (None, Action.NOOP.value)


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: set[tuple[str, str]] = field(default_factory=set)
    # A CDC source -> the nodes of the connectors it generated (the first pass's), which its topics are drawn from.
    cdc_writers: dict[str, list[str]] = field(default_factory=dict)

    def node(self, kind: str, name: str, column: int, action: str | None = None, rightmost: bool = False) -> str:
        """The node's id, the node added if new. `rightmost`: a node asked for again in another column goes to the
        rightmost of them (a connector that both reads and writes)."""
        nid = f"{kind}:{name}"
        n = self.nodes.get(nid)
        if n is None:
            self.nodes[nid] = n = Node(nid, kind, name, column, action)
        else:
            n.column = max(n.column, column) if rightmost else n.column
            n.action = n.action or action
        return nid

    def edge(self, a: str, b: str) -> None:
        if a != b:
            self.edges.add((a, b))


Draw = Callable[[Graph, ResourceChange, Plan], None]


@dataclass(frozen=True)
class FlowPart:
    """A kind's part of the picture: the word of its resources' nodes (the composer marks a referenced one by the
    kind's address), and what it draws of one of its changes in each pass (the plan, for what a change draws from
    other changes: a mirror's source topics)."""

    node: str | None = None
    writers: Draw | None = None  # first pass
    draw: Draw | None = None  # second pass
