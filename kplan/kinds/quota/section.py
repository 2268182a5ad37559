"""The `quotas` section: each entry, the client quotas of one entity (a user, a client id, or both). Pure.

    - user: orders-service          # or client_id: web, or both; "<default>" is Kafka's default entity
      producer_byte_rate: 1MiB      # bytes per second (human sizes, like *.bytes configs)
      consumer_byte_rate: 2MiB
      request_percentage: 50        # percent of one network/I-O thread

The JSON Schema checks the shape; what it cannot say is checked here (a size that is not one, an entity declared
twice, an entry without a quota).
"""

from __future__ import annotations

from typing import Any

from kplan.kinds.quota.model import QUOTA_KEYS, QuotaEntity, QuotaSpec
from kplan.model.desired import freeze, origin_data
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, Origin, SourceMap
from kplan.rules.units import UnitError, parse_size_bytes

BYTE_RATES = ("producer_byte_rate", "consumer_byte_rate")


def quota_value(key: str, raw: Any) -> float:
    """A declared value as Kafka stores it (a double): byte rates in bytes per second, a percentage as is.
    Raises UnitError (the message says why)."""
    if isinstance(raw, bool):
        raise UnitError(f"{key} must be a number, not {str(raw).lower()}")
    if key in BYTE_RATES:
        value = float(parse_size_bytes(str(raw)))
        what = "a byte rate"
    else:
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise UnitError(f"invalid percentage {raw!r}: use a number such as 50 or 12.5") from None
        what = "a percentage"
    if value <= 0:
        raise UnitError(f"{key} must be {what} above 0 (remove the key to lift the quota)")
    return value


def build_quotas(entries: list[tuple[Any, Loc]], smap: SourceMap, diags: Diagnostics) -> tuple[QuotaSpec, ...]:
    seen: dict[QuotaEntity, Loc] = {}
    out = []
    for item, loc in entries:
        if not isinstance(item, dict):
            continue
        user, client = item.get("user"), item.get("client_id")
        if user is None and client is None:
            diags.error(loc, "a quota entry names no entity: set user, client_id, or both")
            continue
        if not isinstance(user, (str, type(None))) or not isinstance(client, (str, type(None))):
            continue  # the schema reported it
        entity = QuotaEntity(user, client)
        if diags.declared_again(seen, entity, loc, f"quota entity {entity.name}",
                                "declare each entity's quotas in one entry"):
            continue
        values: dict[str, float] = {}
        for key in QUOTA_KEYS:
            if key not in item:
                continue
            try:
                values[key] = quota_value(key, item[key])
            except UnitError as e:
                diags.error(smap.value_loc(item, key) or loc, str(e))
        if not values and not any(key in item for key in QUOTA_KEYS):
            diags.error(loc, f"quota entity {entity.name} declares no quota: set producer_byte_rate, "
                             "consumer_byte_rate or request_percentage")
            continue
        if len(values) == sum(1 for key in QUOTA_KEYS if key in item):
            out.append(QuotaSpec(entity, freeze(values), origin=Origin(loc.file, loc.line, loc.column)))
    return tuple(sorted(out, key=lambda q: q.name))


def rendered(q: QuotaSpec) -> dict[str, Any]:
    """An entity's quotas as Kafka stores them (byte rates in bytes per second)."""
    from kplan.kinds.quota.kind import entity_repr, shown_value

    return {"entity": entity_repr(q.entity), "values": {k: shown_value(v) for k, v in sorted(q.values.items())},
            "origin": origin_data(q.origin)}


def entry_word(item: object) -> str:
    """An entry as the loader's messages name it (an entity has no one name: a user, a client id, or both)."""
    return "the quota entry"
