"""The data flows a plan touches, as a picture: CDC source -> connector -> topics -> the consumer groups and sink
connectors that read them, and a mirror's: source topic -> mirror -> target topic -> the target's consumer groups,
each changed part marked by its action. Pure: the graph is read off the plan model
(origins name a resource's CDC source, connector configs name their topics, a disrupted topic's change carries
the groups reading it, a consumer group request names its topics, a MirrorMaker source connector's config names
its source cluster, patterns and naming policy: the source topics are those of the source cluster's plan its
patterns match, else its patterns), and drawn as inline SVG (no script needed).
A part the stack references (`Plan.references`: another stack owns it) is drawn dashed and says so; a referenced
resource that no flow of the plan reads or writes is not drawn."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

from kplan.model.plan import Action, Plan, ResourceChange, ResourceType, address_of

# Columns, left to right: who writes, what is written, who reads.
SOURCE, WRITER, TOPIC, READER = 0, 1, 2, 3
COLUMN_TITLES = ("CDC source / mirrored topic", "source connector / mirror", "topic", "consumer group / sink connector")
MAX_NODES = 400  # drawn; the rest of the flows are counted in a line under the picture
_W, _BOX, _ROW, _GAP, _TOP = 250, 210, 26, 18, 28
# The plan's resource type of each kind of node that is one (a CDC source is not a resource).
NODE_TYPES = {"topic": ResourceType.TOPIC, "connector": ResourceType.CONNECTOR, "group": ResourceType.CONSUMER_GROUP}
MIRROR_SOURCE, MIRROR_CHECKPOINT = (f"org.apache.kafka.connect.mirror.{c}" for c in ("MirrorSourceConnector",
                                                                                    "MirrorCheckpointConnector"))
REFERENCED = "referenced: owned by another stack"


@dataclass
class Node:
    id: str
    kind: str  # source, connector, topic, group
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

    def node(self, kind: str, name: str, column: int, action: str | None = None) -> str:
        nid = f"{kind}:{name}"
        n = self.nodes.get(nid)
        if n is None:
            self.nodes[nid] = n = Node(nid, kind, name, column, action)
        else:
            n.column = max(n.column, column) if kind == "connector" else n.column
            n.action = n.action or action
        return nid

    def edge(self, a: str, b: str) -> None:
        if a != b:
            self.edges.add((a, b))


def flow_graph(plan: Plan) -> Graph:
    """Every flow among the plan's resources (unchanged ones too: a changed topic's readers matter)."""
    g = Graph()
    changes = list(plan.changes)
    cdc_connectors: dict[str, list[str]] = {}
    for ch in changes:
        if ch.type == ResourceType.CONNECTOR and _config(ch).get("connector.class") == MIRROR_SOURCE:
            _mirror(g, ch, plan)
        elif ch.type == ResourceType.CONNECTOR and _config(ch).get("connector.class") != MIRROR_CHECKPOINT:
            _connector(g, ch, cdc_connectors)
    for ch in changes:
        if ch.type == ResourceType.TOPIC:
            _topic(g, ch, cdc_connectors)
        elif ch.type == ResourceType.CONSUMER_GROUP:
            _group(g, ch)
    refs = frozenset(plan.references)
    for n in g.nodes.values():
        n.referenced = n.kind in NODE_TYPES and address_of(NODE_TYPES[n.kind], n.name) in refs
    return g


def _config(ch: ResourceChange) -> dict:
    doc = ch.after if ch.after is not None else ch.before
    cfg = doc.get("config") if doc is not None else None
    return dict(cfg) if cfg else {}


def _connector(g: Graph, ch: ResourceChange, cdc: dict[str, list[str]]) -> None:
    cfg = _config(ch)
    reads = [t.strip() for t in str(cfg.get("topics", "")).split(",") if t.strip()]
    writes = [str(cfg[k]).strip() for k in ("topic", "kafka.topic") if cfg.get(k)]
    source = ch.origin.cdc_source if ch.origin is not None else None
    nid = g.node("connector", ch.name, READER if reads and not (writes or source) else WRITER, ch.action.value)
    if source:
        g.edge(g.node("source", source, SOURCE), nid)
        cdc.setdefault(source, []).append(nid)
    for t in reads:
        g.edge(g.node("topic", t, TOPIC), nid)
    for t in writes:
        g.edge(nid, g.node("topic", t, TOPIC))


def _clusters(plan: Plan) -> dict[str, Plan]:
    return {p.cluster_name: p for p in plan.groups if p.cluster_name}


def _mirror(g: Graph, ch: ResourceChange, plan: Plan) -> None:
    """A mirror (its MirrorMaker source connector): each source topic it replicates -> the mirror -> its replica on
    the target -> the groups whose offsets it translates there (its checkpoint connector's `groups`, as written, and
    the consumer group requests of the target that name the replica). The source topics are the topics of the
    source cluster's plan (a stack with `clusters:`) that its patterns match; a source outside the plan is drawn as
    its patterns."""
    from kplan.model.mirror import IDENTITY, POLICY_CLASSES, MirrorSpec

    cfg = _config(ch)
    split = (lambda key: tuple(p.strip() for p in str(cfg.get(key, "")).split(",") if p.strip()))  # noqa: E731
    alias, target = str(cfg.get("source.cluster.alias", "source")), str(cfg.get("target.cluster.alias", "target"))
    policy = IDENTITY if cfg.get("replication.policy.class") == POLICY_CLASSES[IDENTITY] else "prefixed"
    name = ch.name[:-len("-source")] if ch.name.endswith("-source") else ch.name
    try:
        mirror = MirrorSpec(name, alias, target, split("topics"), split("topics.exclude"), policy=policy)
        source = _clusters(plan).get(alias)
        topics = sorted((c.name, c.action.value) for c in (source.changes if source else ())
                        if c.type == ResourceType.TOPIC and c.action != Action.DELETE and mirror.replicates(c.name))
    except re.error:  # a pattern Python reads otherwise than Java: drawn as written
        mirror, topics = None, []
    nid = g.node("mirror", name, WRITER, ch.action.value)
    checkpoint = next((c for c in plan.changes if c.type == ResourceType.CONNECTOR and c.name == f"{name}-checkpoint"),
                      None)
    groups = [p for p in str(_config(checkpoint).get("groups", "")).split(",") if p.strip()] if checkpoint else []
    for t, action in topics:
        g.edge(g.node("topic", f"{alias}: {t}", SOURCE, action), nid)
        assert mirror is not None
        replica = g.node("topic", mirror.target_name(t), TOPIC)
        g.edge(nid, replica)
        for grp in groups:
            g.edge(replica, g.node("group", grp.strip(), READER))
    if not topics:  # the source is not in this plan: its patterns stand for its topics
        pattern = g.node("topic", f"{alias}: {', '.join(split('topics')) or '?'}", SOURCE)
        g.edge(pattern, nid)
        replicas = g.node("topic", f"{target}: {alias}.<topic>" if policy != IDENTITY else f"{target}: <topic>",
                          TOPIC)
        g.edge(nid, replicas)
        for grp in groups:
            g.edge(replicas, g.node("group", grp.strip(), READER))


def _topic(g: Graph, ch: ResourceChange, cdc: dict[str, list[str]]) -> None:
    nid = g.node("topic", ch.name, TOPIC, ch.action.value)
    source = ch.origin.cdc_source if ch.origin is not None else None
    if source:
        for writer in cdc.get(source) or [g.node("source", source, SOURCE)]:
            g.edge(writer, nid)
    if ch.consumers is not None:
        for grp in ch.consumers.groups:
            g.edge(nid, g.node("group", grp.group, READER))


def _group(g: Graph, ch: ResourceChange) -> None:
    nid = g.node("group", ch.name, READER, ch.action.value)
    doc = ch.after if ch.after is not None else ch.before
    for pos in (doc or {}).get("offsets") or ():
        if isinstance(pos, dict) and pos.get("topic"):
            g.edge(g.node("topic", str(pos["topic"]), TOPIC), nid)


def touched_flows(g: Graph) -> list[list[Node]]:
    """The connected parts of the graph with a changed node and at least one edge, most changes first."""
    parent = {n: n for n in g.nodes}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in g.edges:
        parent[root(a)] = root(b)
    parts: dict[str, list[Node]] = {}
    for nid, n in g.nodes.items():
        parts.setdefault(root(nid), []).append(n)
    flows = [sorted(p, key=lambda n: (n.column, n.name)) for p in parts.values()
             if len(p) > 1 and any(n.changed for n in p)]
    return sorted(flows, key=lambda p: (-sum(n.changed for n in p), p[0].name))


def flows_svg(plan: Plan) -> tuple[str, int, int]:
    """(the SVG, the flows drawn, the flows left out to stay readable); an empty SVG when no flow is touched."""
    g = flow_graph(plan)
    flows = touched_flows(g)
    drawn: list[list[Node]] = []
    total = 0
    for f in flows:
        if drawn and total + len(f) > MAX_NODES:
            break
        drawn.append(f)
        total += len(f)
    if not drawn:
        return "", 0, 0
    pos: dict[str, tuple[int, int]] = {}
    parts: list[str] = []
    y = _TOP
    for f in drawn:
        counts = [0, 0, 0, 0]
        for n in f:
            pos[n.id] = (10 + n.column * _W, y + counts[n.column] * _ROW)
            counts[n.column] += 1
        height = max(counts) * _ROW
        parts.append(f'<rect class="band" x="2" y="{y - 5}" width="{4 * _W - 20}" height="{height + 4}"/>')
        y += height + _GAP
    edges = [_edge(f"{a}>{b}", pos[a], pos[b], g.nodes[a].changed or g.nodes[b].changed)
             for a, b in sorted(g.edges) if a in pos and b in pos]
    nodes = [_node(n, pos[n.id]) for f in drawn for n in f]
    titles = "".join(f'<text class="col" x="{10 + i * _W}" y="16">{escape(t)}</text>'
                     for i, t in enumerate(COLUMN_TITLES))
    if any(n.referenced for f in drawn for n in f):  # the key to the dashed boxes, under the flows
        parts.append(f'<g class="key ref"><rect x="10" y="{y}" width="36" height="14" rx="4"/>'
                     f'<text x="54" y="{y + 11}">dashed: referenced (references:), owned by another stack; the plan '
                     "checks it, never changes it</text></g>")
        y += 14 + _GAP
    svg = (f'<svg id="flow-svg" width="{4 * _W}" height="{y}" '
           f'viewBox="0 0 {4 * _W} {y}" role="img" aria-label="data flows the plan touches">'
           + titles + "".join(parts) + "".join(edges) + "".join(nodes) + "</svg>")
    return svg, len(drawn), len(flows) - len(drawn)


def _edge(name: str, a: tuple[int, int], b: tuple[int, int], changed: bool) -> str:
    """A curve from the right side of box `a` to the left side of box `b` (to the right side when `b` is in the
    same column)."""
    (ax, ay), (bx, by) = a, b
    x1, y1, y2 = ax + _BOX, ay + 9, by + 9
    x2, mid = (bx, (x1 + bx) // 2) if bx > x1 else (bx + _BOX, max(x1, bx + _BOX) + 20)
    return (f'<path class="e{" ec" if changed else ""}" data-edge="{escape(name)}" '
            f'd="M{x1} {y1} C{mid} {y1} {mid} {y2} {x2} {y2}"/>')


def _node(n: Node, at: tuple[int, int]) -> str:
    x, y = at
    text = n.name if len(n.name) <= 30 else n.name[:29] + "…"
    cls = f"n n-{n.kind}" + (f" a-{n.action}" if n.changed else "") + (" ref" if n.referenced else "")
    mark = (f" ({n.action})" if n.changed else "") + (f" ({REFERENCED})" if n.referenced else "")
    return (f'<g class="{cls}" data-node="{escape(n.id)}"><title>{escape(n.kind)} {escape(n.name)}{escape(mark)}'
            f'</title><rect x="{x}" y="{y}" width="{_BOX}" height="19" rx="4"/>'
            f'<text x="{x + 6}" y="{y + 14}">{escape(text)}</text></g>')
