"""The `share_groups` section: one entry per share group, with one request (applied once per token). Pure.

    share_groups:
      - name: invoice-jobs                     # the share group's id (its consumers' group.id)
        offsets:
          request: 2026-11-26-replay           # a new token asks for one more reset
          reset: earliest                      # latest | 2026-11-26T08:00:00Z | 2h (that long ago) |
                                               #   [{topic: invoices, partition: 0, offset: 42}, ...]
          topics: [invoices]                   # optional: the topics to move (default: every topic the group
                                               #   has start offsets on); not with explicit positions

The reset forms are a consumer group's (kplan.kinds.share_group.shared) but for a mirror's failover
(`{mirror: <name>}`), which translates committed offsets only: the schema refuses it. The JSON Schema checks the
shape; here what it cannot say: a token, a reset that is one of the forms (a datetime with its time zone), each
partition once, a group declared once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kplan.kinds.share_group.model import ShareGroupSpec
from kplan.kinds.share_group.shared import OFFSETS, POSITIONS, GroupReset, parse_positions, reset_of, token
from kplan.model.desired import origin_data
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap, to_origin
from kplan.rules.units import UnitError

FORMS = ("earliest, latest, an ISO datetime with its time zone (2026-11-26T08:00:00Z), a duration ago (2h, 30m, "
         "7d) or a list of {topic, partition, offset}")


def build_share_groups(entries: list[tuple[Any, Loc]], smap: SourceMap,
                       diags: Diagnostics) -> tuple[ShareGroupSpec, ...]:
    seen: dict[str, Loc] = {}
    out: list[ShareGroupSpec] = []
    for item, loc in entries:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue  # the schema reported it
        name = item["name"]
        if diags.declared_again(seen, name, loc, f"share group {name!r}",
                                "declare each share group once, with one request"):
            continue
        spec = _entry(name, item, loc, smap, diags)
        if spec is not None:
            out.append(spec)
    return tuple(sorted(out, key=lambda g: g.name))


def _entry(name: str, item: dict[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics) -> ShareGroupSpec | None:
    what = f"share group {name!r}"
    raw = item.get(OFFSETS)
    if not isinstance(raw, dict):
        if raw is None:
            diags.error(loc, f"{what}: give its request: offsets: {{request, reset, topics}} (move its start offsets)")
        return None  # else the schema reported it
    rloc = smap.loc(raw) or loc
    request = token(raw.get("request"))
    if request is None:
        diags.error(smap.value_loc(raw, "request") or rloc,
                    f"{what}: request must be a non-empty token (e.g. \"2026-11-26-replay\"): a new token asks for "
                    "one more reset")
        return None
    if "reset" not in raw:
        diags.error(rloc, f"{what}: offsets needs reset: {FORMS}")
        return None
    topics = raw.get("topics")
    if topics is not None and (not isinstance(topics, list) or not all(isinstance(t, str) for t in topics)):
        return None  # the schema reported it
    value, vloc = raw["reset"], smap.value_loc(raw, "reset") or rloc
    origin = to_origin(loc)
    if isinstance(value, list):
        if topics:
            diags.error(smap.value_loc(raw, "topics") or rloc,
                        f"{what}: explicit positions name their topics: remove topics, or reset to a named position")
            return None
        positions = parse_positions(what, value, rloc, smap, diags)
        if positions is None:
            return None
        return ShareGroupSpec(name, request, GroupReset(POSITIONS, OFFSETS, positions=positions), origin=origin)
    if not isinstance(value, (str, date)):  # a datetime is a date too; a mirror's {mirror: <name>} the schema refused
        diags.error(vloc, f"{what}: reset must be one of: {FORMS}")
        return None
    try:
        reset = reset_of(value)
    except UnitError as e:
        diags.error(vloc, f"{what}: {e}")
        return None
    if topics is not None and len(set(topics)) != len(topics):
        diags.error(smap.value_loc(raw, "topics") or rloc, f"{what}: {OFFSETS}.topics names a topic twice")
        return None
    return ShareGroupSpec(name, request, GroupReset(reset.to, reset.text, reset.timestamp_ms, reset.ago_ms,
                                                    topics=tuple(sorted(topics or ()))), origin=origin)


def rendered(g: ShareGroupSpec) -> dict[str, Any]:
    """A declared share-group request as `kplan render` shows it."""
    reset = ([{"topic": t, "partition": p, "offset": o} for t, p, o in g.reset.positions]
             if g.reset.to == POSITIONS else g.reset.text)
    return {"name": g.name, "request": g.request, "reset": reset, "topics": list(g.reset.topics),
            "origin": origin_data(g.origin)}


def entry_word(item: object) -> str:
    """An entry as the loader's messages name it (before it is built: `item` may be any YAML value)."""
    name = item.get("name") if isinstance(item, dict) else None
    return f"share group {name!r}" if isinstance(name, str) else "share group"
