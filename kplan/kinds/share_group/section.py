"""The `share_groups` section: one entry per share group, with one request (applied once per token). Pure.

    share_groups:
      - name: invoice-jobs                     # the share group's id (its consumers' group.id)
        offsets:
          request: 2026-11-26-replay           # a new token asks for one more reset
          reset: earliest                      # latest | 2026-11-26T08:00:00Z | 2h (that long ago) |
                                               #   [{topic: invoices, partition: 0, offset: 42}, ...]
          topics: [invoices]                   # optional: the topics to move (default: every topic the group
                                               #   has start offsets on); not with explicit positions

The reset forms are a consumer group's (kplan.kinds.resets) but for a mirror's failover
(`{mirror: <name>}`), which translates committed offsets only: the schema refuses it. The JSON Schema checks the
shape; here what it cannot say: a token, a reset that is one of the forms (a datetime with its time zone), each
partition once, a group declared once.
"""

from __future__ import annotations

from typing import Any

from kplan.kinds.resets.model import OFFSETS
from kplan.kinds.resets.parse import build_requests, rendered_reset, request_token, reset_request
from kplan.kinds.share_group.model import ShareGroupSpec
from kplan.model.desired import origin_data
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap, to_origin

FORMS = ("earliest, latest, an ISO datetime with its time zone (2026-11-26T08:00:00Z), a duration ago (2h, 30m, "
         "7d) or a list of {topic, partition, offset}")


def build_share_groups(entries: list[tuple[Any, Loc]], smap: SourceMap,
                       diags: Diagnostics) -> tuple[ShareGroupSpec, ...]:
    return build_requests(entries, smap, diags, "share group", "declare each share group once, with one request",
                          _entry)


def _entry(name: str, item: dict[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics) -> ShareGroupSpec | None:
    what = f"share group {name!r}"
    raw = item.get(OFFSETS)
    if not isinstance(raw, dict):
        if raw is None:
            diags.error(loc, f"{what}: give its request: offsets: {{request, reset, topics}} (move its start offsets)")
        return None  # else the schema reported it
    rloc = smap.loc(raw) or loc
    request = request_token(what, raw, rloc, smap, diags, "2026-11-26-replay", "reset")
    if request is None:
        return None
    # a mapping (a consumer group's failover, {mirror: <name>}) is none of the forms: the schema refused it
    reset = reset_request(what, raw, rloc, smap, diags, FORMS)
    return None if reset is None else ShareGroupSpec(name, request, reset, origin=to_origin(loc))


def rendered(g: ShareGroupSpec) -> dict[str, Any]:
    """A declared share-group request as `kplan render` shows it."""
    return {"name": g.name, "request": g.request, "reset": rendered_reset(g.reset), "topics": list(g.reset.topics),
            "origin": origin_data(g.origin)}


def entry_word(item: object) -> str:
    """An entry as the loader's messages name it (before it is built: `item` may be any YAML value)."""
    name = item.get("name") if isinstance(item, dict) else None
    return f"share group {name!r}" if isinstance(name, str) else "share group"
