"""The `consumer_groups` section: one entry per group, with one request (applied once per token). Pure.

    consumer_groups:
      - name: orders-app                       # the group id
        offsets:
          request: 2026-11-23-replay           # a new token asks for one more reset
          reset: earliest                      # latest | 2026-11-23T08:00:00Z | 2h (that long ago) |
                                               #   [{topic: orders, partition: 0, offset: 42}, ...]
          topics: [orders]                     # optional: the topics to move (default: every topic the group
                                               #   has committed offsets on); not with explicit positions
      - name: billing                          # a failover, on the mirror's target cluster:
        cluster: dr
        offsets:
          request: failover-1
          reset: {mirror: orders-dr}           #   the offsets mirror orders-dr translated (its checkpoints)
      - name: retired-app
        delete: {request: 2026-11-23-retire}   # deletes the group (Kafka refuses while it has members)

The JSON Schema checks the shape; here what it cannot say: exactly one of offsets/delete, a token, a reset that is
one of the forms (a datetime with its time zone), each partition once, a group declared once.
"""

from __future__ import annotations

from typing import Any

from kplan.kinds.consumer_group.model import MIRRORED, GroupReset, GroupSpec
from kplan.kinds.resets import parse
from kplan.kinds.resets.model import OFFSETS
from kplan.kinds.resets.parse import build_requests, rendered_reset, request_token, reset_request
from kplan.model.desired import origin_data
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap, to_origin

FORMS = ("earliest, latest, an ISO datetime with its time zone (2026-11-23T08:00:00Z), a duration ago (2h, 30m, "
         "7d), a list of {topic, partition, offset} or {mirror: <name>} (the offsets a mirror translated)")


def reset_of(raw: Any) -> GroupReset:
    """A declared `reset:` value (without topics) -> the reset it means. Raises UnitError (the message says why)."""
    return parse.reset_of(raw, FORMS)


def build_groups(entries: list[tuple[Any, Loc]], smap: SourceMap, diags: Diagnostics) -> tuple[GroupSpec, ...]:
    return build_requests(entries, smap, diags, "consumer group", "declare each group once, with one request", _entry)


def _entry(name: str, item: dict[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics) -> GroupSpec | None:
    what = f"consumer group {name!r}"
    offsets, delete = item.get(OFFSETS), item.get("delete")
    if (offsets is None) == (delete is None):
        diags.error(loc, f"{what}: give exactly one request: offsets: {{request, reset, topics}} (move its committed "
                         "offsets) or delete: {request} (delete the group)")
        return None
    raw = offsets if offsets is not None else delete
    if not isinstance(raw, dict):
        return None  # the schema reported it
    rloc = smap.loc(raw) or loc
    request = request_token(what, raw, rloc, smap, diags, "2026-11-23-replay", "change")
    if request is None:
        return None
    origin = to_origin(loc)
    if delete is not None:
        return GroupSpec(name, request, delete=True, origin=origin)

    def failover(value: dict[str, Any], topics: Any) -> GroupReset | None:
        mirror = value.get("mirror")
        if not isinstance(mirror, str) or not mirror.strip() or set(value) != {"mirror"}:
            diags.error(smap.value_loc(raw, "reset") or rloc, f"{what}: reset: {{mirror: <name>}} names a mirror of "
                        "`mirrors:` (a failover to its target: the offsets it translated)")
            return None
        if topics:
            diags.error(smap.value_loc(raw, "topics") or rloc, f"{what}: a failover moves the group on every replica "
                        "the mirror translated offsets for: remove topics")
            return None
        return GroupReset(MIRRORED, f"mirror {mirror.strip()}", mirror=mirror.strip())

    reset = reset_request(what, raw, rloc, smap, diags, FORMS, failover)
    return None if reset is None else GroupSpec(name, request, reset, origin=origin)


def rendered(g: GroupSpec) -> dict[str, Any]:
    """A declared group request as `kplan render` shows it."""
    out: dict[str, Any] = {"name": g.name, "request": g.request, "origin": origin_data(g.origin)}
    if g.delete:
        out["delete"] = True
    elif g.reset is not None:
        out["reset"] = {"mirror": g.reset.mirror} if g.reset.to == MIRRORED else rendered_reset(g.reset)
        out["topics"] = list(g.reset.topics)
    return out


def entry_word(item: object) -> str:
    """An entry as the loader's messages name it (before it is built: `item` may be any YAML value)."""
    name = item.get("name") if isinstance(item, dict) else None
    return f"consumer group {name!r}" if isinstance(name, str) else "consumer group"
