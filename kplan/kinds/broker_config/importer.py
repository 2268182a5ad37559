"""Broker configs in `kplan import`: one entry per entity with dynamic values (the cluster-wide default, each
broker), the values as Kafka shows them. Static server.properties values are not the stack's and are left out,
as are sensitive values (Kafka never shows them)."""

from __future__ import annotations

from typing import Any

from kplan.kinds.broker_config.model import entity_sort
from kplan.kinds.importing import ImportContext, KindImporter
from kplan.model.live import LiveState, problem_line
from kplan.model.plan import ResourceType


def entries(live: LiveState, ctx: ImportContext) -> list[dict[str, Any]]:
    configs = live.of(ResourceType.BROKER_CONFIG)
    if configs.problem is not None:
        ctx.notes.append(f"broker configs not imported: {problem_line(configs.problem)}")
    out = []
    for name in sorted(configs.resources, key=entity_sort):
        c = configs.resources[name]
        # selected by its name like any resource (`<default>`, `1`): an import of a team's prefix takes none
        if not c.values or not ctx.selects(name) or ctx.owned_elsewhere("broker_config", name):
            continue
        hidden = sorted(k for k, v in c.values.items() if v is None)
        if hidden:
            ctx.notes.append(f"broker configs of {name}: {', '.join(hidden)} left out (sensitive: Kafka does not "
                             "show the value)")
        values = {k: v for k, v in sorted(c.values.items()) if v is not None}
        if values:
            out.append({"broker": name if not name.isdigit() else int(name), "configs": values})
    return out


IMPORTER = KindImporter("broker config set(s)", entries, skip_help="Import no dynamic broker configs.")
