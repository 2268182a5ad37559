"""The data flows a plan touches, as a picture: CDC source -> connector -> topics -> the consumer groups and sink
connectors that read them, and a mirror's: source topic -> mirror -> target topic -> the target's consumer groups,
each changed part marked by its action. Pure: the graph (`kplan.kinds.flows`) is read off the plan model by the
kinds whose resources take part, each drawing its own changes (its UNIT's `flows`: origins name a resource's CDC
source, connector configs name their topics, a disrupted topic's change carries the groups reading it, a consumer
group request names its topics, a mirror's source connector names its source cluster, patterns and naming policy),
and drawn here as inline SVG (no script needed); this module names no kind.
A part the stack references (`Plan.references`: another stack owns it) is drawn dashed and says so; a referenced
resource that no flow of the plan reads or writes is not drawn."""

from __future__ import annotations

from html import escape

from kplan.kinds import UNITS
from kplan.kinds.flows import Graph, Node
from kplan.model.plan import Plan, address_of

COLUMN_TITLES = ("CDC source / mirrored topic", "source connector / mirror", "topic", "consumer group / sink connector")
MAX_NODES = 400  # drawn; the rest of the flows are counted in a line under the picture
_W, _BOX, _ROW, _GAP, _TOP = 250, 210, 26, 18, 28
REFERENCED = "referenced: owned by another stack"


def flow_graph(plan: Plan) -> Graph:
    """Every flow among the plan's resources (unchanged ones too: a changed topic's readers matter): each kind's
    part (its UNIT's `flows`) draws its changes, the writers first; a node of a kind's resource the stack
    references is marked so."""
    parts = {u.kind.type: part for u in UNITS if (part := u.flows) is not None}
    g = Graph()
    for hook in ("writers", "draw"):  # every change's writers first
        for ch in plan.changes:
            drawn = getattr(parts.get(ch.type), hook, None)
            if drawn is not None:
                drawn(g, ch, plan)
    refs = frozenset(plan.references)
    node_types = {part.node: t for t, part in parts.items() if part.node is not None}
    for n in g.nodes.values():
        n.referenced = n.kind in node_types and address_of(node_types[n.kind], n.name) in refs
    return g


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
