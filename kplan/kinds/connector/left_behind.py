"""What a connector's changes leave for a person to do once applied, as apply's last words (`left_behind` in the
connector's UNIT): a deleted PostgreSQL source's replication slot and publication that `on_destroy` does not drop,
with the SQL to drop them by hand (kplan.kinds.connector.cdc_cleanup says them in the plan). Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kplan.kinds.connector.cdc_cleanup import LEFT_CODE

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.plan import Plan


def left_behind(plan: "Plan") -> list[str]:
    """The plan's lines about what a deleted PostgreSQL source left in its database, as printed."""
    return [d.format() for d in plan.diagnostics if d.code == LEFT_CODE]
