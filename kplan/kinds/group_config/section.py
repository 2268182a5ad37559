"""The `group_configs` section: each entry, the dynamic configs of one consumer, share or streams group. Pure.

    - group: orders-service
      configs:
        consumer.session.timeout.ms: 60000
        consumer.heartbeat.interval.ms: 6000
      authoritative: false         # true: dynamic keys of this group not declared here are deleted

The JSON Schema checks the shape; what it cannot say is checked here (an empty group name, a group declared twice,
a value that is not a scalar).
"""

from __future__ import annotations

from typing import Any

from kplan.kinds.group_config.model import GroupConfigSpec
from kplan.kinds.owned_keys import declared_configs
from kplan.model.desired import freeze, origin_data
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, Origin, SourceMap


def build_group_configs(entries: list[tuple[Any, Loc]], smap: SourceMap,
                        diags: Diagnostics) -> tuple[GroupConfigSpec, ...]:
    seen: dict[str, Loc] = {}
    out = []
    for item, loc in entries:
        if not isinstance(item, dict):
            continue
        group = item.get("group")
        if not isinstance(group, str) or not group.strip():
            diags.error(smap.value_loc(item, "group") or loc, f"group must be a group's name, not {group!r}")
            continue
        if diags.declared_again(seen, group, loc, f"the group_configs entry of {group}",
                                "declare each group's configs in one entry"):
            continue
        declared = declared_configs(item, loc, smap, diags, "group config")
        if declared is not None:
            out.append(GroupConfigSpec(group, freeze(declared[0]), bool(item.get("authoritative", False)),
                                       Origin(loc.file, loc.line, loc.column), freeze(declared[1])))
    return tuple(sorted(out, key=lambda s: s.group))


def rendered(s: GroupConfigSpec) -> dict[str, Any]:
    """A group's declared dynamic configs as Kafka takes them (strings)."""
    doc: dict[str, Any] = {"group": s.group, "configs": dict(sorted(s.configs.items()))}
    if s.authoritative:
        doc["authoritative"] = True
    doc["origin"] = origin_data(s.origin)
    return doc


def entry_word(item: object) -> str:
    """An entry as the loader's messages name it."""
    if isinstance(item, dict) and isinstance(item.get("group"), str):
        return f"the group configs of {item['group']}"
    return "the group configs entry"
