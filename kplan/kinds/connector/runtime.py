"""The connector kind's `Runtime` (`kplan.kinds.unit.Runtime`; this module is it, its UNIT's `runtime_ref`): connectors
run as tasks on Connect's workers, so status, watch and apply ask it of their state and what they leave, watch of the
restarts their `auto_restart` asks (`healing`), a run of the secrets they hold, and the topic kind of the topics a
CDC source keeps. What only status and watch ask is imported when first asked: a plan imports neither their words
nor the status read's or the restart's I/O."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from kplan.kinds.connector import cdc_cleanup, kind
from kplan.kinds.connector import keepers as kept

if TYPE_CHECKING:
    from kplan.kinds.unit import Healing
    from kplan.model.live import LiveState
    from kplan.model.plan import Plan
    from kplan.model.status import StatusReport

tally, keepers, run_secrets, left_behind = kind.TALLY, kept.KEEPERS, kind.run_secrets, cdc_cleanup.left_behind


def status_read(declared: Sequence[Any], secrets: Any, reader: Any, timeout_s: float) -> Any:
    from kplan.kinds.connector.io.health import status_read as read

    return read(declared, secrets, reader, timeout_s)


def status_with(report: StatusReport, found: Any) -> StatusReport:
    from kplan.kinds.connector.health import with_cdc_health

    return with_cdc_health(report, found)


def metrics(found: Any) -> list[tuple[str, str, dict[str, str], float]]:
    from kplan.kinds.connector.health import metrics as samples

    return samples(found)


def live_metrics(live: LiveState, plan: Plan) -> list[tuple[str, str, dict[str, str], float]]:
    from kplan.kinds.connector.health import states

    return states(live, plan)


def healing() -> Healing:
    from kplan.kinds.connector.io.healing import HEALING  # the restart's I/O: only kplan watch makes it

    return HEALING
