"""The `broker_configs` section: each entry, the dynamic configs of one entity — the cluster-wide default or one
broker. Pure.

    - broker: "<default>"          # the cluster-wide dynamic default; or a broker id: 1
      configs:
        log.retention.ms: 604800000
        log.cleaner.threads: 2
      authoritative: false         # true: dynamic keys of this entity not declared here are deleted
      allow_dangerous: []          # keys that can cut the cluster off (listeners, ssl.*...) this entry may set

The JSON Schema checks the shape; what it cannot say is checked here (a broker that is no id, an entity declared
twice, a value that is not a scalar).
"""

from __future__ import annotations

from typing import Any

from kplan.kinds.broker_config.model import DEFAULT_BROKER, BrokerConfigSpec, entity_sort
from kplan.kinds.owned_keys import declared_configs
from kplan.model.desired import freeze, origin_data
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, Origin, SourceMap


def build_broker_configs(entries: list[tuple[Any, Loc]], smap: SourceMap,
                         diags: Diagnostics) -> tuple[BrokerConfigSpec, ...]:
    seen: dict[str, Loc] = {}
    out = []
    for item, loc in entries:
        if not isinstance(item, dict):
            continue
        raw = item.get("broker")
        broker = str(raw) if isinstance(raw, (int, str)) and not isinstance(raw, bool) else None
        if broker is None or not (broker == DEFAULT_BROKER or broker.isdigit()):
            diags.error(smap.value_loc(item, "broker") or loc,
                        f"broker must be \"{DEFAULT_BROKER}\" (the cluster-wide dynamic default) or a broker id "
                        f"such as 1, not {raw!r}")
            continue
        broker = broker if broker == DEFAULT_BROKER else str(int(broker))
        if diags.declared_again(seen, broker, loc, f"the broker_configs entry of {broker}",
                                "declare each broker's (and the default's) configs in one entry"):
            continue
        declared = declared_configs(item, loc, smap, diags, "broker config")
        allowed = item.get("allow_dangerous") or []
        if declared is not None:
            out.append(BrokerConfigSpec(broker, freeze(declared[0]), bool(item.get("authoritative", False)),
                                        frozenset(str(k) for k in allowed), Origin(loc.file, loc.line, loc.column),
                                        freeze(declared[1])))
    return tuple(sorted(out, key=lambda s: entity_sort(s.broker)))


def rendered(s: BrokerConfigSpec) -> dict[str, Any]:
    """An entity's declared dynamic configs as Kafka takes them (strings)."""
    doc: dict[str, Any] = {"broker": s.broker, "configs": dict(sorted(s.configs.items()))}
    if s.authoritative:
        doc["authoritative"] = True
    if s.allow_dangerous:
        doc["allow_dangerous"] = sorted(s.allow_dangerous)
    doc["origin"] = origin_data(s.origin)
    return doc


def entry_word(item: object) -> str:
    """An entry as the loader's messages name it."""
    if isinstance(item, dict) and isinstance(item.get("broker"), (int, str)):
        return f"the broker configs of {item['broker']}"
    return "the broker configs entry"
