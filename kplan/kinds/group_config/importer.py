"""Group configs in `kplan import`: one entry per group with dynamic configs (those the cluster lists), selected by
the group's name, the values as Kafka shows them."""

from __future__ import annotations

from typing import Any

from kplan.kinds.importing import ImportContext, KindImporter
from kplan.model.live import LiveState, problem_line
from kplan.model.plan import ResourceType


def entries(live: LiveState, ctx: ImportContext) -> list[dict[str, Any]]:
    configs = live.of(ResourceType.GROUP_CONFIG)
    if configs.problem is not None:
        ctx.notes.append(f"group configs not imported: {problem_line(configs.problem)}")
    return [{"group": name, "configs": dict(sorted(c.values.items()))}
            for name, c in sorted(configs.resources.items())
            if c.values and ctx.selects(name) and not ctx.owned_elsewhere("group_config", name)]


IMPORTER = KindImporter("group config set(s)", entries, skip_help="Import no group configs.")
