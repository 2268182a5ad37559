"""Client quotas in `kplan import`: one entry per entity, with the keys a stack can declare."""

from __future__ import annotations

from typing import Any, Mapping

from kplan.kinds.importing import ImportContext, KindImporter
from kplan.kinds.quota.model import QUOTA_KEYS, QuotaEntity
from kplan.model.live import LiveState, problem_line
from kplan.model.plan import ResourceType
from kplan.rules.stack_values import human_size


def entries(live: LiveState, ctx: ImportContext) -> list[dict[str, Any]]:
    quotas = live.of(ResourceType.QUOTA)
    if quotas.problem is not None:
        ctx.notes.append(f"client quotas not imported: {problem_line(quotas.problem)}")
    out = []
    for name in sorted(quotas.resources):
        quota = quotas.resources[name]
        names = [n for n in (quota.entity.user, quota.entity.client_id) if n is not None]
        if not any(ctx.selects(n) for n in names) or ctx.owned_elsewhere("quota", name):
            continue
        values = {k: v for k, v in quota.values.items() if k in QUOTA_KEYS}
        if len(values) < len(quota.values):
            other = ", ".join(sorted(set(quota.values) - set(values)))
            ctx.notes.append(f"quota {name}: {other} left out (a stack can declare {', '.join(QUOTA_KEYS)})")
        if values:
            out.append(quota_entry(quota.entity, values))
    return out


def quota_entry(entity: QuotaEntity, values: Mapping[str, float]) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if entity.user is not None:
        entry["user"] = entity.user
    if entity.client_id is not None:
        entry["client_id"] = entity.client_id
    for key in sorted(values):
        value = values[key]
        number: int | float = int(value) if float(value).is_integer() else value
        entry[key] = human_size(int(number)) if key.endswith("_byte_rate") and isinstance(number, int) else number
    return entry


IMPORTER = KindImporter("quota entit(y/ies)", entries, skip_help="Import no client quotas.",
                        name_of=lambda entry: QuotaEntity(entry.get("user"), entry.get("client_id")).name)
