"""A connector's or CDC source's `offsets:` request. Pure.

    offsets: {request: "2026-11-23-resnapshot", reset: true}              # delete every offset
    offsets:
      request: "2026-11-23-replay"
      set:                                                               # a sink: topic, partition, offset
        - {topic: orders, partition: 0, offset: 42}
      # or a source: the connector's own maps, as Connect's GET /connectors/<name>/offsets shows them
      #   - {partition: {filename: /data/in.txt}, offset: {position: 120}}

Its keys are its shape's (`SHAPE`: a definition the connector's and the cdc source's entries refer to; offsets have
no section of their own), from which its schema parts follow; the JSON Schema checks the shape; here what Connect
needs: exactly one of reset/set, a request token, positions of one form (all sink positions or all source positions;
a CDC source takes source positions only), each partition once.
"""

from __future__ import annotations

from typing import Any

from kplan.kinds.shape import BOOLEAN, Attr, Shape, Type, list_of, named, nullable, record, ref, row, scalars, text
from kplan.model.diagnostics import Diagnostics
from kplan.model.offsets import OffsetsSpec, canonical, partition_key, position_number, sink_position
from kplan.model.source import Loc, SourceMap, to_origin

SINK_EXAMPLE = {"topic": "orders.events", "partition": 0, "offset": 1200}
MAP_OR_NUMBER = scalars("integer", "object")  # a sink's number, a source's own map
POSITION = named("offsetPosition", record((
    Attr("topic", ref("topicName")),
    Attr("partition", MAP_OR_NUMBER, "A sink: the partition number (with topic). A source: the connector's own "
         "source-partition map, as Connect's offsets API shows it.", (0, {"server": "shop"}), required=True),
    Attr("offset", MAP_OR_NUMBER, "A sink: the offset of the next record to read. A source: the connector's own "
         "source-offset map, as Connect's offsets API shows it.", (1200, {"lsn": 24023128}), required=True))),
    "A sink position (topic, partition number, offset number) or a source position (the connector's own partition "
    "and offset maps).", (SINK_EXAMPLE, {"partition": {"server": "shop"}, "offset": {"lsn": 24023128}}))
SHAPE = Shape(
    None, "offsets",
    "Connector offsets, changed once per request token (docs/offsets.md): reset: true deletes every offset (a "
    "Debezium source re-snapshots its tables), set: [...] moves to the given positions.",
    [{"request": "2026-11-23-resnapshot", "reset": True}, {"request": "2026-11-24-replay", "set": [SINK_EXAMPLE]}],
    (
        Attr("request", Type({"type": ["string", "number"], "minLength": 1}), "A token naming this request (e.g. "
             "2026-11-23-resnapshot): a new token asks for one more change.", ("2026-11-23-resnapshot",),
             required=True),
        Attr("reset", ref("flag"), "true: delete every offset of the connector (a Debezium source then snapshots its "
             "tables again). One of reset or set."),
        Attr("set", list_of(POSITION, min_items=1), "Positions to move the connector to (replacing those of the "
             "partitions named). One of reset or set.", ([SINK_EXAMPLE],)),
    ),
    planned=(row("request", text(), "The request's token."), row("reset", BOOLEAN, "Whether every offset is reset."),
             row("offsets", list_of(Type({"type": "object"})), "The positions to set, in Connect's offsets form."),
             row("state", text(), "The connector state restored after."),
             row("previous_request", nullable(text()), "The token recorded before (null: none).")),
    planned_description="What apply does with a connector's offsets request: its token, reset or the positions to "
                        "set (Connect's form), the connector state restored after, and the token recorded before.",
)


def build_offsets(owner: str, raw: Any, smap: SourceMap, diags: Diagnostics, where: Loc, *,
                  cdc_source: str | None = None) -> tuple[bool, OffsetsSpec | None]:
    """(ok, the request or None). `owner` names the connector in messages; `cdc_source`: it is a CDC source's."""
    if raw is None:
        return True, None
    if not isinstance(raw, dict):
        return False, None  # the schema reported it
    loc = smap.loc(raw) or where
    what = f"cdc source {owner}" if cdc_source else f"connector {owner}"
    request = raw.get("request")
    if isinstance(request, bool) or not isinstance(request, (str, int, float)) or not str(request).strip():
        if request is not None and not isinstance(request, (dict, list)):
            diags.error(smap.value_loc(raw, "request") or loc,
                        f"{what}: offsets.request must be a non-empty token (e.g. \"2026-11-23-resnapshot\")")
        return False, None
    reset, positions = raw.get("reset"), raw.get("set")
    if reset is not None and reset is not True:
        if reset is False:
            diags.error(smap.value_loc(raw, "reset") or loc,
                        f"{what}: offsets.reset: false asks for nothing; write reset: true, or remove offsets")
        return False, None
    if (reset is True) == (positions is not None):
        diags.error(loc, f"{what}: offsets needs exactly one of reset: true (delete every offset) or set: [...] "
                         "(the positions to move to)")
        return False, None
    origin = to_origin(loc, cdc_source, None, "connector" if cdc_source else None)
    if reset is True:
        return True, OffsetsSpec(str(request).strip(), reset=True, origin=origin)
    if not isinstance(positions, list) or not positions:
        return False, None  # the schema reported it
    found = _positions(what, positions, loc, smap, diags, cdc_source)
    if found is None:
        return False, None
    out, sink = found
    return True, OffsetsSpec(str(request).strip(), positions=tuple(sorted(canonical(e) for e in out)),
                             sink=sink, origin=origin)


def _positions(what: str, positions: list[Any], loc: Loc, smap: SourceMap, diags: Diagnostics,
               cdc_source: str | None) -> tuple[list[dict[str, Any]], bool] | None:
    """offsets.set's positions and whether they are a sink's; None when any is wrong (reported, but for what
    the schema reported)."""
    ok, out, forms = True, [], set()
    seen: dict[str, Loc] = {}
    for item in positions:
        if not isinstance(item, dict):
            return None
        iloc = smap.loc(item) or loc
        entry = _position(what, item, iloc, diags)
        if entry is None:
            ok = False
            continue
        forms.add("topic" in item)
        key = partition_key(entry)
        if key in seen:
            diags.error(iloc, f"{what}: offsets.set names the same partition twice (first at line {seen[key].line})")
            ok = False
            continue
        seen[key] = iloc
        out.append(entry)
    if len(forms) > 1:
        diags.error(loc, f"{what}: offsets.set mixes sink positions (topic, partition, offset) and source positions "
                         "(partition and offset maps); a connector is one or the other")
        return None
    if cdc_source and True in forms:
        diags.error(loc, f"{what}: a CDC source is a source connector: give its own partition and offset maps "
                         "(as GET /connectors/<name>/offsets shows them), not topic/partition/offset")
        return None
    return (out, True in forms) if ok else None


def _position(what: str, item: dict[str, Any], loc: Loc, diags: Diagnostics) -> dict[str, Any] | None:
    partition, offset = item.get("partition"), item.get("offset")
    if "topic" in item:
        topic = item.get("topic")
        p, o = position_number(partition), position_number(offset)
        if not isinstance(topic, str) or p is None or o is None:
            diags.error(loc, f"{what}: a sink position is topic (a name), partition and offset (whole numbers "
                             "from 0)")
            return None
        return sink_position(topic, p, o)
    if not isinstance(partition, dict) or not partition or not isinstance(offset, dict) or not offset:
        diags.error(loc, f"{what}: a source position is the connector's own partition map and offset map (both "
                         "non-empty); a sink position also names its topic")
        return None
    return {"partition": partition, "offset": offset}
