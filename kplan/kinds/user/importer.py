"""SCRAM users in `kplan import`: never written (Kafka never gives a password back), only counted in a note."""

from __future__ import annotations

from typing import Any

from kplan.kinds.importing import ImportContext, KindImporter
from kplan.model.live import LiveState
from kplan.model.plan import ResourceType


def entries(live: LiveState, ctx: ImportContext) -> list[dict[str, Any]]:
    users = [u for u in live.of(ResourceType.USER).resources if ctx.selects(u)]
    if users:
        ctx.notes.append(f"{len(users)} SCRAM user(s) not imported: Kafka never gives a password back, and "
                         "declaring a user makes kplan set its password; declare users by hand (docs/stack-format.md)")
    return []


IMPORTER = KindImporter(None, entries)
